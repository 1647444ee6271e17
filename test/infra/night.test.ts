/**
 * The nightly move onto tonight's image under mocks, in both modes (`fleet:nightly`): drain (scheduled
 * actions to zero and back, max unchanged) and refresh (an EventBridge Scheduler schedule that starts an
 * instance refresh with the group's preferences, through a role allowed that one call on that one group).
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

/**
 * Refresh mode: one Scheduler schedule at the drain time calls StartInstanceRefresh on the group with the
 * group's preferences (API spelling), through a role Scheduler alone may assume, allowed that one action
 * on that one group.
 */
function assertRefreshSchedule(r: SynthResult, cfg: FleetConfig): void {
  const asg = one(r, T.asg);
  const schedule = one(r, T.schedulerSchedule);
  assert.equal(schedule.inputs.scheduleExpression, toAwsCron(cfg.drainCron));
  assert.equal(schedule.inputs.scheduleExpressionTimezone, cfg.timeZone);
  assert.deepEqual(schedule.inputs.flexibleTimeWindow, { mode: "OFF" });
  const target = schedule.inputs.target;
  assert.equal(target.arn, "arn:aws:scheduler:::aws-sdk:autoscaling:startInstanceRefresh");
  const input = JSON.parse(target.input);
  assert.deepEqual(input, {
    AutoScalingGroupName: asg.outputs.name,
    Strategy: "Rolling",
    Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, SkipMatching: false },
  });
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

for (const stack of ["dev", "prod"]) {
  describe(`infra night under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    const res = (type: string, name?: string) => one(r, type, name);

    before(async () => {
      cfg = fleetConfigOf(readStackConfig(stack));
      r = await stackPlan(stack);
    });

    it("moves onto tonight's image in the stack's nightly mode", () => {
      const schedules = all(r, T.schedule);
      const refreshes = all(r, T.schedulerSchedule);
      if (cfg.nightly === "drain") {
        assert.equal(refreshes.length, 0);
        assertDrainAndRestore(schedules, cfg, res(T.asg));
      } else {
        assert.equal(schedules.length, 0, "no drain: the refresh keeps the service up");
        assertRefreshSchedule(r, cfg);
      }
      assert.equal(stack === "prod" ? "refresh" : "drain", cfg.nightly);
    });
  });
}

describe("infra night under mocks: variations", () => {
  it("either nightly mode on either stack: dev with refresh, prod with drain", async () => {
    const dev = await synth("dev", { ...readStackConfig("dev"), "fleet:nightly": "refresh" });
    assertRefreshSchedule(dev, fleetConfigOf({ ...readStackConfig("dev"), "fleet:nightly": "refresh" }));
    assert.equal(all(dev, T.schedule).length, 0);
    const prodConfig = { ...readStackConfig("prod"), "fleet:nightly": "drain" };
    const prod = await synth("prod", prodConfig);
    assertDrainAndRestore(all(prod, T.schedule), fleetConfigOf(prodConfig), one(prod, T.asg));
    assert.equal(all(prod, T.schedulerSchedule).length, 0);
  });
});
