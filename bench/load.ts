/**
 * Load-test plumbing shared by bench/bench.ts and scripts/capacity.ts: start a server as a child process
 * on a free loopback port and stop it (and its whole process tree) afterwards, sum the RSS of that tree,
 * drive it with autocannon, and probe one path's latency while other requests saturate the CPU.
 * Everything here talks to 127.0.0.1 only and is bounded in time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import autocannon from "autocannon";
import { cpuTimes } from "./proc-stat";

/** A port that nothing listens on right now (the kernel's pick), on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface GetResult {
  /** HTTP status, or 0 when the request failed (timeout, refused, reset). */
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
  error?: string;
}

/** One GET with a hard timeout; never rejects. */
export function httpGet(url: string, timeoutMs: number, agent: http.Agent | false = false): Promise<GetResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<GetResult, "ms">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: performance.now() - start });
    };
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (err) => finish({ status: 0, headers: {}, body: "", error: err.message }));
    });
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, body: "", error: `timeout after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on("error", (err) => finish({ status: 0, headers: {}, body: "", error: err.message }));
  });
}

/** How to start one server under test. */
export interface TargetSpec {
  /** Short id, e.g. "fleet". */
  id: string;
  /** What it is, for the report. */
  label: string;
  command: string;
  args: string[];
  /** Added to the environment; PORT and HOST are set by startTarget. */
  env: Record<string, string>;
  /** Path that answers 200 once the server is ready. */
  readyPath: string;
  cwd?: string;
}

export interface RunningTarget {
  spec: TargetSpec;
  port: number;
  pid: number;
  baseUrl: string;
  /** SIGTERM, wait up to graceMs for the primary to exit, then SIGKILL the whole process group. */
  stop(graceMs?: number): Promise<{ exitCode: number | null; signal: string | null; killed: boolean }>;
  /** The last few KB the server wrote to stderr. */
  stderrTail(): string;
}

const running = new Set<ChildProcess>();

/** Last resort on exit: kill the process groups we started and have not stopped. */
function killAllSync(): void {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}
let handlersInstalled = false;
/** On the first start: kill what is left on exit, and on Ctrl-C / SIGTERM before exiting. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllSync);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      killAllSync();
      process.exit(130);
    });
  }
}

/** Starts a target on a free port in its own process group and waits until readyPath answers 200. */
export async function startTarget(spec: TargetSpec, readyTimeoutMs = 20_000): Promise<RunningTarget> {
  installExitHandlers();
  const port = await freePort();
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true, // own process group, so stop() can kill the primary's workers too
  });
  running.add(child);
  let tail = "";
  child.stderr!.on("data", (c: Buffer) => {
    tail = (tail + c.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (exitCode, signal) => {
      resolve({ exitCode, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const target: RunningTarget = {
    spec,
    port,
    pid: child.pid!,
    baseUrl,
    stderrTail: () => tail,
    async stop(graceMs = 5_000) {
      let killed = false;
      if (!hasExited) {
        try {
          child.kill("SIGTERM");
        } catch {
          // gone already
        }
        const result = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
        if (!result) killed = true;
      }
      try {
        process.kill(-child.pid!, "SIGKILL"); // the workers, whether or not the primary left them behind
      } catch {
        // the group is empty
      }
      running.delete(child);
      const { exitCode, signal } = await Promise.race([
        exited,
        sleep(2_000).then(() => ({ exitCode: null, signal: "SIGKILL" })),
      ]);
      return { exitCode, signal, killed };
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) {
      await target.stop();
      throw new Error(`${spec.id} exited before it was ready: ${tail.trim().slice(-1500)}`);
    }
    const r = await httpGet(baseUrl + spec.readyPath, 1_000);
    if (r.status === 200) return target;
    await sleep(100);
  }
  await target.stop();
  throw new Error(
    `${spec.id} did not answer 200 on ${spec.readyPath} within ${readyTimeoutMs} ms: ${tail.trim().slice(-1500)}`,
  );
}

/** Parent pid of every process, from /proc/<pid>/stat. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  return children;
}

/** The pids of a process and all its descendants. */
export function processTree(rootPid: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU time (user + system, jiffies) used so far by the live processes of a tree, all their threads. */
export function processTreeCpu(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += Number(f[11]) + Number(f[12]); // utime, stime: fields 14 and 15 of stat(5)
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Sum of VmRSS over a process tree, bytes (threads share their process's RSS, so they count once). */
export function processTreeRss(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Samples a process tree's RSS every intervalMs until stopped; reports the peak. */
export function sampleRss(rootPid: number, intervalMs = 250): { stop(): number } {
  let peak = processTreeRss(rootPid);
  const timer = setInterval(() => {
    peak = Math.max(peak, processTreeRss(rootPid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, processTreeRss(rootPid));
    },
  };
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** non2xx + socketErrors */
  errors: number;
  durationS: number;
  peakRssBytes: number;
  /**
   * Share of the machine's CPU time, 0..1, used during the measurement by processes other than this one
   * (the load generator) and the target's tree: someone else's load on a shared machine.
   */
  othersCpuShare: number;
  /**
   * CPU time the target's process tree spent per answered request, µs (jiffy resolution: 10 ms over the
   * whole measurement). Unlike req/s it does not depend on how fast the load generator is: on a machine
   * of its own, a target serves about 1 / this per core-second.
   */
  serverCpuUsPerRequest: number;
}

/**
 * Closed-loop load with autocannon (as a library, no pipelining: an ALB does not pipeline), bounded by
 * durationS. An optional warm-up of warmupS first, whose numbers are thrown away. Samples the RSS of the
 * target's process tree throughout.
 */
export async function runLoad(opts: {
  url: string;
  connections: number;
  durationS: number;
  warmupS?: number;
  rssPid?: number;
}): Promise<LoadResult> {
  if (opts.warmupS && opts.warmupS > 0) {
    await autocannon({ url: opts.url, connections: opts.connections, duration: opts.warmupS, pipelining: 1 });
  }
  const rss = opts.rssPid ? sampleRss(opts.rssPid) : undefined;
  const cpu0 = cpuTimes();
  const own0 = process.cpuUsage();
  const tree0 = opts.rssPid ? processTreeCpu(opts.rssPid) : 0;
  let result: autocannon.Result;
  let peak = 0;
  try {
    result = await autocannon({
      url: opts.url,
      connections: opts.connections,
      duration: opts.durationS,
      pipelining: 1,
    });
  } finally {
    peak = rss?.stop() ?? 0;
  }
  const tree = opts.rssPid ? processTreeCpu(opts.rssPid) - tree0 : 0;
  const own = process.cpuUsage(own0);
  const cpu1 = cpuTimes();
  const others = cpu1.busy - cpu0.busy - tree - (own.user + own.system) / 10_000;
  const socketErrors = result.errors;
  return {
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    socketErrors,
    errors: result.non2xx + socketErrors,
    durationS: result.duration,
    peakRssBytes: peak,
    othersCpuShare: Math.max(0, others / Math.max(1, cpu1.total - cpu0.total)),
    serverCpuUsPerRequest: opts.rssPid && result.requests.total > 0 ? (tree * 10_000) / result.requests.total : NaN,
  };
}

/** Nearest-rank percentile of unsorted numbers; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface ProbeResult {
  path: string;
  samples: number;
  ok: number;
  failures: number;
  /** Latency percentiles over every sample, a failed one counting as the time it took to fail. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Share of all CPU time busy on the machine during the sampling, 0..1. */
  cpuBusy: number;
  load: { path: string; concurrency: number; completed: number; byStatus: Record<string, number> };
  peakRssBytes: number;
}

/**
 * Keeps `concurrency` GET loadPath requests in flight (each connection re-asks as soon as it is answered,
 * after a 100 ms pause on a non-200 such as 503, so a rejecting server is not hammered in a tight loop),
 * lets the CPU saturate for settleMs, then fires GET probePath every intervalMs for sampleMs, each on a
 * new connection with a timeout of probeTimeoutMs (open loop: a slow answer does not delay the next
 * probe). Stops every load request at the end. Bounded by settleMs + sampleMs + probeTimeoutMs.
 */
export async function probeUnderLoad(opts: {
  baseUrl: string;
  loadPath: string;
  concurrency: number;
  probePath: string;
  sampleMs: number;
  intervalMs: number;
  probeTimeoutMs: number;
  settleMs: number;
  rssPid?: number;
}): Promise<ProbeResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  let stopped = false;
  let completed = 0;
  const byStatus: Record<string, number> = {};
  const loaders = Array.from({ length: opts.concurrency }, async () => {
    while (!stopped) {
      const r = await httpGet(
        opts.baseUrl + opts.loadPath,
        opts.settleMs + opts.sampleMs + opts.probeTimeoutMs + 5_000,
        agent,
      );
      if (stopped) break;
      completed++;
      const key = r.status ? String(r.status) : "error";
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      if (r.status !== 200) await sleep(100);
    }
  });
  const rss = opts.rssPid ? sampleRss(opts.rssPid) : undefined;
  try {
    await sleep(opts.settleMs);
    const cpu0 = cpuTimes();
    const probes: Promise<GetResult>[] = [];
    const start = Date.now();
    while (Date.now() - start < opts.sampleMs) {
      probes.push(httpGet(opts.baseUrl + opts.probePath, opts.probeTimeoutMs));
      await sleep(opts.intervalMs);
    }
    const cpu1 = cpuTimes();
    const results = await Promise.all(probes);
    const latencies = results.map((r) => r.ms);
    const ok = results.filter((r) => r.status === 200).length;
    return {
      path: opts.probePath,
      samples: results.length,
      ok,
      failures: results.length - ok,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      cpuBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total),
      load: { path: opts.loadPath, concurrency: opts.concurrency, completed, byStatus },
      peakRssBytes: rss?.stop() ?? 0,
    };
  } finally {
    stopped = true;
    rss?.stop();
    agent.destroy(); // aborts the load requests still in flight
    await Promise.race([Promise.all(loaders), sleep(2_000)]);
  }
}
