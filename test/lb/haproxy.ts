/**
 * HAProxy for the load-balancer suite: started from test/lb/haproxy.cfg on loopback ports, driven through
 * its runtime API (a unix socket in a temporary directory) the way the Auto Scaling Group drives the
 * target group, and stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const HAPROXY_CFG = path.join(__dirname, "haproxy.cfg");

/** The slots of the config's backend: three instances and one for the scale-out. */
export const SLOTS = ["i1", "i2", "i3", "i4"] as const;
export type Slot = (typeof SLOTS)[number];

/** Why HAProxy cannot run here, or undefined when `haproxy -v` works. */
export function haproxyMissing(): string | undefined {
  const r = spawnSync("haproxy", ["-v"], { stdio: "pipe" });
  if (r.error) return `haproxy is not installed (${(r.error as NodeJS.ErrnoException).code})`;
  return r.status === 0 ? undefined : `haproxy -v exited ${r.status}: ${r.stderr.toString().trim()}`;
}

/** One state of a server as `show servers state` reports it. */
export interface ServerState {
  name: string;
  /** 0 stopped (DOWN), 1 starting, 2 running (UP), 3 stopping. */
  opState: number;
  /** Bit field; 0 is in service, 1 or 4 (forced or inherited) maintenance, 8 drain. */
  adminState: number;
}

export interface Haproxy {
  port: number;
  /** One runtime API command; resolves with its answer. */
  command(cmd: string): Promise<string>;
  servers(): Promise<Map<string, ServerState>>;
  /** Resolves once `ok` holds for the named server, polling every 250 ms; rejects after timeoutMs. */
  waitForServer(name: Slot, ok: (s: ServerState) => boolean, timeoutMs: number): Promise<void>;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startHaproxy(ports: { lb: number } & Record<Slot, number>): Promise<Haproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-lb-"));
  const socket = path.join(dir, "admin.sock");
  const proc: ChildProcess = spawn("haproxy", ["-db", "-f", HAPROXY_CFG], {
    env: {
      PATH: process.env.PATH,
      LB_SOCKET: socket,
      LB_PORT: String(ports.lb),
      LB_I1_PORT: String(ports.i1),
      LB_I2_PORT: String(ports.i2),
      LB_I3_PORT: String(ports.i3),
      LB_I4_PORT: String(ports.i4),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (err += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));

  const command = (cmd: string) =>
    new Promise<string>((resolve, reject) => {
      const conn = net.connect(socket, () => conn.end(`${cmd}\n`));
      let out = "";
      conn.setTimeout(5_000, () => conn.destroy(new Error(`haproxy runtime API: no answer to ${cmd}`)));
      conn.on("data", (c: Buffer) => (out += c.toString()));
      conn.on("end", () => resolve(out));
      conn.on("error", reject);
    });
  const servers = async () => {
    const map = new Map<string, ServerState>();
    for (const line of (await command("show servers state fleet")).split("\n")) {
      const f = line.trim().split(/\s+/);
      // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...
      if (f.length > 7 && f[1] === "fleet")
        map.set(f[3]!, { name: f[3]!, opState: Number(f[5]), adminState: Number(f[6]) });
    }
    return map;
  };
  const haproxy: Haproxy = {
    port: ports.lb,
    command,
    servers,
    async waitForServer(name, ok, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: ServerState | undefined;
      while (Date.now() < deadline) {
        last = (await servers()).get(name);
        if (last && ok(last)) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(
        `haproxy server ${name} did not reach the state in ${timeoutMs} ms: ${JSON.stringify(last)}\n${err}`,
      );
    },
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready once the runtime API answers and the three instances are UP.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited ${proc.exitCode}: ${err}`);
    try {
      const s = await servers();
      if (["i1", "i2", "i3"].every((n) => s.get(n)?.opState === 2)) return haproxy;
    } catch {
      // the socket is not there yet
    }
    if (Date.now() > deadline) {
      await haproxy.stop();
      throw new Error(`haproxy did not come up within 10 s: ${err}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
