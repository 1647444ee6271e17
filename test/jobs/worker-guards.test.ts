/**
 * The worker loop's guards, edges and late events, over a real SQLite backend and a runner the test holds
 * (each run waits until the test settles it, so nothing depends on how fast threads are): the concurrency
 * cap, progress rounding, clamping and throttling, a progress answer that stops the job, the job timeout's
 * message, a claim error's pause, leases claimed while the drain begins, a stop while the busy report is
 * pending, a drain deadline during the storing, a hand-back, and each outcome's log line.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import type { ClaimOptions } from "../../service/jobs/backend";
import type { KindOutput } from "../../service/jobs/kinds";
import { RunError, type JobRunner } from "../../service/jobs/runner";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import { JOB_LOG, startJobWorker, type JobWorker, type JobWorkerOptions } from "../../service/jobs/worker";
import { tempDir } from "./helpers";

interface Line {
  msg: string;
  level: number;
  jobId?: string;
  [key: string]: unknown;
}

/** One run the test holds: resolve or reject it, report progress, see its abort signal. */
interface HeldRun {
  kind: string;
  input: unknown;
  signal: AbortSignal;
  progress: (fraction: number) => void;
  finish(output?: KindOutput): void;
  fail(err: unknown): void;
}

function heldRunner(): JobRunner & { runs: HeldRun[]; next(): Promise<HeldRun> } {
  const runs: HeldRun[] = [];
  const waiting: Array<(run: HeldRun) => void> = [];
  let seen = 0;
  return {
    runs,
    /** The next run not yet handed to the test, once it has started. */
    next() {
      const run = runs[seen];
      if (run) {
        seen++;
        return Promise.resolve(run);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    run(kind, input, signal, progress) {
      return new Promise<KindOutput>((resolve, reject) => {
        const run: HeldRun = {
          kind,
          input,
          signal,
          progress,
          finish: (o = { result: {} }) => resolve(o),
          fail: reject,
        };
        // A stop reaches the run as its signal's reason, as the thread runner does.
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
        runs.push(run);
        const waiter = waiting.shift();
        if (waiter) {
          seen++;
          waiter(run);
        }
      });
    },
    close: async () => {},
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("job worker loop: guards, edges and late events", function () {
  this.timeout(10_000);
  let dir: string;
  let backend: SqliteJobBackend;
  let worker: JobWorker | undefined;
  let lines: Line[];
  let runner: ReturnType<typeof heldRunner>;

  beforeEach(async () => {
    dir = tempDir();
    backend = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      maxAttempts: 2,
    });
    lines = [];
    runner = heldRunner();
  });
  afterEach(async () => {
    for (const run of runner.runs) run.finish();
    await worker?.handBack();
    worker = undefined;
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
    worker = startJobWorker({
      backend,
      runner,
      concurrency: 1,
      leaseMs: 30_000,
      jobTimeoutMs: 30_000,
      log: pino({ level: "debug" }, sink),
      retryBaseMs: 20,
      retryMaxMs: 40,
      claimWaitMs: 50,
      ...overrides,
    });
    return worker;
  }

  async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }
  const job = async (id: string) => (await backend.get(id))!;
  const finished = (id: string) =>
    until(`job ${id} to finish`, async () => {
      const j = await job(id);
      return ["succeeded", "failed", "canceled"].includes(j.status) ? j : undefined;
    });
  const logged = (msg: string) => until(`log "${msg}"`, () => lines.find((l) => l.msg === msg));
  const enqueue = async (n = 1) => (await backend.enqueue({ kind: "sum", input: { n } })).job;

  it("runs no more than `concurrency` jobs at once, and claims only the free slots", async () => {
    const claims: ClaimOptions[] = [];
    const claim = backend.claim.bind(backend);
    backend.claim = (o) => (claims.push(o), claim(o));
    for (let n = 1; n <= 3; n++) await enqueue(n);
    const w = start({ concurrency: 2 });
    await until("two runs", () => runner.runs.length === 2);
    await sleep(150);
    assert.equal(runner.runs.length, 2, "a third job started beside two");
    assert.equal(w.running(), 2);
    assert.deepEqual(
      claims.map((c) => [c.max, c.leaseMs, c.waitMs]),
      [[2, 30_000, 50]],
      "one claim for both slots, then none while both are busy",
    );
    runner.runs[0]!.finish();
    await until("the third run", () => runner.runs.length === 3);
    assert.equal(claims.at(-1)!.max, 1, "one slot was free");
  });

  it("rounds progress to four decimals, clamps it to 0..1, and skips a value already written", async () => {
    const writes: number[] = [];
    const progress = backend.progress.bind(backend);
    backend.progress = (lease, fraction) => (writes.push(fraction), progress(lease, fraction));
    const { id } = await enqueue();
    start();
    const run = await runner.next();
    await sleep(300); // past the first interval: the next report is written at once
    run.progress(0.123_456);
    await until("a write", () => writes.length === 1);
    assert.equal((await job(id)).progress, 0.1235);
    run.progress(0.123_46); // the same four decimals: nothing to write
    run.progress(1.7);
    await until("a second write", () => writes.length === 2);
    await sleep(300);
    run.progress(-0.5);
    await until("a third write", () => writes.length === 3);
    run.progress(-2);
    await sleep(300);
    assert.deepEqual(writes, [0.1235, 1, 0], "out-of-range fractions clamped; an unchanged one not written");
  });

  it("writes at most one progress per 250 ms, always the latest, and none for a job shorter than that", async () => {
    const writes: Array<[number, number]> = [];
    const progress = backend.progress.bind(backend);
    backend.progress = (lease, fraction) => (writes.push([Date.now(), fraction]), progress(lease, fraction));
    const a = await enqueue();
    start();
    const short = await runner.next();
    short.progress(0.5);
    short.finish();
    await finished(a.id);
    assert.deepEqual(writes, [], "a job shorter than the interval writes no progress");

    const b = await enqueue(2);
    const run = await runner.next();
    const startedMs = Date.now();
    for (let i = 1; i <= 5; i++) run.progress(i / 10);
    await until("the first write", () => writes.length === 1);
    assert.ok(writes[0]![0] - startedMs >= 200, `first write ${writes[0]![0] - startedMs} ms after the start`);
    assert.equal(writes[0]![1], 0.5, "the latest fraction, not the first");
    run.progress(0.6);
    run.progress(0.7);
    await until("the second write", () => writes.length === 2);
    assert.ok(writes[1]![0] - writes[0]![0] >= 200, `writes ${writes[1]![0] - writes[0]![0]} ms apart`);
    assert.equal(writes[1]![1], 0.7);
    run.finish();
    await finished(b.id);
  });

  it("stops a job whose progress write answers canceled, logging it once, and counts nothing more", async () => {
    const { id } = await enqueue();
    start();
    const run = await runner.next();
    await backend.cancel(id);
    await sleep(300);
    run.progress(0.4);
    await logged(JOB_LOG.canceled);
    assert.ok(run.signal.aborted, "the run is aborted");
    assert.equal((await job(id)).status, "canceled");
    assert.equal(lines.filter((l) => l.msg === JOB_LOG.failed || l.msg === JOB_LOG.retrying).length, 0);
  });

  it("goes on after a progress write that throws, with a warning", async () => {
    backend.progress = () => Promise.reject(new Error("disk I/O error"));
    const { id } = await enqueue();
    start();
    const run = await runner.next();
    await sleep(300);
    run.progress(0.3);
    const warning = await logged("progress write failed; the job goes on");
    assert.equal(warning.jobId, id);
    assert.equal(run.signal.aborted, false);
    run.finish({ result: { ok: 1 } });
    assert.equal((await finished(id)).status, "succeeded");
  });

  it("stops an attempt at the job timeout with a message naming the setting, and ends the job failed, not retried", async () => {
    const { id } = await enqueue();
    start({ jobTimeoutMs: 100, random: () => 0, retryBaseMs: 1_000, retryMaxMs: 60_000 });
    const run = await runner.next();
    const failed = await logged(JOB_LOG.failed);
    assert.ok(run.signal.aborted);
    assert.equal(failed.error, "ran past the job timeout of 0.1 s (JOBS_TIMEOUT_S)");
    assert.equal(failed.permanent, true, "the same input would not get faster");
    const j = await job(id);
    assert.equal(j.status, "failed");
    assert.equal(j.attempts, 1);
    assert.equal(j.error, "ran past the job timeout of 0.1 s (JOBS_TIMEOUT_S)");
    assert.equal(runner.runs.length, 1);
  });

  it("shows a thrown non-Error only as an internal error with its id, logs the thing, and ends the job failed after its last attempt with level error", async () => {
    const { id } = await enqueue();
    start();
    (await runner.next()).fail("a plain string");
    await logged(JOB_LOG.retrying);
    await until("the second attempt", () => runner.runs.length === 2);
    runner.runs[1]!.fail(new RunError("never", false));
    const failed = await logged(JOB_LOG.failed);
    assert.equal(failed.level, 50);
    assert.match(String(failed.error), /^internal error \(errorId [0-9a-f-]{36}\)/);
    assert.ok(String(failed.error).includes(String((failed as { errorId?: string }).errorId)));
    assert.ok(JSON.stringify(failed).includes("never"), "the log line keeps the error itself");
    assert.ok(JSON.stringify(lines.find((l) => l.msg === JOB_LOG.retrying)).includes("a plain string"));
    const j = await job(id);
    assert.equal(j.status, "failed");
    assert.equal(j.error, failed.error);
  });

  it("logs a lost lease, not a failure, when fail() finds the job taken", async () => {
    backend.fail = async () => "lost";
    const a = await enqueue();
    start();
    (await runner.next()).fail(new Error("boom"));
    const lost = await logged(JOB_LOG.lost);
    assert.equal(lost.jobId, a.id);
    assert.ok(JSON.stringify(lost).includes("boom"), "the log line keeps the error itself");
    assert.equal(lines.filter((l) => l.msg === JOB_LOG.failed || l.msg === JOB_LOG.retrying).length, 0);
  });

  it("logs a result discarded, not a success, when complete() finds the lease lost", async () => {
    backend.complete = async () => false;
    const { id } = await enqueue();
    start();
    (await runner.next()).finish();
    const discarded = await logged(JOB_LOG.discarded);
    assert.equal(discarded.jobId, id);
    assert.equal(lines.filter((l) => l.msg === JOB_LOG.succeeded).length, 0);
  });

  it("pauses a second after a claim that throws instead of spinning, then claims again", async () => {
    const claimedAt: number[] = [];
    const claim = backend.claim.bind(backend);
    backend.claim = async (o) => {
      claimedAt.push(Date.now());
      if (claimedAt.length === 1) throw new Error("database is locked");
      return claim(o);
    };
    const { id } = await enqueue();
    start();
    const warning = await logged("claim failed; trying again");
    assert.match(String((warning.err as { message: string }).message), /database is locked/);
    const run = await runner.next();
    assert.ok(claimedAt[1]! - claimedAt[0]! >= 900, `claimed again after ${claimedAt[1]! - claimedAt[0]!} ms`);
    run.finish();
    assert.equal((await finished(id)).status, "succeeded");
  });

  it("ends at once on stop() while a claim is failing, without waiting out the pause", async () => {
    backend.claim = async () => {
      throw new Error("unreachable");
    };
    const w = start();
    await logged("claim failed; trying again");
    const stoppedAt = Date.now();
    await w.stop(5_000);
    assert.ok(Date.now() - stoppedAt < 500, `stop took ${Date.now() - stoppedAt} ms`);
  });

  it("gives back, uncounted and unrun, the leases a claim returns after the drain began", async () => {
    const { id } = await enqueue();
    let stopped: Promise<void> | undefined;
    const claim = backend.claim.bind(backend);
    backend.claim = async (o) => {
      const leases = await claim({ ...o, waitMs: 0 });
      stopped = worker!.stop(5_000);
      return leases;
    };
    start();
    await until("the stop", () => stopped !== undefined);
    await stopped;
    assert.equal(runner.runs.length, 0);
    const j = await job(id);
    assert.equal(j.status, "queued");
    assert.equal(j.attempts, 0);
  });

  it("gives back uncounted a job stopped by the drain while its busy report is pending, and never runs it", async () => {
    const busy: boolean[] = [];
    const { id } = await enqueue();
    const w = start({
      leaseMs: 3_000, // the busy report is awaited at most one heartbeat: 1 s
      onBusyChange: (b) => (busy.push(b), b ? new Promise<void>(() => {}) : Promise.resolve()),
    });
    await until("the busy report", () => busy.length === 1); // claimed and started: the report pending
    await w.stop(0);
    assert.equal(runner.runs.length, 0, "the job ran after the drain");
    assert.ok(lines.some((l) => l.msg === JOB_LOG.released && l.jobId === id));
    const j = await job(id);
    assert.equal(j.status, "queued");
    assert.equal(j.attempts, 0);
  });

  it("lets the storing finish when the drain deadline passes after the work is done", async () => {
    let completeStarted!: () => void;
    const storing = new Promise<void>((resolve) => (completeStarted = resolve));
    let letComplete!: () => void;
    const held = new Promise<void>((resolve) => (letComplete = resolve));
    const complete = backend.complete.bind(backend);
    backend.complete = async (lease, result) => {
      completeStarted();
      await held;
      return complete(lease, result);
    };
    const { id } = await enqueue();
    const w = start();
    (await runner.next()).finish({ result: { done: true } });
    await storing;
    const stopping = w.stop(0);
    await sleep(50);
    letComplete();
    await stopping;
    const j = await job(id);
    assert.equal(j.status, "succeeded");
    assert.deepEqual(j.result, { done: true });
    assert.equal(lines.filter((l) => l.msg === JOB_LOG.drained).length, 0);
  });

  it("drains a job still running at the deadline with its attempt counted, due again at once, saying so", async () => {
    const { id } = await enqueue();
    const w = start();
    const run = await runner.next();
    await w.stop(50);
    assert.ok(run.signal.aborted);
    assert.ok(lines.some((l) => l.msg === JOB_LOG.drained && l.jobId === id));
    const retry = lines.find((l) => l.msg === JOB_LOG.retrying)!;
    assert.equal(retry.retryInMs, 0);
    assert.match(
      String(retry.error),
      /^stopped by the worker's drain deadline after 0 s \(WORKER_DRAIN_TIMEOUT_S\): the attempt counts/,
    );
    const j = await job(id);
    assert.equal(j.status, "queued");
    assert.equal(j.attempts, 1);
  });

  it("hands a running job back uncounted on handBack(), claimable at once", async () => {
    const { id } = await enqueue();
    const w = start();
    const run = await runner.next();
    await w.handBack();
    assert.ok(run.signal.aborted);
    assert.ok(lines.some((l) => l.msg === JOB_LOG.released && l.jobId === id));
    assert.equal(lines.filter((l) => l.msg === JOB_LOG.retrying || l.msg === JOB_LOG.drained).length, 0);
    const j = await job(id);
    assert.equal(j.status, "queued");
    assert.equal(j.attempts, 0);
    const again = await backend.claim({ max: 1, leaseMs: 1_000, waitMs: 0 });
    assert.equal(again[0]?.job.id, id);
  });

  it("carries on when onBusyChange rejects, with a warning naming the change", async () => {
    const { id } = await enqueue();
    start({ onBusyChange: async (b) => Promise.reject(new Error(`protection ${b ? "on" : "off"} failed`)) });
    (await runner.next()).finish();
    assert.equal((await finished(id)).status, "succeeded");
    const warning = await logged("onBusyChange failed; carrying on");
    assert.equal(warning.busy, true);
  });

  it("reports busy once for jobs that overlap, and idle once when the last ends", async () => {
    const busy: boolean[] = [];
    const a = await enqueue(1);
    const b = await enqueue(2);
    start({ concurrency: 2, onBusyChange: async (x) => void busy.push(x) });
    await until("two runs", () => runner.runs.length === 2);
    const runOf = (id: string) => runner.runs.find((r) => (r.input as { n: number }).n === (id === a.id ? 1 : 2))!;
    runOf(a.id).finish();
    await finished(a.id);
    await sleep(50);
    assert.deepEqual(busy, [true]);
    runOf(b.id).finish();
    await finished(b.id);
    await until("idle", () => busy.length === 2);
    assert.deepEqual(busy, [true, false]);
  });

  it("with once, asks without waiting and ends at once when nothing is queued", async () => {
    const claims: ClaimOptions[] = [];
    const claim = backend.claim.bind(backend);
    backend.claim = (o) => (claims.push(o), claim(o));
    const w = start({ once: true, claimWaitMs: 5_000 });
    const t0 = Date.now();
    await w.done;
    assert.ok(Date.now() - t0 < 1_000);
    assert.deepEqual(
      claims.map((c) => c.waitMs),
      [0],
    );
  });

  it("with once, waits for the running job before ending, and claims the jobs that follow it", async () => {
    const a = await enqueue(1);
    const w = start({ once: true });
    const run = await runner.next();
    let ended = false;
    void w.done.then(() => (ended = true));
    await sleep(100);
    assert.equal(ended, false, "ended with a job still running");
    await enqueue(2);
    run.finish();
    await finished(a.id);
    const second = await runner.next();
    second.finish();
    await w.done;
    assert.equal(runner.runs.length, 2);
  });

  it("stores an artifact under a key of the job, and a key-less result as given", async () => {
    const { id } = await enqueue();
    start();
    const png = { body: new Uint8Array([9, 8, 7]), contentType: "image/png", extension: "png" };
    (await runner.next()).finish({ result: { w: 1 }, artifact: png });
    const j = await finished(id);
    assert.deepEqual(j.result, { url: `/results/jobs/${id}/result.png`, w: 1 });
    assert.deepEqual([...fs.readFileSync(path.join(dir, "results", "jobs", id, "result.png"))], [9, 8, 7]);
  });

  it("logs one started and one succeeded line per job, with its id, kind, attempt and duration", async () => {
    const { id } = await enqueue();
    start();
    (await runner.next()).finish();
    await finished(id);
    const ok = await logged(JOB_LOG.succeeded);
    const started = lines.find((l) => l.msg === JOB_LOG.started)!;
    assert.deepEqual([started.jobId, started.kind, started.attempt], [id, "sum", 1]);
    assert.deepEqual([ok.jobId, ok.kind, ok.attempt], [id, "sum", 1]);
    assert.equal(typeof ok.ms, "number");
  });
});
