/**
 * The fleet worker's AWS hooks against small local fakes over HTTP: IMDSv2 (a token first, then GETs that
 * must carry it) and the Auto Scaling query API (form-encoded actions, XML answers), driven through the
 * real @aws-sdk/client-auto-scaling. What the fakes cannot show: IAM, and Auto Scaling's own timing of the
 * lifecycle state; docs/deploying.md lists those as what a real account must confirm.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError } from "../../../service/config";
import { AWS_WORKER_ENV } from "../../../service/jobs/aws-env";
import { createScaleInProtection } from "../../../service/jobs/aws/scale-in-protection";
import { loadAwsWorkerHooksConfig, openAwsWorkerHooks } from "../../../service/jobs/aws/worker-hooks";
import { startFakeAws, type FakeAws } from "./fake-aws";

async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

describe("AWS worker hooks (IMDSv2 and Auto Scaling fakes)", () => {
  let fake: FakeAws;
  const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeEach(async () => {
    fake = await startFakeAws();
    process.env.AWS_ACCESS_KEY_ID = "fake";
    process.env.AWS_SECRET_ACCESS_KEY = "fake";
  });
  afterEach(async () => {
    await fake.close();
    for (const [name, value] of [
      ["AWS_ACCESS_KEY_ID", previous.id],
      ["AWS_SECRET_ACCESS_KEY", previous.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  function open(options: { releaseAfterIdleMs?: number } = {}) {
    return openAwsWorkerHooks({
      config: { autoScalingGroup: "fleet-dev-workers", lifecycleHook: "fleet-dev-drain", imdsEndpoint: fake.url },
      region: "eu-west-1",
      warn: () => {},
      autoScalingEndpoint: fake.url,
      terminationPollMs: 20,
      releaseAfterIdleMs: options.releaseAfterIdleMs ?? 200,
    });
  }

  it("protects the instance from scale-in while busy, and drops it after the idle time", async () => {
    const hooks = await open();
    await hooks.onBusyChange(true);
    assert.deepEqual(fake.calls, [
      {
        Action: "SetInstanceProtection",
        Version: "2011-01-01",
        AutoScalingGroupName: "fleet-dev-workers",
        "InstanceIds.member.1": "i-0123456789abcdef0",
        ProtectedFromScaleIn: "true",
      },
    ]);
    // Short jobs flip busy/idle quickly: no call while the idle time has not run out.
    await hooks.onBusyChange(false);
    await hooks.onBusyChange(true);
    await hooks.onBusyChange(false);
    assert.equal(fake.calls.length, 1);
    // The fake records the call as it arrives; the state counts as applied once the answer is back.
    await eventually("protection dropped", () => fake.calls.length === 2 && !hooks.protection.isProtected);
    assert.equal(fake.calls[1]!.ProtectedFromScaleIn, "false");
    await hooks.close();
    assert.equal(fake.calls.length, 2, "close called again for a state already applied");
    assert.ok(fake.tokensIssued >= 1);
  });

  it("on a termination mark, drains the worker first and then completes the lifecycle action", async () => {
    const hooks = await open();
    const events: string[] = [];
    const watching = hooks.watch(async () => {
      events.push("drain started");
      await sleep(100);
      events.push(`drain done, actions so far: ${fake.calls.length}`);
    });
    await sleep(100);
    assert.deepEqual(events, [], "drained before the instance was marked");
    fake.lifecycleState = "Terminated";
    assert.equal(await watching, "completed");
    assert.deepEqual(events, ["drain started", "drain done, actions so far: 0"]);
    assert.deepEqual(fake.calls, [
      {
        Action: "CompleteLifecycleAction",
        Version: "2011-01-01",
        AutoScalingGroupName: "fleet-dev-workers",
        LifecycleHookName: "fleet-dev-drain",
        InstanceId: "i-0123456789abcdef0",
        LifecycleActionResult: "CONTINUE",
      },
    ]);
    await hooks.close();
  });

  it("stops watching on an instance with no lifecycle state (not in a group), and on close", async () => {
    fake.lifecycleState = undefined;
    const hooks = await open();
    assert.equal(await hooks.watch(async () => assert.fail("drained")), "not-in-group");
    fake.lifecycleState = "InService";
    const watching = hooks.watch(async () => assert.fail("drained"));
    await hooks.close();
    assert.equal(await watching, "stopped");
  });

  it("speaks IMDSv2 only: every metadata GET carries a session token", async () => {
    const hooks = await open();
    await hooks.close();
    assert.equal(fake.refusedWithoutToken, 0);
    const bare = await fetch(`${fake.url}/latest/meta-data/instance-id`);
    assert.equal(bare.status, 401, "the fake would have caught an IMDSv1 GET");
  });
});

describe("scale-in protection decisions", () => {
  it("applies only the last wanted state, one call at a time, and retries after a failure", async () => {
    const applied: boolean[] = [];
    const warnings: string[] = [];
    let failNext = true;
    const protection = createScaleInProtection({
      releaseAfterIdleMs: 50,
      warn: (_err, msg) => warnings.push(msg),
      async set(protect) {
        await sleep(10);
        if (failNext) {
          failNext = false;
          throw new Error("Throttling");
        }
        applied.push(protect);
      },
    });
    await protection.onBusyChange(true);
    assert.deepEqual([applied, warnings], [[], ["could not set scale-in protection"]]);
    assert.equal(protection.isProtected, false);
    await protection.onBusyChange(true); // the next change retries
    assert.deepEqual(applied, [true]);
    await protection.onBusyChange(false);
    await sleep(120);
    assert.deepEqual(applied, [true, false]);
    await protection.close();
    await protection.onBusyChange(true); // after close nothing is protected again
    assert.deepEqual(applied, [true, false]);
  });
});

describe("loadAwsWorkerHooksConfig", () => {
  it("is off without the fleet's names, and needs both once one is set", () => {
    assert.equal(loadAwsWorkerHooksConfig({}), undefined);
    assert.deepEqual(
      loadAwsWorkerHooksConfig({ [AWS_WORKER_ENV.autoScalingGroup]: "g-1", [AWS_WORKER_ENV.lifecycleHook]: "h-1" }),
      { autoScalingGroup: "g-1", lifecycleHook: "h-1", imdsEndpoint: "http://169.254.169.254" },
    );
    assert.throws(
      () => loadAwsWorkerHooksConfig({ [AWS_WORKER_ENV.autoScalingGroup]: "g-1" }),
      (err: unknown) =>
        err instanceof ConfigError && err.message.startsWith(`${AWS_WORKER_ENV.lifecycleHook} is not set`),
    );
    assert.throws(
      () => loadAwsWorkerHooksConfig({ [AWS_WORKER_ENV.autoScalingGroup]: "g 1", [AWS_WORKER_ENV.lifecycleHook]: "h" }),
      (err: unknown) =>
        err instanceof ConfigError && err.message.startsWith(`${AWS_WORKER_ENV.autoScalingGroup}="g 1"`),
    );
  });
});
