/**
 * BullMQ on Redis, the jobs bench's comparison, loaded from outside the lockfile. BullMQ's msgpackr lists
 * platform packages (msgpackr-extract for darwin and win32) that the registry this project installs from
 * does not serve, so a lockfile holding BullMQ fails `npm ci` on a clean machine. The bench installs the
 * pinned versions on first use into `.tools/bench/` (as scripts/use-node.sh does for Node) and types the
 * small part of the API it uses.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, ".tools/bench");
/** Pinned: a comparison that drifts with every run is not one. */
const PACKAGES = ["bullmq@6.7.0", "ioredis@6.0.0"];

export interface BullJob {
  id?: string;
  data: unknown;
}
export interface BullConnection {
  connection: { host: string; port: number };
}
export interface BullQueue {
  add(name: string, data: unknown): Promise<BullJob>;
  close(): Promise<void>;
}
export interface BullWorker {
  on(event: "completed", listener: () => void): void;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
export interface Bullmq {
  Queue: new (name: string, options: BullConnection) => BullQueue;
  Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<unknown>,
    options: BullConnection & { concurrency: number },
  ) => BullWorker;
}

/** Installs BullMQ and ioredis into .tools/bench when absent; returns why it could not, or undefined. */
export function ensureBullmq(): string | undefined {
  if (fs.existsSync(path.join(DIR, "node_modules/bullmq/package.json"))) return undefined;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    ["install", "--silent", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", DIR, ...PACKAGES],
    { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" },
  );
  return r.status === 0 ? undefined : `installing ${PACKAGES.join(" ")} into ${DIR} failed: ${r.stderr.trim()}`;
}

export function loadBullmq(): Bullmq {
  return createRequire(path.join(DIR, "package.json"))("bullmq") as Bullmq;
}
