/**
 * npm run sum -- <n> [--threads N] [--runs N] [--json]
 *
 * Sums 0..n exactly across all cores with worker_threads (one contiguous slice per thread, each summed by
 * the service's sumRange), checks the result against n(n+1)/2, runs the single-thread loop in the same
 * invocation, and prints both times, the speedup and the parallel efficiency (speedup / threads).
 * With --runs N (default 3) it alternates single / parallel N times and reports the medians, so a burst
 * of someone else's load on a shared machine does not decide the result; it also reports how much CPU
 * other processes took meanwhile.
 */
import os from "node:os";
import { expectedSum } from "../service/sum";
import { parallelSum, parseN, singleThreadSum, type SumRun } from "./parallel-sum";
import { othersCpuShare } from "../bench/proc-stat";
import { parseOrExit, UsageError } from "./cli";

const USAGE = `usage: npm run sum -- [n] [--threads N] [--runs N] [--json]
  n           integer 0..1e11 (default 1e9), e.g. 1000000000, 1_000_000_000 or 1e9
  --threads N worker threads, 1..256 (default: the cores, ${os.availableParallelism()})
  --runs N    alternate single-thread and parallel runs N times, 1..20, report medians (default 3)
  --json      print the result as JSON`;

interface Args {
  n: number;
  threads: number;
  runs: number;
  json: boolean;
}

export function parseArgs(argv: string[]): Args {
  let n: number | undefined;
  let threads = os.availableParallelism();
  let runs = 3;
  let json = false;
  const intFlag = (flag: string, value: string | undefined, max: number): number => {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new UsageError(`${flag} must be an integer from 1 to ${max}, e.g. ${flag} 2; got ${value ?? "nothing"}`);
    }
    return Number(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (flag !== arg ? arg.slice(eq + 1) : argv[++i]);
    if (flag === "--json") json = true;
    else if (flag === "--threads") threads = intFlag(flag, value(), 256);
    else if (flag === "--runs") runs = intFlag(flag, value(), 20);
    else if (flag === "-h" || flag === "--help") {
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
  return { n: n ?? 1e9, threads, runs, json };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const args = parseOrExit("sum", USAGE, parseArgs);
  const { n, threads, runs, json } = args;
  const expected = expectedSum(n);
  const singleMs: number[] = [];
  const parallelMs: number[] = [];
  const startupMs: number[] = [];
  const others: number[] = [];
  let last: SumRun | undefined;
  let ok = true;
  for (let r = 0; r < runs; r++) {
    // Same sumRange loop both ways: once on this thread, then sliced over the worker threads.
    const single = singleThreadSum(n);
    const { value: parallel, othersShare } = await othersCpuShare(() => parallelSum(n, threads));
    ok &&= single.sum === expected && parallel.sum === expected;
    singleMs.push(single.wallMs);
    parallelMs.push(parallel.wallMs);
    startupMs.push(parallel.startupMs);
    others.push(othersShare);
    last = parallel;
  }
  const single = median(singleMs);
  const parallel = median(parallelMs);
  const startup = median(startupMs);
  const speedup = single / parallel;
  const efficiency = speedup / threads;
  const cores = os.availableParallelism();
  const result = {
    n,
    threads,
    runs,
    cores,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    sum: last!.sum.toString(),
    expected: expected.toString(),
    exact: ok,
    singleThreadMs: round(single),
    parallelMs: round(parallel),
    threadStartupMs: round(startup),
    speedup: round(speedup, 3),
    speedupWithStartup: round(single / (parallel + startup), 3),
    efficiency: round(efficiency, 3),
    efficiencyTarget: 0.9,
    efficiencyMet: efficiency >= 0.9,
    /** Median share of the machine's CPU that other processes used during the parallel runs. */
    othersCpuShare: round(median(others), 3),
    allRuns: {
      singleThreadMs: singleMs.map((x) => round(x)),
      parallelMs: parallelMs.map((x) => round(x)),
      othersCpuShare: others.map((x) => round(x, 3)),
    },
    slices: last!.slices.map((s) => ({ from: s.from, to: s.to, computeMs: round(s.computeMs) })),
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
    console.log(`sum 0..${n} = ${result.sum}`);
    console.log(`check n(n+1)/2 = ${result.expected}: ${ok ? "exact" : "MISMATCH"}`);
    console.log(
      `single thread:      ${result.singleThreadMs} ms (median of ${runs}: ${result.allRuns.singleThreadMs.join(", ")})`,
    );
    console.log(
      `${threads} thread(s):        ${result.parallelMs} ms (median of ${runs}: ${result.allRuns.parallelMs.join(", ")}; ` +
        `+ ${result.threadStartupMs} ms to start the threads and load their code, not counted)`,
    );
    for (const s of result.slices) console.log(`  slice ${s.from}..${s.to}: ${s.computeMs} ms (last run)`);
    console.log(`speedup:            ${result.speedup}× (${result.speedupWithStartup}× counting thread start-up)`);
    console.log(
      `parallel efficiency: ${(efficiency * 100).toFixed(1)}% of ${threads} thread(s) ` +
        `(target ≥ 90%: ${result.efficiencyMet ? "PASS" : "MISS"}) on ${cores} core(s), ${result.cpu}`,
    );
    console.log(
      `other processes used ${pct(result.othersCpuShare)} of this machine's CPU during the parallel runs (${others.map(pct).join(", ")})`,
    );
  }
  if (!ok) {
    console.error(`sum: result ${result.sum} differs from n(n+1)/2 = ${result.expected}`);
    process.exit(2);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
