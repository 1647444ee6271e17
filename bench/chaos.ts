/**
 * npm run chaos [-- --jobs 1000 --workers 3 --concurrency 2 --n 20000000 --kill-every-s 1 --lease-s 2
 *                  --timeout-s 300 --no-baseline --out bench/results --name chaos]
 *
 * The chaos run of issue 7: enqueues --jobs `sum` jobs, runs --workers job-worker processes (the compiled
 * service, FLEET_ROLE=worker), and SIGKILLs one of them at random about every --kill-every-s seconds,
 * starting a replacement at once. Then it reports:
 * - completed: jobs that ended `succeeded` with the exact sum of their own n (every job has its own n);
 * - dead-lettered: jobs that ended `failed` (a `sum` fails only when every one of its JOBS_MAX_ATTEMPTS
 *   attempts was killed: a killed attempt counts, as an SQS receive does): visible with their error and
 *   retryable by an operator (`npm run jobs -- retry`), so not lost, but reported;
 * - lost: jobs that did neither: still queued or running at --timeout-s, or gone;
 * - duplicated: jobs committed more than once. Every worker logs "job succeeded" exactly when its guarded
 *   complete() committed (a stale attempt logs "job result discarded" instead); the bench reads every
 *   worker's stdout and counts those lines per job. A job succeeded in the backend with no such line was
 *   committed by a worker killed before it could write the line; it is counted apart, never as a duplicate.
 * The same jobs run first without kills (unless --no-baseline), for the time to compare.
 *
 * The backend is the service's: JOBS_BACKEND and its settings from the environment (JOBS_BACKEND=aws with
 * the emulators' endpoints runs it on SQS + DynamoDB + S3). With the default sqlite backend each run gets a
 * fresh JOBS_DB in a temp dir unless JOBS_DB is set.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseOrExit, UsageError, tokenizeFlags } from "../scripts/cli";
import type { JobBackend } from "../service/jobs/backend";
import { openBackend } from "../service/jobs/open-backend";
import { JOB_LOG } from "../service/jobs/worker";
import { expectedSum } from "../service/sum";

const ROOT = path.resolve(__dirname, "..");
const MAIN = path.join(ROOT, "dist/service/main.js");

/** Unfinished jobs a completion check reads per round before it waits for the next. */
const POLL_OPEN_PER_ROUND = 20;

const USAGE = `usage: npm run chaos -- [options]
  --jobs N            jobs to run (default 1000)
  --workers N         worker processes (default 3)
  --concurrency N     WORKER_CONCURRENCY of each (default 2)
  --n N               each job sums 0..N+i, i its index (default 20000000: ~25 ms on one core)
  --kill-every-s S    mean seconds between SIGKILLs, jittered ±50 % (default 1)
  --lease-s S         JOBS_VISIBILITY_TIMEOUT_S: how soon a killed worker's jobs are taken again (default 2)
  --max-attempts N    JOBS_MAX_ATTEMPTS (default: the environment's, else the service's 3)
  --timeout-s S       give up on the run after this long; unfinished jobs count as lost (default 300)
  --no-baseline       skip the run without kills
  --out DIR           where to write <name>.json and <name>.md (default bench/results)
  --name NAME         file name stem (default chaos)`;

export interface ChaosArgs {
  jobs: number;
  workers: number;
  concurrency: number;
  n: number;
  killEveryS: number;
  leaseS: number;
  maxAttempts: number | undefined;
  timeoutS: number;
  baseline: boolean;
  out: string;
  name: string;
}

export function parseChaosArgs(argv: string[]): ChaosArgs {
  const values = tokenizeFlags(argv, {
    jobs: { type: "string" },
    workers: { type: "string" },
    concurrency: { type: "string" },
    n: { type: "string" },
    "kill-every-s": { type: "string" },
    "lease-s": { type: "string" },
    "max-attempts": { type: "string" },
    "timeout-s": { type: "string" },
    "no-baseline": { type: "boolean" },
    out: { type: "string" },
    name: { type: "string" },
  });
  const number = (flag: string, raw: string | undefined, fallback: number, min: number, max: number, int = true) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (int && !Number.isInteger(value))) {
      throw new UsageError(`--${flag} must be ${int ? "an integer" : "a number"} from ${min} to ${max}; got ${raw}`);
    }
    return value;
  };
  const name = values.name ?? "chaos";
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--name must be a file name stem like chaos; got ${name}`);
  return {
    jobs: number("jobs", values.jobs, 1000, 1, 1_000_000),
    workers: number("workers", values.workers, 3, 2, 64),
    concurrency: number("concurrency", values.concurrency, 2, 1, 64),
    n: number("n", values.n, 20_000_000, 0, 1e10),
    killEveryS: number("kill-every-s", values["kill-every-s"], 1, 0.1, 3600, false),
    leaseS: number("lease-s", values["lease-s"], 2, 1, 43_200),
    maxAttempts:
      values["max-attempts"] === undefined ? undefined : number("max-attempts", values["max-attempts"], 3, 1, 100),
    timeoutS: number("timeout-s", values["timeout-s"], 300, 1, 86_400),
    baseline: !values["no-baseline"],
    out: values.out ?? path.join(ROOT, "bench/results"),
    name,
  };
}

interface WorkerProc {
  proc: ChildProcess;
  exited: Promise<void>;
  /** It has logged "job worker ready": a kill now can hit jobs, not a process still loading. */
  ready: boolean;
  spawnedMs: number;
}

export interface RunReport {
  kills: boolean;
  seconds: number;
  sigkills: number;
  completed: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
  wrongResult: number;
  /** Succeeded in the backend, but the worker that committed it was killed before it logged it. */
  committedUnlogged: number;
  /** Stale completes the guard refused (a killed-and-redelivered job's older attempt). */
  discarded: number;
  attemptsHistogram: Record<string, number>;
  lostIds: string[];
  /** Mean ms from spawn to "job worker ready": what each kill costs before its replacement works. */
  meanStartupMs: number;
}

async function runOnce(args: ChaosArgs, kills: boolean): Promise<RunReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-chaos-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLEET_ROLE: "worker",
    WORKER_CONCURRENCY: String(args.concurrency),
    JOBS_VISIBILITY_TIMEOUT_S: String(args.leaseS),
    ...(args.maxAttempts === undefined ? {} : { JOBS_MAX_ATTEMPTS: String(args.maxAttempts) }),
    LOG_LEVEL: "info",
  };
  if ((env.JOBS_BACKEND ?? "sqlite") === "sqlite" && !process.env.JOBS_DB) {
    env.JOBS_DB = path.join(dir, "jobs.db");
    env.JOBS_RESULTS_DIR = path.join(dir, "results");
  }
  const backend: JobBackend = await openBackend(env as Record<string, string | undefined>);
  const ids: string[] = [];
  const nOf = new Map<string, number>();
  for (let i = 0; i < args.jobs; i++) {
    const n = args.n + i;
    const { job } = await backend.enqueue({ kind: "sum", input: { n } });
    ids.push(job.id);
    nOf.set(job.id, n);
  }

  // Every "job succeeded" line, from every worker that ever ran: the commits.
  const commits = new Map<string, number>();
  let discarded = 0;
  const startupsMs: number[] = [];
  const live = new Set<WorkerProc>();
  const spawnWorker = (): WorkerProc => {
    const proc = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "inherit"] });
    let buffered = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const part of parts) {
        if (!part.startsWith("{")) continue;
        const line = JSON.parse(part) as { msg: string; jobId?: string };
        if (line.msg === "job worker ready" && !worker.ready) {
          worker.ready = true;
          startupsMs.push(Date.now() - worker.spawnedMs);
        }
        if (line.msg === JOB_LOG.succeeded && line.jobId) commits.set(line.jobId, (commits.get(line.jobId) ?? 0) + 1);
        if (line.msg === JOB_LOG.discarded) discarded++;
      }
    });
    const worker: WorkerProc = {
      proc,
      // "close", not "exit": its stdout has been read to the end, so no "job succeeded" line is missed.
      exited: new Promise((resolve) => proc.on("close", () => resolve())),
      ready: false,
      spawnedMs: Date.now(),
    };
    live.add(worker);
    void worker.exited.then(() => live.delete(worker));
    return worker;
  };

  const started = Date.now();
  for (let i = 0; i < args.workers; i++) spawnWorker();
  let sigkills = 0;
  const killer = new AbortController();
  const killing = kills
    ? (async () => {
        while (!killer.signal.aborted) {
          const pauseMs = args.killEveryS * 1000 * (0.5 + Math.random());
          await sleep(pauseMs, undefined, { signal: killer.signal }).catch(() => {});
          if (killer.signal.aborted) break;
          // Only workers that are up: killing one still loading would hit no job.
          const victims = [...live].filter((w) => w.ready);
          const victim = victims[Math.floor(Math.random() * victims.length)];
          if (!victim) continue;
          victim.proc.kill("SIGKILL");
          sigkills++;
          spawnWorker();
        }
      })()
    : Promise.resolve();

  const open = new Set(ids);
  const deadline = started + args.timeoutS * 1000;
  while (open.size > 0 && Date.now() < deadline) {
    await sleep(250);
    // Reading all 1000 jobs every round would take CPU from the workers on the same cores: jobs finish
    // roughly in order, so a round stops at the first few still open.
    let stillOpen = 0;
    for (const id of open) {
      const job = await backend.get(id);
      if (job && ["succeeded", "failed", "canceled"].includes(job.status)) open.delete(id);
      else if (++stillOpen >= POLL_OPEN_PER_ROUND) break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  killer.abort();
  await killing;
  for (const worker of live) worker.proc.kill("SIGTERM");
  await Promise.all([...live].map((w) => w.exited));

  const report: RunReport = {
    kills,
    seconds,
    sigkills,
    completed: 0,
    deadLettered: 0,
    lost: 0,
    duplicated: 0,
    wrongResult: 0,
    committedUnlogged: 0,
    discarded,
    attemptsHistogram: {},
    lostIds: [],
    meanStartupMs: Math.round(startupsMs.reduce((a, b) => a + b, 0) / Math.max(1, startupsMs.length)),
  };
  for (const id of ids) {
    const job = (await backend.get(id))!;
    const right =
      job.status === "succeeded" && (job.result as { sum?: string }).sum === expectedSum(nOf.get(id)!).toString();
    if (right) report.completed++;
    else if (job.status === "succeeded") report.wrongResult++;
    else if (job.status === "failed") report.deadLettered++;
    else {
      report.lost++;
      report.lostIds.push(`${id} (${job.status}, ${job.attempts} attempts, ${job.error ?? "no error"})`);
    }
    const committed = commits.get(id) ?? 0;
    if (committed > 1) report.duplicated++;
    if (job.status === "succeeded" && committed === 0) report.committedUnlogged++;
    report.attemptsHistogram[job.attempts] = (report.attemptsHistogram[job.attempts] ?? 0) + 1;
  }
  await backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return report;
}

export function renderChaosMarkdown(args: ChaosArgs, backendName: string, runs: RunReport[]): string {
  const baseline = runs.find((r) => !r.kills);
  const chaos = runs.find((r) => r.kills)!;
  const rows = runs.map(
    (r) =>
      `| ${r.kills ? `SIGKILL ~every ${args.killEveryS} s` : "no kills"} | ${r.seconds.toFixed(1)} s | ${r.sigkills} | ` +
      `${r.completed} | ${r.deadLettered} | ${r.lost} | ${r.duplicated} | ${r.wrongResult} | ${r.committedUnlogged} | ${r.discarded} | ` +
      `${Object.entries(r.attemptsHistogram)
        .map(([a, c]) => `${a}:${c}`)
        .join(" ")} | ${r.meanStartupMs} ms |`,
  );
  return [
    `## Chaos: ${args.jobs} jobs, ${args.workers} workers × ${args.concurrency}, backend ${backendName}`,
    "",
    `\`sum\` jobs of n = ${args.n}+i; lease ${args.leaseS} s; JOBS_MAX_ATTEMPTS ${args.maxAttempts ?? process.env.JOBS_MAX_ATTEMPTS ?? 3}; ${os.availableParallelism()} cores, Node ${process.version}.`,
    "",
    "| run | time | SIGKILLs | completed | dead-lettered (killed on every attempt) | lost | duplicated | wrong result | committed, unlogged | stale completes refused | attempts:jobs | worker start-up |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    baseline
      ? `Time with kills: ${(chaos.seconds / baseline.seconds).toFixed(2)}× the run without kills.`
      : "No baseline run (--no-baseline).",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseOrExit("chaos", USAGE, parseChaosArgs);
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run chaos does)`);
  const backendName = process.env.JOBS_BACKEND ?? "sqlite";
  const runs: RunReport[] = [];
  if (args.baseline) {
    console.error(`chaos: baseline, ${args.jobs} jobs without kills ...`);
    runs.push(await runOnce(args, false));
  }
  console.error(`chaos: ${args.jobs} jobs, one of ${args.workers} workers SIGKILLed ~every ${args.killEveryS} s ...`);
  runs.push(await runOnce(args, true));
  const markdown = renderChaosMarkdown(args, backendName, runs);
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, `${args.name}.md`), markdown);
  fs.writeFileSync(
    path.join(args.out, `${args.name}.json`),
    JSON.stringify({ args, backend: backendName, runs }, null, 2),
  );
  console.log(markdown);
  const chaos = runs.at(-1)!;
  const goal = chaos.completed === args.jobs && chaos.lost === 0 && chaos.duplicated === 0 && chaos.wrongResult === 0;
  console.log(`goal ${args.jobs} completed / 0 lost / 0 duplicated: ${goal ? "PASS" : "MISS"}`);
  if (chaos.lostIds.length > 0) console.log(`lost: ${chaos.lostIds.slice(0, 10).join("; ")}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
