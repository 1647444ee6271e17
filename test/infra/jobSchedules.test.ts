/**
 * Periodic jobs on AWS (infra/jobs/jobSchedules.ts) in the program under mocks: the dev stack with
 * `fleet:jobSchedules` set plans one schedule group, one least-privilege role and one Scheduler schedule
 * per entry, every input checked against what AWS accepts; a bad entry is refused before anything exists.
 */
import * as assert from "node:assert/strict";
import { parseStackYaml, planOf, readStackConfig, synth, type SynthResult } from "../../scripts/synth";
import { evaluatePolicies } from "../../policy/evaluate";
import { ALL_POLICIES } from "../../policy/policies";
import { parseSchedules } from "../../service/jobs/schedules";
import { SCHEDULED_TIME_PLACEHOLDER, takeTickMessage, TICK_MESSAGE_TYPE } from "../../service/jobs/ticks";
import { scheduleGroupName, TICK_RETRY_POLICY } from "../../infra/jobs/jobSchedules";
import { all, key, one, stackPlan, T } from "./helpers";

const SCHEDULES = [
  { name: "nightly-sum", schedule: "cron(0 3 * * ? *)", timeZone: "Europe/Berlin", kind: "sum", input: { n: 1000 } },
  { name: "often.render", schedule: "rate(15 minutes)", kind: "render", input: { width: 8, height: 8 } },
];
const GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup";

describe("periodic jobs on AWS (fleet:jobSchedules, EventBridge Scheduler)", function () {
  this.timeout(120_000);
  let plan: SynthResult;
  before(async () => {
    plan = await synth("dev", { ...readStackConfig("dev"), "fleet:jobSchedules": JSON.stringify(SCHEDULES) });
  });

  it("a stack without schedules plans none of it", async () => {
    const dev = await stackPlan("dev");
    assert.equal(all(dev, GROUP).length, 0);
    assert.equal(all(dev, T.schedulerSchedule).filter((s) => s.inputs.groupName !== undefined).length, 0);
  });

  it("one component (fleet:jobSchedules:JobSchedules) parents them all", () => {
    const component = one(plan, "fleet:jobSchedules:JobSchedules");
    const mine = [
      one(plan, GROUP),
      one(plan, T.role, "fleet-jobs-scheduler"),
      one(plan, T.rolePolicy, "fleet-jobs-scheduler"),
      ...all(plan, T.schedulerSchedule).filter((s) => s.inputs.groupName === "fleet-dev-jobs"),
    ];
    for (const r of mine) assert.equal(r.options.parent, key(component), `${key(r)}'s parent`);
  });

  it("one schedule group per stack, named as AWS allows (1-64 of [0-9a-zA-Z-_.])", () => {
    const group = one(plan, GROUP);
    assert.equal(group.inputs.name, "fleet-dev-jobs");
    assert.match(group.inputs.name, /^[0-9A-Za-z_.-]{1,64}$/);
    assert.throws(() => scheduleGroupName("x".repeat(60)), /not 1-64/);
  });

  it("one Scheduler schedule per entry: its expression, time zone, exact time, queue target and retries", () => {
    const queue = one(plan, T.queue, "fleet-jobs");
    const schedules = all(plan, T.schedulerSchedule).filter((s) => s.inputs.groupName === "fleet-dev-jobs");
    assert.deepEqual(
      schedules.map((s) => s.inputs.name),
      ["nightly-sum", "often.render"],
    );
    const role = one(plan, T.role, "fleet-jobs-scheduler");
    for (const s of schedules) {
      const entry = SCHEDULES.find((e) => e.name === s.inputs.name)!;
      assert.equal(s.inputs.scheduleExpression, entry.schedule);
      assert.equal(s.inputs.scheduleExpressionTimezone, entry.timeZone ?? "UTC");
      assert.deepEqual(s.inputs.flexibleTimeWindow, { mode: "OFF" });
      assert.equal(s.inputs.state, "ENABLED");
      assert.equal(s.inputs.target.arn, queue.outputs.arn, "the templated SQS target is the jobs queue");
      assert.equal(s.inputs.target.roleArn, role.outputs.arn);
      assert.deepEqual(s.inputs.target.retryPolicy, TICK_RETRY_POLICY);
      assert.ok(
        TICK_RETRY_POLICY.maximumEventAgeInSeconds >= 60 && TICK_RETRY_POLICY.maximumEventAgeInSeconds <= 86_400,
      );
      assert.ok(TICK_RETRY_POLICY.maximumRetryAttempts >= 0 && TICK_RETRY_POLICY.maximumRetryAttempts <= 185);
      const body = JSON.parse(s.inputs.target.input);
      assert.deepEqual(body, {
        type: TICK_MESSAGE_TYPE,
        name: entry.name,
        schedule: entry.schedule,
        timeZone: entry.timeZone ?? "UTC",
        kind: entry.kind,
        input: entry.input,
        tick: SCHEDULED_TIME_PLACEHOLDER,
      });
    }
  });

  it("the message Scheduler sends is one a worker turns into the tick's job", async () => {
    const s = all(plan, T.schedulerSchedule).find((x) => x.inputs.name === "nightly-sum")!;
    const sent = (s.inputs.target.input as string).replace(SCHEDULED_TIME_PLACEHOLDER, "2026-12-03T02:00:00Z");
    const enqueued: unknown[] = [];
    const backend = { enqueue: async (job: unknown) => (enqueued.push(job), { job: {}, created: true }) };
    const outcome = await takeTickMessage(backend as never, sent, Date.parse("2026-12-03T02:00:40Z"));
    assert.equal(outcome, "enqueued");
    assert.deepEqual(enqueued, [
      {
        kind: "sum",
        input: { n: 1000 },
        idempotencyKey: "schedule:nightly-sum:2026-12-03T02:00:00.000Z",
        fingerprint: "schedule:nightly-sum",
        schedule: { name: "nightly-sum", tick: "2026-12-03T02:00:00.000Z" },
      },
    ]);
  });

  it("Scheduler's role: trusted by scheduler.amazonaws.com for this account and this group only; may only send to the queue", () => {
    const role = one(plan, T.role, "fleet-jobs-scheduler");
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: {
            "aws:SourceAccount": "123456789012",
            "aws:SourceArn": one(plan, GROUP).outputs.arn,
          },
        },
      },
    ]);
    assert.match(one(plan, GROUP).outputs.arn, /^arn:aws:scheduler:[a-z0-9-]+:\d{12}:schedule-group\/fleet-dev-jobs$/);
    const policy = one(plan, T.rolePolicy, "fleet-jobs-scheduler");
    const doc = typeof policy.inputs.policy === "string" ? JSON.parse(policy.inputs.policy) : policy.inputs.policy;
    const queue = one(plan, T.queue, "fleet-jobs");
    assert.deepEqual(doc.Statement, [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queue.outputs.arn] }]);
  });

  it("refuses a bad schedule at pulumi up, naming the schedule and the field, before anything is created", async () => {
    const bad = [{ ...SCHEDULES[0], input: { n: -1 } }];
    await assert.rejects(
      synth("dev", { ...readStackConfig("dev"), "fleet:jobSchedules": JSON.stringify(bad) }),
      /fleet:jobSchedules = .* is invalid: fleet:jobSchedules\[0\] \("nightly-sum"\)\.input: input\/n must be >= 0/,
    );
    await assert.rejects(
      synth("dev", { ...readStackConfig("dev"), "fleet:jobSchedules": "[{" }),
      /fleet:jobSchedules = .* is invalid: not JSON/,
    );
  });

  it("the plan with schedules passes the policy pack (what AWS accepts, least privilege)", async () => {
    const found = await evaluatePolicies("dev", planOf(plan), ALL_POLICIES);
    assert.deepEqual(
      found.map((v) => `${v.policy} ${v.resource}: ${v.message}`),
      [],
    );
  });

  it("a stack file holds the list as a JSON string (what `pulumi config set fleet:jobSchedules '[…]'` writes)", () => {
    const json = JSON.stringify([
      { name: "first-monday", schedule: "cron(0 9 ? * 2#1 *)", kind: "sum", input: { n: 1 } },
    ]);
    const read = parseStackYaml(`config:\n  fleet:jobSchedules: '${json}'\n`);
    assert.equal(read["fleet:jobSchedules"], json);
  });

  it("every name in the list is one Scheduler takes", () => {
    for (const s of parseSchedules(SCHEDULES, "x")) assert.match(s.name, /^[0-9A-Za-z_.-]{1,64}$/);
  });
});
