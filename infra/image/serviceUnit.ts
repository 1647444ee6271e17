/**
 * The systemd unit that runs the service on every instance, generated from the shared numbers in
 * service/timing.ts so that systemd's stop timeout always outlives the service's linger and drain.
 */
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  HEALTH_CHECK_WINDOW_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  SERVICE_PORT,
  SYSTEMD_TIMEOUT_STOP_S,
} from "../../service/timing";
import { WORKER_SYSTEMD_TIMEOUT_STOP_S } from "../../service/jobs/timing";

/** Where the image installs things; the image component and the unit share these. */
export const LAYOUT = {
  user: "fleet",
  installDir: "/opt/fleet",
  unitName: "fleet.service",
  unitPath: "/etc/systemd/system/fleet.service",
  workerUnitName: "fleet-worker.service",
  workerUnitPath: "/etc/systemd/system/fleet-worker.service",
  envFile: "/etc/fleet/fleet.env",
  /**
   * StateDirectory= of both units: systemd creates /var/lib/<name> owned by the unit's user and sets
   * STATE_DIRECTORY to it, the one place besides a private /tmp a unit under ProtectSystem=strict may write
   * (https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#RuntimeDirectory=). The
   * embedded job backend's defaults live there (service/jobs/config.ts).
   */
  stateDirectoryName: "fleet",
  stateDir: "/var/lib/fleet",
  node: "/usr/local/bin/node",
  npm: "/usr/local/bin/npm",
} as const;

/**
 * How both units stop and come back: SIGTERM to the main process only (it drains its children), SIGKILL to
 * whatever is left after `timeoutStopS`, and a restart after a crash.
 */
function stopAndRestart(timeoutStopS: number): string[] {
  return [
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${timeoutStopS}`,
    "Restart=on-failure",
    "RestartSec=2",
    "LimitNOFILE=65536",
    `MemoryMax=${UNIT_MEMORY_MAX_PERCENT}%`,
  ];
}

export interface UnitOptions {
  port?: number;
  shutdownTimeoutMs?: number;
  logLevel?: string;
}

export function renderServiceUnit(opts: UnitOptions = {}): string {
  const port = opts.port ?? SERVICE_PORT;
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (shutdownTimeoutMs > MAX_SHUTDOWN_TIMEOUT_MS) {
    throw new Error(
      `SHUTDOWN_TIMEOUT_MS ${shutdownTimeoutMs} exceeds ${MAX_SHUTDOWN_TIMEOUT_MS}: after the ${HEALTH_CHECK_WINDOW_MS} ms linger, systemd would SIGKILL the drain (TimeoutStopSec=${SYSTEMD_TIMEOUT_STOP_S})`,
    );
  }
  return [
    ...preamble("fleet web service (Fastify cluster)"),
    "# The web role only: an instance without user data (the image test) runs what the web fleet runs.",
    "Environment=FLEET_ROLE=web",
    `Environment=PORT=${port}`,
    "Environment=HOST=0.0.0.0",
    `Environment=SHUTDOWN_TIMEOUT_MS=${shutdownTimeoutMs}`,
    `Environment=LOG_LEVEL=${opts.logLevel ?? "info"}`,
    "# Optional per-instance overrides (WEB_CONCURRENCY, API_MAX_N, ...); absent by default.",
    `EnvironmentFile=-${LAYOUT.envFile}`,
    `ExecStart=${LAYOUT.node} ${LAYOUT.installDir}/dist/service/main.js`,
    "# SIGHUP: rolling reload of the workers.",
    "ExecReload=/bin/kill -HUP $MAINPID",
    "# SIGTERM to the primary only: it serves while the load balancer still routes here (at most the health-check",
    "# window), then drains its workers; SIGKILL to everything left after TimeoutStopSec.",
    ...stopAndRestart(SYSTEMD_TIMEOUT_STOP_S),
    "SyslogIdentifier=fleet",
    "# Sandboxing: the service only needs to read its code and listen on an unprivileged port.",
    ...SANDBOX,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Both units' start: the network first, restart limits, the unprivileged user in the install directory. */
function preamble(description: string): string[] {
  return [
    "[Unit]",
    `Description=${description}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "StartLimitIntervalSec=120",
    "StartLimitBurst=5",
    "",
    "[Service]",
    "Type=exec",
    `User=${LAYOUT.user}`,
    `Group=${LAYOUT.user}`,
    `WorkingDirectory=${LAYOUT.installDir}`,
    "# The install directory is root's and read-only; local state (the embedded job backend) goes here.",
    `StateDirectory=${LAYOUT.stateDirectoryName}`,
    "StateDirectoryMode=0750",
    "Environment=NODE_ENV=production",
  ];
}

/**
 * MemoryMax= of both units, as a share of the instance's memory (systemd reads "N%" relative to the
 * installed physical memory: https://www.freedesktop.org/software/systemd/man/latest/systemd.resource-control.html#MemoryMax=bytes),
 * so one figure fits every instance type. The rest (on the default t3.small's 2 GiB, about 410 MB) is the
 * kernel's, the SSM and CloudWatch agents' and the page cache's: past the limit the kernel kills inside the
 * unit (systemd restarts it) instead of the instance thrashing until the health check fails. The job
 * worker derives its render budget from this same limit at run time (service/jobs/memory-gate.ts reads
 * the cgroup's limit), so a larger instance gets more renders in flight with no other setting.
 */
export const UNIT_MEMORY_MAX_PERCENT = 80;

/** What both units may not do: no privileges, a read-only system, no kernel or device access. */
const SANDBOX = [
  "NoNewPrivileges=yes",
  "ProtectSystem=strict",
  "ProtectHome=yes",
  "PrivateTmp=yes",
  "PrivateDevices=yes",
  "ProtectKernelTunables=yes",
  "ProtectKernelModules=yes",
  "ProtectKernelLogs=yes",
  "ProtectControlGroups=yes",
  "ProtectClock=yes",
  "ProtectHostname=yes",
  "RestrictSUIDSGID=yes",
  "RestrictNamespaces=yes",
  "RestrictRealtime=yes",
  "LockPersonality=yes",
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
  "CapabilityBoundingSet=",
  "AmbientCapabilities=",
] as const;

/**
 * The `fleet-worker` unit: the same program with FLEET_ROLE=worker (takes jobs from the queue, serves no
 * port). Its stop timeout outlives the worker's drain (WORKER_SYSTEMD_TIMEOUT_STOP_S): on SIGTERM running
 * jobs finish or are given back before systemd would SIGKILL them.
 */
export function renderWorkerUnit(opts: { logLevel?: string } = {}): string {
  return [
    ...preamble("fleet job worker (takes jobs from the queue)"),
    "Environment=FLEET_ROLE=worker",
    `Environment=LOG_LEVEL=${opts.logLevel ?? "info"}`,
    "# The launch template writes the queue, table and bucket names here (infra/shared/userData.ts).",
    `EnvironmentFile=-${LAYOUT.envFile}`,
    `ExecStart=${LAYOUT.node} ${LAYOUT.installDir}/dist/service/main.js`,
    "# SIGTERM: stop taking jobs, let running ones finish until the drain deadline, give the rest back.",
    ...stopAndRestart(WORKER_SYSTEMD_TIMEOUT_STOP_S),
    "SyslogIdentifier=fleet-worker",
    "# Sandboxing: the worker reads its code and talks HTTPS to AWS; it listens on nothing.",
    ...SANDBOX,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
