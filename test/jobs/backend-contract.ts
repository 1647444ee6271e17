/**
 * The one suite every job backend must pass (service/jobs/backend.ts). A backend test file calls
 * `describeBackendContract(name, factory)`; the factory opens a fresh, empty backend with the given
 * maxAttempts (for SQS: a fresh queue whose redrive maxReceiveCount is that number).
 *
 * Time is real, leases are short: the suite sizes every lease and wait from
 * `capabilities.leaseGranularityMs` (SQS visibility is whole seconds), so the same cases run on SQLite in
 * milliseconds and on the emulators in seconds. Waits for "something happens" are bounded loops with a
 * generous deadline (a loaded machine is slow); only "nothing happens" uses a fixed wait.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import type { JobBackend, JobRecord, Lease } from "../../service/jobs/backend";
import { IdempotencyConflictError, JobNotFoundError, JobStateError } from "../../service/jobs/errors";
import type { JobRunner } from "../../service/jobs/runner";
import { startJobWorker } from "../../service/jobs/worker";

export interface ContractBackendOptions {
  maxAttempts: number;
  /** The backend's clock (epoch ms): real time plus what a case has moved it on. */
  clock: () => number;
  /** JOBS_RETENTION_S. */
  retentionS: number;
}

/** The retention the suite opens backends with: a day, so its expiry is reached by moving the clock. */
const RETENTION_S = 24 * 3600;

export type BackendFactory = (options: ContractBackendOptions) => Promise<JobBackend>;

/** How long "something happens" may take before a case fails: far above any backend's normal latency. */
const EVENTUALLY_MS = 8_000;

export function describeBackendContract(name: string, factory: BackendFactory): void {
  describe(`JobBackend contract: ${name}`, function () {
    this.timeout(30_000);
    const open: JobBackend[] = [];
    /** How far the backends' clock runs ahead of real time; a case moves it, afterEach resets it. */
    let aheadMs = 0;
    const clock = () => Date.now() + aheadMs;
    async function backend(maxAttempts = 3): Promise<JobBackend> {
      const b = await factory({ maxAttempts, clock, retentionS: RETENTION_S });
      open.push(b);
      return b;
    }
    afterEach(async () => {
      aheadMs = 0;
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    /** The shortest lease the backend can express, and never below 200 ms (a claim must fit in it). */
    const shortLeaseMs = (b: JobBackend) => Math.max(200, b.capabilities.leaseGranularityMs);
    /** A lease no case outlives. */
    const longLeaseMs = (b: JobBackend) => Math.max(60_000, b.capabilities.leaseGranularityMs * 60);
    /** Waits past a short lease, with room for the backend's rounding. */
    const pastLease = (b: JobBackend) => sleep(shortLeaseMs(b) + b.capabilities.leaseGranularityMs + 150);

    async function claimOne(b: JobBackend, leaseMs = longLeaseMs(b)): Promise<Lease> {
      const [lease, ...more] = await b.claim({ max: 1, leaseMs, waitMs: EVENTUALLY_MS });
      assert.ok(lease, "a claimable job was not claimed");
      assert.equal(more.length, 0);
      return lease;
    }

    async function nothingToClaim(b: JobBackend): Promise<void> {
      const leases = await b.claim({ max: 10, leaseMs: longLeaseMs(b), waitMs: 0 });
      assert.deepEqual(
        leases.map((l) => l.job.id),
        [],
        "a job was claimable that must not be",
      );
    }

    async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
      const deadline = Date.now() + EVENTUALLY_MS;
      while (!(await check())) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
        await sleep(50);
      }
    }

    /**
     * backlog() is `jobs`, or for an approximate backlog (capabilities) up to `canceled` more: a canceled
     * job's message counts until a claim receives and drops it.
     */
    async function backlogIs(b: JobBackend, jobs: number, canceled = 0): Promise<void> {
      const backlog = await b.backlog();
      if (!b.capabilities.approximateBacklog) return assert.equal(backlog, jobs);
      assert.ok(backlog >= jobs && backlog <= jobs + canceled, `backlog ${backlog}, expected ${jobs} (+${canceled})`);
    }

    async function status(b: JobBackend, id: string): Promise<JobRecord> {
      const job = await b.get(id);
      assert.ok(job, `job ${id} vanished`);
      return job;
    }

    describe("enqueue and get", () => {
      it("records a queued job that get returns as enqueued", async () => {
        const b = await backend();
        const before = Date.now();
        const { job, created } = await b.enqueue({ kind: "sum", input: { n: 42, nested: ["a", 1.5, null] } });
        assert.equal(created, true);
        assert.match(job.id, /^[A-Za-z0-9_-]{8,}$/);
        assert.equal(job.kind, "sum");
        assert.deepEqual(job.input, { n: 42, nested: ["a", 1.5, null] });
        assert.equal(job.status, "queued");
        assert.equal(job.attempts, 0);
        assert.equal(job.progress, 0);
        assert.equal(job.result, undefined);
        assert.equal(job.startedAt, undefined);
        assert.equal(job.finishedAt, undefined);
        assert.ok(Math.abs(Date.parse(job.createdAt) - before) < 60_000, `createdAt ${job.createdAt}`);
        assert.equal(new Date(job.createdAt).toISOString(), job.createdAt);
        assert.deepEqual(await b.get(job.id), job);
      });

      it("gives every job its own id, and get of an unknown id is undefined", async () => {
        const b = await backend();
        const a = await b.enqueue({ kind: "sum", input: { n: 1 } });
        const c = await b.enqueue({ kind: "sum", input: { n: 1 } });
        assert.notEqual(a.job.id, c.job.id);
        assert.equal(await b.get("00000000-0000-4000-8000-000000000000"), undefined);
      });

      it("refuses an input above capabilities.maxInputBytes before storing anything", async () => {
        const b = await backend();
        const big = "x".repeat(b.capabilities.maxInputBytes + 1);
        await assert.rejects(b.enqueue({ kind: "sum", input: { big } }));
        assert.equal(await b.backlog(), 0);
      });
    });

    describe("idempotency keys", () => {
      it("returns the same job for the same key and fingerprint, created: false", async () => {
        const b = await backend();
        const first = await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-1", fingerprint: "f" });
        const again = await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-1", fingerprint: "f" });
        assert.equal(first.created, true);
        assert.equal(again.created, false);
        assert.equal(again.job.id, first.job.id);
        assert.equal(await b.backlog(), 1);
      });

      it("refuses the same key with another fingerprint, and stores nothing", async () => {
        const b = await backend();
        await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-2", fingerprint: "f1" });
        await assert.rejects(
          b.enqueue({ kind: "sum", input: { n: 6 }, idempotencyKey: "k-2", fingerprint: "f2" }),
          (err: unknown) => err instanceof IdempotencyConflictError && err.key === "k-2",
        );
        assert.equal(await b.backlog(), 1);
      });

      it("creates one job when two requests with one key race", async () => {
        const b = await backend();
        const both = await Promise.all(
          [1, 2].map(() => b.enqueue({ kind: "sum", input: { n: 7 }, idempotencyKey: "k-race", fingerprint: "f" })),
        );
        assert.equal(both[0]!.job.id, both[1]!.job.id);
        assert.deepEqual(both.map((r) => r.created).sort(), [false, true]);
        assert.equal(await b.backlog(), 1);
      });

      it("answers a retry by its key alone (findByKey), and refuses another body with it", async () => {
        const b = await backend();
        assert.equal(await b.findByKey("k-find", "f"), undefined);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-find", fingerprint: "f" });
        assert.equal((await b.findByKey("k-find", "f"))?.id, job.id);
        await assert.rejects(b.findByKey("k-find", "other"), (err: unknown) => err instanceof IdempotencyConflictError);
      });

      it("expires a key after a day (idempotencyKeyTtlS): the same key then makes a new job", async () => {
        const b = await backend();
        const t0 = Date.now();
        const first = await b.enqueue(
          { kind: "sum", input: { n: 5 }, idempotencyKey: "k-ttl", fingerprint: "f" },
          new Date(t0),
        );
        const within = await b.enqueue(
          { kind: "sum", input: { n: 5 }, idempotencyKey: "k-ttl", fingerprint: "f" },
          new Date(t0 + 23 * 3600_000),
        );
        assert.deepEqual([within.created, within.job.id], [false, first.job.id]);
        const later = new Date(t0 + 25 * 3600_000);
        assert.equal(await b.findByKey("k-ttl", "f", later), undefined, "an expired key still named its job");
        const after = await b.enqueue(
          { kind: "sum", input: { n: 6 }, idempotencyKey: "k-ttl", fingerprint: "another body" },
          later,
        );
        assert.equal(after.created, true, "an expired key still held");
        assert.notEqual(after.job.id, first.job.id);
      });

      it("keeps distinct keys distinct", async () => {
        const b = await backend();
        const a = await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-a", fingerprint: "f" });
        const c = await b.enqueue({ kind: "sum", input: { n: 5 }, idempotencyKey: "k-b", fingerprint: "f" });
        assert.notEqual(a.job.id, c.job.id);
      });
    });

    describe("claims and leases", () => {
      it("leases a job and marks it running with attempts + 1", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        assert.equal(lease.job.id, job.id);
        assert.equal(lease.attempt, 1);
        assert.deepEqual(lease.job.input, { n: 3 });
        assert.equal(typeof lease.token, "string");
        const now = await status(b, job.id);
        assert.equal(now.status, "running");
        assert.equal(now.attempts, 1);
        assert.ok(now.startedAt);
      });

      it("does not give a leased job to a second claim", async () => {
        const b = await backend();
        await b.enqueue({ kind: "sum", input: { n: 3 } });
        await claimOne(b);
        await nothingToClaim(b);
        assert.equal(await b.backlog(), 0);
      });

      it("claims at most `max` jobs, each once", async () => {
        const b = await backend();
        const ids = new Set<string>();
        for (let i = 0; i < 5; i++) ids.add((await b.enqueue({ kind: "sum", input: { n: i } })).job.id);
        const seen: string[] = [];
        const deadline = Date.now() + EVENTUALLY_MS;
        while (seen.length < 5 && Date.now() < deadline) {
          const leases = await b.claim({ max: 2, leaseMs: longLeaseMs(b), waitMs: 1_000 });
          assert.ok(leases.length <= 2, `claimed ${leases.length} with max 2`);
          seen.push(...leases.map((l) => l.job.id));
        }
        assert.equal(seen.length, 5);
        assert.deepEqual(new Set(seen), ids);
      });

      it("hands a job whose lease ran out to the next claim, counting the attempt", async () => {
        const b = await backend(3);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const first = await claimOne(b, shortLeaseMs(b));
        await pastLease(b);
        const second = await claimOne(b);
        assert.equal(second.job.id, job.id);
        assert.equal(second.attempt, 2);
        assert.equal((await status(b, job.id)).attempts, 2);
        assert.notEqual(second.token, first.token);
      });

      it("refuses every write of a lease that was taken over, and changes nothing", async () => {
        const b = await backend(3);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const stale = await claimOne(b, shortLeaseMs(b));
        await pastLease(b);
        const fresh = await claimOne(b);
        assert.equal(await b.progress(fresh, 0.25), "held");
        const before = await status(b, job.id);

        assert.equal(await b.progress(stale, 0.9), "lost");
        assert.equal(await b.extendLease(stale, longLeaseMs(b)), "lost");
        assert.equal(await b.complete(stale, { sum: "stale" }), false);
        assert.equal(await b.fail(stale, "stale failure", { permanent: true, retryDelayMs: 0 }), "lost");
        await b.release(stale);

        const after = await status(b, job.id);
        assert.deepEqual(after, before);
        assert.equal(after.status, "running");
        assert.equal(after.progress, 0.25);
        await nothingToClaim(b); // the stale release did not give the fresh lease's job back
        assert.equal(await b.complete(fresh, { sum: "6" }), true);
        assert.deepEqual((await status(b, job.id)).result, { sum: "6" });
      });

      it("keeps a job whose lease is extended", async () => {
        const b = await backend();
        await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b, shortLeaseMs(b));
        assert.equal(await b.extendLease(lease, longLeaseMs(b)), "held");
        await pastLease(b);
        await nothingToClaim(b);
        assert.equal(await b.complete(lease, { sum: "6" }), true);
      });

      it("ends failed when the lease of the last attempt runs out", async () => {
        const b = await backend(2);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        await claimOne(b, shortLeaseMs(b));
        await pastLease(b);
        const last = await claimOne(b, shortLeaseMs(b));
        assert.equal(last.attempt, 2);
        await pastLease(b);
        await eventually("the job ends failed", async () => {
          const leases = await b.claim({ max: 1, leaseMs: longLeaseMs(b), waitMs: 200 });
          assert.deepEqual(leases, [], "a job was claimed a third time with maxAttempts 2");
          return (await status(b, job.id)).status === "failed";
        });
        const failed = await status(b, job.id);
        assert.equal(failed.attempts, 2);
        assert.match(failed.error ?? "", /lease expired/);
        assert.ok(failed.finishedAt);
        assert.equal(await b.complete(last, { sum: "late" }), false);
        assert.equal((await status(b, job.id)).status, "failed");
        assert.deepEqual(
          (await b.listDead(10)).map((j) => j.id),
          [job.id],
        );
      });

      it("gives a released job back at once without counting the attempt", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        await b.release(lease);
        const again = await claimOne(b);
        assert.equal(again.job.id, job.id);
        assert.equal(again.attempt, 1);
        assert.equal((await status(b, job.id)).attempts, 1);
        assert.equal(await b.complete(lease, { sum: "old" }), false, "the released lease still wrote");
      });
    });

    describe("complete and fail", () => {
      it("completes with the result, progress 1 and finishedAt", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        assert.equal(await b.complete(lease, { sum: "6", list: [1, 2] }), true);
        const done = await status(b, job.id);
        assert.equal(done.status, "succeeded");
        assert.deepEqual(done.result, { sum: "6", list: [1, 2] });
        assert.equal(done.progress, 1);
        assert.ok(done.finishedAt);
        assert.equal(await b.complete(lease, { sum: "twice" }), false);
        assert.deepEqual((await status(b, job.id)).result, { sum: "6", list: [1, 2] });
        await nothingToClaim(b);
      });

      it("retries a failure after its delay, keeping the error", async () => {
        const b = await backend(3);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const delayMs = Math.max(500, b.capabilities.leaseGranularityMs * 2);
        const lease = await claimOne(b);
        assert.equal(await b.fail(lease, "boom", { permanent: false, retryDelayMs: delayMs }), "retrying");
        const waiting = await status(b, job.id);
        assert.equal(waiting.status, "queued");
        assert.equal(waiting.error, "boom");
        assert.equal(waiting.attempts, 1);
        await nothingToClaim(b);
        const again = await claimOne(b);
        assert.equal(again.job.id, job.id);
        assert.equal(again.attempt, 2);
      });

      it("ends a permanent failure failed at once, whatever attempts remain", async () => {
        const b = await backend(3);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        assert.equal(await b.fail(lease, "bad input", { permanent: true, retryDelayMs: 0 }), "failed");
        const failed = await status(b, job.id);
        assert.equal(failed.status, "failed");
        assert.equal(failed.error, "bad input");
        assert.ok(failed.finishedAt);
        await nothingToClaim(b);
      });

      it("shows, for a worker's attempt that failed with a raw SDK error, only the public text", async () => {
        const b = await backend(1);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const sdk = Object.assign(new Error("User: arn:aws:iam::123456789012:role/fleet-worker is not authorized"), {
          name: "AccessDeniedException",
        });
        const worker = startJobWorker({
          backend: b,
          runner: { run: () => Promise.reject(sdk), close: async () => {} },
          concurrency: 1,
          leaseMs: longLeaseMs(b),
          jobTimeoutMs: 60_000,
          log: pino({ level: "silent" }),
          once: true,
          claimWaitMs: EVENTUALLY_MS,
        });
        await worker.done;
        const failed = await status(b, job.id);
        assert.equal(failed.status, "failed");
        assert.match(failed.error ?? "", /^internal error \(errorId [0-9a-f-]{36}\): /);
        assert.ok(!/arn:|123456789012|authorized/.test(JSON.stringify(failed)), failed.error);
      });

      it("ends a job that runs past the job timeout failed after one attempt, whatever attempts remain", async () => {
        const b = await backend(3);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        // A run that never ends by itself: only the worker's timeout stops it.
        const never: JobRunner = {
          run: (_kind, _input, signal) =>
            new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
          close: async () => {},
        };
        const worker = startJobWorker({
          backend: b,
          runner: never,
          concurrency: 1,
          leaseMs: longLeaseMs(b),
          jobTimeoutMs: 300,
          log: pino({ level: "silent" }),
          retryBaseMs: 0,
          retryMaxMs: 0,
          claimWaitMs: 200,
        });
        try {
          await eventually("the timed-out job to end", async () => (await status(b, job.id)).status === "failed");
          const failed = await status(b, job.id);
          assert.equal(failed.attempts, 1);
          assert.match(failed.error!, /job timeout/);
          await nothingToClaim(b);
        } finally {
          await worker.stop(0);
        }
      });

      for (const maxAttempts of [1, 2, 3]) {
        it(`runs a job that always fails exactly maxAttempts = ${maxAttempts} times`, async () => {
          const b = await backend(maxAttempts);
          const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
          const outcomes: string[] = [];
          for (let i = 1; i <= maxAttempts; i++) {
            const lease = await claimOne(b);
            assert.equal(lease.attempt, i);
            outcomes.push(await b.fail(lease, `failure ${i}`, { permanent: false, retryDelayMs: 0 }));
          }
          assert.deepEqual(outcomes, [...Array(maxAttempts - 1).fill("retrying"), "failed"]);
          const failed = await status(b, job.id);
          assert.equal(failed.status, "failed");
          assert.equal(failed.attempts, maxAttempts);
          assert.equal(failed.error, `failure ${maxAttempts}`);
          await nothingToClaim(b);
        });
      }
    });

    describe("retention", () => {
      it("shows a finished job until its retention is over, then no more", async () => {
        const b = await backend();
        const done = (await b.enqueue({ kind: "sum", input: { n: 1 } })).job;
        const waiting = (await b.enqueue({ kind: "sum", input: { n: 2 } })).job;
        const lease = (await b.claim({ max: 1, leaseMs: longLeaseMs(b), waitMs: EVENTUALLY_MS }))[0]!;
        const finished = lease.job.id === done.id ? done : waiting;
        const other = finished === done ? waiting : done;
        assert.equal(await b.complete(lease, { ok: true }), true);
        aheadMs = (RETENTION_S - 60) * 1000;
        assert.equal((await b.get(finished.id))?.status, "succeeded", "gone before its retention");
        aheadMs = (RETENTION_S + 60) * 1000;
        assert.equal(await b.get(finished.id), undefined, "kept past its retention");
        assert.equal((await b.get(other.id))?.status, "queued", "a job that has not finished is never purged");
      });
    });

    describe("cancel", () => {
      it("cancels a queued job, which never runs", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const canceled = await b.cancel(job.id);
        assert.equal(canceled.status, "canceled");
        assert.ok(canceled.finishedAt);
        assert.equal((await status(b, job.id)).status, "canceled");
        await nothingToClaim(b);
        await backlogIs(b, 0);
      });

      it("cancels a running job, which its worker learns at the next progress or heartbeat", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        assert.equal(await b.progress(lease, 0.5), "held");
        assert.equal((await b.cancel(job.id)).status, "canceled");
        assert.equal(await b.progress(lease, 0.6), "canceled");
        assert.equal(await b.extendLease(lease, longLeaseMs(b)), "canceled");
        assert.equal(await b.complete(lease, { sum: "6" }), false);
        assert.equal(await b.fail(lease, "stopped", { permanent: false, retryDelayMs: 0 }), "lost");
        const after = await status(b, job.id);
        assert.equal(after.status, "canceled");
        assert.equal(after.result, undefined);
        await nothingToClaim(b);
      });

      it("refuses to cancel a finished job (JobStateError) or an unknown one (JobNotFoundError)", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        await b.complete(await claimOne(b), { sum: "6" });
        await assert.rejects(
          b.cancel(job.id),
          (err: unknown) => err instanceof JobStateError && err.status === "succeeded",
        );
        assert.equal((await status(b, job.id)).status, "succeeded");
        await assert.rejects(b.cancel("00000000-0000-4000-8000-000000000000"), JobNotFoundError);
        const other = await b.enqueue({ kind: "sum", input: { n: 3 } });
        await b.cancel(other.job.id);
        await assert.rejects(b.cancel(other.job.id), JobStateError);
      });
    });

    describe("progress", () => {
      it("records progress that get shows, while the lease is held", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const lease = await claimOne(b);
        assert.equal(await b.progress(lease, 0.4), "held");
        assert.equal((await status(b, job.id)).progress, 0.4);
        assert.equal(await b.progress(lease, 0.75), "held");
        assert.equal((await status(b, job.id)).progress, 0.75);
      });
    });

    describe("backlog and dead letters", () => {
      it("counts the jobs waiting to run", async () => {
        const b = await backend();
        assert.equal(await b.backlog(), 0);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await b.enqueue({ kind: "sum", input: { n: i } })).job.id);
        assert.equal(await b.backlog(), 3);
        await b.cancel(ids[2]!);
        await backlogIs(b, 2, 1);
        const lease = await claimOne(b);
        await backlogIs(b, 1, 1);
        await b.release(lease);
        await backlogIs(b, 2, 1);
      });

      it("lists failed jobs newest first, up to the limit, and retries one with fresh attempts", async () => {
        const b = await backend(1);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const { job } = await b.enqueue({ kind: "sum", input: { n: i } });
          ids.push(job.id);
          const lease = await claimOne(b);
          assert.equal(await b.fail(lease, `error ${lease.job.id}`, { permanent: false, retryDelayMs: 0 }), "failed");
          await sleep(20); // distinct finishedAt, so newest first is well defined
        }
        const dead = await b.listDead(2);
        assert.deepEqual(
          dead.map((j) => j.id),
          [ids[2], ids[1]],
        );
        assert.ok(dead.every((j) => j.status === "failed" && j.error?.startsWith("error ")));

        const retried = await b.retryDead(ids[0]!);
        assert.equal(retried.status, "queued");
        assert.equal(retried.attempts, 0);
        const lease = await claimOne(b);
        assert.equal(lease.job.id, ids[0]);
        assert.equal(lease.attempt, 1);
        assert.equal(await b.complete(lease, { sum: "0" }), true);
        assert.deepEqual(
          (await b.listDead(10)).map((j) => j.id),
          [ids[2], ids[1]],
        );
      });

      it("retries only failed jobs (JobStateError) and known ones (JobNotFoundError)", async () => {
        const b = await backend();
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        await assert.rejects(b.retryDead(job.id), JobStateError);
        await assert.rejects(b.retryDead("00000000-0000-4000-8000-000000000000"), JobNotFoundError);
        assert.equal((await status(b, job.id)).status, "queued");
      });
    });

    describe("results", () => {
      it("writes a result twice under one key (a redelivered job) with one stable url", async () => {
        const b = await backend();
        const key = "jobs/3f2a/out.png";
        await b.results.put(key, Buffer.from("the same bytes"), "image/png");
        const url = b.results.url(key);
        await b.results.put(key, Buffer.from("the same bytes"), "image/png");
        assert.equal(b.results.url(key), url);
        assert.ok(url.endsWith(`/${key}`), url);
        assert.notEqual(b.results.url("jobs/other/out.png"), url);
      });

      it("refuses keys that climb out or are absolute", async () => {
        const b = await backend();
        for (const key of ["../escape.png", "jobs/../../x", "/etc/passwd", ""]) {
          await assert.rejects(b.results.put(key, Buffer.from("x"), "text/plain"), Error, key);
        }
      });
    });

    describe("waiting claims", () => {
      it("wakes a waiting claim when a job is enqueued", async () => {
        const b = await backend();
        const waitMs = 15_000;
        const started = Date.now();
        const claiming = b.claim({ max: 1, leaseMs: longLeaseMs(b), waitMs });
        await sleep(100);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        const leases = await claiming;
        assert.deepEqual(
          leases.map((l) => l.job.id),
          [job.id],
        );
        assert.ok(Date.now() - started < waitMs / 2, `the claim waited ${Date.now() - started} ms`);
      });

      it("returns nothing when the wait runs out", async () => {
        const b = await backend();
        const leases = await b.claim({ max: 1, leaseMs: longLeaseMs(b), waitMs: 300 });
        assert.deepEqual(leases, []);
      });

      it("ends a waiting claim early, with nothing, when its signal aborts", async () => {
        const b = await backend();
        const waitMs = 15_000;
        const controller = new AbortController();
        const started = Date.now();
        const claiming = b.claim({ max: 1, leaseMs: longLeaseMs(b), waitMs, signal: controller.signal });
        setTimeout(() => controller.abort(), 100);
        assert.deepEqual(await claiming, []);
        assert.ok(Date.now() - started < waitMs / 2, `the claim waited ${Date.now() - started} ms after abort`);
        const { job } = await b.enqueue({ kind: "sum", input: { n: 3 } });
        assert.equal((await claimOne(b)).job.id, job.id, "an aborted claim took the next job");
      });
    });
  });
}
