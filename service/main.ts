/**
 * Entry point, `node dist/service/main.js`: the primary validates the environment before any fork, then
 * supervises the workers; each worker runs the app.
 */
import cluster from "node:cluster";
import pino from "pino";
import { runPrimary } from "./cluster";
import { ConfigError, loadConfig, type ServiceConfig } from "./config";
import { HEALTH_CHECK_WINDOW_MS } from "./timing";
import { runWorker } from "./worker";

function readConfig(): ServiceConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`fleet: ${err.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
if (cluster.isPrimary) {
  const log = pino({ level: config.logLevel, base: { pid: process.pid, role: "primary" } });
  runPrimary({
    workers: config.webConcurrency,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    lingerMaxMs: HEALTH_CHECK_WINDOW_MS,
    log,
  }).then((code) => {
    log.info({ code }, "primary exiting");
    process.exit(code);
  });
} else {
  runWorker(config).catch((err: unknown) => {
    process.stderr.write(`fleet worker ${cluster.worker?.id}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
