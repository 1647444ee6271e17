/**
 * `sum`: the exact sum 0..n, by the same chunked loop as /api/:n (service/sum.ts), in slices so that it
 * reports progress and can be stopped between slices. 1e11 takes minutes on one core: the job that shows
 * why long work leaves the request.
 */
import { sumRange } from "../../sum";
import type { JobKind } from "./kind";

export const SUM_MAX_N = 100_000_000_000;

/** Progress points per job: each is a slice of the range, summed exactly on its own. */
const SLICES = 100;

/** Below this many numbers per slice the progress messages would cost more than the loop (~10 ms each). */
const MIN_SLICE = 10_000_000;

/** Measured: 0..1e9 in 844 ms on one core of the 2-core dev machine (bench/results/sum-1e9.txt). */
const ADDITIONS_PER_S = 1e9;

export interface SumInput {
  n: number;
}

export const sumKind: JobKind<SumInput> = {
  name: "sum",
  description: `{"n": integer 0..${SUM_MAX_N}} → {"sum": exact decimal string}`,
  inputSchema: {
    type: "object",
    properties: { n: { type: "integer", minimum: 0, maximum: SUM_MAX_N } },
    required: ["n"],
    propertyNames: { enum: ["n"] },
  },
  estimateSeconds: ({ n }) => n / ADDITIONS_PER_S,
  describeLimit: (maxSeconds) => `body/input/n must be at most ${Math.floor(maxSeconds * ADDITIONS_PER_S)}`,
  run({ n }, { progress }) {
    const slice = Math.max(MIN_SLICE, Math.ceil((n + 1) / SLICES));
    let total = 0n;
    for (let lo = 0; lo <= n; lo += slice) {
      const hi = Math.min(n, lo + slice - 1);
      total += sumRange(lo, hi);
      progress((hi + 1) / (n + 1));
    }
    return { result: { sum: total.toString() } };
  },
};
