/**
 * npm run bench:jobs [-- --jobs N --samples N --quick --no-bullmq --out bench/results --name jobs]
 *
 * The queue's own overhead, with trivial `sum` jobs (n = 1000) so that nothing but the queue is measured:
 * - throughput: N jobs enqueued one by one, then worked off at concurrency 1 and 16 (the embedded backend
 *   claims in batches of the concurrency), jobs/s from the first claim to the last completion;
 * - latency: enqueue → start with an idle worker in another process (the `-wal` watch wakes it), p50/p99
 *   over --samples jobs sent one at a time;
 * side by side with BullMQ on a local Redis (Debian's redis-server, started here with AOF everysec on a
 * temp dir and a free port, stopped after), same jobs, same concurrency. BullMQ is skipped, with the
 * reason, where redis-server is missing or BullMQ cannot be installed (bench/bullmq.ts). Targets (issue 7): at least BullMQ's jobs/s
 * at equal concurrency; p50 enqueue → start under 1 ms. Writes <out>/<name>.json and .md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { openSqliteBackend } from "../service/jobs/sqlite/backend";
import { sumRange } from "../service/sum";
import { integerFlag, parseOrExit, UsageError, tokenizeFlags } from "../scripts/cli";
import type { StartedMessage } from "./jobs-worker";
import { ensureBullmq, loadBullmq } from "./bullmq";
import { percentile } from "./load";

const ROOT = path.resolve(__dirname, "..");
const JOB_N = 1_000;
const CONCURRENCIES = [1, 16] as const;

const USAGE = `usage: npm run bench:jobs -- [options]
  --jobs N      jobs per throughput run, 100..1000000 (default 20000; --quick 2000)
  --samples N   enqueue → start latency samples, 10..10000 (default 1000; --quick 100)
  --quick       a smoke run of a few seconds
  --no-bullmq   skip the BullMQ comparison
  --out DIR     where to write the results (default bench/results)
  --name NAME   file name stem (default jobs)`;

export interface JobsBenchArgs {
  jobs: number;
  samples: number;
  bullmq: boolean;
  out: string;
  name: string;
}

export function parseJobsBenchArgs(argv: string[]): JobsBenchArgs {
  const values = tokenizeFlags(argv, {
    jobs: { type: "string" },
    samples: { type: "string" },
    quick: { type: "boolean" },
    "no-bullmq": { type: "boolean" },
    out: { type: "string" },
    name: { type: "string" },
  });
  const int = (flag: "jobs" | "samples", fallback: number, min: number, max: number) =>
    integerFlag(flag, values[flag], fallback, min, max);
  const name = values.name ?? "jobs";
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--name must be a file name stem, e.g. --name jobs; got "${name}"`);
  return {
    jobs: int("jobs", values.quick ? 2_000 : 20_000, 100, 1_000_000),
    samples: int("samples", values.quick ? 100 : 1_000, 10, 10_000),
    bullmq: !values["no-bullmq"],
    out: path.resolve(values.out ?? path.join(ROOT, "bench/results")),
    name,
  };
}

const wallMs = () => performance.timeOrigin + performance.now();
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Throughput {
  concurrency: number;
  enqueuePerS: number;
  jobsPerS: number;
}

interface Latency {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface SystemResult {
  throughput: Throughput[];
  latency: Latency;
}

// ---- the embedded backend --------------------------------------------------------------------------

async function sqliteThroughput(dir: string, jobs: number, concurrency: number): Promise<Throughput> {
  const backend = await openSqliteBackend({
    file: path.join(dir, `throughput-${concurrency}.db`),
    resultsDir: path.join(dir, "results"),
  });
  try {
    const t0 = performance.now();
    for (let i = 0; i < jobs; i++) await backend.enqueue({ kind: "sum", input: { n: JOB_N } });
    const t1 = performance.now();
    let done = 0;
    // Bounded: each pass completes at least one job or the run fails below.
    for (let pass = 0; done < jobs && pass <= jobs; pass++) {
      const leases = await backend.claim({ max: concurrency, leaseMs: 30_000, waitMs: 0 });
      if (leases.length === 0) break;
      for (const lease of leases) {
        const { n } = lease.job.input as { n: number };
        if (await backend.complete(lease, { sum: String(sumRange(0, n)) })) done++;
      }
    }
    const t2 = performance.now();
    if (done !== jobs) throw new Error(`sqlite: ${done} of ${jobs} jobs completed`);
    return { concurrency, enqueuePerS: round(jobs / ((t1 - t0) / 1000)), jobsPerS: round(jobs / ((t2 - t1) / 1000)) };
  } finally {
    await backend.close();
  }
}

interface WorkerHandle {
  child: ChildProcess;
  /** Resolves when the worker reports the job started; the report may come before enqueue() returns. */
  started(id: string): Promise<StartedMessage>;
}

function startWorker(args: string[]): Promise<WorkerHandle> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "jobs-worker.ts"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const early = new Map<string, StartedMessage>();
  const waiting = new Map<string, (m: StartedMessage) => void>();
  const started = (id: string) =>
    new Promise<StartedMessage>((resolve) => {
      const m = early.get(id);
      if (m) {
        early.delete(id);
        resolve(m);
      } else waiting.set(id, resolve);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${args[0]} not ready within 30 s`)), 30_000);
    child.once("exit", (code) => reject(new Error(`worker ${args[0]} exited with ${code} before it was ready`)));
    child.on("message", (m: StartedMessage | "ready") => {
      if (m === "ready") {
        clearTimeout(timer);
        resolve({ child, started });
        return;
      }
      const waiter = waiting.get(m.id);
      waiting.delete(m.id);
      if (waiter) waiter(m);
      else early.set(m.id, m);
    });
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.disconnect();
  const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killer);
}

/** Sends one job at a time to an idle worker in another process; enqueue → its start, in ms. */
async function measureLatency(
  samples: number,
  worker: WorkerHandle,
  enqueue: (i: number) => Promise<string>,
): Promise<Latency> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Long enough for the worker to finish the last job and be waiting again: an idle worker.
    await sleep(5);
    const t0 = wallMs();
    const id = await enqueue(i);
    const timeout = sleep(10_000, undefined, { ref: false }).then(() => undefined);
    const m = await Promise.race([worker.started(id), timeout]);
    if (!m) throw new Error(`job ${id} did not start within 10 s`);
    latencies.push(m.startedAtMs - t0);
  }
  return {
    samples,
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
    maxMs: round(Math.max(...latencies), 3),
  };
}

async function benchSqlite(args: JobsBenchArgs, dir: string): Promise<SystemResult> {
  const throughput: Throughput[] = [];
  for (const c of CONCURRENCIES) throughput.push(await sqliteThroughput(dir, args.jobs, c));
  const file = path.join(dir, "latency.db");
  const backend = await openSqliteBackend({ file, resultsDir: path.join(dir, "results") });
  const worker = await startWorker(["sqlite", file, path.join(dir, "results")]);
  try {
    const latency = await measureLatency(args.samples, worker, async (i) => {
      const { job } = await backend.enqueue({ kind: "sum", input: { n: JOB_N, i } });
      return job.id;
    });
    return { throughput, latency };
  } finally {
    await stopWorker(worker.child);
    await backend.close();
  }
}

// ---- BullMQ on Redis -------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, command);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Why BullMQ cannot run here, or undefined when it can (installing it on first use). */
function bullmqMissing(): string | undefined {
  if (!which("redis-server")) return "redis-server is not installed (Debian: apt-get install -y redis-server)";
  return ensureBullmq();
}

async function startRedis(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const data = path.join(dir, "redis");
  fs.mkdirSync(data);
  const child = spawn(
    which("redis-server")!,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      data,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
    ].concat(["--save", "", "--daemonize", "no", "--logfile", ""]),
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) return { port, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not listen on 127.0.0.1:${port}`);
    }
    await sleep(50);
  }
}

async function benchBullmq(args: JobsBenchArgs, dir: string): Promise<SystemResult> {
  const { Queue, Worker } = loadBullmq();
  const redis = await startRedis(dir);
  const connection = { host: "127.0.0.1", port: redis.port };
  try {
    const throughput: Throughput[] = [];
    for (const concurrency of CONCURRENCIES) {
      const name = `throughput-${concurrency}`;
      const queue = new Queue(name, { connection });
      const t0 = performance.now();
      for (let i = 0; i < args.jobs; i++) await queue.add("sum", { n: JOB_N });
      const t1 = performance.now();
      let done = 0;
      let t2 = 0;
      const finished = new Promise<void>((resolve) => {
        const worker = new Worker(name, async (job) => ({ sum: String(sumRange(0, (job.data as { n: number }).n)) }), {
          connection,
          concurrency,
        });
        worker.on("completed", () => {
          if (++done === args.jobs) {
            t2 = performance.now();
            void worker.close().then(() => resolve());
          }
        });
      });
      await Promise.race([
        finished,
        sleep(300_000, undefined, { ref: false }).then(() => Promise.reject(new Error("bullmq: run took > 300 s"))),
      ]);
      await queue.close();
      throughput.push({
        concurrency,
        enqueuePerS: round(args.jobs / ((t1 - t0) / 1000)),
        jobsPerS: round(args.jobs / ((t2 - t1) / 1000)),
      });
    }
    const queueName = "latency";
    const queue = new Queue(queueName, { connection });
    const worker = await startWorker(["bullmq", String(redis.port), queueName]);
    try {
      const latency = await measureLatency(args.samples, worker, async (i) => {
        const job = await queue.add("sum", { n: JOB_N, i });
        return String(job.id);
      });
      return { throughput, latency };
    } finally {
      await stopWorker(worker.child);
      await queue.close();
    }
  } finally {
    await redis.stop();
  }
}

// ---- report ----------------------------------------------------------------------------------------

interface JobsBenchReport {
  date: string;
  machine: { cores: number; cpu: string; node: string; sqlite: string };
  jobs: number;
  jobN: number;
  sqlite: SystemResult;
  bullmq: SystemResult | { skipped: string };
  checks: { name: string; target: string; measured: string; verdict: "PASS" | "MISS" | "n/a" }[];
}

function checks(sqlite: SystemResult, bullmq: SystemResult | { skipped: string }): JobsBenchReport["checks"] {
  const out: JobsBenchReport["checks"] = [];
  for (const s of sqlite.throughput) {
    const b = "throughput" in bullmq ? bullmq.throughput.find((t) => t.concurrency === s.concurrency) : undefined;
    out.push({
      name: `jobs/s at concurrency ${s.concurrency}`,
      target: "≥ BullMQ's",
      measured: b ? `${s.jobsPerS} vs ${b.jobsPerS}` : `${s.jobsPerS} (BullMQ skipped)`,
      verdict: b ? (s.jobsPerS >= b.jobsPerS ? "PASS" : "MISS") : "n/a",
    });
  }
  out.push({
    name: "enqueue → start p50, idle worker in another process",
    target: "< 1 ms",
    measured: `${sqlite.latency.p50Ms} ms`,
    verdict: sqlite.latency.p50Ms < 1 ? "PASS" : "MISS",
  });
  return out;
}

function renderMarkdown(r: JobsBenchReport): string {
  const b = "throughput" in r.bullmq ? r.bullmq : undefined;
  const lines = [
    `# Jobs bench (${r.date})`,
    "",
    `${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, SQLite ${r.machine.sqlite}; ` +
      `${r.jobs} trivial \`sum\` jobs (n = ${r.jobN}) per throughput run. Command: \`npm run bench:jobs\`.`,
    "",
    "| | embedded (SQLite) | BullMQ (Redis, AOF everysec) |",
    "|---|---|---|",
  ];
  for (const s of r.sqlite.throughput) {
    const t = b?.throughput.find((x) => x.concurrency === s.concurrency);
    lines.push(`| jobs/s, concurrency ${s.concurrency} | ${s.jobsPerS} | ${t ? t.jobsPerS : "skipped"} |`);
  }
  const t1 = r.sqlite.throughput[0]!;
  const bt1 = b?.throughput[0];
  lines.push(`| enqueue/s, one at a time | ${t1.enqueuePerS} | ${bt1 ? bt1.enqueuePerS : "skipped"} |`);
  const lat = (l: Latency) => `${l.p50Ms} / ${l.p99Ms} ms`;
  lines.push(
    `| enqueue → start p50 / p99, idle worker | ${lat(r.sqlite.latency)} | ${b ? lat(b.latency) : "skipped"} |`,
  );
  if (!b) lines.push("", `BullMQ skipped: ${(r.bullmq as { skipped: string }).skipped}.`);
  lines.push("", "| check | target | measured | |", "|---|---|---|---|");
  for (const c of r.checks) lines.push(`| ${c.name} | ${c.target} | ${c.measured} | ${c.verdict} |`);
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const args = parseOrExit("bench:jobs", USAGE, parseJobsBenchArgs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-bench-jobs-"));
  try {
    console.log(
      `embedded backend: ${args.jobs} jobs at concurrency ${CONCURRENCIES.join(" and ")}, ${args.samples} latency samples...`,
    );
    const sqlite = await benchSqlite(args, dir);
    let bullmq: SystemResult | { skipped: string };
    const missing = args.bullmq ? bullmqMissing() : "--no-bullmq";
    if (missing) {
      console.log(`BullMQ skipped: ${missing}`);
      bullmq = { skipped: missing };
    } else {
      console.log(`BullMQ on a local redis-server: the same runs...`);
      bullmq = await benchBullmq(args, dir);
    }
    const probe = new DatabaseSync(":memory:");
    const { v } = probe.prepare("SELECT sqlite_version() AS v").get() as { v: string };
    probe.close();
    const report: JobsBenchReport = {
      date: new Date().toISOString(),
      machine: {
        cores: os.availableParallelism(),
        cpu: os.cpus()[0]?.model ?? "?",
        node: process.versions.node,
        sqlite: v,
      },
      jobs: args.jobs,
      jobN: JOB_N,
      sqlite,
      bullmq,
      checks: checks(sqlite, bullmq),
    };
    fs.mkdirSync(args.out, { recursive: true });
    const stem = path.join(args.out, args.name);
    fs.writeFileSync(`${stem}.json`, JSON.stringify(report, null, 2) + "\n");
    const md = renderMarkdown(report);
    fs.writeFileSync(`${stem}.md`, md);
    console.log(md);
    console.log(`wrote ${stem}.json and .md`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench:jobs: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
