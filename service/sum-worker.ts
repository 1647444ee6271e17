import { sumRange } from "./sum";

/**
 * Runs in a worker_threads thread of the pool, so the event loop stays free for /healthcheck. Reports its
 * own run time, without the wait in the queue, so that admission learns what a unit of n costs.
 */
export default function sumTask({ n }: { n: number }): { sum: string; runMs: number } {
  const started = performance.now();
  const sum = sumRange(0, n).toString();
  return { sum, runMs: performance.now() - started };
}
