/**
 * A reload under load: keep-alive clients (autocannon) on GET / while the target replaces its workers,
 * counting the requests that fail (non-2xx and socket errors) from the trigger until a second after the
 * reload has finished. fleet reloads on SIGHUP to its primary; pm2 on `pm2 reload <app>`.
 */
import fs from "node:fs";
import autocannon from "autocannon";
import { sleep } from "./load";

export interface ReloadResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
  failed: number;
  /** From the trigger until the reload was seen to be done, ms. */
  reloadMs: number;
  /** Set when the reload did not finish in time or its command failed. */
  problem?: string;
}

/** The child pids of a process, from /proc (Linux). */
export function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Resolves once none of `before` is a child of `primaryPid` any more and it has as many children again,
 * polling every 100 ms; false after timeoutMs.
 */
export async function childrenReplaced(primaryPid: number, before: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = childPids(primaryPid);
    if (now.length >= before.length && !now.some((pid) => before.includes(pid))) return true;
    await sleep(100);
  }
  return false;
}

/**
 * Starts the load, waits warmupMs, runs `reload` (which resolves once the reload is done, or with a
 * problem), keeps the load one more second, then stops it. Bounded by warmupMs + reload's own bound + 1 s.
 */
export async function measureReload(opts: {
  url: string;
  connections: number;
  warmupMs: number;
  reload: () => Promise<string | undefined>;
}): Promise<ReloadResult> {
  let counting = false;
  let requests = 0;
  let non2xx = 0;
  let socketErrors = 0;
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  // The callback form returns the instance (to stop it); 600 s is only a bound, it is stopped far earlier.
  const instance = autocannon({ url: opts.url, connections: opts.connections, pipelining: 1, duration: 600 }, () =>
    resolveDone(),
  );
  instance.on("response", (_client, statusCode) => {
    if (!counting) return;
    requests++;
    if (statusCode < 200 || statusCode >= 300) non2xx++;
  });
  instance.on("reqError", () => {
    if (counting) socketErrors++;
  });
  try {
    await sleep(opts.warmupMs);
    counting = true;
    const started = performance.now();
    const problem = await opts.reload();
    const reloadMs = performance.now() - started;
    await sleep(1_000);
    counting = false;
    return { requests, non2xx, socketErrors, failed: non2xx + socketErrors, reloadMs, problem };
  } finally {
    instance.stop();
    await Promise.race([finished, sleep(3_000)]);
  }
}
