/**
 * The night under mocks, in both modes (`fleet:nightly`): the release state machine, its nightly schedule
 * after the image pipeline, both roles' trust and statements, its alarm; dev's drain and restore onto the last
 * good image; and what a later `pulumi up` does after a release promoted another AMI (nothing undone).
 */
import * as assert from "node:assert/strict";
import { CronExpressionParser } from "cron-parser";
import { MOCK_ACCOUNT, readStackConfig, synth, type SynthResource, type SynthResult } from "../../scripts/synth";
import { MIN_PIPELINE_LEAD_MINUTES, parseFleetConfig, toAwsCron, type FleetConfig } from "../../infra/shared/config";
import { AFTER_RESTORE_S } from "../../infra/night/release";
import { MAX_REFRESH_ALARMS, releasePreferenceProblems } from "../../infra/night/releasePlan";
import { aslProblems } from "./releaseFake";
import { all, idOf, one, stackPlan, T, templateOf } from "./helpers";

const REGION = "eu-central-1";
const SFN = "aws:sfn/stateMachine:StateMachine";
const PARAMETER = "aws:ssm/parameter:Parameter";
const FIRST_AMI = "ami-0f1e2d3c4b5a69788";

function fleetConfigOf(config: Record<string, string>): FleetConfig {
  return parseFleetConfig((k) => config[`fleet:${k}`]);
}

/** Drain mode for one group: to zero at the drain cron, back to [min, desired] at the restore cron, max unchanged. */
function assertDrainAndRestore(r: SynthResult, cfg: FleetConfig, asg: SynthResource, restored: [number, number]): void {
  const schedules = all(r, T.schedule).filter((s) => s.inputs.autoscalingGroupName === asg.outputs.name);
  assert.equal(schedules.length, 2, `a drain and a restore for ${asg.name}`);
  const drain = schedules.find((s) => s.inputs.recurrence === cfg.drainCron)!;
  const restore = schedules.find((s) => s.inputs.recurrence === cfg.restoreCron)!;
  assert.deepEqual([drain.inputs.minSize, drain.inputs.desiredCapacity, drain.inputs.maxSize], [0, 0, -1]);
  assert.deepEqual([restore.inputs.minSize, restore.inputs.desiredCapacity, restore.inputs.maxSize], [...restored, -1]);
  for (const s of schedules) assert.equal(s.inputs.timeZone, cfg.timeZone);
}

/** Every launch of the group (a scale-out, the restore) uses a concrete version of a template with a concrete AMI. */
function assertLaunchesTheLastGoodImage(asg: SynthResource, lt: SynthResource, ami: string): void {
  assert.equal(lt.inputs.imageId, ami);
  assert.doesNotMatch(JSON.stringify(lt.inputs), /resolve:ssm/);
  const spec = templateOf(asg);
  assert.equal(spec.id, idOf(lt));
  assert.match(spec.version, /^\d+$/, "a concrete version, never $Latest or $Default");
  assert.ok(asg.options.ignoreChanges?.includes(spec.versionPath), `${asg.name}: the release owns its version`);
}

/** The launch template of a StartInstanceRefresh state's DesiredConfiguration, plain or in a mixed policy. */
function specOf(s: any): Record<string, string> {
  const d = s.Parameters.DesiredConfiguration;
  return d.MixedInstancesPolicy ? d.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification : d.LaunchTemplate;
}

function policyOf(r: SynthResult, role: SynthResource): any {
  const policies = all(r, T.rolePolicy).filter((p) => p.inputs.role === idOf(role));
  assert.equal(policies.length, 1, `one inline policy on ${role.name}`);
  return JSON.parse(policies[0]!.inputs.policy);
}

function assertTrust(role: SynthResource, service: string, sourceArn: string): void {
  const trust = JSON.parse(role.inputs.assumeRolePolicy);
  assert.deepEqual(trust.Statement, [
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT }, ArnLike: { "aws:SourceArn": sourceArn } },
    },
  ]);
}

function assertRelease(r: SynthResult, cfg: FleetConfig, stack: string): void {
  const machine = one(r, SFN);
  const machineArn = `arn:aws:states:${REGION}:${MOCK_ACCOUNT}:stateMachine:fleet-${stack}-release`;
  assert.equal(machine.inputs.name, `fleet-${stack}-release`);
  assert.equal(machine.inputs.type, "STANDARD");
  assert.equal(r.outputs.releaseStateMachineArn, machine.outputs.arn);
  assert.equal(r.outputs.lastGoodAmiParameter, `/fleet/${stack}/release/last-good-ami`);
  const definition = JSON.parse(machine.inputs.definition);
  assert.deepEqual(aslProblems(definition), []);
  const states = Object.values<any>(definition.States);

  // The refreshes: concrete version, rollback, the group's alarms (the program's, at most 10), the bake.
  const refreshes = Object.entries<any>(definition.States).filter(
    ([name, s]) => s.Resource?.endsWith(":startInstanceRefresh") && !name.includes("put back"),
  );
  assert.equal(refreshes.length, 2);
  const alarmNames = new Map(all(r, T.alarm).map((a) => [a.outputs.name, a.name]));
  const gates: Record<string, string[]> = {
    "Web: start refresh": ["fleet-alb-5xx-rate", "fleet-target-5xx-rate", "fleet-unhealthy-hosts", "fleet-p99-latency"],
    "Worker: start refresh": ["fleet-jobs-dlq", "fleet-jobs-failed"],
  };
  for (const [name, s] of refreshes) {
    const p = s.Parameters.Preferences;
    assert.equal(p.AutoRollback, true);
    assert.equal(p.BakeTime, cfg.releaseBakeMinutes * 60);
    assert.equal(p.CheckpointDelay, cfg.releaseBakeMinutes * 60);
    assert.deepEqual(
      p.AlarmSpecification.Alarms.map((n: string) => alarmNames.get(n)),
      gates[name],
      `${name}: gated by the program's alarms`,
    );
    assert.ok(p.AlarmSpecification.Alarms.length <= MAX_REFRESH_ALARMS);
    assert.deepEqual(releasePreferenceProblems(p), []);
    assert.ok(specOf(s)["Version.$"], "the version the release created");
  }
  // The worker group's refresh carries its whole mixed instances policy (its Spot), as the program has it.
  const workerMixed = one(r, T.asg, "fleet-worker-asg").inputs.mixedInstancesPolicy;
  const workerDesired = refreshes.find(([n]) => n === "Worker: start refresh")![1].Parameters.DesiredConfiguration;
  assert.deepEqual(
    workerDesired.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o: any) => o.InstanceType),
    workerMixed.launchTemplate.overrides.map((o: any) => o.instanceType),
  );
  assert.equal(
    workerDesired.MixedInstancesPolicy.InstancesDistribution.OnDemandBaseCapacity,
    workerMixed.instancesDistribution.onDemandBaseCapacity,
  );
  const templates = all(r, T.lt);
  assert.deepEqual(refreshes.map(([, s]) => specOf(s).LaunchTemplateId).sort(), templates.map(idOf).sort());
  const settle = definition.States["Let the night settle"];
  assert.equal(settle.Seconds, cfg.nightly === "drain" ? AFTER_RESTORE_S : 0);
  assert.ok(states.every((s) => s.Type !== "Task" || s.Resource.startsWith("arn:aws:states:::aws-sdk:")));

  // The schedule: after the image pipeline (by the config's lead), the stack's zone, the machine, nightly.
  const schedule = one(r, T.schedulerSchedule);
  const cron = cfg.nightly === "refresh" ? cfg.drainCron : cfg.restoreCron;
  assert.equal(schedule.inputs.scheduleExpression, toAwsCron(cron));
  assert.equal(schedule.inputs.scheduleExpressionTimezone, cfg.timeZone);
  assert.deepEqual(schedule.inputs.flexibleTimeWindow, { mode: "OFF" });
  assert.equal(schedule.inputs.target.arn, machine.outputs.arn);
  assert.deepEqual(JSON.parse(schedule.inputs.target.input), { reason: "nightly" });
  const from = new Date("2026-12-03T00:00:00Z");
  const releases = CronExpressionParser.parse(cron, { tz: cfg.timeZone, currentDate: from });
  for (let i = 0; i < 400; i++) {
    const at = releases.next().getTime();
    const pipeline = CronExpressionParser.parse(cfg.pipelineCron, { tz: cfg.timeZone, currentDate: new Date(at) })
      .prev()
      .getTime();
    assert.ok(at - pipeline >= MIN_PIPELINE_LEAD_MINUTES * 60_000, `the pipeline runs first: ${new Date(at)}`);
  }

  // Scheduler's role: trusted for the schedule's group (the ARN Scheduler presents), and only StartExecution
  // of this machine.
  const schedulerRole = all(r, T.role).find((x) => x.outputs.arn === schedule.inputs.target.roleArn)!;
  assertTrust(
    schedulerRole,
    "scheduler.amazonaws.com",
    `arn:aws:scheduler:${REGION}:${MOCK_ACCOUNT}:schedule-group/default`,
  );
  assert.deepEqual(policyOf(r, schedulerRole).Statement, [
    { Effect: "Allow", Action: ["states:StartExecution"], Resource: [machine.outputs.arn] },
  ]);

  // The machine's role: `*` only for the Describe calls, PassRole only on the two instance roles.
  const machineRole = all(r, T.role).find((x) => x.outputs.arn === machine.inputs.roleArn)!;
  assertTrust(machineRole, "states.amazonaws.com", machineArn);
  const statements: any[] = policyOf(r, machineRole).Statement;
  for (const s of statements) {
    if (s.Resource === "*")
      assert.deepEqual(s.Action, [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "ec2:DescribeTags",
      ]);
    for (const a of s.Action) assert.doesNotMatch(a, /\*/, `${s.Sid}: ${a}`);
  }
  const sid = (id: string) => statements.find((s) => s.Sid === id);
  const instanceRoles = templates.map((lt) => {
    const profile = all(r, T.profile).find((p) => p.outputs.arn === lt.inputs.iamInstanceProfile.arn)!;
    return all(r, T.role).find((x) => x.outputs.name === profile.inputs.role)!.outputs.arn;
  });
  assert.deepEqual([...sid("PassTheInstanceRoles").Resource].sort(), [...instanceRoles].sort());
  assert.deepEqual(sid("PassTheInstanceRoles").Condition, {
    StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" },
  });
  assert.deepEqual([...sid("LaunchFromTheTemplates").Resource].sort(), templates.map((t) => t.outputs.arn).sort());
  assert.deepEqual(sid("TagWhatTheLaunchCreates").Condition, { StringEquals: { "ec2:CreateAction": "RunInstances" } });
  assert.ok(!statements.some((s) => s.Action.includes("ssm:GetParameters")), "no template takes its AMI from SSM");
  assert.deepEqual(sid("RefreshTheGroups").Resource, [
    `arn:aws:autoscaling:${REGION}:${MOCK_ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${one(r, T.asg, "fleet-asg").outputs.name}`,
    `arn:aws:autoscaling:${REGION}:${MOCK_ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/fleet-worker-${stack}`,
  ]);

  // Its alarm: a release that could not report goes to the topic.
  const failed = one(r, T.alarm, "fleet-release-failed");
  assert.deepEqual(failed.inputs.alarmActions, [one(r, T.topic).outputs.arn]);
  for (const q of failed.inputs.metricQueries)
    if (q.metric) assert.deepEqual(q.metric.dimensions, { StateMachineArn: machineArn });
  assert.match(one(r, T.dashboard).inputs.dashboardBody, /ExecutionsFailed/);

  // The workers' failed attempts: counted from the instances' journals, in this stack's namespace.
  const filter = one(r, "aws:cloudwatch/logMetricFilter:LogMetricFilter", "fleet-jobs-failed");
  assert.equal(filter.inputs.logGroupName, `/fleet/${stack}/instances`);
  assert.equal(filter.inputs.pattern, '"job failed"');
  assert.deepEqual(
    [filter.inputs.metricTransformation.namespace, filter.inputs.metricTransformation.name],
    [`fleet/${stack}`, "JobAttemptsFailed"],
  );
  const jobsFailed = one(r, T.alarm, "fleet-jobs-failed");
  assert.deepEqual(
    jobsFailed.inputs.metricQueries.map((q: any) => q.metric && [q.metric.namespace, q.metric.metricName]),
    [[`fleet/${stack}`, "JobAttemptsFailed"]],
  );
}

function assertNight(r: SynthResult, cfg: FleetConfig, stack: string): void {
  const web = one(r, T.asg, "fleet-asg");
  const worker = one(r, T.asg, "fleet-worker-asg");
  assertLaunchesTheLastGoodImage(web, one(r, T.lt, "fleet-lt"), FIRST_AMI);
  assertLaunchesTheLastGoodImage(worker, one(r, T.lt, "fleet-worker-lt"), FIRST_AMI);
  if (cfg.nightly === "drain") {
    assertDrainAndRestore(r, cfg, web, [cfg.minSize, cfg.desiredCapacity]);
    // The workers' desired is left to the backlog (-1): the restore brings back their min only.
    assertDrainAndRestore(r, cfg, worker, [cfg.jobs.workerMinSize, -1]);
  } else {
    assert.equal(all(r, T.schedule).length, 0, "no drain: the release keeps the service up");
  }
  assertRelease(r, cfg, stack);
}

for (const stack of ["dev", "prod"]) {
  describe(`infra night under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    before(async () => {
      cfg = fleetConfigOf(readStackConfig(stack));
      r = await stackPlan(stack);
    });

    it("releases tonight's image nightly after the pipeline; every launch uses the last good image", () => {
      assertNight(r, cfg, stack);
      assert.equal(stack === "prod" ? "refresh" : "drain", cfg.nightly);
    });

    it("starts from the first image: the last good record holds its AMI, and Pulumi never rewrites it", () => {
      const lastGood = one(r, PARAMETER, "fleet-last-good");
      assert.equal(lastGood.inputs.type, "String");
      assert.ok(lastGood.options.ignoreChanges?.includes("value"));
      assert.ok(JSON.stringify(lastGood.inputs.value).includes(FIRST_AMI), "the first image's AMI");
    });
  });
}

describe("infra night under mocks: variations", () => {
  // A whole synth each: seconds on a loaded machine.
  it("either nightly mode on either stack: dev with refresh", async function () {
    this.timeout(60_000);
    const devConfig = { ...readStackConfig("dev"), "fleet:nightly": "refresh" };
    assertNight(await synth("dev", devConfig), fleetConfigOf(devConfig), "dev");
  });

  it("either nightly mode on either stack: prod with drain", async function () {
    this.timeout(60_000);
    const prodConfig = { ...readStackConfig("prod"), "fleet:nightly": "drain" };
    assertNight(await synth("prod", prodConfig), fleetConfigOf(prodConfig), "prod");
  });

  it("a pulumi up after a release keeps what the release set: the promoted AMI, the group's version", async function () {
    this.timeout(60_000);
    const promoted = "ami-0aaaabbbbccccdddd";
    const r = await synth("prod", readStackConfig("prod"), undefined, {
      live: { parameters: { "/fleet/prod/release/last-good-ami": promoted } },
    });
    // A template version Pulumi adds carries the promoted AMI, not the first image's...
    assert.equal(one(r, T.lt, "fleet-lt").inputs.imageId, promoted);
    assert.equal(one(r, T.lt, "fleet-worker-lt").inputs.imageId, promoted);
    // ...the record is not put back (its value is ignored after creation)...
    assert.ok(one(r, PARAMETER, "fleet-last-good").options.ignoreChanges?.includes("value"));
    // ...and the groups stay on the version the release moved them to.
    for (const asg of all(r, T.asg)) assert.ok(asg.options.ignoreChanges?.includes(templateOf(asg).versionPath));
  });

  it("a bake AWS would reject is a config error naming the key", () => {
    const get = (over: Record<string, string>) => () =>
      parseFleetConfig((k) => ({ ...readStackConfig("dev"), ...over })[`fleet:${k}`]);
    assert.throws(
      get({ "fleet:releaseBakeMinutes": "2881" }),
      /fleet:releaseBakeMinutes = "2881" is invalid: out of range 0\.\.2880/,
    );
    assert.throws(get({ "fleet:releaseBakeMinutes": "ten" }), /fleet:releaseBakeMinutes .* not a whole number/);
    assert.equal(get({ "fleet:releaseBakeMinutes": "30" })().releaseBakeMinutes, 30);
  });
});
