/** Starts the compiled service (what production runs) as a real process on an ephemeral loopback port. */
import { spawn, type ChildProcess } from "node:child_process";
import fs, { existsSync } from "node:fs";
import os from "node:os";
import http from "node:http";
import path from "node:path";
import { httpGet, type GetResult } from "../../bench/load";

export const MAIN = path.resolve(__dirname, "../../dist/service/main.js");

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export interface FleetProcess {
  proc: ChildProcess;
  port: number;
  lines: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (already seen or to come) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code once the primary has exited. */
  exited: Promise<number | null>;
}

/** Spawns the service; resolves once it logs its start line unless `ready` is false. */
export async function startFleet(env: Record<string, string>, ready = true): Promise<FleetProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  // The web cluster alone unless a test asks for more, with its jobs database in a temp dir, not the checkout.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-process-"));
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      FLEET_ROLE: "web",
      JOBS_DB: path.join(dataDir, "jobs.db"),
      JOBS_RESULTS_DIR: path.join(dataDir, "results"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.on("exit", () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const lines: LogLine[] = [];
  let err = "";
  const waiters = new Set<() => void>();
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const part of parts) if (part.startsWith("{")) lines.push(JSON.parse(part) as LogLine);
    for (const wake of waiters) wake();
  });
  proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const waitFor = (match: (line: LogLine) => boolean, timeoutMs = 15_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; saw:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${err}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => (clearTimeout(timer), waiters.delete(check));
      waiters.add(check);
      check();
    });
  const fleet: FleetProcess = { proc, port: 0, lines, stderr: () => err, waitFor, exited };
  if (ready) fleet.port = (await waitFor((l) => l.msg.startsWith("fleet listening on "))).port as number;
  return fleet;
}

/** Stops a fleet that a test left running, so that a failed test never leaks processes. */
export async function stopFleet(fleet: FleetProcess | undefined): Promise<void> {
  if (!fleet || fleet.proc.exitCode !== null || fleet.proc.signalCode !== null) return;
  fleet.proc.kill("SIGKILL");
  await fleet.exited;
}

/** One GET on 127.0.0.1, the bench's helper, but rejecting on socket errors and after timeoutMs. */
export async function get(
  port: number,
  urlPath: string,
  agent: http.Agent | false = false,
  timeoutMs = 30_000,
): Promise<GetResult> {
  const answer = await httpGet(`http://127.0.0.1:${port}${urlPath}`, timeoutMs, agent);
  if (answer.error !== undefined) throw new Error(`GET ${urlPath}: ${answer.error}`);
  return answer;
}

export const workerPids = (fleet: FleetProcess): number[] =>
  fleet.lines.filter((l) => l.msg === "worker listening").map((l) => l.workerPid as number);
