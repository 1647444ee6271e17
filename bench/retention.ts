/**
 * npm run bench:retention [-- --jobs N --retention-s S --samples N --out bench/results --name retention]
 *
 * The embedded backend's retention soak: N trivial jobs (default a million) enqueued, claimed in batches
 * of 16 and completed through one SQLite file, on a clock that advances SIM_MS_PER_JOB per job so that
 * the retention (default 60 s of that clock) is crossed many times over in a run of minutes. The claims'
 * purge (service/jobs/sqlite/backend.ts) deletes finished jobs and their keys; the file's size (the
 * database, its WAL) is sampled every N / samples jobs. Bounded means: once the retention window is full,
 * the size stops growing (SQLite reuses the freed pages), so the last sample is within a small factor of
 * the size when the first window filled. Writes <out>/<name>.json and .md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { openSqliteBackend } from "../service/jobs/sqlite/backend";
import { integerFlag, parseOrExit, UsageError, tokenizeFlags } from "../scripts/cli";

const ROOT = path.resolve(__dirname, "..");
/** Each job moves the backend's clock this far: a million jobs are 1,000 s of its time. */
const SIM_MS_PER_JOB = 1;
const BATCH = 16;
/** The growth allowed after the first retention window filled: free pages reused, not appended. */
const BOUND_FACTOR = 1.5;

const USAGE = `usage: npm run bench:retention -- [options]
  --jobs N          jobs through the file, 10000..10000000 (default 1000000)
  --retention-s S   JOBS_RETENTION_S on the simulated clock, 60..86400 (default 60)
  --samples N       file size samples, 5..1000 (default 40)
  --out DIR         where to write the results (default bench/results)
  --name NAME       file name stem (default retention)`;

export interface RetentionBenchArgs {
  jobs: number;
  retentionS: number;
  samples: number;
  out: string;
  name: string;
}

export function parseRetentionBenchArgs(argv: string[]): RetentionBenchArgs {
  const values = tokenizeFlags(argv, {
    jobs: { type: "string" },
    "retention-s": { type: "string" },
    samples: { type: "string" },
    out: { type: "string" },
    name: { type: "string" },
  });
  const name = values.name ?? "retention";
  if (!/^[\w.-]+$/.test(name)) {
    throw new UsageError(`--name must be a file name stem, e.g. --name retention; got "${name}"`);
  }
  return {
    jobs: integerFlag("jobs", values.jobs, 1_000_000, 10_000, 10_000_000),
    retentionS: integerFlag("retention-s", values["retention-s"], 60, 60, 86_400),
    samples: integerFlag("samples", values.samples, 40, 5, 1_000),
    out: path.resolve(values.out ?? path.join(ROOT, "bench/results")),
    name,
  };
}

interface Sample {
  jobs: number;
  /** The database file plus its WAL, bytes. */
  bytes: number;
  elapsedS: number;
}

function fileBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // no WAL yet
    }
  }
  return total;
}

export async function runRetentionBench(args: RetentionBenchArgs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-retention-"));
  const file = path.join(dir, "jobs.db");
  let simulatedMs = Date.parse("2026-12-01T00:00:00Z");
  const backend = await openSqliteBackend({
    file,
    resultsDir: path.join(dir, "results"),
    retentionS: args.retentionS,
    now: () => simulatedMs,
  });
  const every = Math.max(BATCH, Math.floor(args.jobs / args.samples));
  const samples: Sample[] = [];
  const started = performance.now();
  let done = 0;
  try {
    while (done < args.jobs) {
      const n = Math.min(BATCH, args.jobs - done);
      for (let i = 0; i < n; i++) {
        // Every job carries a key, so the keys' expiry is soaked too.
        await backend.enqueue({ kind: "sum", input: { n: 1000 }, idempotencyKey: `k-${done + i}`, fingerprint: "f" });
      }
      const leases = await backend.claim({ max: n, leaseMs: 60_000, waitMs: 0 });
      for (const lease of leases) await backend.complete(lease, { sum: "500500" });
      done += leases.length;
      simulatedMs += leases.length * SIM_MS_PER_JOB;
      if (leases.length === 0) throw new Error(`claimed nothing with ${n} jobs queued`);
      if (Math.floor(done / every) !== Math.floor((done - leases.length) / every) || done === args.jobs) {
        samples.push({ jobs: done, bytes: fileBytes(file), elapsedS: (performance.now() - started) / 1000 });
      }
    }
  } finally {
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const windowJobs = (args.retentionS * 1000) / SIM_MS_PER_JOB;
  // The first sample once a whole retention window (plus the purge interval) has passed.
  const settled = samples.find((s) => s.jobs >= windowJobs * 1.2) ?? samples[samples.length - 1]!;
  const after = samples.filter((s) => s.jobs >= settled.jobs);
  const maxBytes = Math.max(...after.map((s) => s.bytes));
  const last = samples[samples.length - 1]!;
  return {
    date: new Date().toISOString(),
    command: `npm run bench:retention -- --jobs ${args.jobs} --retention-s ${args.retentionS} --samples ${args.samples}`,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version },
    jobs: args.jobs,
    retentionS: args.retentionS,
    simulatedMsPerJob: SIM_MS_PER_JOB,
    jobsPerRetentionWindow: windowJobs,
    elapsedS: last.elapsedS,
    jobsPerS: Math.round(args.jobs / last.elapsedS),
    settledBytes: settled.bytes,
    maxBytesAfterSettled: maxBytes,
    lastBytes: last.bytes,
    bounded: maxBytes <= settled.bytes * BOUND_FACTOR,
    boundFactor: BOUND_FACTOR,
    samples,
  };
}

function markdown(r: Awaited<ReturnType<typeof runRetentionBench>>): string {
  const mb = (b: number) => (b / 1_048_576).toFixed(1);
  return [
    `# Retention soak (SQLite backend)`,
    ``,
    `\`${r.command}\`, ${r.date}, ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}.`,
    ``,
    `${r.jobs} jobs (each with an idempotency key) enqueued, claimed 16 at a time and completed; the backend's`,
    `clock advances ${r.simulatedMsPerJob} ms per job, so JOBS_RETENTION_S=${r.retentionS} holds about`,
    `${r.jobsPerRetentionWindow} finished jobs at a time. ${r.jobsPerS} jobs/s over ${r.elapsedS.toFixed(0)} s.`,
    ``,
    `File size (database + WAL) once the first window filled: ${mb(r.settledBytes)} MB; largest after that:`,
    `${mb(r.maxBytesAfterSettled)} MB; at the end: ${mb(r.lastBytes)} MB. Bounded (≤ ${r.boundFactor}× the settled size): **${r.bounded}**.`,
    ``,
    `| jobs | MB | s |`,
    `|---:|---:|---:|`,
    ...r.samples.map((s) => `| ${s.jobs} | ${mb(s.bytes)} | ${s.elapsedS.toFixed(1)} |`),
    ``,
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseOrExit("bench:retention", USAGE, parseRetentionBenchArgs);
  const result = await runRetentionBench(args);
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, `${args.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(args.out, `${args.name}.md`), markdown(result));
  console.log(markdown(result));
  if (!result.bounded) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
