import path from "node:path";
import Piscina from "piscina";

/** The pool and its queue are full: the caller should answer 503 with Retry-After. */
export class PoolBusyError extends Error {
  override name = "PoolBusyError";
}

/** A task ran past its deadline and its thread was stopped. */
export class TaskTimeoutError extends Error {
  override name = "TaskTimeoutError";
}

export interface SumPoolOptions {
  threads: number;
  /** Tasks that may wait for a thread; past this the pool refuses instead of queueing without bound. */
  maxQueue: number;
  /** A task running longer is aborted (its thread is replaced). */
  taskTimeoutMs: number;
}

export interface SumPool {
  /** The exact decimal sum 0..n. Rejects with PoolBusyError, TaskTimeoutError, or the caller's abort. */
  sum(n: number, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

// Compiled, this file is sum-pool.js beside sum-worker.js; under the test loader both are .ts.
const WORKER_FILE = path.join(__dirname, `sum-worker${path.extname(__filename)}`);

export function createSumPool(options: SumPoolOptions): SumPool {
  const pool = new Piscina<{ n: number }, string>({
    filename: WORKER_FILE,
    minThreads: options.threads,
    maxThreads: options.threads,
    maxQueue: options.maxQueue,
    // Threads live as long as the process: spawning one costs tens of ms on a hot path.
    idleTimeout: Infinity,
  });
  let pending = 0;
  const capacity = options.threads + options.maxQueue;

  return {
    async sum(n, signal) {
      if (pending >= capacity)
        throw new PoolBusyError(`all ${options.threads} threads busy and ${options.maxQueue} tasks queued`);
      const deadline = AbortSignal.timeout(options.taskTimeoutMs);
      pending++;
      try {
        return await pool.run({ n }, { signal: signal ? AbortSignal.any([deadline, signal]) : deadline });
      } catch (err) {
        if (deadline.aborted) throw new TaskTimeoutError(`sum of 0..${n} ran past ${options.taskTimeoutMs} ms`);
        throw err;
      } finally {
        pending--;
      }
    },
    close: () => pool.close(),
  };
}
