/**
 * A job-worker process (FLEET_ROLE=worker, `npm run worker`, or the child that FLEET_ROLE=all starts):
 * the worker loop over a backend and a thread per concurrent job. SIGTERM or SIGINT is the drain: stop
 * claiming, let running jobs finish until WORKER_DRAIN_TIMEOUT_S, give the rest back, exit 0.
 */
import type { Logger } from "pino";
import { ConfigError, integer, type Env } from "../config";
import type { JobBackend } from "./backend";
import os from "node:os";
import { processMemoryLimit, runMemoryBudget } from "./memory-gate";
import { createThreadRunner } from "./runner";
import type { JobSchedule } from "./schedules";
import { ScheduleTicker } from "./ticker";
import { WORKER_DRAIN_TIMEOUT_S, WORKER_SYSTEMD_TIMEOUT_STOP_S } from "./timing";
import { startJobWorker, type JobWorker } from "./worker";

/** Time left after the drain deadline for releasing the leases and exiting, before systemd's SIGKILL. */
const EXIT_MARGIN_S = 10;

export interface WorkerProcessConfig {
  /** WORKER_DRAIN_TIMEOUT_S: on SIGTERM, running jobs get this long to finish before they are given back. */
  drainTimeoutS: number;
  /** `--once`: run until no job is claimable, then exit. */
  once: boolean;
}

export function loadWorkerProcessConfig(env: Env, args: readonly string[]): WorkerProcessConfig {
  const unknown = args.filter((arg) => arg !== "--once");
  if (unknown.length > 0) {
    throw new ConfigError(`unknown argument ${JSON.stringify(unknown[0])}: the only one is --once (job worker)`);
  }
  return {
    drainTimeoutS: integer(
      env,
      "WORKER_DRAIN_TIMEOUT_S",
      WORKER_DRAIN_TIMEOUT_S,
      0,
      WORKER_SYSTEMD_TIMEOUT_STOP_S - EXIT_MARGIN_S,
    ),
    once: args.includes("--once"),
  };
}

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
  /**
   * Another reason to drain than a signal (the AWS fleet's termination hook, a Spot notice): given the drain
   * once, at start. A `deadline` replaces the drain timeout, and the jobs still running at it are handed back
   * uncounted instead of stopped with their attempt counted (Spot: the instance goes, not the job's fault).
   */
  onStart?: (
    drain: (reason: string, deadline?: { timeoutMs: number; atDeadline: "handBack" }) => Promise<void>,
  ) => void;
  /** Awaited once the worker has stopped, before the backend closes (drops the scale-in protection). */
  onStopped?: () => Promise<void>;
  /** JOBS_SCHEDULES: periodic jobs this process enqueues (ticker.ts); with the ticks' catch-up window. */
  schedules?: { list: readonly JobSchedule[]; catchUpWindowMs: number };
  /** The process's exit code once stopped (default 0). */
  exitCode?: () => number;
}

/** Runs until drained (or, with `once`, out of jobs); resolves with the process exit code. */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<number> {
  const { backend, log } = options;
  // The handlers come first: a stop during the warm-up below ends the process cleanly, claiming nothing.
  let worker: JobWorker | undefined;
  let stopReason: string | undefined;
  let warm = () => {};
  const warmed = new Promise<void>((resolve) => (warm = resolve));
  /** Resolves once the worker has drained (at once if it never started). */
  const drain = async (reason: string, deadline?: { timeoutMs: number; atDeadline: "handBack" }): Promise<void> => {
    const drainTimeoutMs = deadline?.timeoutMs ?? options.drainTimeoutMs;
    if (!stopReason) {
      stopReason = reason;
      log.info({ reason, drainTimeoutMs }, "job worker stopping");
    }
    await warmed;
    await worker?.stop(drainTimeoutMs, deadline?.atDeadline);
  };
  /**
   * A signal: the first drains and says what it waits for and for how long at most; a second one (Ctrl-C
   * again) gives the running jobs back at once, uncounted, and lets the process exit.
   */
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals === 1) {
      const running = worker?.running() ?? 0;
      if (running > 0) {
        log.info(
          { running, drainTimeoutMs: options.drainTimeoutMs },
          `waiting up to ${options.drainTimeoutMs / 1000} s for ${running} running job${running === 1 ? "" : "s"} to finish, ` +
            `then stopping ${running === 1 ? "it" : "them"} (the attempt counts); ${signal} again gives ${running === 1 ? "it" : "them"} back now, uncounted`,
        );
      }
      void drain(signal);
    } else {
      log.info({ running: worker?.running() ?? 0 }, `${signal} again: giving the running jobs back now`);
      void warmed.then(() => worker?.handBack());
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Forked by FLEET_ROLE=all's primary: if the primary dies (kill -9), drain rather than live on orphaned.
  if (process.send) process.on("disconnect", () => void drain("the primary exited"));
  options.onStart?.(drain);

  const runner = createThreadRunner(options.concurrency);
  // A job claimed before its thread can run it would hold a lease doing nothing (seconds, on a loaded
  // machine), and die with this process if it is killed meanwhile.
  const warmStartedMs = Date.now();
  await runner.warmUp?.();
  const warmUpMs = Date.now() - warmStartedMs;
  // The runs' memory bound follows the unit's MemoryMax= (the cgroup limit), or the machine's memory.
  const memoryBudgetBytes = runMemoryBudget(processMemoryLimit(process.constrainedMemory(), os.totalmem()));
  if (!stopReason) worker = startJobWorker({ ...options, runner, memoryBudgetBytes });
  const ticker =
    worker && !options.once && options.schedules && options.schedules.list.length > 0
      ? new ScheduleTicker({
          backend,
          log,
          schedules: options.schedules.list,
          catchUpWindowMs: options.schedules.catchUpWindowMs,
        })
      : undefined;
  await ticker?.start().catch((err: unknown) => log.error({ err }, "the schedule ticker could not start"));
  warm();
  if (worker) {
    log.info(
      {
        concurrency: options.concurrency,
        leaseMs: options.leaseMs,
        backend: backend.capabilities.name,
        once: options.once,
        warmUpMs,
        memoryBudgetMB: Math.round(memoryBudgetBytes / 2 ** 20),
      },
      "job worker ready",
    );
    await worker.done;
  }
  await ticker?.stop();
  await options.onStopped?.();
  await runner.close();
  await backend.close();
  log.info("job worker stopped");
  return options.exitCode?.() ?? 0;
}
