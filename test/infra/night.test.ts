/**
 * The nightly move of both groups (web and worker) onto tonight's image under mocks, in both modes
 * (`fleet:nightly`): drain (scheduled actions to zero and back, max unchanged; the workers' desired left to
 * the backlog) and refresh (per group an EventBridge Scheduler schedule that starts an instance refresh with
 * that group's preferences, through a role allowed that one call on that one group).
 */
import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, readStackConfig, synth, type SynthResource, type SynthResult } from "../../scripts/synth";
import { parseFleetConfig, toAwsCron, type FleetConfig } from "../../infra/config";
import { refreshPreferenceProblems } from "../../infra/refresh";
import { all, idOf, one, stackPlan, T } from "./helpers";

function fleetConfigOf(config: Record<string, string>): FleetConfig {
  return parseFleetConfig((k) => config[`fleet:${k}`]);
}

/** Drain mode: to zero at the drain cron, back to min/desired at the restore cron, max unchanged (-1). */
function assertDrainAndRestore(schedules: SynthResource[], cfg: FleetConfig, asg: SynthResource): void {
  assert.equal(schedules.length, 2);
  const drain = schedules.find((s) => s.inputs.recurrence === cfg.drainCron)!;
  const restore = schedules.find((s) => s.inputs.recurrence === cfg.restoreCron)!;
  assert.ok(drain && restore && drain !== restore);
  assert.deepEqual([drain.inputs.minSize, drain.inputs.desiredCapacity, drain.inputs.maxSize], [0, 0, -1]);
  assert.deepEqual(
    [restore.inputs.minSize, restore.inputs.desiredCapacity, restore.inputs.maxSize],
    [cfg.minSize, cfg.desiredCapacity, -1],
  );
  for (const s of schedules) {
    assert.equal(s.inputs.timeZone, cfg.timeZone);
    assert.equal(s.inputs.autoscalingGroupName, asg.outputs.name);
  }
  assert.notEqual(drain.inputs.scheduledActionName, restore.inputs.scheduledActionName);
}

/** The preferences each group's refresh is started with, in the API's spelling. */
const WEB_PREFERENCES = { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, SkipMatching: false };
// Busy workers protect themselves from scale-in; AWS's default (Wait) would fail the refresh after an hour.
const WORKER_PREFERENCES = { ...WEB_PREFERENCES, ScaleInProtectedInstances: "Refresh" };

/**
 * Refresh mode: one Scheduler schedule per group at the drain time calls StartInstanceRefresh on that
 * group with its preferences (API spelling), through a role Scheduler alone may assume, allowed that one
 * action on that one group.
 */
function assertRefreshSchedule(
  r: SynthResult,
  cfg: FleetConfig,
  asg: SynthResource,
  preferences: typeof WEB_PREFERENCES & { ScaleInProtectedInstances?: string },
): void {
  const schedules = all(r, T.schedulerSchedule).filter(
    (x) => JSON.parse(x.inputs.target.input).AutoScalingGroupName === asg.outputs.name,
  );
  assert.equal(schedules.length, 1, `one refresh schedule for ${asg.name}`);
  const schedule = schedules[0]!;
  assert.equal(schedule.inputs.scheduleExpression, toAwsCron(cfg.drainCron));
  assert.equal(schedule.inputs.scheduleExpressionTimezone, cfg.timeZone);
  assert.deepEqual(schedule.inputs.flexibleTimeWindow, { mode: "OFF" });
  const target = schedule.inputs.target;
  assert.equal(target.arn, "arn:aws:scheduler:::aws-sdk:autoscaling:startInstanceRefresh");
  const input = JSON.parse(target.input);
  assert.deepEqual(input, { AutoScalingGroupName: asg.outputs.name, Strategy: "Rolling", Preferences: preferences });
  assert.deepEqual(
    refreshPreferenceProblems({
      minHealthyPercentage: input.Preferences.MinHealthyPercentage,
      maxHealthyPercentage: input.Preferences.MaxHealthyPercentage,
    }),
    [],
  );
  assert.equal(target.retryPolicy.maximumRetryAttempts, 0, "a refresh already running is not retried");
  const role = all(r, T.role).find((x) => x.outputs.arn === target.roleArn)!;
  assert.ok(role, "the schedule's role is one of the program's");
  const trust = JSON.parse(role.inputs.assumeRolePolicy);
  assert.deepEqual(trust.Statement[0].Principal, { Service: "scheduler.amazonaws.com" });
  assert.deepEqual(trust.Statement[0].Condition, { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } });
  const policies = all(r, T.rolePolicy).filter((p) => p.inputs.role === idOf(role));
  assert.equal(policies.length, 1);
  assert.deepEqual(JSON.parse(policies[0]!.inputs.policy).Statement, [
    {
      Effect: "Allow",
      Action: ["autoscaling:StartInstanceRefresh"],
      Resource: [
        `arn:aws:autoscaling:eu-central-1:${MOCK_ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${asg.outputs.name}`,
      ],
    },
  ]);
}

/** Drain mode for the workers: to zero with the web fleet, min restored, desired left to the backlog (-1). */
function assertWorkerDrain(r: SynthResult, cfg: FleetConfig): void {
  const worker = one(r, T.asg, "fleet-worker-asg");
  const schedules = all(r, T.schedule).filter((s) => s.inputs.autoscalingGroupName === worker.outputs.name);
  const drain = schedules.find((s) => s.inputs.recurrence === cfg.drainCron)!;
  const restore = schedules.find((s) => s.inputs.recurrence === cfg.restoreCron)!;
  assert.ok(drain && restore && schedules.length === 2);
  assert.deepEqual([drain.inputs.minSize, drain.inputs.desiredCapacity, drain.inputs.maxSize], [0, 0, -1]);
  assert.deepEqual(
    [restore.inputs.minSize, restore.inputs.desiredCapacity, restore.inputs.maxSize],
    [cfg.jobs.workerMinSize, -1, -1],
  );
  for (const s of schedules) assert.equal(s.inputs.timeZone, cfg.timeZone);
}

/** Both groups move onto tonight's image in the stack's mode. */
function assertNight(r: SynthResult, cfg: FleetConfig): void {
  const web = one(r, T.asg, "fleet-asg");
  const worker = one(r, T.asg, "fleet-worker-asg");
  if (cfg.nightly === "drain") {
    assert.equal(all(r, T.schedulerSchedule).length, 0);
    assertDrainAndRestore(
      all(r, T.schedule).filter((s) => s.inputs.autoscalingGroupName === web.outputs.name),
      cfg,
      web,
    );
    assertWorkerDrain(r, cfg);
  } else {
    assert.equal(all(r, T.schedule).length, 0, "no drain: the refresh keeps the service up");
    assert.equal(all(r, T.schedulerSchedule).length, 2, "one refresh per group");
    assertRefreshSchedule(r, cfg, web, WEB_PREFERENCES);
    assertRefreshSchedule(r, cfg, worker, WORKER_PREFERENCES);
  }
}

for (const stack of ["dev", "prod"]) {
  describe(`infra night under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    before(async () => {
      cfg = fleetConfigOf(readStackConfig(stack));
      r = await stackPlan(stack);
    });

    it("moves both groups onto tonight's image in the stack's nightly mode", () => {
      assertNight(r, cfg);
      assert.equal(stack === "prod" ? "refresh" : "drain", cfg.nightly);
    });
  });
}

describe("infra night under mocks: variations", () => {
  it("either nightly mode on either stack: dev with refresh, prod with drain", async () => {
    const devConfig = { ...readStackConfig("dev"), "fleet:nightly": "refresh" };
    assertNight(await synth("dev", devConfig), fleetConfigOf(devConfig));
    const prodConfig = { ...readStackConfig("prod"), "fleet:nightly": "drain" };
    assertNight(await synth("prod", prodConfig), fleetConfigOf(prodConfig));
  });
});
