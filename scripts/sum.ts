/**
 * npm run sum -- <n> [--threads N] [--json]
 *
 * Sums 0..n exactly across all cores with worker_threads (one contiguous slice per thread, each summed by
 * the service's sumRange), checks the result against n(n+1)/2, runs the single-thread loop in the same
 * invocation, and prints both times, the speedup and the parallel efficiency (speedup / threads).
 */
import os from "node:os";
import { expectedSum } from "../service/sum";
import { parallelSum, parseN, singleThreadSum } from "./parallel-sum";

const USAGE = `usage: npm run sum -- [n] [--threads N] [--json]
  n           integer 0..1e11 (default 1e9), e.g. 1000000000, 1_000_000_000 or 1e9
  --threads N worker threads, 1..256 (default: the cores, ${os.availableParallelism()})
  --json      print the result as JSON`;

interface Args {
  n: number;
  threads: number;
  json: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  let n: number | undefined;
  let threads = os.availableParallelism();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--threads" || arg.startsWith("--threads=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) {
        throw new UsageError(`--threads must be an integer from 1 to 256, e.g. --threads 2; got ${value ?? "nothing"}`);
      }
      threads = Number(value);
    } else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("-") && !/^-\d/.test(arg)) {
      throw new UsageError(`unknown flag ${arg}`);
    } else if (n !== undefined) {
      throw new UsageError(`unexpected extra argument "${arg}": give one n, e.g. npm run sum -- 1e9`);
    } else {
      try {
        n = parseN(arg, "n");
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
  }
  return { n: n ?? 1e9, threads, json };
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`sum: ${err.message}\n${USAGE}`);
    process.exit(1);
  }
  const { n, threads, json } = args;
  const expected = expectedSum(n);
  // Single thread first, then the threads; both run the same sumRange loop.
  const single = singleThreadSum(n);
  const parallel = await parallelSum(n, threads);
  const speedup = single.wallMs / parallel.wallMs;
  const speedupWithStartup = single.wallMs / (parallel.wallMs + parallel.startupMs);
  const efficiency = speedup / threads;
  const ok = parallel.sum === expected && single.sum === expected;
  const result = {
    n,
    threads,
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    sum: parallel.sum.toString(),
    expected: expected.toString(),
    exact: ok,
    singleThreadMs: round(single.wallMs),
    parallelMs: round(parallel.wallMs),
    threadStartupMs: round(parallel.startupMs),
    speedup: round(speedup, 3),
    speedupWithStartup: round(speedupWithStartup, 3),
    efficiency: round(efficiency, 3),
    efficiencyTarget: 0.9,
    efficiencyMet: efficiency >= 0.9,
    slices: parallel.slices.map((s) => ({ from: s.from, to: s.to, computeMs: round(s.computeMs) })),
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`sum 0..${n} = ${result.sum}`);
    console.log(`check n(n+1)/2 = ${result.expected}: ${ok ? "exact" : "MISMATCH"}`);
    console.log(`single thread:      ${result.singleThreadMs} ms`);
    console.log(`${threads} thread(s):        ${result.parallelMs} ms  (+ ${result.threadStartupMs} ms to start the threads and load their code, not counted)`);
    for (const s of result.slices) console.log(`  slice ${s.from}..${s.to}: ${s.computeMs} ms`);
    console.log(`speedup:            ${result.speedup}× (${result.speedupWithStartup}× counting thread start-up)`);
    console.log(
      `parallel efficiency: ${(efficiency * 100).toFixed(1)}% of ${threads} thread(s) ` +
        `(target ≥ 90%: ${result.efficiencyMet ? "PASS" : "MISS"}) on ${result.cores} core(s), ${result.cpu}`,
    );
  }
  if (!ok) {
    console.error(`sum: result ${result.sum} differs from n(n+1)/2 = ${result.expected}`);
    process.exit(2);
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
