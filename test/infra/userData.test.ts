/**
 * What an instance is told at boot (infra/shared/userData.ts) and the worker's unit (infra/image/serviceUnit.ts): the
 * environment file carries exactly the names the AWS backend reads (AWS_JOBS_ENV), the script is valid
 * bash that writes the file before it enables the role's unit, and the worker's drain fits in the hook.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { AWS_JOBS_ENV, AWS_WORKER_ENV } from "../../service/jobs/aws-env";
import {
  LIFECYCLE_HOOK_TIMEOUT_S,
  WORKER_DRAIN_TIMEOUT_S,
  WORKER_SYSTEMD_TIMEOUT_STOP_S,
} from "../../service/jobs/timing";
import { LAYOUT, renderServiceUnit, renderWorkerUnit } from "../../infra/image/serviceUnit";
import {
  instanceEnvironment,
  proxyHops,
  renderEnvFile,
  renderUserData,
  type InstanceEnvInput,
} from "../../infra/shared/userData";
import { buildApp } from "../../service/app";
import { loadConfig } from "../../service/config";
import type { SumPool } from "../../service/sum-pool";
import { envFileOf, unitSection } from "./helpers";

const RESOURCES = {
  queueUrl: "https://sqs.eu-central-1.amazonaws.com/123456789012/fleet-jobs-1a2b",
  deadLetterQueueUrl: "https://sqs.eu-central-1.amazonaws.com/123456789012/fleet-jobs-dlq-3c4d",
  table: "fleet-jobs-5e6f",
  resultsBucket: "fleet-results-7a8b",
  resultsBaseUrl: "https://d111111abcdef8.cloudfront.net",
};
const WEB: InstanceEnvInput = {
  role: "web",
  region: "eu-central-1",
  resources: RESOURCES,
  maxAttempts: 3,
  visibilityTimeoutS: 30,
};
const WORKER: InstanceEnvInput = {
  ...WEB,
  role: "worker",
  worker: { concurrency: 4, groupName: "fleet-worker-dev", lifecycleHookName: "fleet-worker-drain" },
};

describe("infra user data: the environment file and the role's unit", () => {
  it("names every AWS resource by AWS_JOBS_ENV, plus the backend, region and role", () => {
    for (const input of [WEB, WORKER]) {
      const env = envFileOf(renderUserData(input));
      for (const [k, name] of Object.entries(AWS_JOBS_ENV))
        assert.equal(env.get(name), RESOURCES[k as keyof typeof RESOURCES], name);
      assert.equal(env.get("JOBS_BACKEND"), "aws");
      assert.equal(env.get("AWS_REGION"), "eu-central-1");
      assert.equal(env.get("FLEET_ROLE"), input.role);
      assert.equal(env.get("JOBS_MAX_ATTEMPTS"), "3", "the same attempts as the redrive's maxReceiveCount");
      assert.equal(env.get("JOBS_VISIBILITY_TIMEOUT_S"), "30", "the same lease as the queue's visibility timeout");
    }
  });

  it("tells only the worker its concurrency, group and hook", () => {
    const web = envFileOf(renderUserData(WEB));
    const worker = envFileOf(renderUserData(WORKER));
    for (const name of ["WORKER_CONCURRENCY", ...Object.values(AWS_WORKER_ENV)]) assert.ok(!web.has(name), name);
    assert.equal(worker.get("WORKER_CONCURRENCY"), "4");
    assert.equal(worker.get(AWS_WORKER_ENV.autoScalingGroup), "fleet-worker-dev");
    assert.equal(worker.get(AWS_WORKER_ENV.lifecycleHook), "fleet-worker-drain");
    assert.throws(() => instanceEnvironment({ ...WEB, worker: WORKER.worker! }), /worker role/);
    assert.throws(() => instanceEnvironment({ ...WORKER, worker: undefined }), /worker role/);
  });

  it("is bash that writes the settings, then enables its role's unit and no other", () => {
    for (const [input, unit, other] of [
      [WEB, LAYOUT.unitName, LAYOUT.workerUnitName],
      [WORKER, LAYOUT.workerUnitName, LAYOUT.unitName],
    ] as const) {
      const script = renderUserData(input);
      assert.match(script, /^#!\/bin\/bash\n/);
      assert.match(script, /^set -euo pipefail$/m);
      const syntax = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
      assert.equal(syntax.status, 0, syntax.stderr);
      const written = script.indexOf(`mv ${LAYOUT.envFile}.new ${LAYOUT.envFile}`);
      const enabled = script.indexOf(`systemctl enable --now ${unit}`);
      assert.ok(written > 0 && enabled > written, "the environment file exists before the unit starts");
      assert.ok(!script.includes(`enable --now ${other}`), `${other} stays disabled`);
    }
  });

  it("installs nothing else: the worker process itself drains on the termination hook", () => {
    assert.doesNotMatch(renderUserData(WORKER), /complete-lifecycle-action|cat > \/etc\/systemd/);
  });

  it("refuses a value the EnvironmentFile would misread", () => {
    assert.throws(() => renderEnvFile([["JOBS_TABLE", "a b"]]), /JOBS_TABLE/);
    assert.throws(() => renderEnvFile([["JOBS_TABLE", 'x"y']]), /quoting/);
    assert.throws(() => renderEnvFile([["jobs_table", "x"]]), /NAME_STYLE/);
    assert.equal(renderEnvFile([["A", "https://d1.cloudfront.net"]]), "A=https://d1.cloudfront.net\n");
  });
});

describe("infra image: the fleet-worker unit", () => {
  const unit = renderWorkerUnit();
  const svc = unitSection(unit, "Service");
  const env = new Map((svc.get("Environment") ?? []).map((e) => e.split("=") as [string, string]));

  it("runs the same program as the worker role, reading the same environment file", () => {
    assert.deepEqual(svc.get("ExecStart"), unitSection(renderServiceUnit(), "Service").get("ExecStart"));
    assert.equal(env.get("FLEET_ROLE"), "worker");
    assert.deepEqual(svc.get("EnvironmentFile"), [`-${LAYOUT.envFile}`]);
    assert.deepEqual(svc.get("User"), [LAYOUT.user]);
    assert.equal(env.get("PORT"), undefined, "a worker listens on nothing");
    assert.deepEqual(unitSection(unit, "Install").get("WantedBy"), ["multi-user.target"]);
  });

  it("lets the drain finish before systemd kills, and the hook outlasts both", () => {
    assert.deepEqual(svc.get("KillSignal"), ["SIGTERM"]);
    assert.deepEqual(svc.get("KillMode"), ["mixed"]);
    const stopS = Number(svc.get("TimeoutStopSec")![0]);
    assert.equal(stopS, WORKER_SYSTEMD_TIMEOUT_STOP_S);
    assert.ok(stopS > WORKER_DRAIN_TIMEOUT_S);
    assert.ok(LIFECYCLE_HOOK_TIMEOUT_S > stopS, "the hook never ends a healthy drain");
  });

  it("is sandboxed like the web unit", () => {
    const web = unitSection(renderServiceUnit(), "Service");
    for (const k of ["NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "CapabilityBoundingSet"])
      assert.deepEqual(svc.get(k), web.get(k), k);
  });
});

describe("infra user data: CORS_ORIGINS for the web instances (fleet:corsOrigins)", () => {
  it("writes the allowed origins, comma-separated, into the web role's environment file only", () => {
    const env = envFileOf(
      renderUserData({ ...WEB, corsOrigins: ["https://app.example.com", "http://127.0.0.1:5173"] }),
    );
    assert.equal(env.get("CORS_ORIGINS"), "https://app.example.com,http://127.0.0.1:5173");
    assert.equal(envFileOf(renderUserData({ ...WEB, corsOrigins: ["*"] })).get("CORS_ORIGINS"), "*");
    assert.throws(() => instanceEnvironment({ ...WORKER, corsOrigins: ["https://a.example"] }), /web role/);
  });

  it("writes nothing without origins: production's empty default (NODE_ENV=production) then holds", () => {
    assert.equal(envFileOf(renderUserData({ ...WEB, corsOrigins: [] })).has("CORS_ORIGINS"), false);
    assert.equal(envFileOf(renderUserData(WEB)).has("CORS_ORIGINS"), false);
  });
});

describe("infra user data: TRUST_PROXY for the web instances", () => {
  it("counts one hop for the ALB alone, two with CloudFront in front; only the web role is told", () => {
    assert.equal(proxyHops(false), 1);
    assert.equal(proxyHops(true), 2);
    assert.equal(envFileOf(renderUserData({ ...WEB, trustProxy: 2 })).get("TRUST_PROXY"), "2");
    assert.throws(() => instanceEnvironment({ ...WORKER, trustProxy: 1 }), /web role/);
  });

  for (const behindCloudFront of [false, true]) {
    it(`makes the service see the viewer, not a spoofed entry or a proxy (${behindCloudFront ? "CloudFront + ALB" : "ALB"})`, async () => {
      const env = envFileOf(renderUserData({ ...WEB, trustProxy: proxyHops(behindCloudFront) }));
      const config = loadConfig(Object.fromEntries(env));
      const clients: Array<string | undefined> = [];
      const pool: SumPool = { sum: async (_n, _s, client) => (clients.push(client), "0"), close: async () => {} };
      const app = buildApp({ apiMaxN: 10, pool, logger: false, trustProxy: config.trustProxy });
      try {
        // The viewer 203.0.113.7 sent a forged entry; CloudFront appends the viewer, the ALB whom it heard from.
        const viaCloudFront = ["192.0.2.66", "203.0.113.7", "130.176.1.2"];
        const viaAlb = ["192.0.2.66", "203.0.113.7"];
        await app.inject({
          url: "/api/1",
          remoteAddress: "10.0.1.17",
          headers: { "x-forwarded-for": (behindCloudFront ? viaCloudFront : viaAlb).join(", ") },
        });
        assert.deepEqual(clients, ["203.0.113.7"]);
      } finally {
        await app.close();
      }
    });
  }
});
