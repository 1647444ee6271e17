/**
 * The servers the bench compares, each under cluster on every core unless its label says otherwise: fleet as
 * the web fleet runs it, bare Fastify and bare node:http answering the same JSON (what the framework and the
 * platform cost), the tutorial's Express cluster that fleet replaces, and pm2 running fleet's worker.
 */
import path from "node:path";
import type { TargetSpec } from "./load";
import { pm2Spec, type Pm2Home } from "./pm2";

export const ALL_TARGETS = [
  "fleet",
  "fleet-1",
  "baseline",
  "fastify",
  "raw",
  "pm2",
  "fleet-quiet",
  "fleet-requests",
] as const;
export type TargetId = (typeof ALL_TARGETS)[number];
/** Compared by default; fleet-quiet (LOG_LEVEL=warn) and fleet-requests (LOG_REQUESTS=1) show what logging costs. */
export const DEFAULT_TARGETS: TargetId[] = ["fleet", "fleet-1", "baseline", "fastify", "raw", "pm2"];
/** Targets that run dist/service/main.js and so need the build. */
export const needsBuild = (t: TargetId) => t.startsWith("fleet") || t === "pm2";

export function specs(ROOT: string, CORES: number, pm2Home: Pm2Home | undefined): Record<TargetId, TargetSpec> {
  const fleetMain = path.join(ROOT, "dist/service/main.js");
  // The production default logging (info: errors, slow requests, a summary every few seconds). The web tier alone, as the web fleet runs it
  // (FLEET_ROLE=web): the targets compared serve HTTP, and a job worker beside it would be one more child that
  // a reload does not replace.
  const fleetEnv = { LOG_LEVEL: "info", LOG_REQUESTS: "0", LOG_FORMAT: "json", FLEET_ROLE: "web" };
  return {
    fleet: {
      id: "fleet",
      label: `fleet, ${CORES} workers`,
      command: process.execPath,
      args: [fleetMain],
      env: { ...fleetEnv, WEB_CONCURRENCY: String(CORES) },
      readyPath: "/healthcheck",
    },
    "fleet-1": {
      id: "fleet-1",
      label: "fleet, 1 worker",
      command: process.execPath,
      args: [fleetMain],
      env: { ...fleetEnv, WEB_CONCURRENCY: "1" },
      readyPath: "/healthcheck",
    },
    baseline: {
      id: "baseline",
      label: `tutorial Express cluster, ${CORES} workers`,
      command: process.execPath,
      args: [path.join(ROOT, "bench/tutorial-express.js")],
      env: {},
      readyPath: "/healthcheck",
    },
    "fleet-quiet": {
      id: "fleet-quiet",
      label: `fleet, ${CORES} workers, LOG_LEVEL=warn`,
      command: process.execPath,
      args: [fleetMain],
      env: { ...fleetEnv, LOG_LEVEL: "warn", WEB_CONCURRENCY: String(CORES) },
      readyPath: "/healthcheck",
    },
    "fleet-requests": {
      id: "fleet-requests",
      label: `fleet, ${CORES} workers, LOG_REQUESTS=1`,
      command: process.execPath,
      args: [fleetMain],
      env: { ...fleetEnv, LOG_REQUESTS: "1", WEB_CONCURRENCY: String(CORES) },
      readyPath: "/healthcheck",
    },
    fastify: {
      id: "fastify",
      label: `bare Fastify cluster, ${CORES} workers`,
      command: process.execPath,
      args: [path.join(ROOT, "bench/bare-fastify.js")],
      env: { WEB_CONCURRENCY: String(CORES) },
      readyPath: "/",
    },
    // Without a pm2 home the target is never started; the spec only labels the report.
    pm2: pm2Home ? pm2Spec(ROOT, CORES, pm2Home) : { ...labelOnly("pm2", `pm2 cluster mode, ${CORES} instances`) },
    raw: {
      id: "raw",
      label: `raw node:http cluster, ${CORES} workers`,
      command: process.execPath,
      args: [path.join(ROOT, "bench/raw-http.js")],
      env: { WEB_CONCURRENCY: String(CORES) },
      readyPath: "/",
    },
  };
}

function labelOnly(id: string, label: string): TargetSpec {
  return { id, label, command: process.execPath, args: [], env: {}, readyPath: "/" };
}
