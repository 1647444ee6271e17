import { sumRange } from "./sum";

/** Runs in a worker_threads thread of the pool, so the event loop stays free for /healthcheck. */
export default function sumTask({ n }: { n: number }): string {
  return sumRange(0, n).toString();
}
