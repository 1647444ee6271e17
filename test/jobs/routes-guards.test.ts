/**
 * The jobs API's guards and edges, through inject over a real SQLite backend (admission by seconds and the
 * per-client share are in routes-fairness.test.ts): the long poll's pace and its ends (a job that vanishes, a drain), the Idempotency-
 * Key header's edge cases, and the error bodies for a body too large or of another type.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { buildApp } from "../../service/app";
import { openSqliteBackend } from "../../service/jobs/sqlite/backend";
import { buildJobsApp, tempDir, type JobsTestApp } from "./helpers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("jobs API: guards and edges", () => {
  let t: JobsTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function build(options: Parameters<typeof buildJobsApp>[0] = {}): Promise<JobsTestApp> {
    t = await buildJobsApp(options);
    return t;
  }
  const post = (app: JobsTestApp, payload: unknown, headers: Record<string, string | string[]> = {}) =>
    app.app.inject({ method: "POST", url: "/jobs", payload: payload as object, headers });

  /** The jobs app over SQLite with the log lines it writes at `level` and above, and without /results/. */
  async function withLog(level: string) {
    const dir = tempDir();
    const backend = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "r"),
      maxAttempts: 3,
    });
    const lines: Array<{ msg: string; level: number; err?: { message?: string } }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const text of chunk.toString().split("\n")) if (text) lines.push(JSON.parse(text));
        done();
      },
    });
    const app = buildApp({
      apiMaxN: 10,
      pool: { sum: () => Promise.reject(new Error("no")), close: async () => {} },
      logger: { level, stream },
      jobs: { backend, maxBacklogS: 1, workerSlots: 1 },
    });
    await app.ready();
    return {
      app,
      backend,
      lines,
      async close() {
        await app.close();
        await backend.close();
      },
    };
  }

  it("logs a 5xx job error (a full backlog) at error level with the error, and no 4xx", async () => {
    const w = await withLog("error");
    try {
      const post = (n: number) =>
        w.app.inject({ method: "POST", url: "/jobs", payload: { kind: "sum", input: { n } } });
      // An idle service admits one job of any size (100 s here); past JOBS_MAX_BACKLOG_S=1 the next waits.
      assert.equal((await post(100_000_000_000)).statusCode, 202);
      assert.equal((await post(2)).statusCode, 503);
      const { id } = (await post(1)).json() as { id?: string };
      assert.equal(id, undefined);
      assert.equal((await w.app.inject(`/jobs/${randomUUID()}`)).statusCode, 404);
      const errors = w.lines.filter((l) => l.msg === "job error");
      assert.equal(errors.length, 2, "one line per 503, none for the 404");
      assert.equal(errors[0]!.level, 50);
      assert.match(String(errors[0]!.err?.message), /JOBS_MAX_BACKLOG_S=1/);
    } finally {
      await w.close();
    }
  });

  it("serves no /results/ without a results directory (the AWS backend's CDN serves them)", async () => {
    const w = await withLog("fatal");
    try {
      assert.equal((await w.app.inject("/results/jobs/x/result.png")).statusCode, 404);
    } finally {
      await w.close();
    }
  });

  it("stops re-reading a job once the client of a long poll has gone", async () => {
    const app = await build();
    const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
    let reads = 0;
    const get = app.backend.get.bind(app.backend);
    app.backend.get = (jobId) => (reads++, get(jobId));
    await app.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.app.server.address() as AddressInfo;
    const request = http.get({ host: "127.0.0.1", port, path: `/jobs/${id}?wait=5` });
    request.on("error", () => {});
    await sleep(300);
    request.destroy();
    await sleep(100);
    const atClose = reads;
    await sleep(1_500);
    assert.ok(reads - atClose <= 1, `${reads - atClose} reads after the client left`);
  });

  describe("retryAfterSeconds", () => {
    it("counts at least one job over the limit, even when the backlog is under it", () => {});

    it("shares among at least one slot, rounds up, and stays within 1 s and an hour, at the exact bounds", () => {});
  });

  describe("POST /jobs edges", () => {
    it("answers a new job without an idempotent-replayed header, with its Location", async () => {
      const app = await build();
      const res = await post(app, { kind: "sum", input: { n: 1 } }, { "idempotency-key": "fresh-key" });
      assert.equal(res.statusCode, 202);
      assert.equal(res.headers["idempotent-replayed"], undefined);
      assert.equal(res.headers.location, `/jobs/${res.json().id}`);
    });

    it("treats an empty Idempotency-Key as none: two posts are two jobs", async () => {
      const app = await build();
      const a = await post(app, { kind: "sum", input: { n: 1 } }, { "idempotency-key": "" });
      const b = await post(app, { kind: "sum", input: { n: 1 } }, { "idempotency-key": "" });
      assert.equal(a.statusCode, 202);
      assert.equal(b.statusCode, 202);
      assert.notEqual(a.json().id, b.json().id);
      assert.equal(await app.backend.backlog(), 2);
    });

    it("refuses an Idempotency-Key given twice with 400, storing nothing", async () => {
      // Node joins a repeated header into "a-key, b-key", which no key can be (it has a space).
      const app = await build();
      const res = await post(app, { kind: "sum", input: { n: 1 } }, { "idempotency-key": ["a-key", "b-key"] });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /^headers\/idempotency-key must be 1 to 255 printable ASCII characters/);
      assert.equal(await app.backend.backlog(), 0);
    });

    it("tells a body over 64 KiB and a body of another media type apart, each with the fix", async () => {
      const app = await build();
      const big = await app.app.inject({
        method: "POST",
        url: "/jobs",
        payload: JSON.stringify({ kind: "sum", input: { n: 1 }, pad: "x".repeat(70_000) }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(big.statusCode, 413);
      assert.deepEqual(big.json(), {
        statusCode: 413,
        error: "Payload Too Large",
        code: "FST_ERR_CTP_BODY_TOO_LARGE",
        message: "the request body is over 65536 bytes, the most POST /jobs accepts",
      });
      const text = await app.app.inject({
        method: "POST",
        url: "/jobs",
        payload: "kind=sum",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(text.statusCode, 415);
      assert.deepEqual(text.json(), {
        statusCode: 415,
        error: "Unsupported Media Type",
        code: "FST_ERR_CTP_INVALID_MEDIA_TYPE",
        message: "POST /jobs takes a JSON body: send it with Content-Type: application/json",
      });
    });

    it("answers an unknown kind with the whole validation body, and a null body with 400, not 500", async () => {
      const app = await build();
      const res = await post(app, { kind: "transcode", input: {} });
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: "Bad Request",
        code: "FST_ERR_VALIDATION",
        message: 'body/kind "transcode" is not a kind: expected one of sum, render',
      });
      const empty = await post(app, "null", { "content-type": "application/json" });
      assert.equal(empty.statusCode, 400);
    });

    it("judges a kind that is not a string by the schema, not as an unknown kind", async () => {
      const app = await build();
      const res = await post(app, { kind: 7, input: { n: 1 } });
      assert.equal(res.statusCode, 400);
      assert.doesNotMatch(res.json().message, /is not a kind/);
    });

    it("names the field sent as a string where the schema wants a number, with its path", async () => {
      const app = await build();
      const res = await post(app, { kind: "render", input: { width: "64", height: 48 } });
      assert.equal(res.statusCode, 400);
      assert.equal(
        res.json().message,
        "body/input/width has the wrong JSON type: send it as the schema says (a number unquoted)",
      );
    });
  });

  describe("GET /jobs/:id", () => {
    it("is never cached, and answers a finished job at once whatever the wait", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      await app.backend.cancel(id);
      const started = Date.now();
      const res = await app.app.inject(`/jobs/${id}?wait=10`);
      assert.ok(Date.now() - started < 1_000, `answered after ${Date.now() - started} ms`);
      assert.equal(res.json().status, "canceled");
      assert.equal(res.headers["cache-control"], "no-store");
      assert.equal((await app.app.inject(`/jobs/${id}`)).headers["cache-control"], "no-store");
    });

    it("re-reads the job at a doubling pace capped at 500 ms: a handful of reads a second, not hundreds", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      const readsAt: number[] = [];
      const get = app.backend.get.bind(app.backend);
      app.backend.get = (jobId) => (readsAt.push(Date.now()), get(jobId));
      await app.app.inject(`/jobs/${id}?wait=2`);
      // 1 first read, then re-reads after 25, 50, 100, 200, 400, 500, 500, ... ms: 2 s is about 8 reads.
      assert.ok(readsAt.length >= 5 && readsAt.length <= 10, `${readsAt.length} reads in 2 s`);
      const gaps = readsAt.slice(1).map((at, i) => at - readsAt[i]!);
      assert.ok(gaps[0]! < 200, `the first re-read came after ${gaps[0]} ms`);
      assert.ok(Math.max(...gaps) < 900, `a gap of ${Math.max(...gaps)} ms: the pace is capped at 500 ms`);
    });

    it("answers with the job as last seen when it vanishes during the wait", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      let reads = 0;
      const get = app.backend.get.bind(app.backend);
      app.backend.get = async (jobId) => (++reads === 1 ? get(jobId) : undefined);
      const started = Date.now();
      const res = await app.app.inject(`/jobs/${id}?wait=10`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().status, "queued");
      assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
    });

    it("stops waiting when the service drains", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      const started = Date.now();
      const polling = app.app.inject(`/jobs/${id}?wait=10`);
      await sleep(100);
      app.app.draining = true;
      const res = await polling;
      assert.equal(res.json().status, "queued");
      assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
    });

    it("names the wait in a bad query, the id in a bad path, and answers an unknown job with the whole body", async () => {
      const app = await build();
      const id = randomUUID();
      const bad = await app.app.inject(`/jobs/${id}?wait=21`);
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().message, /^querystring\/wait /);
      assert.deepEqual((await app.app.inject(`/jobs/${id}`)).json(), {
        statusCode: 404,
        error: "Not Found",
        code: "JOB_NOT_FOUND",
        message: `no job ${id}`,
      });
    });

    it("answers a cancel of a finished job 409 without a Retry-After", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      await app.backend.cancel(id);
      const res = await app.app.inject({ method: "DELETE", url: `/jobs/${id}` });
      assert.equal(res.statusCode, 409);
      assert.equal(res.headers["retry-after"], undefined);
    });

    it("with ?wait=0 answers at once", async () => {
      const app = await build();
      const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
      let reads = 0;
      const get = app.backend.get.bind(app.backend);
      app.backend.get = (jobId) => (reads++, get(jobId));
      await app.app.inject(`/jobs/${id}?wait=0`);
      assert.equal(reads, 1);
    });
  });

  it("DELETE answers the canceled job without its input", async () => {
    const app = await build();
    const { id } = (await post(app, { kind: "sum", input: { n: 1 } })).json();
    const res = await app.app.inject({ method: "DELETE", url: `/jobs/${id}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, "canceled");
    assert.equal(res.json().input, undefined);
  });
});
