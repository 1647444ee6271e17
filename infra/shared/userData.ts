/**
 * What an instance learns at boot: the environment file the systemd units read (which role it plays, the
 * AWS job resources by the names in service/jobs/aws-env.ts, the job settings the infra was built with),
 * and the user data script that writes it and then enables its role's unit. The image enables neither
 * unit, so neither starts before its settings exist. Pure: tested without Pulumi.
 *
 * A worker also learns its group and termination hook (AWS_WORKER_ENV): the worker process protects its
 * instance from scale-in while busy, watches IMDS for the termination, drains, and completes the hook
 * itself (service/jobs/aws/worker-hooks.ts on the AWS-backend branch).
 */
import { AWS_JOBS_ENV, AWS_WORKER_ENV } from "../../service/jobs/aws-env";
import { LAYOUT } from "../image/serviceUnit";

export const FLEET_ROLES = ["web", "worker"] as const;
export type FleetRole = (typeof FLEET_ROLES)[number];

/** The AWS job resources, by AWS_JOBS_ENV key. */
export type JobsResources = { [K in keyof typeof AWS_JOBS_ENV]: string };

export interface InstanceEnvInput {
  role: FleetRole;
  region: string;
  resources: JobsResources;
  maxAttempts: number;
  visibilityTimeoutS: number;
  /**
   * Web only: CORS_ORIGINS (`fleet:corsOrigins`, checked by service/config.ts's rules). Empty or absent: the
   * variable is not written, and the service (NODE_ENV=production in its unit) allows no cross-origin call.
   */
  corsOrigins?: readonly string[];
  /** JOBS_RETENTION_S; omitted: the service's default (7 days). */
  retentionS?: number;
  /** Web only: TRUST_PROXY, the proxies in front that append to X-Forwarded-For (proxyHops). */
  trustProxy?: number;
  /** Web only: JOBS_WORKER_SLOTS, the fleet's most jobs at once (workerMaxSize × workerConcurrency). */
  workerSlots?: number;
  /** Web only: JOBS_CLIENT_QUOTA_S, sized to the web group's processes (clientQuotaForProcesses). */
  clientQuotaS?: number;
  /** Worker only: WORKER_CONCURRENCY, the group's name and its termination hook. */
  worker?: { concurrency: number; groupName: string; lifecycleHookName: string };
}

/**
 * TRUST_PROXY for the web instances: how many proxies append to X-Forwarded-For before the service, so it
 * takes the address that many entries from the right as the client's (what its per-client quotas count).
 *  - The ALB, in its default `append` mode, appends the address of the client it heard from
 *    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html#x-forwarded-for-append):
 *    one hop when clients reach the ALB directly (a stack with a certificate).
 *  - CloudFront in front (infra/web/apiCdn.ts) first appends the viewer's address
 *    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#RequestCustomIPAddresses),
 *    then the ALB appends the CloudFront edge server's: two hops. The ALB there admits only CloudFront's
 *    origin-facing addresses carrying the secret header, so no request reaches it around CloudFront with
 *    one hop fewer; everything left of the viewer's entry is whatever the client sent, never trusted.
 */
export function proxyHops(behindCloudFront: boolean): number {
  return behindCloudFront ? 2 : 1;
}

/** The environment file's variables, in a stable order. */
export function instanceEnvironment(input: InstanceEnvInput): Array<[string, string]> {
  if ((input.role === "worker") !== (input.worker !== undefined)) {
    throw new Error(`instanceEnvironment: the worker settings belong to the worker role (role ${input.role})`);
  }
  if (input.role !== "web" && (input.trustProxy !== undefined || input.workerSlots !== undefined)) {
    throw new Error(
      `instanceEnvironment: TRUST_PROXY and JOBS_WORKER_SLOTS belong to the web role (role ${input.role})`,
    );
  }
  if (input.role !== "web" && input.corsOrigins !== undefined) {
    throw new Error(`instanceEnvironment: CORS_ORIGINS belongs to the web role (role ${input.role})`);
  }
  const env: Array<[string, string]> = [
    ["FLEET_ROLE", input.role],
    ["JOBS_BACKEND", "aws"],
    ["AWS_REGION", input.region],
    ...(Object.keys(AWS_JOBS_ENV) as Array<keyof typeof AWS_JOBS_ENV>).map(
      (k) => [AWS_JOBS_ENV[k], input.resources[k]] as [string, string],
    ),
    ["JOBS_MAX_ATTEMPTS", String(input.maxAttempts)],
    ["JOBS_VISIBILITY_TIMEOUT_S", String(input.visibilityTimeoutS)],
    ...(input.retentionS !== undefined ? [["JOBS_RETENTION_S", String(input.retentionS)] as [string, string]] : []),
  ];
  if (input.trustProxy !== undefined) env.push(["TRUST_PROXY", String(input.trustProxy)]);
  if (input.workerSlots !== undefined) env.push(["JOBS_WORKER_SLOTS", String(input.workerSlots)]);
  if (input.clientQuotaS !== undefined) env.push(["JOBS_CLIENT_QUOTA_S", String(input.clientQuotaS)]);
  if (input.corsOrigins !== undefined && input.corsOrigins.length > 0) {
    env.push(["CORS_ORIGINS", input.corsOrigins.join(",")]);
  }
  if (input.worker) {
    env.push(
      ["WORKER_CONCURRENCY", String(input.worker.concurrency)],
      [AWS_WORKER_ENV.autoScalingGroup, input.worker.groupName],
      [AWS_WORKER_ENV.lifecycleHook, input.worker.lifecycleHookName],
    );
  }
  return env;
}

/** systemd's EnvironmentFile syntax, restricted to values that need no quoting (names and URLs do not). */
export function renderEnvFile(env: Array<[string, string]>): string {
  for (const [name, value] of env) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`environment name ${JSON.stringify(name)} is not NAME_STYLE`);
    // `*` is literal in an EnvironmentFile (no globbing): CORS_ORIGINS=* means what it says.
    if (!/^[A-Za-z0-9_.:/@+=,*-]+$/.test(value)) {
      throw new Error(`${name}=${JSON.stringify(value)} would need quoting in an EnvironmentFile`);
    }
  }
  return env.map(([name, value]) => `${name}=${value}\n`).join("");
}

/** A heredoc whose terminator cannot occur in the body (the bodies here are ours, but check anyway). */
function heredoc(path: string, body: string, mode: string): string {
  const end = "FLEET_EOF";
  if (body.split("\n").includes(end)) throw new Error(`heredoc body for ${path} contains ${end}`);
  return `cat > ${path}.new <<'${end}'\n${body}${body.endsWith("\n") ? "" : "\n"}${end}\nchmod ${mode} ${path}.new\nmv ${path}.new ${path}\n`;
}

/** The user data: write the environment file, then enable the role's unit. */
export function renderUserData(input: InstanceEnvInput): string {
  const unit = input.role === "worker" ? LAYOUT.workerUnitName : LAYOUT.unitName;
  const parts = [
    "#!/bin/bash",
    `# fleet ${input.role} instance (infra/shared/userData.ts): settings first, then the ${unit} unit.`,
    "set -euo pipefail",
    "umask 022",
    `install -d -m 0755 ${LAYOUT.envFile.slice(0, LAYOUT.envFile.lastIndexOf("/"))}`,
    heredoc(LAYOUT.envFile, renderEnvFile(instanceEnvironment(input)), "0644"),
  ];
  parts.push("systemctl daemon-reload", `systemctl enable --now ${unit}`, "");
  return parts.join("\n");
}
