/**
 * The worker loop over a real SQLite backend: jobs run in real threads (sum, render), a cancel or the
 * timeout stops a running job, failures retry with backoff and end failed, the drain's deadline counts
 * the attempt of a job it stops (so a job longer than the drain cannot restart forever), a storage error
 * after the work is retried within the lease, and the heartbeat keeps a job that outlives its lease. Where the case is about the loop's
 * bookkeeping (a kind that throws), a scripted runner stands in for the threads.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import type { JobRecord } from "../../service/jobs/backend";
import type { KindOutput } from "../../service/jobs/kinds";
import { createThreadRunner, RunError, type JobRunner } from "../../service/jobs/runner";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import { internalErrorText } from "../../service/jobs/public-error";
import { JOB_LOG, startJobWorker, type JobWorker, type JobWorkerOptions } from "../../service/jobs/worker";
import { expectedSum } from "../../service/sum";
import { tempDir } from "./helpers";

/** The fixed part of an internal error's public text. */
const INTERNAL_TAIL = internalErrorText("x").split("): ")[1];

/** A sum of ~20 s in slices of ~0.2 s: still running when the test acts on it, and quick to notice. */
const LONG_N = 20_000_000_000;

interface Line {
  msg: string;
  jobId?: string;
  [key: string]: unknown;
}

describe("job worker loop (SQLite backend, real threads)", function () {
  this.timeout(30_000);
  let dir: string;
  let backend: SqliteJobBackend;
  let threads: JobRunner | undefined;
  let worker: JobWorker | undefined;
  let lines: Line[];

  beforeEach(async () => {
    dir = tempDir();
    backend = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      maxAttempts: 2,
    });
    lines = [];
  });
  afterEach(async () => {
    await worker?.stop(0);
    worker = undefined;
    await threads?.close();
    threads = undefined;
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(overrides: Partial<JobWorkerOptions> = {}): JobWorker {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const text of chunk.toString().split("\n")) if (text) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    if (!overrides.runner) threads = createThreadRunner(2);
    worker = startJobWorker({
      backend,
      runner: threads!,
      concurrency: 2,
      leaseMs: 10_000,
      jobTimeoutMs: 20_000,
      log: pino({ level: "info" }, sink),
      retryBaseMs: 20,
      retryMaxMs: 40,
      claimWaitMs: 200,
      ...overrides,
    });
    return worker;
  }

  async function until(id: string, done: (job: JobRecord) => boolean, timeoutMs = 20_000): Promise<JobRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await backend.get(id))!;
      if (done(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  const finished = (job: JobRecord) => ["succeeded", "failed", "canceled"].includes(job.status);
  const msgs = (id: string) => lines.filter((l) => l.jobId === id).map((l) => l.msg);

  it("runs a sum and a render in threads to succeeded, storing the PNG under a key of the job", async () => {
    start();
    const sum = (await backend.enqueue({ kind: "sum", input: { n: 30_000_000 } })).job;
    const render = (await backend.enqueue({ kind: "render", input: { width: 64, height: 48 } })).job;
    const summed = await until(sum.id, finished);
    assert.equal(summed.status, "succeeded");
    assert.deepEqual(summed.result, { sum: expectedSum(30_000_000).toString() });
    assert.equal(summed.progress, 1);
    const rendered = await until(render.id, finished);
    assert.equal(rendered.status, "succeeded");
    const result = rendered.result as { url: string; bytes: number; sha256: string; width: number; height: number };
    assert.equal(result.url, `/results/jobs/${render.id}/result.png`);
    const file = fs.readFileSync(path.join(dir, "results", "jobs", render.id, "result.png"));
    assert.equal(file.length, result.bytes);
    assert.equal(createHash("sha256").update(file).digest("hex"), result.sha256);
    assert.deepEqual([result.width, result.height], [64, 48]);
    assert.deepEqual(msgs(sum.id), [JOB_LOG.started, JOB_LOG.succeeded]);
  });

  it("stops a running job that is canceled, freeing its thread", async () => {
    start();
    const { job } = await backend.enqueue({ kind: "sum", input: { n: LONG_N } });
    await until(job.id, (j) => j.progress > 0);
    await backend.cancel(job.id);
    await until(job.id, () => msgs(job.id).includes(JOB_LOG.canceled), 10_000);
    assert.equal(worker!.running(), 0);
    assert.equal((await backend.get(job.id))!.status, "canceled");
    // The freed thread takes the next job.
    const next = (await backend.enqueue({ kind: "sum", input: { n: 10 } })).job;
    assert.equal((await until(next.id, finished)).status, "succeeded");
  });

  it("stops an attempt at the job timeout and ends the job failed after that one attempt", async () => {
    start({ jobTimeoutMs: 300 });
    const { job } = await backend.enqueue({ kind: "sum", input: { n: LONG_N } });
    const failed = await until(job.id, finished);
    assert.equal(failed.status, "failed");
    assert.equal(failed.attempts, 1, "a timeout is not retried: it would not get faster");
    assert.match(failed.error!, /job timeout of 0.3 s \(JOBS_TIMEOUT_S\)/);
    assert.deepEqual(msgs(job.id), [JOB_LOG.started, JOB_LOG.failed]);
  });

  it("keeps a job that outlives its lease alive with heartbeats: it runs once", async () => {
    // ~3.4 s on an idle core, several leases; a lease no shorter than a loaded machine's scheduling hiccups.
    start({ leaseMs: 1_000 });
    const { job } = await backend.enqueue({ kind: "sum", input: { n: 4_000_000_000 } });
    const done = await until(job.id, finished);
    assert.equal(done.status, "succeeded");
    assert.equal(done.attempts, 1, `never redelivered while its worker lived: ${JSON.stringify(lines)}`);
    assert.ok(Date.parse(done.finishedAt!) - Date.parse(done.startedAt!) > 2_000, "it outlived two leases at least");
    assert.deepEqual(msgs(job.id), [JOB_LOG.started, JOB_LOG.succeeded]);
  });

  it("on stop(), lets a running job finish within the drain deadline", async () => {
    start();
    const { job } = await backend.enqueue({ kind: "sum", input: { n: 300_000_000 } });
    await until(job.id, (j) => j.status === "running");
    await worker!.stop(20_000);
    assert.equal((await backend.get(job.id))!.status, "succeeded");
  });

  it("on stop(), hands back a job still running at the deadline with its attempt counted, claimable at once", async () => {
    start();
    const { job } = await backend.enqueue({ kind: "sum", input: { n: LONG_N } });
    await until(job.id, (j) => j.progress > 0);
    await worker!.stop(100);
    const back = (await backend.get(job.id))!;
    assert.equal(back.status, "queued");
    assert.equal(back.attempts, 1, "the drained attempt counts");
    assert.match(back.error ?? "", /drain deadline/);
    assert.deepEqual(msgs(job.id), [JOB_LOG.started, JOB_LOG.drained, JOB_LOG.retrying]);
    const [lease] = await backend.claim({ max: 1, leaseMs: 1_000, waitMs: 0 });
    assert.equal(lease?.job.id, job.id, "claimable at once by another worker");
  });

  it("ends failed, not forever restarted, a job whose every attempt is cut by a drain (maxAttempts = 2)", async () => {
    const { job } = await backend.enqueue({ kind: "sum", input: { n: LONG_N } });
    for (let drain = 1; drain <= 2; drain++) {
      lines = [];
      start();
      await until(job.id, (j) => j.status === "running" && j.progress > 0);
      await worker!.stop(100);
      worker = undefined;
      await threads?.close();
      threads = undefined;
    }
    const dead = (await backend.get(job.id))!;
    assert.equal(dead.status, "failed");
    assert.equal(dead.attempts, 2);
    assert.match(dead.error ?? "", /drain deadline/);
  });

  describe("with a scripted runner", () => {
    function scripted(answers: (KindOutput | Error)[]): JobRunner {
      return {
        run: async () => {
          const answer = answers.shift();
          if (!answer) throw new Error("no more answers");
          if (answer instanceof Error) throw answer;
          return answer;
        },
        close: async () => {},
      };
    }

    it("retries a failed attempt after a backoff and then succeeds", async () => {
      start({ runner: scripted([new Error("flaky disk"), { result: { ok: true } }]) });
      const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
      const done = await until(job.id, finished);
      assert.equal(done.status, "succeeded");
      assert.equal(done.attempts, 2);
      const retry = lines.find((l) => l.msg === JOB_LOG.retrying)!;
      assert.equal((retry.err as { message?: string }).message, "flaky disk");
      assert.ok((retry.retryInMs as number) >= 10 && (retry.retryInMs as number) <= 20, "jittered base delay");
    });

    it("stores a raw SDK error as 'internal error' with an errorId; the log has the error under that id", async () => {
      const arn = "arn:aws:sts::123456789012:assumed-role/fleet-worker-role/i-0abc";
      const sdk = Object.assign(
        new Error(`User: ${arn} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::fleet-results/x`),
        { name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 } },
      );
      const thread = new RunError("Cannot read properties of undefined (reading 'width')", false, "TypeError: ...");
      start({ runner: scripted([sdk, thread]) });
      const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
      const done = await until(job.id, finished);
      assert.equal(done.status, "failed");
      assert.ok(!/arn:|123456789012|AccessDenied|authorized|Cannot read/.test(JSON.stringify(done)), done.error);
      const [first, last] = [JOB_LOG.retrying, JOB_LOG.failed].map((msg) => lines.find((l) => l.msg === msg)!);
      for (const [line, raw] of [
        [first!, sdk.message],
        [last!, thread.message],
      ] as const) {
        assert.match(line.errorId as string, /^[0-9a-f-]{36}$/);
        assert.equal(line.error, `internal error (errorId ${line.errorId as string}): ${INTERNAL_TAIL}`);
        assert.equal((line.err as { message?: string }).message, raw, "the log line has the whole error");
      }
      assert.equal(done.error, last!.error, "the stored text is the last attempt's, its errorId finds the line");
      assert.equal((last!.err as { detail?: string }).detail, "TypeError: ...", "and the thread's stack");
    });

    it("does not retry a permanent error", async () => {
      start({ runner: scripted([new RunError("input can never work", true)]) });
      const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
      const done = await until(job.id, finished);
      assert.equal(done.status, "failed");
      assert.equal(done.attempts, 1);
      assert.equal(done.error, "input can never work");
    });

    it("tells onBusyChange when it goes busy and idle again", async () => {
      const changes: boolean[] = [];
      start({
        runner: scripted([{ result: { a: 1 } }, { result: { b: 2 } }]),
        onBusyChange: async (busy) => void changes.push(busy),
      });
      const a = (await backend.enqueue({ kind: "sum", input: { n: 1 } })).job;
      await until(a.id, finished);
      await until(a.id, () => changes.length === 2);
      const b = (await backend.enqueue({ kind: "sum", input: { n: 2 } })).job;
      await until(b.id, finished);
      await until(b.id, () => changes.length === 4);
      assert.deepEqual(changes, [true, false, true, false]);
    });

    it("starts the first job after one heartbeat interval even when onBusyChange (scale-in protection) hangs", async () => {
      start({
        leaseMs: 1_000,
        runner: scripted([{ result: { a: 1 } }]),
        onBusyChange: (busy) => (busy ? new Promise<void>(() => {}) : Promise.resolve()),
      });
      const a = (await backend.enqueue({ kind: "sum", input: { n: 1 } })).job;
      const done = await until(a.id, finished);
      assert.equal(done.status, "succeeded");
      assert.equal(done.attempts, 1, "its lease was not lost while protection hung");
    });

    it("retries a throttled completion within the lease instead of costing an attempt", async () => {
      const complete = backend.complete.bind(backend);
      let throttled = 2;
      backend.complete = async (lease, result) => {
        if (throttled-- > 0) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        return complete(lease, result);
      };
      start({ runner: scripted([{ result: { ok: true } }, new Error("ran a second time")]) });
      const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
      const done = await until(job.id, finished);
      assert.equal(done.status, "succeeded");
      assert.equal(done.attempts, 1, "the storage error cost an attempt");
      assert.deepEqual(done.result, { ok: true });
      assert.equal(lines.filter((l) => l.msg === JOB_LOG.storeRetry).length, 2);
    });

    it("retries a failed result upload within the lease, then completes with its url", async () => {
      const put = backend.results.put.bind(backend.results);
      let failures = 1;
      backend.results.put = async (key, body, type) => {
        if (failures-- > 0) throw new Error("SlowDown: please reduce your request rate");
        return put(key, body, type);
      };
      const png = { body: new Uint8Array([1, 2, 3]), contentType: "image/png", extension: "png" };
      start({ runner: scripted([{ result: {}, artifact: png }]) });
      const { job } = await backend.enqueue({ kind: "render", input: {} });
      const done = await until(job.id, finished);
      assert.equal(done.status, "succeeded");
      assert.equal(done.attempts, 1);
      assert.match((done.result as { url: string }).url, new RegExp(`/results/jobs/${job.id}/result.png$`));
    });

    it("heartbeats a claimed job from its claim, before a slow busy report lets the lease run out", async () => {
      const extendedAt: number[] = [];
      const extend = backend.extendLease.bind(backend);
      backend.extendLease = async (lease, ms) => {
        extendedAt.push(Date.now());
        return extend(lease, ms);
      };
      const leaseMs = 900;
      let claimedAt = 0;
      const claim = backend.claim.bind(backend);
      backend.claim = async (o) => {
        const leases = await claim(o);
        if (leases.length > 0) claimedAt = Date.now();
        return leases;
      };
      start({
        leaseMs,
        runner: scripted([{ result: { a: 1 } }]),
        onBusyChange: (busy) => (busy ? new Promise<void>(() => {}) : Promise.resolve()),
      });
      const a = (await backend.enqueue({ kind: "sum", input: { n: 1 } })).job;
      await until(a.id, finished);
      assert.ok(extendedAt.length > 0, "no heartbeat at all");
      // One heartbeat period (leaseMs / 3 = 300 ms) after the claim, with room for a loaded machine; a keeper
      // started after the busy report's wait (another period) beats at 600 ms.
      assert.ok(extendedAt[0]! - claimedAt < 500, `first heartbeat ${extendedAt[0]! - claimedAt} ms after the claim`);
    });

    it("with once, ends when no job is left", async () => {
      await backend.enqueue({ kind: "sum", input: { n: 1 } });
      await backend.enqueue({ kind: "sum", input: { n: 2 } });
      const w = start({ runner: scripted([{ result: {} }, { result: {} }]), once: true });
      await w.done;
      assert.equal(lines.filter((l) => l.msg === JOB_LOG.succeeded).length, 2);
      assert.equal(await backend.backlog(), 0);
    });
  });
});
