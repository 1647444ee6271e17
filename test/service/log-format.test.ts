import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLine } from "../../service/cluster";
import { MAIN, startFleet, stopFleet, type FleetProcess } from "./fleet-process";

/**
 * Runs the built service with its stdout on a terminal (util-linux `script` gives it a pty) or on a pipe,
 * until its start line appears; returns what it printed (with the terminal's control codes removed).
 */
async function firstOutput(env: Record<string, string>, onTerminal: boolean): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-log-format-"));
  const fullEnv = {
    PATH: process.env.PATH,
    HOST: "127.0.0.1",
    PORT: "0",
    WEB_CONCURRENCY: "1",
    FLEET_ROLE: "web",
    JOBS_DB: path.join(dir, "jobs.db"),
    JOBS_RESULTS_DIR: path.join(dir, "results"),
    ...env,
  };
  const [command, args] = onTerminal
    ? ["script", ["-qfec", `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)}`, "/dev/null"]]
    : [process.execPath, [MAIN]];
  // Its own process group, so the whole tree (script, the primary, its worker) stops together.
  const proc = spawn(command, args as string[], { env: fullEnv, stdio: ["pipe", "pipe", "pipe"], detached: true });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  try {
    const deadline = Date.now() + 20_000;
    while (!/fleet listening on http:\/\/127\.0\.0\.1:\d+ \(1 web worker\)/.test(out) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return out.replace(/\x1b\[[0-9;]*m/g, "").replace(/\r/g, "");
  } finally {
    // `script` runs the service in a session of its own (the pty's), outside this process group, and the
    // pty's hangup is the primary's SIGHUP (a reload, not a stop): signal every descendant by pid.
    const tree = [...descendants(proc.pid!), proc.pid!];
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    signalAll(tree, "SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await waitGone(tree, 10_000);
    signalAll(tree, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every process below `root`, read from /proc (children first found, then theirs). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after its last ")" are fixed.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const [child, parent] of parentOf) if (parent === pid) (found.push(child), queue.push(child));
  }
  return found;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The pids running this checkout's built service (zombies excluded: they hold nothing). */
function fleetPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
        return fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(MAIN);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const isJsonLine = (l: string) => l.startsWith("{") && typeof JSON.parse(l).level === "number";

describe("log format: readable on a terminal, JSON elsewhere", function () {
  this.timeout(60_000);

  it("on a terminal: pretty lines with level names and clock times, no JSON", async () => {
    const out = await firstOutput({}, true);
    const start = out.split("\n").find((l) => l.includes("fleet listening on"));
    assert.ok(start, out);
    assert.match(
      start,
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): fleet listening on http:\/\/127\.0\.0\.1:\d+ \(1 web worker\)$/,
    );
    assert.ok(!out.split("\n").some(isJsonLine), out);
  });

  it("LOG_FORMAT=json on a terminal: JSON", async () => {
    const out = await firstOutput({ LOG_FORMAT: "json" }, true);
    const lines = out.split("\n").filter(Boolean);
    assert.ok(lines.length > 0 && lines.every(isJsonLine), out);
  });

  it("LOG_FORMAT=pretty into a pipe: pretty, without colour codes", async () => {
    const out = await firstOutput({ LOG_FORMAT: "pretty" }, false);
    assert.match(out, /INFO \(\d+\): fleet listening on/);
    assert.ok(!out.includes("\x1b["), "no colour codes outside a terminal");
    assert.ok(!out.split("\n").some(isJsonLine), out);
  });

  it("LOG_FORMAT=loud is refused before anything starts", async () => {
    const fleet = await startFleet({ LOG_FORMAT: "loud" }, false);
    assert.equal(await fleet.exited, 1);
    assert.match(fleet.stderr(), /LOG_FORMAT="loud" is invalid: expected json or pretty/);
  });
});

describe("the start line says where to go and what runs", function () {
  this.timeout(60_000);
  let fleet: FleetProcess | undefined;
  afterEach(() => stopFleet(fleet));

  it("JSON on a pipe, with the real counts of web workers and job workers", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2", FLEET_ROLE: "all" });
    const line = fleet.lines.find((l) => l.msg.startsWith("fleet listening on"))!;
    assert.equal(line.msg, `fleet listening on http://127.0.0.1:${fleet.port} (2 web workers, 1 job worker)`);
    assert.equal(line.level, 30);
  });
});

describe("startLine", () => {
  it("leaves no process behind, the pty's session included", async () => {
    const before = new Set(fleetPids());
    await firstOutput({}, true);
    const left = fleetPids().filter((pid) => !before.has(pid));
    assert.deepEqual(left, [], "every process of the run stopped");
  });

  it("reads all interfaces as localhost, counts in words a person reads", () => {
    assert.equal(
      startLine("0.0.0.0", 3000, 2, 1),
      "fleet listening on http://localhost:3000 (2 web workers, 1 job worker)",
    );
    assert.equal(startLine("::", 3000, 1, 0), "fleet listening on http://localhost:3000 (1 web worker)");
    assert.equal(
      startLine("127.0.0.1", 8080, 4, 2),
      "fleet listening on http://127.0.0.1:8080 (4 web workers, 2 job workers)",
    );
    assert.equal(startLine("::1", 3000, 1, 0), "fleet listening on http://[::1]:3000 (1 web worker)");
  });
});
