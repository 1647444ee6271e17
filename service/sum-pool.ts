/**
 * Where /api/:n computes: a pool of worker_threads behind admission by cost (service/admission.ts). The
 * cost of a sum is proportional to n; a sum is refused only when the sums already admitted would make it
 * wait past the budget, and a trivial sum runs at once on the calling thread, so it is never refused and
 * never waits behind a big one.
 */
import path from "node:path";
import Piscina from "piscina";
import { Admission } from "./admission";
import { sumRange } from "./sum";

/** The sums admitted would make this one wait past the budget: the caller answers 503 with Retry-After. */
export class PoolBusyError extends Error {
  override name = "PoolBusyError";
  constructor(
    message: string,
    /** Seconds after which the work admitted now is estimated to be done. */
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** A task ran past its deadline and its thread was stopped. */
export class TaskTimeoutError extends Error {
  override name = "TaskTimeoutError";
}

export interface SumPoolOptions {
  threads: number;
  /** A task running longer is aborted (its thread is replaced). */
  taskTimeoutMs: number;
  /** The longest estimated wait in the queue that is still admitted, ms (default WAIT_BUDGET_MS). */
  waitBudgetMs?: number;
  /** The cost of one unit of n, ms; measured on this thread at creation when not given. */
  msPerUnit?: number;
  /** Sums estimated at or under this many ms run on the calling thread (default TRIVIAL_MS). */
  trivialMs?: number;
  /**
   * Most estimated work one client may have admitted and unfinished, ms (API_CLIENT_QUOTA_MS); absent: no
   * quota. A client with nothing running is always admitted (within the budget).
   */
  clientQuotaMs?: number;
  now?: () => number;
}

export interface SumPool {
  /**
   * The exact decimal sum 0..n, charged to `client` (its address) when given. Rejects with PoolBusyError,
   * TaskTimeoutError, or the caller's abort.
   */
  sum(n: number, signal?: AbortSignal, client?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A second: well below the ALB's idle timeout (60 s) and any client's patience, and long enough that a
 * burst of big sums is queued rather than refused.
 */
export const WAIT_BUDGET_MS = 1_000;

/**
 * 50 µs of summing (n ≈ 50,000 here) costs about what answering the request costs anyway, less than the
 * hop to a thread and back: such a sum runs inline and /healthcheck does not notice it.
 */
export const TRIVIAL_MS = 0.05;

/** n of the start-up measurement: about 2 ms of loop, long enough to time, short enough for every start. */
const CALIBRATION_N = 2_000_000;

/** ms per unit of n on this thread: the fastest of three runs (the first pays for compilation). */
export function measureMsPerUnit(n = CALIBRATION_N): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    sumRange(0, n);
    best = Math.min(best, performance.now() - started);
  }
  return Math.max(best, 1e-3) / n;
}

// Compiled, this file is sum-pool.js beside sum-worker.js; under the test loader both are .ts.
const WORKER_FILE = path.join(__dirname, `sum-worker${path.extname(__filename)}`);

export function createSumPool(options: SumPoolOptions): SumPool {
  const pool = new Piscina<{ n: number }, { sum: string; runMs: number }>({
    filename: WORKER_FILE,
    minThreads: options.threads,
    maxThreads: options.threads,
    // Admission bounds the queue by its estimated wait, not by a count.
    maxQueue: Infinity,
    // Threads live as long as the process: spawning one costs tens of ms on a hot path.
    idleTimeout: Infinity,
  });
  const admission = new Admission({
    servers: options.threads,
    budgetMs: options.waitBudgetMs ?? WAIT_BUDGET_MS,
    msPerUnit: options.msPerUnit ?? measureMsPerUnit(),
    trivialMs: options.trivialMs ?? TRIVIAL_MS,
    clientQuotaMs: options.clientQuotaMs,
    now: options.now,
  });

  return {
    async sum(n, signal, client) {
      if (admission.isTrivial(n)) return sumRange(0, n).toString();
      const verdict = admission.admit(n, client);
      if (!verdict.admitted) {
        throw new PoolBusyError(
          verdict.reason === "client-quota"
            ? `your sums already running here are estimated at ${Math.round(verdict.clientMs)} ms, and this one would take you past the ${options.clientQuotaMs} ms each client may have at once (API_CLIENT_QUOTA_MS)`
            : `the sums already admitted would make this one wait about ${Math.round(verdict.waitMs)} ms, past the ${options.waitBudgetMs ?? WAIT_BUDGET_MS} ms budget`,
          verdict.retryAfterS,
        );
      }
      const deadline = AbortSignal.timeout(options.taskTimeoutMs);
      let runMs: number | undefined;
      try {
        const answer = await pool.run({ n }, { signal: signal ? AbortSignal.any([deadline, signal]) : deadline });
        runMs = answer.runMs;
        return answer.sum;
      } catch (err) {
        if (deadline.aborted) throw new TaskTimeoutError(`sum of 0..${n} ran past ${options.taskTimeoutMs} ms`);
        throw err;
      } finally {
        verdict.done(runMs);
      }
    },
    close: () => pool.close(),
  };
}
