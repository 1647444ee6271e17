/**
 * Worker thread of scripts/parallel-sum.ts: once loaded it says {ready}, waits for "go", then sums
 * workerData {from, to} with the service's own sumRange and posts {sum, computeMs}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { sumRange } from "../service/sum";

const { from, to } = workerData as { from: number; to: number };
const port = parentPort!;
port.once("message", () => {
  const start = performance.now();
  const sum = sumRange(from, to);
  port.postMessage({ sum: sum.toString(), computeMs: performance.now() - start });
});
port.postMessage({ ready: true });
