import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderServiceUnit, renderWorkerUnit, LAYOUT, UNIT_MEMORY_MAX_PERCENT } from "../../infra/image/serviceUnit";
import { BundlePinError, bundleSha256Hex, renderImageComponent } from "../../infra/image/imageComponent";
import { RENDER_MAX_SIDE, renderBytes } from "../../service/jobs/kinds/render";
import { runMemoryBudget } from "../../service/jobs/memory-gate";
import { NODE_SHA256, NODE_VERSION, nodeTarball } from "../../infra/image/nodeRelease";
import { cloudWatchAgentConfig, MIN_AGENT_VERSION } from "../../infra/observability/agentConfig";
import { unitSection } from "./helpers";
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  HEALTH_CHECK_PATH,
  HEALTH_CHECK_WINDOW_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  SERVICE_PORT,
  SYSTEMD_TIMEOUT_STOP_S,
} from "../../service/timing";

/** A bundle upload as the program pins it (its version id and SHA-256). */
const BUNDLE = {
  region: "eu-west-1",
  bucket: "fleet-bundle-abc",
  key: "bundle/fleet-service.zip",
  versionId: "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
  sha256: "a".repeat(64),
};

/** The content of the CreateFile input after `anchor` (`name: "<step>"` or `path: "<file>"`), a YAML literal block. */
function embeddedFile(doc: string, anchor: string): string {
  const at = doc.indexOf(anchor);
  assert.ok(at >= 0, anchor);
  const content = /content: \|\n((?: {14}.*\n|\n)+)/.exec(doc.slice(at));
  assert.ok(content, `CreateFile content block after ${anchor}`);
  return content[1]!
    .split("\n")
    .map((l) => l.slice(14))
    .join("\n");
}

/** The bash script of an ExecuteBash step (`name: "<step>"`), a YAML literal block. */
function stepScript(doc: string, step: string): string {
  const at = doc.indexOf(`- name: "${step}"`);
  assert.ok(at >= 0, step);
  const block = /commands:\n\s+- \|\n((?: {14}.*\n|\n)+)/.exec(doc.slice(at));
  assert.ok(block, `commands block of ${step}`);
  return block[1]!
    .split("\n")
    .map((l) => l.slice(14))
    .join("\n");
}

/** Runs `script` with bash and an `rpm` on PATH that reports `agentVersion` as the installed agent's. */
function runWithAgent(script: string, agentVersion: string): { status: number | null; stdout: string; stderr: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-rpm-"));
  try {
    fs.writeFileSync(path.join(bin, "rpm"), `#!/bin/sh\nprintf '%s' '${agentVersion}'\n`, { mode: 0o755 });
    return spawnSync("bash", ["-c", script], {
      encoding: "utf8",
      env: { PATH: `${bin}:/usr/bin:/bin` },
      timeout: 10_000,
    });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

/** What the stubbed commands of the test phase report (an instance's units as systemd would). */
interface TestInstance {
  health: string;
  workerLog: string;
  restarts?: string;
  stopResult?: string;
  envFile?: boolean;
}

/**
 * Runs the test phase's script with systemctl, journalctl, curl and sleep stubbed (each call logged), and
 * the environment file's path pointed into a scratch directory.
 */
function runTestPhase(
  script: string,
  instance: TestInstance,
): { status: number | null; stderr: string; calls: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-test-phase-"));
  try {
    const stub = (name: string, body: string) =>
      fs.writeFileSync(path.join(dir, name), `#!/bin/bash\necho "${name} $*" >> ${dir}/calls\n${body}\n`, {
        mode: 0o755,
      });
    stub("curl", `printf '%s' '${instance.health}'`);
    stub("journalctl", `printf '%s\\n' '${instance.workerLog}'`);
    stub("sleep", "true");
    stub(
      "systemctl",
      `case "$1 $2" in
  "is-active "*) echo active ;;
  "show -p") if [ "$3" = NRestarts ]; then echo '${instance.restarts ?? "0"}'; else echo '${instance.stopResult ?? "success"}'; fi ;;
esac`,
    );
    const envFile = path.join(dir, "fleet.env");
    if (instance.envFile) fs.writeFileSync(envFile, "FLEET_ROLE=web\n");
    const run = spawnSync("bash", ["-c", script.split(LAYOUT.envFile).join(envFile)], {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin` },
      timeout: 10_000,
    });
    const calls = fs.existsSync(`${dir}/calls`) ? fs.readFileSync(`${dir}/calls`, "utf8").trim().split("\n") : [];
    return { status: run.status, stderr: run.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const section = unitSection;

describe("infra image: systemd unit", () => {
  const unit = renderServiceUnit();
  const svc = section(unit, "Service");
  const env = new Map((svc.get("Environment") ?? []).map((e) => e.split("=") as [string, string]));

  it("stops with SIGTERM to the primary only and SIGKILLs after a timeout longer than the drain", () => {
    assert.deepEqual(svc.get("KillMode"), ["mixed"]);
    assert.deepEqual(svc.get("KillSignal"), ["SIGTERM"]);
    const stopS = Number(svc.get("TimeoutStopSec")![0]);
    assert.equal(stopS, SYSTEMD_TIMEOUT_STOP_S);
    const drainMs = Number(env.get("SHUTDOWN_TIMEOUT_MS"));
    assert.equal(drainMs, DEFAULT_SHUTDOWN_TIMEOUT_MS);
    assert.ok(
      stopS * 1000 > HEALTH_CHECK_WINDOW_MS + drainMs,
      `TimeoutStopSec ${stopS}s must exceed the linger ${HEALTH_CHECK_WINDOW_MS}ms and the drain ${drainMs}ms`,
    );
  });

  it("refuses a drain deadline systemd would cut off", () => {
    assert.throws(() => renderServiceUnit({ shutdownTimeoutMs: MAX_SHUTDOWN_TIMEOUT_MS + 1 }), /SIGKILL/);
    assert.doesNotThrow(() => renderServiceUnit({ shutdownTimeoutMs: MAX_SHUTDOWN_TIMEOUT_MS }));
  });

  it("runs the compiled service with plain node as an unprivileged user on the service port", () => {
    assert.deepEqual(svc.get("ExecStart"), [`${LAYOUT.node} ${LAYOUT.installDir}/dist/service/main.js`]);
    assert.deepEqual(svc.get("User"), [LAYOUT.user]);
    assert.notEqual(LAYOUT.user, "root");
    assert.equal(env.get("PORT"), String(SERVICE_PORT));
    assert.equal(env.get("NODE_ENV"), "production");
    assert.deepEqual(svc.get("Restart"), ["on-failure"]);
    assert.deepEqual(svc.get("ExecReload"), ["/bin/kill -HUP $MAINPID"]);
    assert.deepEqual(section(unit, "Install").get("WantedBy"), ["multi-user.target"]);
  });

  it("runs the web role and keeps local state in systemd's state directory, never the install directory", () => {
    assert.equal(env.get("FLEET_ROLE"), "web", "an instance without user data runs what the web fleet runs");
    const worker = section(renderWorkerUnit(), "Service");
    assert.ok(worker.get("Environment")!.includes("FLEET_ROLE=worker"));
    for (const s of [svc, worker]) {
      assert.deepEqual(s.get("StateDirectory"), [LAYOUT.stateDirectoryName]);
      assert.deepEqual(s.get("WorkingDirectory"), [LAYOUT.installDir]);
    }
    assert.equal(LAYOUT.stateDir, `/var/lib/${LAYOUT.stateDirectoryName}`);
  });

  it("bounds both units' memory with MemoryMax= as a share of the instance, which holds the largest render", () => {
    const worker = section(renderWorkerUnit(), "Service");
    for (const s of [svc, worker]) assert.deepEqual(s.get("MemoryMax"), [`${UNIT_MEMORY_MAX_PERCENT}%`]);
    // The default instance type (t3.small, 2 GiB): the worker's run budget at this limit fits one 8192² render.
    const unitBytes = (2 * 2 ** 30 * UNIT_MEMORY_MAX_PERCENT) / 100;
    assert.ok(runMemoryBudget(unitBytes) >= renderBytes(RENDER_MAX_SIDE, RENDER_MAX_SIDE));
  });

  it("is sandboxed", () => {
    for (const [k, v] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["CapabilityBoundingSet", ""],
    ] as const) {
      assert.deepEqual(svc.get(k), [v], `${k}=${v}`);
    }
    assert.equal(svc.get("MemoryDenyWriteExecute"), undefined, "V8's JIT needs W+X memory");
  });
});

describe("infra image: Image Builder component document", () => {
  const doc = renderImageComponent({
    bundle: BUNDLE,
    architecture: "x86_64",
    logGroupName: "/fleet/dev/instances",
  });

  it("is an AWSTOE 1.0 document with build, validate and test phases in that order", () => {
    assert.match(doc, /^schemaVersion: 1\.0$/m);
    const phases = [...doc.matchAll(/^ {2}- name: "(\w+)"$/gm)].map((m) => m[1]);
    assert.deepEqual(phases, ["build", "validate", "test"]);
  });

  it("installs the pinned Node.js release for the architecture, checked against the pinned SHA-256", () => {
    assert.match(NODE_VERSION, /^24\.\d+\.\d+$/, "an exact Node 24 release, not latest-v24.x");
    for (const sha of Object.values(NODE_SHA256)) assert.match(sha, /^[0-9a-f]{64}$/);
    assert.doesNotMatch(doc, /latest-v/);
    assert.doesNotMatch(doc, /SHASUMS256/, "no checksum from the server that serves the tarball");
    const x64 = nodeTarball("x64");
    assert.ok(
      doc.includes(`curl -fsSLO https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-x64.tar.xz`),
    );
    assert.ok(doc.includes(`echo "${x64.sha256}  ${x64.file}" | sha256sum -c -`));
    assert.ok(doc.includes(`test "$(/usr/local/bin/node --version)" = "v${NODE_VERSION}"`), "validated exactly");
    const arm = renderImageComponent({ bundle: BUNDLE, architecture: "arm64", logGroupName: "/g" });
    assert.ok(arm.includes(`echo "${NODE_SHA256.arm64}  node-v${NODE_VERSION}-linux-arm64.tar.xz" | sha256sum -c -`));
    assert.ok(!arm.includes(NODE_SHA256.x64));
  });

  it("installs the CloudWatch agent, validates its config at build time and starts it at boot only", () => {
    assert.match(doc, /dnf install -y amazon-cloudwatch-agent/);
    assert.match(
      doc,
      /amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -c file:\/opt\/aws\/amazon-cloudwatch-agent\/etc\/fleet-agent\.json\n/,
    );
    assert.doesNotMatch(doc, /fetch-config[^\n]* -s/, "not started on the build instance");
    assert.match(doc, /systemctl enable amazon-cloudwatch-agent/);
    const embedded = JSON.parse(embeddedFile(doc, `name: "WriteCloudWatchAgentConfig"`));
    assert.deepEqual(
      embedded,
      // Both units the image installs: an instance runs one of them, by its role.
      cloudWatchAgentConfig({ logGroupName: "/fleet/dev/instances", units: ["fleet.service", "fleet-worker.service"] }),
    );
  });

  it("fails the build on a CloudWatch agent older than the journald input, before configuring it", () => {
    const script = stepScript(doc, "CheckCloudWatchAgentVersion");
    for (const old of ["1.300069.9", "1.300064.1b1344", "1.247350.0"]) {
      const run = runWithAgent(script, old);
      assert.notEqual(run.status, 0, `agent ${old} must fail the build`);
      assert.match(run.stderr, new RegExp(`${old.replace(/\./g, "\\.")} is older than ${MIN_AGENT_VERSION}`));
    }
    for (const ok of [MIN_AGENT_VERSION, "1.300070.1", "1.300071.0b1500", "2.0.0"]) {
      const run = runWithAgent(script, ok);
      assert.equal(run.status, 0, `agent ${ok}: ${run.stderr}`);
    }
    const steps = [...doc.matchAll(/- name: "(\w+)"/g)].map((m) => m[1]);
    assert.ok(
      steps.indexOf("InstallCloudWatchAgent") < steps.indexOf("CheckCloudWatchAgentVersion") &&
        steps.indexOf("CheckCloudWatchAgentVersion") < steps.indexOf("ConfigureCloudWatchAgent"),
      `order: ${steps.join(", ")}`,
    );
  });

  it("ships the journals of the units it is given, each to the log group", () => {
    const both = renderImageComponent({
      bundle: BUNDLE,
      architecture: "x86_64",
      logGroupName: "/fleet/prod/instances",
      logUnits: ["fleet.service", "fleet-worker.service"],
    });
    const cfg = JSON.parse(embeddedFile(both, `name: "WriteCloudWatchAgentConfig"`));
    assert.deepEqual(
      cfg.logs.logs_collected.journald.collect_list.map((e: { units: string[]; log_group_name: string }) => [
        e.units,
        e.log_group_name,
      ]),
      [
        [["fleet.service"], "/fleet/prod/instances"],
        [["fleet-worker.service"], "/fleet/prod/instances"],
      ],
    );
  });

  it("creates the system user, downloads the bundle from S3 and installs production dependencies only", () => {
    assert.match(doc, /useradd --system [^\n]*--shell \/sbin\/nologin fleet/);
    assert.match(stepScript(doc, "DownloadBundle"), /--bucket fleet-bundle-abc --key bundle\/fleet-service\.zip/);
    assert.match(doc, /npm ci --omit=dev/);
  });

  it("installs both generated units verbatim and enables neither (the launch template's user data does)", () => {
    assert.equal(embeddedFile(doc, `path: "${LAYOUT.unitPath}"`).trim(), renderServiceUnit().trim());
    assert.equal(embeddedFile(doc, `path: "${LAYOUT.workerUnitPath}"`).trim(), renderWorkerUnit().trim());
    for (const unit of [LAYOUT.unitName, LAYOUT.workerUnitName])
      assert.ok(
        !doc.includes(`systemctl enable ${unit}`),
        `${unit} enabled in the image would start before its settings`,
      );
    assert.match(doc, new RegExp(`systemd-analyze verify [^\n]*${LAYOUT.unitPath} ${LAYOUT.workerUnitPath}`));
  });

  it("tests both units as an instance without user data runs them: health 200, a ready worker, clean stops", () => {
    const script = stepScript(doc, "UnitsStartAsLaunched");
    assert.ok(script.includes(`http://127.0.0.1:${SERVICE_PORT}${HEALTH_CHECK_PATH}`));
    // No environment file is written: the units must start on their own Environment= lines.
    assert.doesNotMatch(script, /fleet\.env[^\n]*(>|<<)|cat >|tee /);
    const healthy: TestInstance = { health: "200", workerLog: '{"level":30,"msg":"job worker ready"}' };
    const ok = runTestPhase(script, healthy);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(
      ok.calls.filter((c) => c.startsWith("systemctl start") || c.startsWith("systemctl stop")),
      [
        `systemctl start ${LAYOUT.unitName} ${LAYOUT.workerUnitName}`,
        `systemctl stop ${LAYOUT.unitName} ${LAYOUT.workerUnitName}`,
      ],
    );
    for (const [broken, why] of [
      [{ ...healthy, health: "000" }, /healthcheck did not return 200/],
      [{ ...healthy, workerLog: '{"level":50,"msg":"fleet job worker: EACCES"}' }, /fleet-worker.service not ready/],
      [{ ...healthy, restarts: "1" }, /fleet.service restarted/],
      [{ ...healthy, stopResult: "exit-code" }, /did not stop cleanly/],
      [{ ...healthy, envFile: true }, /fleet\.env exists on an instance without user data/],
    ] as const) {
      const run = runTestPhase(script, broken);
      assert.notEqual(run.status, 0, JSON.stringify(broken));
      assert.match(run.stderr, why);
    }
  });
});

describe("infra image: the bundle is pinned by version and checksum", () => {
  /** Runs a download step with an `aws` on PATH that writes `bytes` to its outfile and records its argv. */
  function download(script: string, bytes: string): { status: number | null; argv: string; out: string } {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-aws-"));
    const out = path.join(bin, "bundle.zip");
    try {
      fs.writeFileSync(
        path.join(bin, "aws"),
        `#!/bin/sh\necho "$@" > "${bin}/argv"\nfor last; do :; done\nprintf '%s' '${bytes}' > "$last"\n`,
        { mode: 0o755 },
      );
      const run = spawnSync("bash", ["-c", script.replaceAll("/tmp/fleet-bundle.zip", out)], {
        encoding: "utf8",
        env: { PATH: `${bin}:/usr/bin:/bin` },
        timeout: 10_000,
      });
      return { status: run.status, argv: fs.readFileSync(path.join(bin, "argv"), "utf8").trim(), out };
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }

  it("downloads the pinned version and installs it only when its SHA-256 is the pinned one", () => {
    const bundle = "the bundle as uploaded";
    const doc = renderImageComponent({
      bundle: { ...BUNDLE, sha256: createHash("sha256").update(bundle).digest("hex") },
      architecture: "x86_64",
      logGroupName: "/g",
    });
    const script = stepScript(doc, "DownloadBundle");
    const ok = download(script, bundle);
    assert.equal(ok.status, 0);
    assert.equal(
      ok.argv,
      `s3api get-object --region eu-west-1 --bucket fleet-bundle-abc --key bundle/fleet-service.zip ` +
        `--version-id ${BUNDLE.versionId} ${ok.out}`,
    );
    assert.notEqual(download(script, `${bundle}, then changed`).status, 0, "a changed bundle fails the build");
    assert.match(stepScript(doc, "InstallTools"), /dnf install -y [^\n]*awscli-2/);
  });

  it("turns S3's base64 digest into hex and refuses a missing one or a bad version id", () => {
    const digest = createHash("sha256").update("x").digest();
    assert.equal(bundleSha256Hex(digest.toString("base64")), digest.toString("hex"));
    for (const bad of [undefined, "", "AAAA", digest.toString("hex")]) {
      assert.throws(() => bundleSha256Hex(bad), BundlePinError);
    }
    for (const versionId of ["null", "", "v1; rm -rf /"]) {
      assert.throws(
        () => renderImageComponent({ bundle: { ...BUNDLE, versionId }, architecture: "x86_64", logGroupName: "/g" }),
        /versionId/,
      );
    }
  });
});
