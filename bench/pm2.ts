/**
 * pm2, the tool a reader would pick instead of fleet's bootstrap: the same compiled app (dist/service/
 * main.js) in pm2's cluster mode, under `pm2-runtime` (pm2's foreground mode, so the bench can start and
 * stop it like any other target). In pm2's cluster mode pm2 is the cluster primary, so main.js runs only
 * its worker half. pm2 keeps its state in PM2_HOME: a private temporary directory, removed afterwards,
 * so the bench never meets (or leaves) a pm2 daemon of the machine.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TargetSpec } from "./load";

export const PM2_APP_NAME = "fleet-pm2";

export interface Pm2Home {
  dir: string;
  /** `pm2 <args>` against this home; resolves with its exit code and output. */
  cli(args: string[], timeoutMs?: number): Promise<{ code: number; output: string }>;
  /** `pm2 kill` (a daemon that outlived pm2-runtime dies here), then the directory goes. */
  remove(): Promise<void>;
}

function daemonAlive(pidFile: string): boolean {
  try {
    process.kill(Number(fs.readFileSync(pidFile, "utf8").trim()), 0);
    return true;
  } catch {
    return false; // no file, no number, or no such process
  }
}

export function createPm2Home(root: string): Pm2Home {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-bench-pm2-"));
  const bin = path.join(root, "node_modules/pm2/bin/pm2");
  const cli = (args: string[], timeoutMs = 60_000) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { env: { ...process.env, PM2_HOME: dir }, timeout: timeoutMs },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: stdout + stderr }),
      );
    });
  return {
    dir,
    cli,
    async remove() {
      // Only when a daemon is alive to kill (pm2-runtime leaves its pid file behind): `pm2 kill` would
      // start one to talk to otherwise.
      if (daemonAlive(path.join(dir, "pm2.pid"))) await cli(["kill"], 15_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The target: pm2-runtime running main.js with `-i instances` (cluster mode), logging at info like fleet. */
export function pm2Spec(root: string, instances: number, home: Pm2Home): TargetSpec {
  return {
    id: "pm2",
    label: `pm2 cluster mode, ${instances} instances, same app`,
    command: process.execPath,
    args: [
      path.join(root, "node_modules/pm2/bin/pm2-runtime"),
      "start",
      path.join(root, "dist/service/main.js"),
      "-i",
      String(instances),
      "--name",
      PM2_APP_NAME,
    ],
    env: { PM2_HOME: home.dir, LOG_LEVEL: "info", FLEET_ROLE: "web" },
    readyPath: "/healthcheck",
  };
}
