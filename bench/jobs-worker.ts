/**
 * The idle worker of `bench/jobs.ts`'s latency run, in a process of its own as a real worker is: it waits
 * for jobs (SQLite: claim() woken by the `-wal` watch; BullMQ: its blocking Redis pop), and for each job
 * tells the parent over IPC the wall-clock time it started, then completes it.
 *
 *   node --import tsx bench/jobs-worker.ts sqlite <JOBS_DB> <results dir>
 *   node --import tsx bench/jobs-worker.ts bullmq <redis port> <queue name>
 */
import { loadBullmq } from "./bullmq";
import { performance } from "node:perf_hooks";
import { openSqliteBackend } from "../service/jobs/sqlite/backend";
import { sumRange } from "../service/sum";

export interface StartedMessage {
  id: string;
  /** performance.timeOrigin + performance.now(): comparable across processes on one machine. */
  startedAtMs: number;
}

const wallMs = () => performance.timeOrigin + performance.now();
const send = (message: StartedMessage | "ready") => process.send!(message);

async function sqlite(file: string, resultsDir: string): Promise<void> {
  const backend = await openSqliteBackend({ file, resultsDir });
  const stop = new AbortController();
  process.on("disconnect", () => stop.abort());
  send("ready");
  while (!stop.signal.aborted) {
    const leases = await backend.claim({ max: 1, leaseMs: 30_000, waitMs: 30_000, signal: stop.signal });
    for (const lease of leases) {
      send({ id: lease.job.id, startedAtMs: wallMs() });
      const { n } = lease.job.input as { n: number };
      await backend.complete(lease, { sum: String(sumRange(0, n)) });
    }
  }
  await backend.close();
}

async function bullmq(port: number, queueName: string): Promise<void> {
  const { Worker } = loadBullmq();
  const worker = new Worker(
    queueName,
    async (job) => {
      send({ id: String(job.id), startedAtMs: wallMs() });
      return { sum: String(sumRange(0, (job.data as { n: number }).n)) };
    },
    { connection: { host: "127.0.0.1", port }, concurrency: 1 },
  );
  await worker.waitUntilReady();
  process.on("disconnect", () => void worker.close().then(() => process.exit(0)));
  send("ready");
}

if (require.main === module) {
  const [mode, a, b] = process.argv.slice(2);
  const run = mode === "sqlite" ? sqlite(a!, b!) : mode === "bullmq" ? bullmq(Number(a), b!) : undefined;
  if (!run) {
    console.error("usage: jobs-worker.ts sqlite <file> <results dir> | bullmq <port> <queue>");
    process.exit(2);
  }
  run.catch((err: unknown) => {
    console.error(`jobs-worker: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
