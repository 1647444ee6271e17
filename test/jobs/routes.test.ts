/**
 * The jobs API through inject, over a real SQLite backend: every bad input the issue lists is refused and
 * named before anything is stored, idempotency, cancel, the long poll, the backlog limit and /results/.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { buildJobsApp, type JobsTestApp } from "./helpers";

const LONG_LEASE_MS = 60_000;

describe("jobs API (inject, SQLite backend)", () => {
  let t: JobsTestApp;
  beforeEach(async () => {
    t = await buildJobsApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: "POST", url: "/jobs", payload: payload as object, headers });

  describe("POST /jobs", () => {
    it("records a job and answers 202 with its id, a Location, and nothing run yet", async () => {
      const res = await post({ kind: "sum", input: { n: 10 } });
      assert.equal(res.statusCode, 202);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ["createdAt", "id", "kind", "status"]);
      assert.equal(body.kind, "sum");
      assert.equal(body.status, "queued");
      assert.equal(res.headers.location, `/jobs/${body.id}`);
      const job = (await t.app.inject(`/jobs/${body.id}`)).json();
      assert.equal(job.status, "queued", "the web tier runs nothing itself");
      assert.equal(job.attempts, 0);
      assert.equal(job.progress, 0);
      assert.equal(job.input, undefined, "the input is not echoed");
      assert.equal(await t.backend.backlog(), 1);
    });

    it("refuses an unknown kind with 400 listing the kinds, storing nothing", async () => {
      const res = await post({ kind: "transcode", input: {} });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /body\/kind "transcode" is not a kind: expected one of sum, render/);
      assert.equal(await t.backend.backlog(), 0);
    });

    const badInputs: [string, unknown, RegExp][] = [
      ["n above 1e11", { kind: "sum", input: { n: 1e11 + 1 } }, /body\/input\/n must be <= 100000000000/],
      ["a negative n", { kind: "sum", input: { n: -1 } }, /body\/input\/n must be >= 0/],
      ["a fractional n", { kind: "sum", input: { n: 1.5 } }, /body\/input\/n must be integer/],
      ["n as a string", { kind: "sum", input: { n: "5" } }, /body\/input\/n has the wrong JSON type/],
      ["n missing", { kind: "sum", input: {} }, /body\/input\/n is required/],
      [
        "an unknown input field",
        { kind: "sum", input: { n: 1, m: 2 } },
        /body\/input\/m is not a known field: expected n/,
      ],
      ["input missing", { kind: "sum" }, /body\/input is required/],
      ["an unknown body field", { kind: "sum", input: { n: 1 }, priority: 1 }, /body\/priority is not a known field/],
      ["kind not a string", { kind: 7, input: { n: 1 } }, /body\/kind/],
      [
        "a render too wide",
        { kind: "render", input: { width: 8193, height: 10 } },
        /body\/input\/width must be <= 8192/,
      ],
      [
        "too many iterations",
        { kind: "render", input: { width: 8, height: 8, maxIterations: 10_001 } },
        /body\/input\/maxIterations must be <= 10000/,
      ],
      [
        "a typo in the view",
        { kind: "render", input: { width: 8, height: 8, view: { zom: 2 } } },
        /body\/input\/view\/zom is not a known field: expected centerX, centerY, zoom/,
      ],
      ["a zero zoom", { kind: "render", input: { width: 8, height: 8, view: { zoom: 0 } } }, /view\/zoom must be > 0/],
      ["an array body", [1, 2], /body must be object/],
    ];
    for (const [what, body, message] of badInputs) {
      it(`refuses ${what} with 400 naming the field, storing nothing`, async () => {
        const res = await post(body);
        assert.equal(res.statusCode, 400, res.body);
        assert.match(res.json().message, message);
        assert.equal(await t.backend.backlog(), 0);
      });
    }

    it("refuses a body that is not JSON: 400 for broken JSON, 415 for another media type", async () => {
      const broken = await post("{not json", { "content-type": "application/json" });
      assert.equal(broken.statusCode, 400);
      assert.match(broken.json().message, /not valid JSON/);
      const xml = await post("<job/>", { "content-type": "application/xml" });
      assert.equal(xml.statusCode, 415);
      assert.match(xml.json().message, /application\/json/);
      assert.equal(await t.backend.backlog(), 0);
    });

    it("refuses a body over 64 KiB with 413", async () => {
      const res = await post(JSON.stringify({ kind: "sum", input: { n: 1 }, pad: "x".repeat(64 * 1024) }), {
        "content-type": "application/json",
      });
      assert.equal(res.statusCode, 413);
      assert.match(res.json().message, /65536 bytes/);
    });

    it("returns the same job for a repeat with the same Idempotency-Key and body, in any key order", async () => {
      const first = await post({ kind: "render", input: { width: 4, height: 3 } }, { "idempotency-key": "order-17" });
      const again = await post({ input: { height: 3, width: 4 }, kind: "render" }, { "idempotency-key": "order-17" });
      assert.equal(first.statusCode, 202);
      assert.equal(again.statusCode, 202);
      assert.equal(again.json().id, first.json().id);
      assert.equal(again.headers["idempotent-replayed"], "true");
      assert.equal(await t.backend.backlog(), 1);
    });

    it("answers 409 naming the key when an Idempotency-Key comes back with another body", async () => {
      await post({ kind: "sum", input: { n: 1 } }, { "idempotency-key": "k-1" });
      const res = await post({ kind: "sum", input: { n: 2 } }, { "idempotency-key": "k-1" });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().code, "IDEMPOTENCY_CONFLICT");
      assert.match(res.json().message, /"k-1"/);
      assert.equal(await t.backend.backlog(), 1);
    });
    it("refuses an Idempotency-Key no backend can store (over 255 characters, spaces, non-ASCII) with 400, storing nothing", async () => {
      for (const key of ["k".repeat(256), "order 17", "ordér-17"]) {
        const res = await post({ kind: "sum", input: { n: 1 } }, { "idempotency-key": key });
        assert.equal(res.statusCode, 400, key);
        assert.match(res.json().message, /headers\/idempotency-key must be 1 to 255 printable ASCII/);
      }
      assert.equal(
        (await post({ kind: "sum", input: { n: 1 } }, { "idempotency-key": "k".repeat(255) })).statusCode,
        202,
      );
      assert.equal(await t.backend.backlog(), 1);
    });

    it("refuses a body nested deeper than any input with 400, not a stack overflow", async () => {
      const deep = `{"kind":"sum","input":{"n":${"[".repeat(30_000)}${"]".repeat(30_000)}}}`;
      const res = await post(deep, { "content-type": "application/json" });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /nests deeper than 32 levels/);
      assert.equal(await t.backend.backlog(), 0);
    });
  });

  describe("the backlog limit, in estimated seconds of work", () => {
    /** n for a sum job estimated at `s` seconds (sum's estimate: 1e9 additions a second). */
    const sumOf = (s: number) => ({ kind: "sum", input: { n: s * 1e9 } });

    it("answers 503 with Retry-After past JOBS_MAX_BACKLOG_S, and admits again once that work is estimated done", async () => {
      await t.close();
      let nowMs = 0;
      t = await buildJobsApp({ maxBacklogS: 100, workerSlots: 1, now: () => nowMs });
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await post(sumOf(40))).statusCode);
      assert.deepEqual(codes, [202, 202, 202, 503], "40 + 40 + 40 s queued: past 100 s, the next is refused");
      const refused = await post(sumOf(40));
      assert.equal(refused.json().code, "BACKLOG_FULL");
      assert.match(refused.json().message, /estimated at 120 s of work.*JOBS_MAX_BACKLOG_S=100/);
      assert.equal(refused.headers["retry-after"], "120", "the queue's estimated work over one slot");
      assert.equal(await t.backend.backlog(), 3, "the refused jobs were not stored");
      // The workers take the jobs (the shared count drops) and the admitted work's estimated end passes.
      await t.backend.claim({ max: 3, leaseMs: LONG_LEASE_MS, waitMs: 0 });
      nowMs += 121_000;
      await new Promise((resolve) => setTimeout(resolve, 250)); // the count is refreshed every 200 ms
      assert.equal((await post(sumOf(40))).statusCode, 202);
    });

    it("counts the largest jobs by their seconds: a few fill the bound that thousands of small ones would", async () => {
      await t.close();
      t = await buildJobsApp({ maxBacklogS: 3_600, clientQuotaS: 1e9, now: () => 0 });
      // A render just within the 900 s timeout: 8192 × 4096 × 8,000 / 2 / 1.5e8 ≈ 895 s.
      const big = { kind: "render", input: { width: 8192, height: 4096, maxIterations: 8_000 } };
      let admitted = 0;
      for (let i = 0; i < 50 && (await post(big)).statusCode === 202; i++) admitted++;
      assert.ok(admitted >= 4 && admitted <= 10, `${admitted} renders of ~895 s admitted under a 3,600 s bound`);
    });

    it("answers an idempotent retry with its job (202) or 409 even while the backlog is full", async () => {
      await t.close();
      t = await buildJobsApp({ maxBacklogS: 1, workerSlots: 1, now: () => 0 });
      const first = await post(sumOf(5), { "idempotency-key": "k-full" });
      assert.equal(first.statusCode, 202);
      assert.equal((await post(sumOf(2))).statusCode, 503, "the backlog is full");
      const retry = await post(sumOf(5), { "idempotency-key": "k-full" });
      assert.equal(retry.statusCode, 202, `a retry of an accepted job got ${retry.statusCode}`);
      assert.equal(retry.json().id, first.json().id);
      assert.equal(retry.headers["idempotent-replayed"], "true");
      const conflict = await post({ kind: "sum", input: { n: 9 } }, { "idempotency-key": "k-full" });
      assert.equal(conflict.statusCode, 409);
      assert.equal(await t.backend.backlog(), 1);
    });
  });

  describe("inputs that could never finish", () => {
    it("refuses the largest render (8192² at 10,000 iterations, ~2,237 s) with 400 naming the fields and the bound", async () => {
      const res = await post({ kind: "render", input: { width: 8192, height: 8192, maxIterations: 10_000 } });
      assert.equal(res.statusCode, 400);
      assert.match(
        res.json().message,
        /^body\/input: width × height × maxIterations \(default 500\) must be at most 270000000000 \(an estimated 900 s, the job timeout JOBS_TIMEOUT_S\): this input is estimated at 2237 s$/,
      );
      assert.equal(await t.backend.backlog(), 0, "nothing stored");
      const fits = await post({ kind: "render", input: { width: 8192, height: 8192, maxIterations: 4_000 } });
      assert.equal(fits.statusCode, 202, "8192² at 4,000 iterations is ~895 s: within the timeout");
    });
  });

  describe("GET /jobs/:id", () => {
    it("answers 400 for an id that cannot be one and 404 for an unknown one", async () => {
      const bad = await t.app.inject("/jobs/not-a-job");
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().message, /params\/id must be a job id/);
      const unknown = await t.app.inject(`/jobs/${randomUUID()}`);
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().code, "JOB_NOT_FOUND");
      assert.equal((await t.app.inject(`/jobs/${randomUUID()}?wait=21`)).statusCode, 400);
    });

    it("with ?wait holds the request until the progress changes, then answers at once", async () => {
      const { id } = (await post({ kind: "sum", input: { n: 5 } })).json();
      const started = Date.now();
      const polling = t.app.inject(`/jobs/${id}?wait=15`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [lease] = await t.backend.claim({ max: 1, leaseMs: LONG_LEASE_MS, waitMs: 0 });
      const res = await polling;
      const job = res.json();
      assert.equal(job.status, "running");
      assert.ok(Date.now() - started < 10_000, "answered when the job started, well before the 15 s were up");
      const next = t.app.inject(`/jobs/${id}?wait=15`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await t.backend.progress(lease!, 0.5), "held");
      assert.equal((await next).json().progress, 0.5);
      assert.equal(await t.backend.complete(lease!, { sum: "15" }), true);
      const done = (await t.app.inject(`/jobs/${id}?wait=15`)).json();
      assert.equal(done.status, "succeeded");
      assert.deepEqual(done.result, { sum: "15" });
      assert.ok(done.startedAt && done.finishedAt);
    });

    it("with ?wait answers with the unchanged job when the time is up", async () => {
      const { id } = (await post({ kind: "sum", input: { n: 5 } })).json();
      const started = Date.now();
      const res = await t.app.inject(`/jobs/${id}?wait=0.4`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().status, "queued");
      assert.ok(Date.now() - started >= 350, "it waited");
    });
  });

  describe("DELETE /jobs/:id", () => {
    it("cancels a queued job so that it never runs, and a second cancel is 409", async () => {
      const { id } = (await post({ kind: "sum", input: { n: 5 } })).json();
      const res = await t.app.inject({ method: "DELETE", url: `/jobs/${id}` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().status, "canceled");
      assert.deepEqual(await t.backend.claim({ max: 5, leaseMs: LONG_LEASE_MS, waitMs: 0 }), []);
      const again = await t.app.inject({ method: "DELETE", url: `/jobs/${id}` });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, "JOB_STATE");
    });

    it("cancels a running job: its worker learns it at the next progress point", async () => {
      const { id } = (await post({ kind: "sum", input: { n: 5 } })).json();
      const [lease] = await t.backend.claim({ max: 1, leaseMs: LONG_LEASE_MS, waitMs: 0 });
      assert.equal((await t.app.inject({ method: "DELETE", url: `/jobs/${id}` })).json().status, "canceled");
      assert.equal(await t.backend.progress(lease!, 0.1), "canceled");
      assert.equal(await t.backend.complete(lease!, { sum: "15" }), false);
      assert.equal((await t.app.inject(`/jobs/${id}`)).json().status, "canceled");
    });

    it("answers 409 for a finished job, 404 for an unknown one, 400 for a malformed id", async () => {
      const { id } = (await post({ kind: "sum", input: { n: 5 } })).json();
      const [lease] = await t.backend.claim({ max: 1, leaseMs: LONG_LEASE_MS, waitMs: 0 });
      await t.backend.complete(lease!, { sum: "15" });
      assert.equal((await t.app.inject({ method: "DELETE", url: `/jobs/${id}` })).statusCode, 409);
      assert.equal((await t.app.inject({ method: "DELETE", url: `/jobs/${randomUUID()}` })).statusCode, 404);
      assert.equal((await t.app.inject({ method: "DELETE", url: "/jobs/12" })).statusCode, 400);
    });
  });

  describe("/results/", () => {
    it("serves a stored result read-only with its content type", async () => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      await t.backend.results.put("jobs/abc/result.png", png, "image/png");
      const url = t.backend.results.url("jobs/abc/result.png");
      const res = await t.app.inject(url);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers["content-type"], "image/png");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.deepEqual(res.rawPayload, png);
      assert.equal((await t.app.inject({ method: "POST", url })).statusCode, 404, "read-only");
    });

    it("answers 404 for anything outside the results directory or not a plain file", async () => {
      fs.writeFileSync(path.join(t.dir, "secret.txt"), "the-secret-content");
      fs.mkdirSync(path.join(t.resultsDir, "sub"), { recursive: true });
      fs.writeFileSync(path.join(t.resultsDir, ".hidden"), "the-hidden-content");
      fs.symlinkSync(path.join(t.dir, "secret.txt"), path.join(t.resultsDir, "link.txt"));
      for (const url of [
        "/results/../secret.txt",
        "/results/%2e%2e/secret.txt",
        "/results/sub/..%2f..%2fsecret.txt",
        "/results/.hidden",
        "/results/link.txt",
        "/results/sub",
        "/results/",
        "/results/missing.png",
      ]) {
        const res = await t.app.inject(url);
        assert.equal(res.statusCode, 404, url);
        assert.doesNotMatch(res.body, /the-(secret|hidden)-content/, url);
      }
    });
  });
});
