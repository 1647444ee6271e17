/**
 * A job-worker process (FLEET_ROLE=worker, `npm run worker`, or the child that FLEET_ROLE=all starts):
 * the worker loop over a backend and a thread per concurrent job. SIGTERM or SIGINT is the drain: stop
 * claiming, let running jobs finish until WORKER_DRAIN_TIMEOUT_S, give the rest back, exit 0.
 */
import type { Logger } from "pino";
import type { JobBackend } from "./backend";
import { createThreadRunner } from "./runner";
import { startJobWorker, type JobWorker } from "./worker";

export interface WorkerProcessOptions {
  backend: JobBackend;
  concurrency: number;
  leaseMs: number;
  jobTimeoutMs: number;
  drainTimeoutMs: number;
  log: Logger;
  /** Exit once no job is claimable (`--once`). */
  once: boolean;
  onBusyChange?: (busy: boolean) => Promise<void>;
}

/** Runs until drained (or, with `once`, out of jobs); resolves with the process exit code. */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<number> {
  const { backend, log } = options;
  const runner = createThreadRunner(options.concurrency);
  const worker: JobWorker = startJobWorker({ ...options, runner });
  const drain = (reason: string) => {
    log.info({ reason, drainTimeoutMs: options.drainTimeoutMs }, "job worker stopping");
    void worker.stop(options.drainTimeoutMs);
  };
  process.on("SIGTERM", () => drain("SIGTERM"));
  process.on("SIGINT", () => drain("SIGINT"));
  log.info(
    {
      concurrency: options.concurrency,
      leaseMs: options.leaseMs,
      backend: backend.capabilities.name,
      once: options.once,
    },
    "job worker ready",
  );
  await worker.done;
  await runner.close();
  await backend.close();
  log.info("job worker stopped");
  return 0;
}
