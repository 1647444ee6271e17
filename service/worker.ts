import cluster from "node:cluster";
import net from "node:net";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { buildApp } from "./app";
import { drainOnRequest } from "./cluster";
import type { ServiceConfig } from "./config";
import { logFormatFor } from "./config";
import { logDestination } from "./log-destination";
import type { JobsRoutesOptions } from "./jobs/routes";
import { createSumPool } from "./sum-pool";
import { HEALTH_CHECK_PATH, LONGEST_REQUEST_MS, QUIET_PERIOD_MS } from "./timing";

/**
 * How long a draining worker keeps its open connections before closing the idle ones. A client that is
 * using a keep-alive socket gets its next answer with Connection: close within this time and stops
 * reusing it; closing such a socket outright races the request the client is writing into it, and the
 * client sees a reset (measured: a handful per reload under load without this notice).
 */
const IDLE_NOTICE_MS = 500;

/** One cluster worker: the app on the shared port, with its own CPU pool. */
export async function runWorker(config: ServiceConfig, jobs?: JobsRoutesOptions): Promise<void> {
  // Workers × threads stay within the cores (one thread per worker once workers reach the cores), or
  // CPU work starves every event loop.
  const threads = Math.max(1, Math.floor(os.availableParallelism() / config.webConcurrency));
  const pool = createSumPool({ threads, taskTimeoutMs: LONGEST_REQUEST_MS, clientQuotaMs: config.apiClientQuotaMs });
  const app = buildApp({
    apiMaxN: config.apiMaxN,
    pool,
    logger: {
      level: config.logLevel,
      base: { pid: process.pid, hostname: os.hostname(), worker: cluster.worker?.id },
      stream: logDestination(logFormatFor(config.logFormat, process.stdout.isTTY === true)),
    },
    requestLog: config.requestLog,
    jobs,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
  });
  drainOnRequest(
    async () => {
      app.draining = true;
      // Net-level close: no new connections (the primary hands them to other workers), but unlike
      // http.Server#close it leaves the open keep-alive sockets alone for now.
      net.Server.prototype.close.call(app.server);
      await sleep(IDLE_NOTICE_MS);
      await app.close(); // closes the sockets still idle and waits for the requests in flight
      await pool.close();
      await jobs?.backend.close();
    },
    config.shutdownTimeoutMs,
    app.log,
    {
      begin: () => (app.draining = true),
      // A listener of its own, added only now: nothing on the hot path until a SIGTERM.
      onTraffic: (listener) => app.server.on("request", (req) => req.url !== HEALTH_CHECK_PATH && listener()),
      quietMs: QUIET_PERIOD_MS,
    },
  );
  await app.listen({ port: config.port, host: config.host });
}
