import * as assert from "node:assert/strict";
import { renderServiceUnit, renderWorkerUnit, LAYOUT } from "../../infra/serviceUnit";
import { renderImageComponent } from "../../infra/imageComponent";
import { unitSection } from "./helpers";
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  HEALTH_CHECK_PATH,
  MAX_SHUTDOWN_TIMEOUT_MS,
  SERVICE_PORT,
  SYSTEMD_TIMEOUT_STOP_S,
} from "../../service/timing";

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
    assert.ok(stopS * 1000 > drainMs, `TimeoutStopSec ${stopS}s must exceed the drain ${drainMs}ms`);
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
    bundleS3Uri: "s3://fleet-bundle-abc/bundle/fleet-service.zip",
    architecture: "x86_64",
  });

  it("is an AWSTOE 1.0 document with build, validate and test phases in that order", () => {
    assert.match(doc, /^schemaVersion: 1\.0$/m);
    const phases = [...doc.matchAll(/^ {2}- name: "(\w+)"$/gm)].map((m) => m[1]);
    assert.deepEqual(phases, ["build", "validate", "test"]);
  });

  it("installs Node 24 for the architecture, verified against the published checksums", () => {
    assert.match(doc, /latest-v24\.x/);
    assert.match(doc, /linux-x64\\\.tar\\\.xz/);
    assert.match(doc, /sha256sum -c -/);
    const arm = renderImageComponent({ bundleS3Uri: "s3://b/k", architecture: "arm64" });
    assert.match(arm, /linux-arm64\\\.tar\\\.xz/);
  });

  it("creates the system user, downloads the bundle from S3 and installs production dependencies only", () => {
    assert.match(doc, /useradd --system [^\n]*--shell \/sbin\/nologin fleet/);
    assert.match(
      doc,
      /action: "S3Download"\n\s+inputs:\n\s+- source: "s3:\/\/fleet-bundle-abc\/bundle\/fleet-service\.zip"/,
    );
    assert.match(doc, /npm ci --omit=dev/);
  });

  it("installs both generated units verbatim and enables neither (the launch template's user data does)", () => {
    /** The CreateFile content written to `path`. */
    const fileAt = (path: string) => {
      const at = doc.indexOf(`path: "${path}"`);
      assert.ok(at >= 0, path);
      const m = /content: \|\n((?: {14}.*\n|\n)+)/.exec(doc.slice(at));
      assert.ok(m, `content of ${path}`);
      return m[1]!
        .split("\n")
        .map((l) => l.slice(14))
        .join("\n")
        .trim();
    };
    assert.equal(fileAt(LAYOUT.unitPath), renderServiceUnit().trim());
    assert.equal(fileAt(LAYOUT.workerUnitPath), renderWorkerUnit().trim());
    for (const unit of [LAYOUT.unitName, LAYOUT.workerUnitName])
      assert.ok(
        !doc.includes(`systemctl enable ${unit}`),
        `${unit} enabled in the image would start before its settings`,
      );
    assert.match(doc, new RegExp(`systemd-analyze verify [^\n]*${LAYOUT.unitPath} ${LAYOUT.workerUnitPath}`));
  });

  it("tests that the service answers 200 on the health check", () => {
    const test = doc.slice(doc.indexOf('- name: "test"'));
    assert.ok(test.includes(`http://127.0.0.1:${SERVICE_PORT}${HEALTH_CHECK_PATH}`));
    assert.match(test, /"\$code" = "200"/);
    assert.match(test, /exit 1/);
  });
});
