/**
 * The parallel exact sum 0..n: split the range into contiguous slices, one per thread, run the service's
 * own sumRange (service/sum.ts) over each slice in a worker_threads Worker, and add the slices as BigInt.
 * The pure parts (parsing n, slicing) are exported for the tests; the CLI is scripts/sum.ts.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import { sumRange } from "../service/sum";

/** The largest n the CLI accepts: 1e11 takes minutes single-threaded already; far below 2^53. */
export const MAX_N = 1e11;

/** A contiguous, inclusive slice of 0..n; `from > to` never happens (empty slices are dropped). */
export interface Slice {
  from: number;
  to: number;
}

/**
 * Parses n as written on a command line: digits (`1000000000`), digits grouped by underscores
 * (`1_000_000_000`) or scientific notation (`1e9`, `2.5e9`). Throws a RangeError naming the argument and
 * the expected form for anything else, for non-integers, negatives and n above MAX_N.
 */
export function parseN(text: string, name = "n"): number {
  const form = `${name} must be an integer from 0 to 1e11, written like 1000000000, 1_000_000_000 or 1e9`;
  let value: number;
  if (/^\d+(_\d+)*$/.test(text)) value = Number(text.replace(/_/g, ""));
  else if (/^\d+(\.\d+)?e\+?\d+$/i.test(text)) value = Number(text);
  else throw new RangeError(`${form}; got "${text}"`);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${form}; "${text}" is not an integer`);
  if (value > MAX_N) throw new RangeError(`${form}; "${text}" is above the maximum`);
  return value;
}

/**
 * Splits 0..n into `parts` contiguous slices of equal length (±1), in order, covering every integer once.
 * Slice i is [⌊i(n+1)/parts⌋, ⌊(i+1)(n+1)/parts⌋ − 1]; empty slices (n+1 < parts) are dropped.
 */
export function slices(n: number, parts: number): Slice[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`slices needs a safe integer n ≥ 0, got ${n}`);
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`slices needs parts ≥ 1, got ${parts}`);
  const count = n + 1;
  // (i × count) stays a safe integer for n ≤ MAX_N and any realistic thread count; BigInt keeps it exact anyway.
  const bound = (i: number): number => Number((BigInt(i) * BigInt(count)) / BigInt(parts));
  const out: Slice[] = [];
  for (let i = 0; i < parts; i++) {
    const from = bound(i);
    const to = bound(i + 1) - 1;
    if (from <= to) out.push({ from, to });
  }
  return out;
}

/** What one slice's thread reports. */
export interface SliceResult extends Slice {
  sum: bigint;
  /** Time the thread spent in sumRange, ms (excludes thread start-up). */
  computeMs: number;
}

export interface SumRun {
  n: number;
  threads: number;
  sum: bigint;
  /** Wall time from telling the loaded threads to go to having every slice's sum, ms. */
  wallMs: number;
  /** Time to start the threads and load their code (tsx compiles the .ts on the fly), ms; not in wallMs. */
  startupMs: number;
  slices: SliceResult[];
}

/** The worker thread's file: it runs sumRange over workerData {from, to} and posts {sum, computeMs}. */
const WORKER_FILE = path.join(__dirname, "sum-worker.ts");

/**
 * The exec arguments a worker needs to load a .ts file that imports other .ts files: the parent's own
 * (tsx's loader when started by `tsx` or by mocha's `import=tsx`), plus `--import tsx` if neither is there.
 */
function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (!argv.some((a) => a.includes("tsx"))) argv.push("--import", "tsx");
  return argv;
}

/** A started worker thread, loaded and waiting for its "go". */
interface ReadyWorker {
  slice: Slice;
  go(): Promise<SliceResult>;
  stop(): Promise<number>;
}

/** Starts a worker thread for one slice and resolves once it has loaded its code (it then waits for "go"). */
function startWorker(slice: Slice): Promise<ReadyWorker> {
  return new Promise((resolveReady, rejectReady) => {
    const worker = new Worker(WORKER_FILE, { workerData: slice, execArgv: workerExecArgv() });
    let onResult: ((r: SliceResult) => void) | undefined;
    let onError: (err: Error) => void = rejectReady;
    worker.on("message", (msg: { ready?: true; sum?: string; computeMs?: number }) => {
      if (msg.ready) {
        resolveReady({
          slice,
          go: () =>
            new Promise<SliceResult>((resolve, reject) => {
              onResult = resolve;
              onError = reject;
              worker.postMessage("go");
            }),
          stop: () => worker.terminate(),
        });
      } else if (msg.sum !== undefined) {
        onResult?.({ ...slice, sum: BigInt(msg.sum), computeMs: msg.computeMs ?? NaN });
      }
    });
    worker.on("error", (err) => onError(err));
    worker.on("exit", (code) => {
      if (code !== 0) onError(new Error(`sum worker for ${slice.from}..${slice.to} exited with code ${code}`));
    });
  });
}

/**
 * Sums 0..n exactly on `threads` worker threads, one contiguous slice each. The threads are started and
 * load their code first (startupMs); the clock for wallMs starts when all are told to go, as a pool that
 * is already up would (the service's is). Both numbers are reported.
 */
export async function parallelSum(n: number, threads: number): Promise<SumRun> {
  const parts = slices(n, threads);
  const t0 = performance.now();
  const settled = await Promise.allSettled(parts.map(startWorker));
  const workers = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  try {
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const t1 = performance.now();
    const results = await Promise.all(workers.map((w) => w.go()));
    const wallMs = performance.now() - t1;
    const sum = results.reduce((acc, r) => acc + r.sum, 0n);
    return { n, threads, sum, wallMs, startupMs: t1 - t0, slices: results };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** The same sum on the calling thread, for comparison: sumRange(0, n) as one loop. */
export function singleThreadSum(n: number): { sum: bigint; wallMs: number } {
  const start = performance.now();
  const sum = sumRange(0, n);
  return { sum, wallMs: performance.now() - start };
}
