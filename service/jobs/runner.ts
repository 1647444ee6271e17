/**
 * The worker's threads: each job runs in a thread of a piscina pool sized to WORKER_CONCURRENCY, so the
 * worker's event loop stays free for heartbeats. Aborting a run ends its thread (piscina replaces it): that
 * is how a cancel, a lost lease or the timeout stops a job at its next progress point at the latest.
 */
import path from "node:path";
import { MessageChannel } from "node:worker_threads";
import Piscina from "piscina";
import type { KindOutput } from "./kinds";
import { WARM_UP, type ThreadAnswer } from "./run-thread";

/**
 * A run that failed; `permanent` when the kind said it can never succeed (PermanentJobError), whose message
 * the kind wrote for the client. `detail` is the thread's view of the error (stack, causes), for the log only.
 */
export class RunError extends Error {
  override name = "RunError";
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export interface JobRunner {
  /** Runs a kind off the event loop. Rejects with RunError, or with the signal's reason once aborted. */
  run(kind: string, input: unknown, signal: AbortSignal, onProgress: (fraction: number) => void): Promise<KindOutput>;
  /** Resolves once every thread is up with the kinds loaded: claim no job (start no lease) before that. */
  warmUp?(): Promise<void>;
  close(): Promise<void>;
}

// Compiled, this file is runner.js beside run-thread.js; under the test loader both are .ts.
const THREAD_FILE = path.join(__dirname, `run-thread${path.extname(__filename)}`);

export function createThreadRunner(threads: number): JobRunner {
  const pool = new Piscina({
    filename: THREAD_FILE,
    minThreads: threads,
    maxThreads: threads,
    // Threads live as long as the worker: starting one costs tens of ms per job otherwise.
    idleTimeout: Infinity,
  });
  return {
    async run(kind, input, signal, onProgress) {
      signal.throwIfAborted();
      const { port1, port2 } = new MessageChannel();
      port1.on("message", (fraction: number) => {
        if (!signal.aborted) onProgress(fraction);
      });
      try {
        const answer = (await pool.run(
          { kind, input, port: port2 },
          { transferList: [port2], signal },
        )) as ThreadAnswer;
        if (!answer.ok) throw new RunError(answer.message, answer.permanent, answer.detail);
        return answer.output;
      } catch (err) {
        // piscina rejects an aborted run with its own AbortError; the caller wants to know why it stopped.
        if (signal.aborted) throw signal.reason;
        throw err;
      } finally {
        port1.close();
      }
    },
    async warmUp() {
      // One task per thread at once: each idle thread takes one, so every thread has started and loaded.
      await Promise.all(Array.from({ length: threads }, () => pool.run(WARM_UP)));
    },
    close: () => pool.close({ force: true }),
  };
}
