/**
 * The EC2 Image Builder (AWSTOE) component document that turns Amazon Linux 2023 into a fleet
 * instance: the pinned Node.js release (infra/image/nodeRelease.ts), an unprivileged user, the service bundle
 * installed with `npm ci --omit=dev`, the systemd unit, and the CloudWatch agent shipping the units'
 * journals and memory/disk metrics. Generated from code so the numbers come from service/timing.ts.
 */
import { HEALTH_CHECK_PATH, SERVICE_PORT } from "../../service/timing";
import { cloudWatchAgentConfig, MIN_AGENT_VERSION } from "../observability/agentConfig";
import { NODE_VERSION, nodeTarball } from "./nodeRelease";
import { LAYOUT, renderServiceUnit, renderWorkerUnit } from "./serviceUnit";

/** Where the build leaves the agent's configuration before the agent translates it. */
export const AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/fleet-agent.json";
const AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";

/**
 * The one bundle upload an image is built from: the S3 object version and its SHA-256. The build downloads
 * that version (not whatever the key holds by then) and checks the bytes against the sum S3 verified at upload.
 */
export interface BundlePin {
  region: string;
  bucket: string;
  key: string;
  /** The object's version id (the bundle bucket is versioned). */
  versionId: string;
  /** SHA-256 of the zip, 64 hex digits (bundleSha256Hex of the object's checksumSha256). */
  sha256: string;
}

export class BundlePinError extends Error {
  override name = "BundlePinError";
  constructor(
    readonly field: keyof BundlePin,
    readonly value: unknown,
    fix: string,
  ) {
    super(`the image's bundle pin: ${field} is ${JSON.stringify(value)}: ${fix}`);
  }
}

/**
 * S3 reports an object's SHA-256 as base64 of the 32-byte digest, present when it was uploaded with
 * ChecksumAlgorithm SHA256; for a single-part upload it is the digest of the whole object
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html). sha256sum wants hex.
 */
export function bundleSha256Hex(checksumSha256: string | undefined): string {
  const bytes = Buffer.from(checksumSha256 ?? "", "base64");
  if (!checksumSha256 || bytes.length !== 32 || bytes.toString("base64") !== checksumSha256) {
    throw new BundlePinError(
      "sha256",
      checksumSha256,
      "the bundle object needs checksumAlgorithm SHA256, so S3 reports the base64 SHA-256 of a single-part upload",
    );
  }
  return bytes.toString("hex");
}

/** The bundle step: that version, with the CLI (which takes a version id), then its sum. */
function downloadBundleScript(bundle: BundlePin): string {
  if (!/^[0-9a-f]{64}$/.test(bundle.sha256)) {
    throw new BundlePinError("sha256", bundle.sha256, "64 hex digits (bundleSha256Hex)");
  }
  if (!/^[A-Za-z0-9._-]+$/.test(bundle.versionId) || bundle.versionId === "null") {
    throw new BundlePinError("versionId", bundle.versionId, "the version id S3 gave the upload (a versioned bucket)");
  }
  // https://docs.aws.amazon.com/cli/latest/reference/s3api/get-object.html: --version-id picks the version;
  // the builder role may s3:GetObjectVersion on the bundle bucket (infra/image/image.ts).
  return `
aws s3api get-object --region ${bundle.region} --bucket ${bundle.bucket} --key ${bundle.key} \
  --version-id ${bundle.versionId} /tmp/fleet-bundle.zip >/dev/null
# The sum S3 verified when the bundle was uploaded: a bundle changed since fails the build.
echo "${bundle.sha256}  /tmp/fleet-bundle.zip" | sha256sum -c -`;
}

export interface ComponentDocOptions {
  /** The zipped bundle (dist/service, package.json, package-lock.json), by version and checksum. */
  bundle: BundlePin;
  architecture: "x86_64" | "arm64";
  /** The stack's instance log group (infra/observability/agentConfig.ts instanceLogGroupName). */
  logGroupName: string;
  /** systemd units whose journals the agent ships; default: both units the image installs. */
  logUnits?: readonly string[];
}

/** A YAML scalar: multi-line strings as literal blocks, everything else JSON-quoted (valid YAML). */
type Yaml = string | number | boolean | { raw: string } | Yaml[] | { [k: string]: Yaml };

function emit(value: Yaml, indent: number): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        const body = emit(item, indent + 2);
        return `\n${pad}- ${body.replace(/^\n\s*/, "")}`;
      })
      .join("");
  }
  if (typeof value === "object" && !("raw" in value)) {
    return Object.entries(value)
      .map(([k, v]) => {
        const body = emit(v, indent + 2);
        return `\n${pad}${k}:${body.startsWith("\n") ? body : " " + body}`;
      })
      .join("");
  }
  if (typeof value === "object") return (value as { raw: string }).raw;
  if (typeof value === "string" && value.includes("\n")) {
    const lines = value.replace(/\n$/, "").split("\n");
    return "|\n" + lines.map((l) => (l === "" ? "" : pad + l)).join("\n");
  }
  return JSON.stringify(value);
}

function bash(name: string, script: string): Yaml {
  return { name, action: "ExecuteBash", inputs: { commands: [`set -euo pipefail\n${script.trim()}\n`] } };
}

export function renderImageComponent(opts: ComponentDocOptions): string {
  const tarball = nodeTarball(opts.architecture === "arm64" ? "arm64" : "x64");
  const agentConfig =
    JSON.stringify(
      cloudWatchAgentConfig({
        logGroupName: opts.logGroupName,
        units: opts.logUnits ?? [LAYOUT.unitName, LAYOUT.workerUnitName],
      }),
      null,
      2,
    ) + "\n";
  const unit = renderServiceUnit();
  const health = `http://127.0.0.1:${SERVICE_PORT}${HEALTH_CHECK_PATH}`;
  const doc: Yaml = {
    name: "fleet-service",
    description: `Installs Node.js ${NODE_VERSION}, the fleet service as a sandboxed systemd unit, and the CloudWatch agent`,
    schemaVersion: { raw: "1.0" },
    phases: [
      {
        name: "build",
        steps: [
          // awscli-2 (Amazon Linux 2023's AWS CLI v2 package): the bundle is downloaded by its version id.
          bash("InstallTools", "dnf install -y tar xz unzip awscli-2"),
          bash(
            "InstallNode",
            `
work=$(mktemp -d)
cd "$work"
curl -fsSLO ${tarball.url}
# The pinned checksum (infra/image/nodeRelease.ts), not one fetched from the same server as the tarball.
echo "${tarball.sha256}  ${tarball.file}" | sha256sum -c -
rm -rf /usr/local/lib/nodejs && mkdir -p /usr/local/lib/nodejs
tar -xJf "${tarball.file}" -C /usr/local/lib/nodejs --strip-components=1
ln -sf /usr/local/lib/nodejs/bin/node ${LAYOUT.node}
ln -sf /usr/local/lib/nodejs/bin/npm ${LAYOUT.npm}
rm -rf "$work"
${LAYOUT.node} --version`,
          ),
          bash("InstallCloudWatchAgent", "dnf install -y amazon-cloudwatch-agent"),
          bash(
            "CheckCloudWatchAgentVersion",
            `
# The journald input exists from agent ${MIN_AGENT_VERSION} on: an older agent starts, ships no journal at all,
# and says so nowhere. Fail the image instead (infra/observability/agentConfig.ts MIN_AGENT_VERSION).
min=${MIN_AGENT_VERSION}
have=$(rpm -q --queryformat '%{VERSION}' amazon-cloudwatch-agent)
if [ "$(printf '%s\\n' "$min" "$have" | sort -V | head -n 1)" != "$min" ]; then
  echo "amazon-cloudwatch-agent $have is older than $min, the first release with the journald logs input: the instances would ship no logs. Use a repository or the S3 package (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/download-CloudWatch-Agent-on-EC2-Instance-commandline-first.html) with $min or later." >&2
  exit 1
fi
echo "amazon-cloudwatch-agent $have (journald input needs $min or later)"`,
          ),
          {
            name: "WriteCloudWatchAgentConfig",
            action: "CreateFile",
            inputs: [
              {
                path: AGENT_CONFIG_PATH,
                content: agentConfig,
                owner: "root",
                group: "root",
                permissions: "0644",
                overwrite: true,
              },
            ],
          },
          bash(
            "ConfigureCloudWatchAgent",
            `
# Translates (and so validates) the configuration with the installed agent: an agent that does not know
# the journald input fails the build here. Not started (-s) on the build instance: it starts at boot.
${AGENT_CTL} -a fetch-config -m ec2 -c file:${AGENT_CONFIG_PATH}
systemctl enable amazon-cloudwatch-agent`,
          ),
          bash(
            "CreateServiceUser",
            `id -u ${LAYOUT.user} >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /sbin/nologin ${LAYOUT.user}`,
          ),
          bash("DownloadBundle", downloadBundleScript(opts.bundle)),
          bash(
            "InstallBundle",
            `
rm -rf ${LAYOUT.installDir} && mkdir -p ${LAYOUT.installDir}
unzip -q /tmp/fleet-bundle.zip -d ${LAYOUT.installDir}
rm -f /tmp/fleet-bundle.zip
cd ${LAYOUT.installDir}
HOME=/root PATH=/usr/local/bin:$PATH ${LAYOUT.npm} ci --omit=dev --ignore-scripts --no-audit --no-fund
chown -R root:root ${LAYOUT.installDir}
chmod -R u=rwX,go=rX ${LAYOUT.installDir}
mkdir -p $(dirname ${LAYOUT.envFile})`,
          ),
          {
            name: "InstallUnit",
            action: "CreateFile",
            inputs: [
              {
                path: LAYOUT.unitPath,
                content: unit,
                owner: "root",
                group: "root",
                permissions: "0644",
                overwrite: true,
              },
              {
                path: LAYOUT.workerUnitPath,
                content: renderWorkerUnit(),
                owner: "root",
                group: "root",
                permissions: "0644",
                overwrite: true,
              },
            ],
          },
          // Neither unit is enabled here: each launch template's user data writes the environment file
          // and then enables its role's unit (infra/shared/userData.ts), so no unit starts before its settings.
          bash("ReloadUnits", `systemctl daemon-reload`),
        ],
      },
      {
        name: "validate",
        steps: [
          bash(
            "ValidateInstall",
            `
test "$(${LAYOUT.node} --version)" = "v${NODE_VERSION}"
systemctl is-enabled amazon-cloudwatch-agent
test -f ${LAYOUT.installDir}/dist/service/main.js
test -d ${LAYOUT.installDir}/node_modules/fastify
# Verify our unit only: warnings in the distribution's own units must not fail the image.
systemd-analyze verify --recursive-errors=no ${LAYOUT.unitPath} ${LAYOUT.workerUnitPath}`,
          ),
        ],
      },
      {
        name: "test",
        steps: [
          bash(
            "UnitsStartAsLaunched",
            `
# Launched from the new image without user data: no ${LAYOUT.envFile}, so each unit runs its own role on the
# embedded backend in ${LAYOUT.stateDir} (the AWS one needs what only the user data names). Same units as enable --now.
units="${LAYOUT.unitName} ${LAYOUT.workerUnitName}"
fail() { echo "$1" >&2; for u in $units; do journalctl -u "$u" --no-pager -n 60 >&2 || true; done; exit 1; }
test ! -e ${LAYOUT.envFile} || fail "${LAYOUT.envFile} exists on an instance without user data"
systemctl start $units
code=none
for i in $(seq 1 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' ${health} || true)
  [ "$code" = "200" ] && break
  sleep 1
done
[ "$code" = "200" ] || fail "healthcheck did not return 200 within 60 s (last: $code)"
for i in $(seq 1 30); do
  # grep without -q reads to the end: no SIGPIPE for journalctl under pipefail.
  journalctl -u ${LAYOUT.workerUnitName} -o cat | grep -F '"msg":"job worker ready"' >/dev/null && break
  [ "$i" = 30 ] && fail "${LAYOUT.workerUnitName} not ready within 30 s"
  sleep 1
done
sleep 5
for u in $units; do
  [ "$(systemctl is-active "$u")" = active ] || fail "$u is not active"
  [ "$(systemctl show -p NRestarts --value "$u")" = 0 ] || fail "$u restarted"
done
systemctl stop $units
for u in $units; do
  [ "$(systemctl show -p Result --value "$u")" = success ] || fail "$u did not stop cleanly"
done
echo "both units started as launched, served and stopped cleanly"`,
          ),
        ],
      },
    ],
  };
  return emit(doc, 0).replace(/^\n/, "") + "\n";
}
