/**
 * The job worker's loop: claims up to `concurrency` jobs with a lease, runs each in a thread while a
 * lease keeper extends its lease, stores the result under a key that is the same for every attempt, and
 * completes, retries (jittered exponential backoff) or fails the job with guarded writes. `stop()` is the
 * drain: no more claims, running jobs finish until the deadline, the rest are given back uncounted.
 * Every job transition is one log line with a stable `msg` (JOB_LOG), which tests and operators match on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { backoffDelay } from "../cluster";
import type { JobBackend, Lease, LeaseStatus } from "./backend";
import { startLeaseKeeper, type Clock } from "./lease-keeper";
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
  discarded: "job result discarded: the lease was lost before it completed",
} as const;

/** How long one claim waits for a job before the loop looks again (a long poll, cut short by stop()). */
const CLAIM_WAIT_MS = 5_000;

/** At most one progress write per job this often: each is a write to the backend. */
const PROGRESS_INTERVAL_MS = 250;

/** Pause after a claim that threw (the backend is unreachable), so the loop does not spin. */
const CLAIM_ERROR_PAUSE_MS = 1_000;

/** Why a running job was stopped before it ended by itself. */
type StopCause = "canceled" | "lost" | "timeout" | "drain";

interface ActiveJob {
  /** Set when the job is stopped before its run has begun (a drain while onBusyChange is pending). */
  stoppedEarly?: StopCause;
  stop: (cause: StopCause) => void;
  finished: Promise<void>;
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
  /** An attempt running longer is stopped and counts as failed (JOBS_TIMEOUT_S). */
  jobTimeoutMs: number;
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
  /** The drain: stop claiming, let running jobs finish until the deadline, give the rest back. */
  stop(drainTimeoutMs: number): Promise<void>;
}

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { backend, runner, concurrency, leaseMs, jobTimeoutMs, log, once = false, onBusyChange } = options;
  const { retryBaseMs = RETRY_BASE_MS, retryMaxMs = RETRY_MAX_MS, claimWaitMs = CLAIM_WAIT_MS } = options;
  const random = options.random ?? Math.random;
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

  async function runOne(lease: Lease): Promise<void> {
    const { job, attempt } = lease;
    const who = { jobId: job.id, kind: job.kind, attempt };
    const stop = new AbortController();
    const end = (cause: StopCause) => stop.abort(new JobStopped(cause));
    const entry = active.get(lease.token)!;
    entry.stop = end;
    if (entry.stoppedEarly) end(entry.stoppedEarly);
    const keeper = startLeaseKeeper({
      extend: (ms) => backend.extendLease(lease, ms),
      leaseMs,
      onEnd: end,
      log: log.child(who),
      clock: options.clock,
    });
    const timeout = setTimeout(() => end("timeout"), jobTimeoutMs);
    const progress = throttledProgress((fraction) => backend.progress(lease, fraction), end, log.child(who));
    const startedMs = Date.now();
    log.info(who, JOB_LOG.started);
    try {
      const output = await runner.run(job.kind, job.input, stop.signal, progress);
      let result: unknown = output.result;
      if (output.artifact) {
        const key = `jobs/${job.id}/result.${output.artifact.extension}`;
        const { body } = output.artifact;
        // A view, not a copy: an 8192² PNG is tens of MB.
        const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        await backend.results.put(key, bytes, output.artifact.contentType);
        result = { url: backend.results.url(key), ...output.result };
      }
      stop.signal.throwIfAborted();
      const ms = Date.now() - startedMs;
      if (await backend.complete(lease, result)) log.info({ ...who, ms }, JOB_LOG.succeeded);
      else log.warn({ ...who, ms }, JOB_LOG.discarded);
    } catch (err) {
      await settleFailure(lease, who, err, startedMs);
    } finally {
      clearTimeout(timeout);
      keeper.stop();
      progress.stop();
    }
  }

  async function settleFailure(lease: Lease, who: object, err: unknown, startedMs: number): Promise<void> {
    const ms = Date.now() - startedMs;
    if (err instanceof JobStopped && err.why !== "timeout") {
      if (err.why === "drain") {
        await backend.release(lease);
        log.info({ ...who, ms }, JOB_LOG.released);
      } else log.warn({ ...who, ms }, err.why === "canceled" ? JOB_LOG.canceled : JOB_LOG.lost);
      return;
    }
    const permanent = err instanceof RunError && err.permanent;
    const message =
      err instanceof JobStopped
        ? `ran past the job timeout of ${jobTimeoutMs / 1000} s (JOBS_TIMEOUT_S)`
        : err instanceof Error
          ? err.message
          : String(err);
    const retryDelayMs = backoffDelay(lease.attempt, retryBaseMs, retryMaxMs, random);
    const outcome = await backend.fail(lease, message, { permanent, retryDelayMs });
    const details = { ...who, ms, error: message, permanent };
    if (outcome === "retrying") log.warn({ ...details, retryInMs: retryDelayMs }, JOB_LOG.retrying);
    else if (outcome === "failed") log.error(details, JOB_LOG.failed);
    else log.warn(details, JOB_LOG.lost);
  }

  function start(lease: Lease): void {
    const entry: ActiveJob = { stop: (cause) => (entry.stoppedEarly = cause), finished: Promise.resolve() };
    active.set(lease.token, entry);
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
    async stop(drainTimeoutMs) {
      if (!stopping.signal.aborted) {
        stopping.abort();
        wake();
        log.info({ running: active.size, drainTimeoutMs }, "job worker draining");
      }
      // A later stop with a shorter deadline (a second Ctrl-C: stop(0)) hands the jobs back sooner.
      const deadline = setTimeout(() => {
        for (const entry of active.values()) entry.stop("drain");
      }, drainTimeoutMs);
      done.finally(() => clearTimeout(deadline)).catch(() => {});
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
