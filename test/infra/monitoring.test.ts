/** The alarm specs and the dashboard body, as pure data, with and without the jobs inputs. */
import * as assert from "node:assert/strict";
import {
  alarmSpecs,
  dashboardBody,
  dashboardMetrics,
  ERROR_RATE_ALARM_PERCENT,
  P99_LATENCY_ALARM_S,
  type MonitoredResources,
} from "../../infra/observability/monitoring";
import { cloudWatchAgentConfig } from "../../infra/observability/agentConfig";
import { LONGEST_REQUEST_MS } from "../../service/timing";
import { JOB_LOG } from "../../service/jobs/worker";
import { JOBS_FAILED_METRIC } from "../../infra/observability/monitoring";
import { MESSAGE_RESEND_S } from "../../service/jobs/aws/sweep";
import { OLDEST_MESSAGE_ALARM_S, QUEUE_RETENTION_S } from "../../service/jobs/timing";
import { assertKnownMetric, type KnownResources } from "./metricCatalogue";

const WEB: MonitoredResources = {
  region: "eu-central-1",
  albArnSuffix: "app/fleet-alb/50dc6c495c0c9188",
  targetGroupArnSuffix: "targetgroup/fleet-tg/73e2d6bc24d8a067",
  asgName: "fleet-asg-1",
};
const JOBS = { queueName: "fleet-jobs", dlqName: "fleet-jobs-dlq", workerAsgName: "fleet-worker-asg-1" };
const RELEASE = "arn:aws:states:eu-central-1:123456789012:stateMachine:fleet-dev-release";
const KNOWN: KnownResources = {
  LoadBalancer: [WEB.albArnSuffix],
  TargetGroup: [WEB.targetGroupArnSuffix],
  AutoScalingGroupName: [WEB.asgName, JOBS.workerAsgName],
  QueueName: [JOBS.queueName, JOBS.dlqName],
  StateMachineArn: [RELEASE],
  path: ["/"],
};
const AGENT_SETS = (
  cloudWatchAgentConfig({ logGroupName: "/g", units: ["fleet.service"] }) as {
    metrics: { aggregation_dimensions: string[][] };
  }
).metrics.aggregation_dimensions;

describe("infra monitoring: alarms and dashboard (pure)", () => {
  for (const [what, r] of [
    ["web only", WEB],
    ["with the jobs", { ...WEB, jobs: JOBS }],
    ["with the jobs and the release", { ...WEB, jobs: JOBS, releaseStateMachineArn: RELEASE }],
  ] as const) {
    it(`every alarm and dashboard metric is published under its dimensions and names a resource (${what})`, () => {
      for (const spec of alarmSpecs(r))
        for (const q of spec.queries) if (q.metric) assertKnownMetric(q.metric, KNOWN, AGENT_SETS, spec.key);
      const metrics = dashboardMetrics(dashboardBody(r));
      assert.ok(metrics.length >= 10);
      for (const m of metrics) assertKnownMetric(m, KNOWN, AGENT_SETS, "dashboard");
    });
  }

  it("alarms on the 5xx rates, unhealthy hosts, p99, the group at max, and the DLQ only with the jobs", () => {
    assert.deepEqual(
      alarmSpecs(WEB).map((s) => s.key),
      ["alb-5xx-rate", "target-5xx-rate", "unhealthy-hosts", "p99-latency", "at-max-size"],
    );
    const withJobs = alarmSpecs({ ...WEB, jobs: JOBS });
    const dlq = withJobs.find((s) => s.key === "jobs-dlq")!;
    assert.deepEqual(dlq.queries[0]!.metric!.dimensions, { QueueName: JOBS.dlqName });
    assert.equal(dlq.threshold, 0);
    assert.equal(dlq.comparisonOperator, "GreaterThanThreshold");
    assert.deepEqual(withJobs.map((s) => s.key).slice(-3), [
      "jobs-dlq",
      "jobs-oldest-message",
      "workers-at-max-with-backlog",
    ]);
  });

  it("alarms on the oldest queued job well before SQS's retention and the sweeper's re-send", () => {
    const age = alarmSpecs({ ...WEB, jobs: JOBS }).find((s) => s.key === "jobs-oldest-message")!;
    assert.equal(age.queries[0]!.metric!.metricName, "ApproximateAgeOfOldestMessage");
    assert.deepEqual(age.queries[0]!.metric!.dimensions, { QueueName: JOBS.queueName });
    assert.equal(age.threshold, OLDEST_MESSAGE_ALARM_S);
    assert.ok(age.threshold + age.evaluationPeriods * 60 < MESSAGE_RESEND_S, "the sweeper re-sends first");
    assert.ok(MESSAGE_RESEND_S < QUEUE_RETENTION_S);
  });

  it("alarms when the worker group is at its max size while jobs wait (metric math over the group and the queue)", () => {
    const spec = alarmSpecs({ ...WEB, jobs: JOBS }).find((s) => s.key === "workers-at-max-with-backlog")!;
    const byId = Object.fromEntries(spec.queries.map((q) => [q.id, q]));
    assert.deepEqual(byId.inservice!.metric!.dimensions, { AutoScalingGroupName: JOBS.workerAsgName });
    assert.deepEqual(byId.max!.metric!.dimensions, { AutoScalingGroupName: JOBS.workerAsgName });
    assert.deepEqual(byId.waiting!.metric!.dimensions, { QueueName: JOBS.queueName });
    assert.equal(byId.saturated!.expression, "IF(inservice >= max AND FILL(waiting, 0) > 0, 1, 0)");
    assert.equal(spec.threshold, 1);
  });

  it("every alarm returns exactly one series, and expressions only name queries of the same alarm", () => {
    for (const spec of alarmSpecs({ ...WEB, jobs: JOBS })) {
      assert.equal(spec.queries.filter((q) => q.returnData).length, 1, spec.key);
      const ids = new Set(spec.queries.map((q) => q.id));
      for (const q of spec.queries) {
        assert.ok(/^[a-z][a-zA-Z0-9_]*$/.test(q.id), `${spec.key}: id ${q.id} (CloudWatch: lowercase first)`);
        assert.ok(Boolean(q.metric) !== Boolean(q.expression), `${spec.key}/${q.id}: metric or expression`);
        // Functions are upper case (IF, FILL); every lower-case word must be a query of this alarm.
        for (const name of q.expression?.match(/\b[a-z][a-zA-Z0-9_]*\b/g) ?? [])
          assert.ok(ids.has(name), `${spec.key}: ${q.expression} names ${name}, not a query of this alarm`);
      }
      assert.ok(spec.datapointsToAlarm <= spec.evaluationPeriods);
    }
  });

  it("thresholds keep their relations: p99 well below the longest request, a 5xx rate in (0, 100)", () => {
    assert.ok(P99_LATENCY_ALARM_S * 1000 < LONGEST_REQUEST_MS / 4);
    assert.ok(ERROR_RATE_ALARM_PERCENT > 0 && ERROR_RATE_ALARM_PERCENT < 100);
  });

  it("graphs the jobs' backlog per worker instance only when the jobs exist", () => {
    const body = JSON.parse(dashboardBody({ ...WEB, jobs: JOBS }));
    const backlog = body.widgets.find((w: { properties: { title: string } }) => /backlog/.test(w.properties.title));
    assert.ok(backlog);
    assert.equal(backlog.properties.metrics[0][0].expression, "visible / FILL(inservice, 1)");
    assert.ok(!/backlog|QueueName/.test(dashboardBody(WEB)));
    for (const w of body.widgets) assert.equal(w.properties.region, "eu-central-1");
  });

  it("with the release: an alarm on executions that failed, timed out or were aborted, and a releases widget", () => {
    const r = { ...WEB, jobs: JOBS, releaseStateMachineArn: RELEASE };
    const spec = alarmSpecs(r).find((a) => a.key === "release-failed")!;
    assert.ok(spec, "the failed-release alarm");
    assert.deepEqual(
      spec.queries.filter((q) => q.metric).map((q) => q.metric!.metricName),
      ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"],
    );
    assert.equal(spec.threshold, 1);
    assert.equal(
      alarmSpecs({ ...WEB, jobs: JOBS }).some((a) => a.key === "release-failed"),
      false,
    );
    const widgets = JSON.parse(dashboardBody(r)).widgets as { properties: { title: string } }[];
    assert.ok(widgets.some((w) => w.properties.title.startsWith("Releases")));
    assert.deepEqual(
      dashboardMetrics(dashboardBody(r))
        .filter((m) => m.namespace === "AWS/States")
        .map((m) => m.metricName),
      ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"],
    );
  });

  it("the failed-jobs filter's words are in exactly the worker's failure lines", () => {
    const words = JOBS_FAILED_METRIC.pattern.replace(/"/g, "");
    const matching = Object.entries(JOB_LOG).filter(([, line]) => line.includes(words));
    assert.deepEqual(matching.map(([k]) => k).sort(), ["failed", "retrying"]);
  });
});
