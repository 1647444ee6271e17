/**
 * An instance's start, reproduced offline: runs the built service (`npm run build` → dist/service) exactly as
 * a systemd unit of the image (infra/image/serviceUnit.ts) runs it on an instance launched from the AMI
 * without user data, and reports every way it falls short of a clean start.
 *
 * From the rendered unit it takes ExecStart=, WorkingDirectory=, User=, the Environment= lines,
 * StateDirectory= (systemd creates /var/lib/<name> for the user and sets STATE_DIRECTORY) and PrivateTmp=.
 * No environment file: the unit's `EnvironmentFile=-…` is optional and an instance without user data has
 * none. The install directory is a root-owned, read-only copy of dist/service, package.json and
 * package-lock.json (node_modules bound read-only: the repo's, a superset of the image's `npm ci --omit=dev`).
 *
 * Sandboxes, best first:
 *  - `bwrap` (bubblewrap) as root, then `setpriv` to an unprivileged uid: the whole file system read-only
 *    (ProtectSystem=strict), the install copy at the unit's own paths, the state directory the only writable
 *    place besides a private tmpfs /tmp; ExecStart runs verbatim (this Node.js bound at its path);
 *  - `setpriv` alone (root without bwrap): the same user, environment and read-only install copy, with the
 *    unit's paths rewritten to the copies, and /tmp private through TMPDIR;
 *  - `bwrap` alone when not root (the caller is already unprivileged).
 * Without any of them nothing can drop privileges: `detectSandbox` says why and the caller skips.
 *
 * The unprivileged user is `nobody` (65534): the image's `fleet` user exists on instances only.
 * PORT and HOST are the only overrides (a free port on 127.0.0.1): the unit's port may be taken on a shared
 * machine, and tests bind loopback only. Everything else is the unit's.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** The unprivileged identity the unit's User= is played by (the image's `fleet` exists on instances only). */
export const UNPRIVILEGED = { uid: 65534, gid: 65534, home: "/nonexistent", shell: "/sbin/nologin" } as const;

export const SANDBOX_KINDS = ["bwrap+setpriv", "setpriv", "bwrap"] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];
export type Sandbox = { kind: SandboxKind } | { kind: "none"; why: string };

/** What a unit file tells systemd to run, as far as the start goes. */
export interface UnitSpec {
  user: string;
  workingDirectory: string;
  /** ExecStart= split on spaces (the units' commands need no quoting). */
  execStart: string[];
  environment: Array<[string, string]>;
  /** EnvironmentFile= entries; a leading `-` marks an optional one. */
  environmentFiles: string[];
  stateDirectory?: string;
  privateTmp: boolean;
}

/** The [Service] section of a unit file. Environment= values here are plain `NAME=value` (no quoting). */
export function parseUnit(text: string): UnitSpec {
  const values = new Map<string, string[]>();
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) section = header[1]!;
    else if (section === "Service" && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf("=");
      values.set(line.slice(0, i), [...(values.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
    }
  }
  const last = (k: string) => values.get(k)?.at(-1);
  const execStart = last("ExecStart");
  if (!execStart) throw new Error("the unit has no ExecStart=");
  return {
    user: last("User") ?? "root",
    workingDirectory: last("WorkingDirectory") ?? "/",
    execStart: execStart.split(/\s+/),
    environment: (values.get("Environment") ?? []).map((e) => {
      const i = e.indexOf("=");
      return [e.slice(0, i), e.slice(i + 1)] as [string, string];
    }),
    environmentFiles: values.get("EnvironmentFile") ?? [],
    ...(last("StateDirectory") ? { stateDirectory: last("StateDirectory")! } : {}),
    privateTmp: last("PrivateTmp") === "yes",
  };
}

function works(command: string, args: string[]): boolean {
  const run = spawnSync(command, args, { stdio: "ignore", timeout: 10_000 });
  return run.status === 0;
}

/** The best sandbox this machine offers, or why there is none. */
export function detectSandbox(): Sandbox {
  const root = process.getuid?.() === 0;
  const bwrap = works("bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "true"]);
  const setpriv = root && works("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
  if (root && bwrap && setpriv) return { kind: "bwrap+setpriv" };
  if (root && setpriv) return { kind: "setpriv" };
  if (!root && bwrap) return { kind: "bwrap" };
  return {
    kind: "none",
    why: root
      ? "running as root and setpriv cannot switch to uid 65534 (util-linux missing or no CAP_SETUID)"
      : "not root and bwrap cannot create its namespaces (install bubblewrap, allow unprivileged user namespaces)",
  };
}

/** A free TCP port on 127.0.0.1 (closed again at once; the unit binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A running unit: its output so far, and how to stop it like systemd (SIGTERM to the main process). */
export interface StartedUnit {
  readonly sandbox: SandboxKind;
  /** Host directory playing the unit's state directory (STATE_DIRECTORY). */
  readonly stateDir: string;
  /** Host directory playing the install directory. */
  readonly installDir: string;
  /** stdout lines parsed as pino JSON (a line that is not JSON is kept as { msg: line, level: 60 }). */
  readonly lines: Array<Record<string, any>>;
  stderr(): string;
  /** Resolves with the exit code (null: killed by a signal). */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** SIGTERM to the main process (the pid its log lines carry); SIGKILL to everything after `timeoutMs`. */
  stop(timeoutMs: number): Promise<number | null>;
  /** Removes the scratch directories (after the process is gone). */
  cleanup(): void;
}

export interface StartOptions {
  /** Repository root: dist/service (built), package.json, package-lock.json, node_modules. */
  root: string;
  sandbox: SandboxKind;
  /** Environment= values replaced (PORT, HOST); everything else is the unit's. */
  overrides?: Record<string, string>;
}

/** The root-owned, read-only install copy and the state directory (owned by the unprivileged user). */
function prepareDirs(
  root: string,
  sandbox: SandboxKind,
): { scratch: string; install: string; state: string; tmp: string } {
  if (!fs.existsSync(path.join(root, "dist", "service", "main.js"))) {
    throw new Error(`${path.join(root, "dist", "service", "main.js")} is missing: run \`npm run build\` first`);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-unit-"));
  fs.chmodSync(scratch, 0o755);
  const install = path.join(scratch, "install");
  fs.mkdirSync(install, { mode: 0o755 });
  fs.cpSync(path.join(root, "dist", "service"), path.join(install, "dist", "service"), { recursive: true });
  for (const f of ["package.json", "package-lock.json"]) fs.copyFileSync(path.join(root, f), path.join(install, f));
  if (sandbox === "setpriv") fs.symlinkSync(path.join(root, "node_modules"), path.join(install, "node_modules"));
  else fs.mkdirSync(path.join(install, "node_modules"));
  // Read-only for everyone but root, as the image's `chown -R root:root; chmod -R u=rwX,go=rX` leaves it.
  spawnSync("chmod", ["-R", "u=rwX,go=rX", install]);
  const state = path.join(scratch, "state");
  const tmp = path.join(scratch, "tmp");
  fs.mkdirSync(state, { mode: 0o750 });
  fs.mkdirSync(tmp, { mode: 0o700 });
  if (sandbox !== "bwrap") {
    fs.chownSync(state, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
    fs.chownSync(tmp, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
  return { scratch, install, state, tmp };
}

/** The environment systemd gives the unit's main process: its own variables plus the unit's lines. */
function unitEnvironment(spec: UnitSpec, stateDir: string | undefined, overrides: Record<string, string>) {
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
    HOME: UNPRIVILEGED.home,
    USER: spec.user,
    LOGNAME: spec.user,
    SHELL: UNPRIVILEGED.shell,
    INVOCATION_ID: randomBytes(16).toString("hex"),
  };
  if (stateDir) env.STATE_DIRECTORY = stateDir;
  for (const [k, v] of spec.environment) env[k] = v;
  return { ...env, ...overrides };
}

/** The command line that runs the unit's ExecStart in the sandbox. */
function commandLine(
  spec: UnitSpec,
  sandbox: SandboxKind,
  dirs: { root: string; install: string; state: string; tmp: string },
  env: Record<string, string>,
): { argv: string[]; env: Record<string, string>; cwd: string } {
  const drop = [`--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, "--clear-groups", "--no-new-privs"];
  const [bin, ...args] = spec.execStart;
  const stateMount = spec.stateDirectory ? `/var/lib/${spec.stateDirectory}` : undefined;
  if (sandbox === "setpriv") {
    // No mount namespace: the unit's paths point at the copies instead.
    const rewrite = (a: string) => a.replace(spec.workingDirectory, dirs.install);
    return {
      argv: ["setpriv", ...drop, "--", process.execPath, ...args.map(rewrite)],
      env: { ...env, ...(stateMount ? { STATE_DIRECTORY: dirs.state } : {}), TMPDIR: dirs.tmp },
      cwd: dirs.install,
    };
  }
  const bwrap = ["--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  if (spec.privateTmp) bwrap.push("--tmpfs", "/tmp");
  // Mount points must exist: a tmpfs over the parent (read-only root) makes room for each bind.
  bwrap.push("--tmpfs", path.dirname(spec.workingDirectory), "--ro-bind", dirs.install, spec.workingDirectory);
  bwrap.push("--ro-bind", path.join(dirs.root, "node_modules"), path.join(spec.workingDirectory, "node_modules"));
  if (stateMount) bwrap.push("--tmpfs", path.dirname(stateMount), "--bind", dirs.state, stateMount);
  bwrap.push("--tmpfs", path.dirname(bin!), "--ro-bind", process.execPath, bin!);
  bwrap.push("--chdir", spec.workingDirectory, "--clearenv");
  for (const [k, v] of Object.entries(env)) bwrap.push("--setenv", k, v);
  const inner = sandbox === "bwrap+setpriv" ? ["/usr/bin/setpriv", ...drop, "--", bin!, ...args] : [bin!, ...args];
  return { argv: ["bwrap", ...bwrap, "--", ...inner], env: {}, cwd: "/" };
}

/** Starts the unit in the sandbox; the caller must `stop` and `cleanup` it. */
export function startUnit(spec: UnitSpec, options: StartOptions): StartedUnit {
  const dirs = prepareDirs(options.root, options.sandbox);
  const stateMount = spec.stateDirectory ? `/var/lib/${spec.stateDirectory}` : undefined;
  const env = unitEnvironment(spec, stateMount, options.overrides ?? {});
  const cmd = commandLine(spec, options.sandbox, { ...dirs, root: options.root }, env);
  const child: ChildProcess = spawn(cmd.argv[0]!, cmd.argv.slice(1), {
    cwd: cmd.cwd,
    env: cmd.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, any>> = [];
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts.filter((l) => l.trim())) {
      try {
        lines.push(JSON.parse(line) as Record<string, any>);
      } catch {
        lines.push({ level: 60, msg: line });
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      stderr += `${err.message}\n`;
      done = true;
      resolve(null);
    });
    child.on("exit", (code) => {
      done = true;
      resolve(code);
    });
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  return {
    sandbox: options.sandbox,
    stateDir: dirs.state,
    installDir: dirs.install,
    lines,
    stderr: () => stderr,
    exited,
    hasExited: () => done,
    async stop(timeoutMs) {
      if (done) return exited;
      // The main process is node (the pid its lines carry), not bwrap: systemd signals the main process.
      const main = lines.find((l) => typeof l.pid === "number")?.pid as number | undefined;
      try {
        if (main) process.kill(main, "SIGTERM");
        else killGroup("SIGTERM");
      } catch {
        killGroup("SIGTERM");
      }
      const timer = setTimeout(() => killGroup("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    cleanup() {
      killGroup("SIGKILL");
      fs.rmSync(path.dirname(dirs.install), { recursive: true, force: true });
    },
  };
}

/** GET http://127.0.0.1:<port><path>: the status code, or 0 when nothing answers. */
export function httpStatus(port: number, urlPath: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Polls `check` every `everyMs` until it is true, `giveUp` is true, or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  giveUp: () => boolean = () => false,
  everyMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (giveUp()) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}
