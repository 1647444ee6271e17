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
} from "../service/timing";

/** Where the image installs things; the image component and the unit share these. */
export const LAYOUT = {
  user: "fleet",
  installDir: "/opt/fleet",
  unitName: "fleet.service",
  unitPath: "/etc/systemd/system/fleet.service",
  envFile: "/etc/fleet/fleet.env",
  node: "/usr/local/bin/node",
  npm: "/usr/local/bin/npm",
} as const;

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
    "[Unit]",
    "Description=fleet web service (Fastify cluster)",
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
    "Environment=NODE_ENV=production",
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
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${SYSTEMD_TIMEOUT_STOP_S}`,
    "Restart=on-failure",
    "RestartSec=2",
    "LimitNOFILE=65536",
    "SyslogIdentifier=fleet",
    "# Sandboxing: the service only needs to read its code and listen on an unprivileged port.",
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
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
