/**
 * With FLEET_ROLE=all the cluster primary also keeps one job-worker process, a child of its own (not a
 * cluster worker: it serves no port), the way it keeps its web workers: respawned with the jittered
 * backoff after an unexpected exit, given up on after a crash loop, drained with the rest on SIGTERM, and
 * replaced on SIGHUP as the web workers are (a new child first, then the old one drained), so a kind added
 * by a rebuild is taken without a restart.
 * service/cluster.ts stays route-agnostic: this file is all it takes to add the worker.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import { backoffDelay, crashVerdict } from "../cluster";

export interface SupervisorOptions {
  /** The script the child runs (main.js) and its environment (FLEET_ROLE=worker). */
  script: string;
  env: NodeJS.ProcessEnv;
  args?: string[];
  log: Logger;
  /** The child's own drain deadline; past it and a grace period, the supervisor SIGKILLs it. */
  drainTimeoutMs: number;
  maxCrashes?: number;
  crashWindowMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Beyond the child's deadline, time for it to release its leases and exit. */
const GRACE_MS = 5_000;

export interface Supervisor {
  /** Resolves with an exit code once the child has stopped for good: 0 after a clean drain. */
  done: Promise<number>;
  /** Drains the child (as SIGTERM does): the primary calls it when the web cluster stops on its own. */
  stop(reason: string): void;
  /** Starts a fresh child and drains the old one (as SIGHUP does). */
  reload(): void;
}

export function superviseJobWorker(options: SupervisorOptions): Supervisor {
  const { log, maxCrashes = 5, crashWindowMs = 60_000, backoffBaseMs = 100, backoffMaxMs = 10_000 } = options;
  let crashes: number[] = [];
  let child: ChildProcess | undefined;
  /** Children replaced by a reload, draining: their exit is neither a crash nor the end. */
  const retiring = new Set<ChildProcess>();
  let respawn: NodeJS.Timeout | undefined;
  let stopping = false;
  let exitCode = 0;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  function start(): void {
    const proc = fork(options.script, options.args ?? [], { env: options.env, stdio: "inherit" });
    child = proc;
    log.info({ jobWorkerPid: proc.pid }, "job worker process started");
    proc.on("exit", (code, signal) => {
      const who = { jobWorkerPid: proc.pid, code, signal };
      if (retiring.delete(proc)) {
        log.info(who, "replaced job worker process exited");
        return;
      }
      child = undefined;
      if (stopping) {
        if (code !== 0) exitCode = 1;
        log.info(who, "job worker process exited during shutdown");
        finish(exitCode);
        return;
      }
      const verdict = crashVerdict(crashes, Date.now(), { maxCrashes, crashWindowMs });
      crashes = verdict.recentMs;
      if (verdict.crashLoop) {
        log.fatal(
          { ...who, crashes: crashes.length },
          "job worker crash loop; shutting down so that systemd or the Auto Scaling Group replaces this instance",
        );
        exitCode = 1;
        stopping = true;
        finish(1);
        // The web workers drain too: the primary's own SIGTERM handler does it.
        process.kill(process.pid, "SIGTERM");
        return;
      }
      const delayMs = backoffDelay(crashes.length, backoffBaseMs, backoffMaxMs);
      log.warn(
        { ...who, recentCrashes: crashes.length, respawnInMs: delayMs },
        "job worker died unexpectedly; respawning",
      );
      respawn = setTimeout(start, delayMs);
    });
  }

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    if (respawn) clearTimeout(respawn);
    if (!child) {
      finish(exitCode);
      return;
    }
    log.info({ reason, jobWorkerPid: child.pid }, "draining the job worker");
    child.kill("SIGTERM");
    const victim = child;
    setTimeout(() => {
      if (victim.exitCode === null && victim.signalCode === null) {
        log.error({ jobWorkerPid: victim.pid }, "job worker drain deadline passed; killing it");
        victim.kill("SIGKILL");
      }
    }, options.drainTimeoutMs + GRACE_MS).unref();
  }

  function reload(): void {
    if (stopping || !child) return;
    const old = child;
    retiring.add(old);
    log.info({ jobWorkerPid: old.pid }, "reloading the job worker: a new process, then the old one drains");
    start();
    old.kill("SIGTERM");
  }

  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  const onHup = () => reload();
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  process.on("SIGHUP", onHup);
  void done.then(() => {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    process.off("SIGHUP", onHup);
  });
  start();
  return { done, stop, reload };
}
