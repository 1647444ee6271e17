/**
 * The cluster bootstrap: a primary that keeps N workers on one port, and the drain protocol both sides
 * speak. It knows nothing about routes: a worker is anything that listens and can drain.
 */
import cluster, { type Worker } from "node:cluster";
import type { LogFn, Logger } from "pino";

export interface PrimaryOptions {
  workers: number;
  /** Job-worker processes running beside the web cluster, for the start line only. */
  jobWorkers?: number;
  /** The workers' drain deadline; the primary gives up on them a little after it. */
  shutdownTimeoutMs: number;
  log: Logger;
  /** More unexpected exits than this within crashWindowMs is a crash loop: the primary gives up. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Respawn delay: base × 2^(recent crashes − 1), capped, jittered to 50–100 % of that. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long a replacement may take to listen during a reload before the reload is abandoned. */
  listenTimeoutMs?: number;
  /**
   * On SIGTERM, the longest the workers keep serving (health check failing, connections closing after
   * each response) before they drain, for a load balancer that still routes here; 0 drains at once.
   */
  lingerMaxMs?: number;
}

/** What the primary sends a worker that should stop taking work and exit once its requests are done. */
export const DRAIN_MESSAGE = { type: "fleet:drain" } as const;

/**
 * What the primary sends on SIGTERM: fail the health check, close each connection after its response, but
 * keep serving, and report QUIET once no request has come for the quiet period (TRAFFIC if one comes
 * after that). Quiet is observed in the workers: the primary accepts connections but never sees a request,
 * and with Connection: close every next request comes on a new connection, to any worker; so the primary
 * drains once every worker is quiet at the same time.
 */
export const LINGER_MESSAGE = { type: "fleet:linger" } as const;
export const QUIET_MESSAGE = { type: "fleet:quiet" } as const;
export const TRAFFIC_MESSAGE = { type: "fleet:traffic" } as const;

/** Extra time the primary gives workers beyond their own deadline before it SIGKILLs them. */
export const PRIMARY_GRACE_MS = 2_000;

interface Tracked {
  worker: Worker;
  listening: boolean;
  /** Told to drain on purpose (reload): its exit is expected. */
  retiring: boolean;
  /** Forked by a reload: dying before it listens abandons the reload instead of the service. */
  replacement: boolean;
  /** While lingering: it has seen no request for the quiet period. */
  quiet: boolean;
}

/** base × 2^(crashes − 1), capped at maxMs, then jittered down to between half and all of it. */
export function backoffDelay(crashes: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, crashes - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** The crash-loop breaker's limits: more than maxCrashes unexpected exits within crashWindowMs. */
export interface CrashLimits {
  maxCrashes: number;
  crashWindowMs: number;
}

/**
 * The crash-loop breaker's decision on an unexpected exit at `nowMs`, given the earlier crash times in the
 * order they came: the crashes that still count (this one and those less than crashWindowMs ago; one exactly
 * crashWindowMs ago has left the window), and whether they make a crash loop (more than maxCrashes), where
 * respawning would only repeat the crash. Pure, so the boundaries are tested without forking a process.
 */
export function crashVerdict(
  earlierMs: readonly number[],
  nowMs: number,
  { maxCrashes, crashWindowMs }: CrashLimits,
): { recentMs: number[]; crashLoop: boolean } {
  const all = [...earlierMs, nowMs];
  // The oldest crashes leave first: drop the longest prefix at or before the window's start (a clock that
  // stepped back keeps a later entry, as it always did).
  const first = all.findIndex((t) => t > nowMs - crashWindowMs);
  const recentMs = first === -1 ? [] : all.slice(first);
  return { recentMs, crashLoop: recentMs.length > maxCrashes };
}

/**
 * The line that says the service is up and where to go: `fleet listening on http://localhost:3000 (2 web
 * workers, 1 job worker)`. All interfaces (0.0.0.0, ::, or no address) read as localhost, the address a
 * person on this machine types.
 */
export function startLine(address: string | null | undefined, port: number, webWorkers: number, jobWorkers: number) {
  const any = !address || address === "0.0.0.0" || address === "::";
  const host = any ? "localhost" : address.includes(":") ? `[${address}]` : address;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const jobs = jobWorkers > 0 ? `, ${plural(jobWorkers, "job worker")}` : "";
  return `fleet listening on http://${host}:${port} (${plural(webWorkers, "web worker")}${jobs})`;
}

/**
 * Runs the primary until it has shut down; resolves with the process exit code: 0 after a clean drain,
 * 1 after a crash loop, a start-up failure or a drain that hit its deadline.
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const {
    workers: size,
    shutdownTimeoutMs,
    log,
    maxCrashes = 5,
    crashWindowMs = 60_000,
    backoffBaseMs = 100,
    backoffMaxMs = 10_000,
    listenTimeoutMs = 30_000,
    lingerMaxMs = 0,
  } = options;
  const tracked = new Map<number, Tracked>();
  let crashes: number[] = [];
  const respawns = new Set<NodeJS.Timeout>();
  let shuttingDown = false;
  /** Set while lingering: ends it (drains now); undefined once the drain has started. */
  let endLinger: ((why: string) => void) | undefined;
  let reloading = false;
  let exitCode = 0;
  let ready = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  function fork(replacement = false): Tracked {
    const state: Tracked = { worker: cluster.fork(), listening: false, retiring: false, replacement, quiet: false };
    tracked.set(state.worker.id, state);
    state.worker.on("listening", (address) => {
      state.listening = true;
      log.info(
        { worker: state.worker.id, workerPid: state.worker.process.pid, port: address.port },
        "worker listening",
      );
      if (!ready && [...tracked.values()].filter((s) => s.listening).length === size) {
        ready = true;
        log.info(
          { workers: size, address: address.address, port: address.port },
          startLine(address.address, address.port, size, options.jobWorkers ?? 0),
        );
      }
    });
    state.worker.on("exit", (code, signal) => onExit(state, code, signal));
    state.worker.on("message", (message: unknown) => {
      const type = (message as { type?: unknown } | null)?.type;
      if (type === QUIET_MESSAGE.type) state.quiet = true;
      else if (type === TRAFFIC_MESSAGE.type) state.quiet = false;
      else return;
      if (endLinger && [...tracked.values()].every((s) => s.quiet)) endLinger("every worker quiet");
    });
    // A send on a channel that closed under us is reported here; the exit that follows is handled above.
    state.worker.on("error", (err) => log.warn({ worker: state.worker.id, err }, "worker channel error"));
    return state;
  }

  function onExit(state: Tracked, code: number | null, signal: string | null): void {
    tracked.delete(state.worker.id);
    const who = { worker: state.worker.id, workerPid: state.worker.process.pid, code, signal };
    if (shuttingDown) {
      if (code !== 0) exitCode = 1;
      log.info(who, "worker exited during shutdown");
      if (tracked.size === 0) finish(exitCode);
      else if (endLinger && [...tracked.values()].every((s) => s.quiet)) endLinger("every worker quiet");
      return;
    }
    if (state.retiring) {
      log.info(who, "worker retired");
      return;
    }
    if (state.replacement && !state.listening) return; // the reload that forked it reports it
    if (!state.listening && !ready) {
      fatal(who, "worker exited before it listened: a start-up failure that respawning would only repeat");
      return;
    }
    // From here on a death (even of a respawn that never listened) is a crash: backoff, and the
    // crash-loop breaker below if they keep coming.
    const verdict = crashVerdict(crashes, Date.now(), { maxCrashes, crashWindowMs });
    crashes = verdict.recentMs;
    if (verdict.crashLoop) {
      fatal(
        { ...who, crashes: crashes.length, windowMs: crashWindowMs },
        "crash loop: too many unexpected worker exits",
      );
      return;
    }
    const delayMs = backoffDelay(crashes.length, backoffBaseMs, backoffMaxMs);
    log.warn({ ...who, recentCrashes: crashes.length, respawnInMs: delayMs }, "worker died unexpectedly; respawning");
    const timer = setTimeout(() => {
      respawns.delete(timer);
      fork();
    }, delayMs);
    respawns.add(timer);
  }

  function fatal(details: object, reason: string): void {
    log.fatal(details, `${reason}; shutting down so that systemd or the Auto Scaling Group replaces this instance`);
    shutdown("fatal", 1);
  }

  function drain(state: Tracked): void {
    const signal = () => state.worker.process.kill("SIGTERM");
    if (state.worker.isConnected()) state.worker.send(DRAIN_MESSAGE, (err: Error | null) => err && signal());
    else signal();
  }

  function shutdown(reason: string, code = 0, lingerMs = 0): void {
    if (shuttingDown) {
      // A second signal while lingering (an operator insisting): drain now.
      if (endLinger) endLinger(`${reason} again`);
      else log.info({ reason }, "already draining");
      return;
    }
    shuttingDown = true;
    exitCode = code;
    for (const timer of respawns) clearTimeout(timer);
    respawns.clear();
    if (lingerMs > 0 && tracked.size > 0) {
      log.info(
        { reason, workers: tracked.size, lingerMaxMs: lingerMs },
        "lingering until the load balancer stops sending",
      );
      const started = Date.now();
      const timer = setTimeout(() => endLinger?.("health-check window passed"), lingerMs);
      endLinger = (why) => {
        clearTimeout(timer);
        endLinger = undefined;
        log.info({ why, lingeredMs: Date.now() - started }, "linger over");
        startDrain(reason);
      };
      for (const state of tracked.values()) send(state, LINGER_MESSAGE);
      return;
    }
    startDrain(reason);
  }

  function send(state: Tracked, message: object): void {
    if (state.worker.isConnected()) state.worker.send(message, () => {});
  }

  function startDrain(reason: string): void {
    log.info({ reason, workers: tracked.size, deadlineMs: shutdownTimeoutMs }, "draining");
    if (tracked.size === 0) {
      finish(exitCode);
      return;
    }
    for (const state of tracked.values()) drain(state);
    setTimeout(() => {
      log.error({ stragglers: tracked.size }, "drain deadline passed; killing the remaining workers");
      for (const state of tracked.values()) state.worker.process.kill("SIGKILL");
      finish(1);
    }, shutdownTimeoutMs + PRIMARY_GRACE_MS).unref();
  }

  /** Resolves true once the worker listens, false if it exits or the timeout passes first. */
  function listened(state: Tracked): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        state.worker.process.kill("SIGKILL");
        resolve(false);
      }, listenTimeoutMs);
      state.worker.once("listening", () => (clearTimeout(timer), resolve(true)));
      state.worker.once("exit", () => (clearTimeout(timer), resolve(false)));
    });
  }

  /** One worker at a time: the replacement listens before the old one drains, so capacity never drops. */
  async function reload(): Promise<void> {
    if (reloading || shuttingDown) {
      log.warn({ reloading, shuttingDown }, "reload ignored");
      return;
    }
    reloading = true;
    const old = [...tracked.values()].filter((s) => !s.replacement || s.listening);
    log.info({ workers: old.length }, "rolling reload");
    for (const state of old) {
      if (shuttingDown) break;
      if (!tracked.has(state.worker.id)) continue; // it died meanwhile and was respawned already
      const replacement = fork(true);
      if (!(await listened(replacement))) {
        log.error(
          { worker: replacement.worker.id },
          "reload abandoned: the new worker did not listen; the old workers keep serving",
        );
        break;
      }
      replacement.replacement = false;
      if (!tracked.has(state.worker.id)) {
        // The old worker crashed while its replacement started, and a respawn was scheduled for it:
        // the replacement takes its place, else the group would end one worker too many.
        const respawn = respawns.values().next().value;
        if (respawn) {
          clearTimeout(respawn);
          respawns.delete(respawn);
        } else {
          replacement.retiring = true;
          drain(replacement);
        }
        continue;
      }
      state.retiring = true;
      drain(state);
      await new Promise((resolve) =>
        tracked.has(state.worker.id) ? state.worker.once("exit", resolve) : resolve(null),
      );
    }
    reloading = false;
    log.info({ workers: tracked.size }, "reload finished");
  }

  // SIGTERM may come while a load balancer still routes here (systemctl restart, a reboot, Spot): linger.
  // SIGINT is a terminal's Ctrl-C, which reached the workers too: drain at once.
  process.on("SIGTERM", () => shutdown("SIGTERM", 0, lingerMaxMs));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => void reload());
  log.info({ workers: size }, "primary starting");
  for (let i = 0; i < size; i++) fork();
  return done;
}

/** What a worker does while it lingers: the app's part (health check, connections, what counts as traffic). */
export interface Linger {
  /** Fail the health check and close each connection after its response, but keep serving. */
  begin(): void;
  /** Call `listener` on every request that is traffic (not the load balancer's health checks). */
  onTraffic(listener: () => void): void;
  /** No traffic for this long, ms, is quiet. */
  quietMs: number;
}

/**
 * The worker's half of the protocol: linger on the primary's LINGER_MESSAGE (when `linger` is given),
 * drain on its DRAIN_MESSAGE, or on SIGTERM/SIGINT sent to the worker itself (a terminal's Ctrl-C
 * reaches the whole process group). Exits 0 after a clean drain and 1 when the deadline cuts it short.
 */
export function drainOnRequest(
  drain: () => Promise<void>,
  shutdownTimeoutMs: number,
  log: { info: LogFn; error: LogFn },
  linger?: Linger,
): void {
  let draining = false;
  let lingering = false;
  let quietTimer: NodeJS.Timeout | undefined;
  const start = (reason: string) => {
    if (draining) return;
    draining = true;
    clearTimeout(quietTimer);
    log.info({ reason, deadlineMs: shutdownTimeoutMs }, "worker draining");
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: shutdownTimeoutMs }, "drain deadline passed; exiting with requests still open");
      process.exit(1);
    }, shutdownTimeoutMs);
    drain().then(
      () => {
        clearTimeout(deadline);
        log.info("worker drained");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      },
    );
  };
  const beginLinger = (lingerHooks: Linger) => {
    if (lingering || draining) return;
    lingering = true;
    lingerHooks.begin();
    // The quiet period counts from the linger's start, not from the last request before it: the load
    // balancer has only just been told.
    let lastTrafficAt = performance.now();
    let quiet = false;
    const check = () => {
      const idleMs = performance.now() - lastTrafficAt;
      if (idleMs >= lingerHooks.quietMs) {
        quiet = true;
        quietTimer = undefined;
        process.send?.(QUIET_MESSAGE);
      } else quietTimer = setTimeout(check, lingerHooks.quietMs - idleMs);
    };
    lingerHooks.onTraffic(() => {
      lastTrafficAt = performance.now();
      if (!quiet || draining) return;
      quiet = false;
      process.send?.(TRAFFIC_MESSAGE);
      quietTimer = setTimeout(check, lingerHooks.quietMs);
    });
    log.info({ quietMs: lingerHooks.quietMs }, "worker lingering");
    quietTimer = setTimeout(check, lingerHooks.quietMs);
  };
  process.on("message", (message: unknown) => {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === DRAIN_MESSAGE.type) start("primary");
    else if (type === LINGER_MESSAGE.type && linger) beginLinger(linger);
  });
  process.on("SIGTERM", () => start("SIGTERM"));
  process.on("SIGINT", () => start("SIGINT"));
}
