/**
 * The job worker's loop: claims up to `concurrency` jobs with a lease, runs each in a thread while a
 * lease keeper extends its lease, stores the result under a key that is the same for every attempt, and
 * completes, retries (jittered exponential backoff) or fails the job with guarded writes; a job that runs
 * past the job timeout ends failed after that one attempt. `stop()` is the
 * drain: no more claims, running jobs finish until the deadline; a job stopped by the deadline counts its
 * attempt (it is retried like a failure, so a job longer than the drain cannot restart forever on
 * instances that keep being replaced), one claimed but not yet started is given back uncounted.
 * The lease keeper starts the moment a job is claimed, before any slow call (scale-in protection); a
 * storage error after a successful run (the result upload, the completion) is retried while the lease is
 * held instead of costing an attempt.
 * Every job transition is one log line with a stable `msg` (JOB_LOG), which tests and operators match on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { backoffDelay } from "../cluster";
import type { JobBackend, Lease, LeaseStatus } from "./backend";
import { KINDS } from "./kinds";
import { startLeaseKeeper, type Clock } from "./lease-keeper";
import { publicFailure } from "./public-error";
import { MemoryGate } from "./memory-gate";
import { RunError, type JobRunner } from "./runner";
import { HEARTBEATS_PER_LEASE, RETRY_BASE_MS, RETRY_MAX_MS } from "./timing";

export const JOB_LOG = {
  started: "job started",
  succeeded: "job succeeded",
  retrying: "job failed; will retry",
  failed: "job failed",
  canceled: "job canceled while running",
  lost: "job lease lost; another worker has it",
  released: "job given back on drain",
  drained: "job stopped by the drain deadline; its attempt counts",
  // Worded so the failed-jobs metric filter ("job failed") does not count it: the attempt has not failed.
  storeRetry: "storing a finished job's outcome did not work; retrying within its lease",
  discarded: "job result discarded: the lease was lost before it completed",
} as const;

/** How long one claim waits for a job before the loop looks again (a long poll, cut short by stop()). */
const CLAIM_WAIT_MS = 5_000;

/** At most one progress write per job this often: each is a write to the backend. */
const PROGRESS_INTERVAL_MS = 250;

/** Pause after a claim that threw (the backend is unreachable), so the loop does not spin. */
const CLAIM_ERROR_PAUSE_MS = 1_000;

/** Storing a finished job's result is retried after this, doubling up to the cap, while the lease holds. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 5_000;
/** Past this the storage error is the attempt's failure after all (the backend is down, not throttled). */
const STORE_RETRY_BUDGET_MS = 120_000;

/**
 * Why a running job was stopped before it ended by itself. `drain` is the drain deadline (the attempt
 * counts, so a job longer than the drain cannot restart forever); `handBack` is an operator's explicit
 * "now" (a second Ctrl-C): the job goes back uncounted.
 */
type StopCause = "canceled" | "lost" | "timeout" | "drain" | "handBack";

interface ActiveJob {
  /** waiting: claimed, the busy report pending; running: the work; storing: the result and completion. */
  phase: "waiting" | "running" | "storing";
  /** Set when the job is stopped before its run has begun (a drain while onBusyChange is pending). */
  stoppedEarly?: StopCause;
  stop: (cause: StopCause) => void;
  finished: Promise<void>;
  /** Aborted with a JobStopped when the job must stop. */
  halt: AbortController;
  keeper: { stop(): void };
}

class JobStopped extends Error {
  override name = "JobStopped";
  constructor(readonly why: StopCause) {
    super(`job stopped: ${why}`);
  }
}

export interface JobWorkerOptions {
  backend: JobBackend;
  runner: JobRunner;
  /** Jobs run at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Lease length (JOBS_VISIBILITY_TIMEOUT_S); the heartbeat extends it every third of it. */
  leaseMs: number;
  /** An attempt running longer is stopped and ends the job failed (JOBS_TIMEOUT_S). */
  jobTimeoutMs: number;
  /**
   * Bytes the runs may hold at once (memory-gate.ts): a run whose kind's memoryBytes would pass it waits
   * for others to end. Absent: no bound.
   */
  memoryBudgetBytes?: number;
  log: Logger;
  /** Run until no job is claimable, then resolve `done` (`--once`). */
  once?: boolean;
  /**
   * Called when the worker goes from idle to busy (true, awaited before the job runs) and back (false):
   * the AWS worker sets scale-in protection here.
   */
  onBusyChange?: (busy: boolean) => Promise<void>;
  retryBaseMs?: number;
  retryMaxMs?: number;
  claimWaitMs?: number;
  random?: () => number;
  clock?: Clock;
}

export interface JobWorker {
  /** Resolves once the loop has ended (stop() finished, or --once ran out of jobs). */
  readonly done: Promise<void>;
  /** Jobs running now. */
  running(): number;
  /**
   * The drain: stop claiming, let running jobs finish until the deadline, then stop them (attempt counted),
   * or with `atDeadline` "handBack" give them back uncounted (a Spot notice: the instance goes, the job is
   * not at fault). A later call may bring the deadline closer, never further.
   */
  stop(drainTimeoutMs: number, atDeadline?: "count" | "handBack"): Promise<void>;
  /** Stop claiming and give every running job back now, uncounted (an operator's second Ctrl-C). */
  handBack(): Promise<void>;
}

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { backend, runner, concurrency, leaseMs, jobTimeoutMs, log, once = false, onBusyChange } = options;
  const { retryBaseMs = RETRY_BASE_MS, retryMaxMs = RETRY_MAX_MS, claimWaitMs = CLAIM_WAIT_MS } = options;
  const random = options.random ?? Math.random;
  const memory = new MemoryGate(options.memoryBudgetBytes ?? Infinity);
  const stopping = new AbortController();
  /** By lease token: the same job may be claimed again (its lease ran out) while an older attempt ends. */
  const active = new Map<string, ActiveJob>();
  let wake: () => void = () => {};
  let busyChain: Promise<void> = Promise.resolve();

  /**
   * Waits for a busy/idle report (scale-in protection on AWS), but no longer than one heartbeat interval:
   * the first job's lease clock is already running, and a stopping worker must not hang on a slow or
   * throttled call.
   */
  function atMostOneHeartbeat(report: Promise<void>): Promise<void> {
    return Promise.race([report, sleep(leaseMs / HEARTBEATS_PER_LEASE, undefined, { ref: false })]);
  }

  function busyChanged(busy: boolean): Promise<void> {
    if (!onBusyChange) return Promise.resolve();
    busyChain = busyChain
      .then(() => onBusyChange(busy))
      .catch((err: unknown) => log.warn({ err, busy }, "onBusyChange failed; carrying on"));
    return busyChain;
  }

  /** Runs `store` again after a failure while the lease holds, within STORE_RETRY_BUDGET_MS. */
  async function storeWithinLease<T>(store: () => Promise<T>, halted: AbortSignal, who: object): Promise<T> {
    const startedMs = Date.now();
    for (let pauseMs = STORE_RETRY_FIRST_MS; ; pauseMs = Math.min(STORE_RETRY_MAX_MS, pauseMs * 2)) {
      halted.throwIfAborted();
      try {
        return await store();
      } catch (err) {
        if (halted.aborted || Date.now() - startedMs + pauseMs > STORE_RETRY_BUDGET_MS) throw err;
        log.warn({ ...who, err, retryInMs: pauseMs }, JOB_LOG.storeRetry);
        await sleep(pauseMs, undefined, { signal: halted }).catch(() => {});
      }
    }
  }

  async function runOne(lease: Lease): Promise<void> {
    const { job, attempt } = lease;
    const who = { jobId: job.id, kind: job.kind, attempt };
    const entry = active.get(lease.token)!;
    const stop = entry.halt;
    const end = (cause: StopCause) => entry.stop(cause);
    const { keeper } = entry;
    if (entry.stoppedEarly) {
      // Stopped before it ran (a drain while the busy report was pending): given back uncounted.
      keeper.stop();
      if (entry.stoppedEarly === "drain" || entry.stoppedEarly === "handBack") {
        await backend.release(lease);
        log.info(who, JOB_LOG.released);
      }
      return;
    }
    entry.phase = "running";
    let timeout: NodeJS.Timeout | undefined;
    let releaseMemory = () => {};
    const progress = throttledProgress((fraction) => backend.progress(lease, fraction), end, log.child(who));
    const startedMs = Date.now();
    log.info(who, JOB_LOG.started);
    try {
      // The timeout is about the work: it starts once the run's memory is reserved.
      const bytes = KINDS.get(job.kind)?.memoryBytes?.(job.input as never) ?? 0;
      releaseMemory = await memory.acquire(bytes, stop.signal);
      timeout = setTimeout(() => end("timeout"), jobTimeoutMs);
      const output = await runner.run(job.kind, job.input, stop.signal, progress);
      stop.signal.throwIfAborted();
      // The work is done: from here only storage can fail, and it is retried while the lease holds (the
      // keeper still beats), neither timed out nor cut by the drain deadline (both are about the work).
      clearTimeout(timeout);
      entry.phase = "storing";
      let result: unknown = output.result;
      if (output.artifact) {
        const key = `jobs/${job.id}/result.${output.artifact.extension}`;
        const { body } = output.artifact;
        const { contentType } = output.artifact;
        // A view, not a copy: an 8192² PNG is tens of MB.
        const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        await storeWithinLease(() => backend.results.put(key, bytes, contentType), stop.signal, who);
        result = { url: backend.results.url(key), ...output.result };
      }
      const ms = Date.now() - startedMs;
      if (await storeWithinLease(() => backend.complete(lease, result), stop.signal, who)) {
        log.info({ ...who, ms }, JOB_LOG.succeeded);
      } else log.warn({ ...who, ms }, JOB_LOG.discarded);
    } catch (err) {
      await settleFailure(lease, who, err, startedMs);
    } finally {
      clearTimeout(timeout);
      releaseMemory();
      keeper.stop();
      progress.stop();
    }
  }

  async function settleFailure(lease: Lease, who: object, err: unknown, startedMs: number): Promise<void> {
    const ms = Date.now() - startedMs;
    if (err instanceof JobStopped && err.why === "handBack") {
      await backend.release(lease);
      log.info({ ...who, ms }, JOB_LOG.released);
      return;
    }
    if (err instanceof JobStopped && (err.why === "canceled" || err.why === "lost")) {
      log.warn({ ...who, ms }, err.why === "canceled" ? JOB_LOG.canceled : JOB_LOG.lost);
      return;
    }
    const drained = err instanceof JobStopped && err.why === "drain";
    // A timeout is not retried: the same input on the same kind of worker will not get faster, and each
    // retry would cost another JOBS_TIMEOUT_S of a worker slot.
    const timedOut = err instanceof JobStopped && err.why === "timeout";
    const permanent = timedOut || (err instanceof RunError && err.permanent);
    // What the job's public `error` says (service/jobs/public-error.ts); the log line gets the whole error.
    const { text: message, errorId } = drained
      ? {
          text:
            `stopped by the worker's drain deadline after ${Math.round(ms / 1000)} s (WORKER_DRAIN_TIMEOUT_S): ` +
            `the attempt counts, so a job longer than the drain cannot restart forever`,
        }
      : err instanceof JobStopped
        ? { text: `ran past the job timeout of ${jobTimeoutMs / 1000} s (JOBS_TIMEOUT_S)` }
        : publicFailure(err);
    if (drained) log.warn({ ...who, ms }, JOB_LOG.drained);
    // A drained job is due again at once: another worker (the replacement) takes it.
    const retryDelayMs = drained ? 0 : backoffDelay(lease.attempt, retryBaseMs, retryMaxMs, random);
    const outcome = await backend.fail(lease, message, { permanent, retryDelayMs });
    const details = { ...who, ms, error: message, permanent, ...(errorId ? { errorId, err } : {}) };
    if (outcome === "retrying") log.warn({ ...details, retryInMs: retryDelayMs }, JOB_LOG.retrying);
    else if (outcome === "failed") log.error(details, JOB_LOG.failed);
    else log.warn(details, JOB_LOG.lost);
  }

  function start(lease: Lease): void {
    const halt = new AbortController();
    const entry: ActiveJob = {
      phase: "waiting",
      halt,
      stop: (cause) => {
        // Once the work is done, only a lost or canceled lease stops the storing (not a timeout or drain).
        if (entry.phase === "storing" && cause !== "lost" && cause !== "canceled") return;
        if (entry.phase === "waiting") entry.stoppedEarly ??= cause;
        halt.abort(new JobStopped(cause));
      },
      finished: Promise.resolve(),
      keeper: { stop() {} },
    };
    active.set(lease.token, entry);
    // The heartbeat starts now, before the busy report (scale-in protection, a slow AWS call) is awaited:
    // the lease counts from its claim, and nothing may let it run out unextended.
    entry.keeper = startLeaseKeeper({
      extend: (ms) => backend.extendLease(lease, ms),
      leaseMs,
      onEnd: (status) => entry.stop(status),
      log: log.child({ jobId: lease.job.id, kind: lease.job.kind, attempt: lease.attempt }),
      clock: options.clock,
    });
    const becameBusy = active.size === 1 ? atMostOneHeartbeat(busyChanged(true)) : Promise.resolve();
    entry.finished = becameBusy
      .then(() => runOne(lease))
      .catch((err: unknown) => log.error({ err, jobId: lease.job.id }, "job bookkeeping failed; its lease will expire"))
      .finally(() => {
        active.delete(lease.token);
        if (active.size === 0) void busyChanged(false);
        wake();
      });
  }

  async function loop(): Promise<void> {
    while (!stopping.signal.aborted) {
      if (active.size >= concurrency) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      let leases: Lease[];
      try {
        leases = await backend.claim({
          max: concurrency - active.size,
          leaseMs,
          waitMs: once ? 0 : claimWaitMs,
          signal: stopping.signal,
        });
      } catch (err) {
        if (stopping.signal.aborted) break;
        log.warn({ err }, "claim failed; trying again");
        await sleep(CLAIM_ERROR_PAUSE_MS, undefined, { signal: stopping.signal }).catch(() => {});
        continue;
      }
      if (stopping.signal.aborted) {
        // Claimed while the drain began: give them straight back, uncounted.
        await Promise.all(leases.map((lease) => backend.release(lease)));
        break;
      }
      for (const lease of leases) start(lease);
      if (once && leases.length === 0) {
        if (active.size === 0) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    await Promise.all([...active.values()].map((entry) => entry.finished));
    await atMostOneHeartbeat(busyChain);
  }

  const done = loop();
  return {
    done,
    running: () => active.size,
    async stop(drainTimeoutMs, atDeadline = "count") {
      if (!stopping.signal.aborted) {
        stopping.abort();
        wake();
        log.info({ running: active.size, drainTimeoutMs, atDeadline }, "job worker draining");
      }
      const deadline = setTimeout(() => {
        for (const entry of active.values()) entry.stop(atDeadline === "handBack" ? "handBack" : "drain");
      }, drainTimeoutMs);
      done.finally(() => clearTimeout(deadline)).catch(() => {});
      await done;
    },
    async handBack() {
      if (!stopping.signal.aborted) {
        stopping.abort();
        wake();
      }
      for (const entry of active.values()) entry.stop("handBack");
      await done;
    },
  };
}

/**
 * Progress reports at most every PROGRESS_INTERVAL_MS, always the latest fraction; an answer other than
 * "held" stops the job.
 */
function throttledProgress(
  report: (fraction: number) => Promise<LeaseStatus>,
  end: (cause: "canceled" | "lost") => void,
  log: Logger,
): ((fraction: number) => void) & { stop(): void } {
  let latest: number | undefined;
  // As if a report had just been made: a job shorter than the interval writes no progress at all (its
  // completion sets progress to 1), which spares the backend a write per short job.
  let lastMs = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let inFlight = false;
  let stopped = false;
  const send = () => {
    timer = undefined;
    if (stopped || inFlight || latest === undefined) return;
    const fraction = latest;
    latest = undefined;
    inFlight = true;
    lastMs = Date.now();
    report(fraction)
      .then(
        (status) => {
          if (status !== "held" && !stopped) end(status);
        },
        (err: unknown) => log.warn({ err }, "progress write failed; the job goes on"),
      )
      .finally(() => {
        inFlight = false;
        schedule();
      });
  };
  const schedule = () => {
    if (stopped || timer || inFlight || latest === undefined) return;
    timer = setTimeout(send, Math.max(0, lastMs + PROGRESS_INTERVAL_MS - Date.now()));
  };
  let reported = -1;
  const onProgress = (fraction: number) => {
    // Four decimals are finer than any client shows; unchanged values are not written again.
    const rounded = Math.min(1, Math.max(0, Math.round(fraction * 10_000) / 10_000));
    if (rounded === reported) return;
    reported = rounded;
    latest = rounded;
    schedule();
  };
  return Object.assign(onProgress, {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  });
}
