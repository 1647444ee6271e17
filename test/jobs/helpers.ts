/** One builder for the jobs API under test: the real app over a real SQLite backend in a temp dir. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/app";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import type { SumPool } from "../../service/sum-pool";

export interface JobsTestApp {
  app: FastifyInstance;
  backend: SqliteJobBackend;
  dir: string;
  resultsDir: string;
  close(): Promise<void>;
}

/** The web tier never computes a job: a pool that fails loudly if anything asks it to. */
const noPool: SumPool = {
  sum: () => Promise.reject(new Error("the jobs API must not compute in the web tier")),
  close: async () => {},
};

export function tempDir(prefix = "fleet-jobs-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface JobsTestAppOptions {
  maxBacklogS?: number;
  clientQuotaS?: number;
  maxWaiters?: number;
  maxAttempts?: number;
  workerSlots?: number;
  corsOrigins?: string[];
  trustProxy?: number;
  now?: () => number;
}

export async function buildJobsApp(options: JobsTestAppOptions = {}): Promise<JobsTestApp> {
  const dir = tempDir();
  const resultsDir = path.join(dir, "results");
  const backend = await openSqliteBackend({
    file: path.join(dir, "jobs.db"),
    resultsDir,
    maxAttempts: options.maxAttempts ?? 3,
  });
  const app = buildApp({
    apiMaxN: 1000,
    pool: noPool,
    logger: false,
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    jobs: {
      backend,
      maxBacklogS: options.maxBacklogS ?? 100_000,
      clientQuotaS: options.clientQuotaS,
      maxWaiters: options.maxWaiters,
      workerSlots: options.workerSlots ?? 2,
      resultsDir,
      now: options.now,
    },
  });
  await app.ready();
  return {
    app,
    backend,
    dir,
    resultsDir,
    async close() {
      await app.close();
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
