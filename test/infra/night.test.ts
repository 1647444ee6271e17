/**
 * The nightly move of both groups (web and worker) onto tonight's image under mocks, in both modes
 * (`fleet:nightly`): drain (scheduled actions to zero and back, max unchanged; the workers' desired left to
 * the backlog) and refresh (per group an EventBridge Scheduler schedule that starts an instance refresh with
 * that group's preferences, through a role allowed that one call on that one group).
 */
import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, readStackConfig, synth, type SynthResource, type SynthResult } from "../../scripts/synth";
import { parseFleetConfig, toAwsCron, type FleetConfig } from "../../infra/shared/config";
import { refreshPreferenceProblems } from "../../infra/night/refresh";
import { all, idOf, one, stackPlan, T } from "./helpers";

function fleetConfigOf(config: Record<string, string>): FleetConfig {
  return parseFleetConfig((k) => config[`fleet:${k}`]);
}

/**
 * Drain mode for one group: to zero at the drain cron, back to `restored` ([min, desired]) at the restore
 * cron, max unchanged (-1).
 */
function assertDrainAndRestore(r: SynthResult, cfg: FleetConfig, asg: SynthResource, restored: [number, number]): void {
  const schedules = all(r, T.schedule).filter((s) => s.inputs.autoscalingGroupName === asg.outputs.name);
  assert.equal(schedules.length, 2, `a drain and a restore for ${asg.name}`);
  const drain = schedules.find((s) => s.inputs.recurrence === cfg.drainCron)!;
  const restore = schedules.find((s) => s.inputs.recurrence === cfg.restoreCron)!;
  assert.ok(drain && restore && drain !== restore);
  assert.deepEqual([drain.inputs.minSize, drain.inputs.desiredCapacity, drain.inputs.maxSize], [0, 0, -1]);
  assert.deepEqual([restore.inputs.minSize, restore.inputs.desiredCapacity, restore.inputs.maxSize], [...restored, -1]);
  for (const s of schedules) assert.equal(s.inputs.timeZone, cfg.timeZone);
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

/** Both groups move onto tonight's image in the stack's mode. */
function assertNight(r: SynthResult, cfg: FleetConfig): void {
  const web = one(r, T.asg, "fleet-asg");
  const worker = one(r, T.asg, "fleet-worker-asg");
  if (cfg.nightly === "drain") {
    assert.equal(all(r, T.schedulerSchedule).length, 0);
    assertDrainAndRestore(r, cfg, web, [cfg.minSize, cfg.desiredCapacity]);
    // The workers' desired is left to the backlog (-1): the restore brings back their min only.
    assertDrainAndRestore(r, cfg, worker, [cfg.jobs.workerMinSize, -1]);
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
