/**
 * Observability of the plan under mocks (dev and prod, the plans shared with program.test.ts): the log
 * group the image's agent writes to, ALB access logs, the alarm topic and alarms, the dashboard, flow logs
 * and the default security group. Every metric must name a resource of the plan with the dimensions
 * CloudWatch publishes it under (test/infra/metricCatalogue.ts).
 */
import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, readStackConfig, synth, type SynthResult } from "../../scripts/synth";
import { parseFleetConfig, type FleetConfig } from "../../infra/shared/config";
import { dashboardMetrics } from "../../infra/observability/monitoring";
import { assertKnownMetric, type KnownResources } from "./metricCatalogue";
import { all, key, one, stackPlan, T } from "./helpers";

/** The CloudWatch agent configuration embedded in the image component document. */
function embeddedAgentConfig(doc: string): string {
  const at = doc.indexOf('name: "WriteCloudWatchAgentConfig"');
  const content = /content: \|\n((?: {14}.*\n|\n)+)/.exec(doc.slice(at))!;
  return content[1]!
    .split("\n")
    .map((l) => l.slice(14))
    .join("\n");
}

/** The CWAgent dimension sets the plan's agent configuration publishes. */
function agentSets(r: SynthResult): string[][] {
  return JSON.parse(embeddedAgentConfig(one(r, T.component).inputs.data)).metrics.aggregation_dimensions;
}

/** The dimension values that name resources of this plan. */
function knownResources(r: SynthResult): KnownResources {
  return {
    LoadBalancer: all(r, T.alb).map((x) => x.outputs.arnSuffix),
    TargetGroup: all(r, T.tg).map((x) => x.outputs.arnSuffix),
    AutoScalingGroupName: all(r, T.asg).map((x) => x.outputs.name),
    QueueName: all(r, "aws:sqs/queue:Queue").map((x) => x.outputs.name),
    StateMachineArn: all(r, "aws:sfn/stateMachine:StateMachine").map((x) => x.outputs.arn),
    path: ["/"],
  };
}

for (const stack of ["dev", "prod"]) {
  describe(`infra observability under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    const res = (type: string, name?: string) => one(r, type, name);

    before(async () => {
      const config = readStackConfig(stack);
      cfg = parseFleetConfig((k) => config[`fleet:${k}`]);
      r = await stackPlan(stack);
    });

    it("ships the instances' journals to a log group with the stack's retention, created before the group", () => {
      const group = res(T.logGroup, "fleet-instances");
      assert.equal(group.inputs.name, `/fleet/${stack}/instances`);
      assert.equal(group.inputs.retentionInDays, cfg.logRetentionDays);
      const agent = JSON.parse(embeddedAgentConfig(res(T.component).inputs.data));
      const collected = agent.logs.logs_collected.journald.collect_list as Array<{
        units: string[];
        log_group_name: string;
      }>;
      assert.deepEqual(
        collected.map((e) => [e.units, e.log_group_name]),
        [
          [["fleet.service"], group.inputs.name],
          [["fleet-worker.service"], group.inputs.name],
        ],
        "the agent in the image ships both units' journals where the program created the group",
      );
      for (const asg of all(r, T.asg))
        assert.ok(asg.options.dependsOn?.includes(key(group)), `the group exists before ${asg.name}'s instances boot`);
    });

    it("writes ALB access logs to a private, encrypted, expiring bucket that only ELB log delivery may write", () => {
      const bucket = res(T.bucket, "fleet-access-logs");
      const alb = res(T.alb);
      assert.deepEqual(alb.inputs.accessLogs, { bucket: bucket.outputs.bucket, prefix: "alb", enabled: true });
      const policy = JSON.parse(res(T.bucketPolicy, "fleet-access-logs").inputs.policy);
      const write = policy.Statement.find((x: { Sid: string }) => x.Sid === "ElbLogDelivery");
      // eu-central-1 opened before August 2022: its ELB account writes the logs.
      assert.deepEqual(write.Principal, { AWS: "arn:aws:iam::054676820928:root" });
      assert.equal(write.Action, "s3:PutObject");
      assert.equal(write.Resource, `${bucket.outputs.arn}/alb/AWSLogs/${MOCK_ACCOUNT}/*`);
      assert.ok(policy.Statement.some((x: { Sid: string }) => x.Sid === "DenyPlainHttp"));
      assert.equal(
        res(T.sse, "fleet-access-logs").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
        "AES256",
        "ELB log delivery supports SSE-S3 only",
      );
      assert.ok(res(T.lifecycle, "fleet-access-logs").inputs.rules[0].expiration.days > 0);
      const pab = res(T.publicAccessBlock, "fleet-access-logs");
      for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab.inputs[k], true, k);
      assert.ok(alb.options.dependsOn?.includes(key(res(T.bucketPolicy, "fleet-access-logs"))));
    });

    it("alarms to an encrypted topic CloudWatch may publish to; every metric names a resource of this plan", () => {
      const topic = res(T.topic);
      const kms = res(T.kmsKey);
      assert.equal(topic.inputs.kmsMasterKeyId, kms.outputs.arn);
      assert.equal(kms.inputs.enableKeyRotation, true);
      const keyPolicy = JSON.parse(kms.inputs.policy);
      assert.ok(
        keyPolicy.Statement.some(
          (x: { Principal: { Service?: string }; Action: string[] }) =>
            x.Principal.Service === "cloudwatch.amazonaws.com" && x.Action.includes("kms:GenerateDataKey*"),
        ),
      );
      assert.equal(all(r, T.subscription).length, cfg.alarmEmail ? 1 : 0);
      const alarms = all(r, T.alarm);
      // The wake-up alarm acts on the worker group (a step policy), it tells no one; every other alarm does.
      const wakeUp = res(T.alarm, "fleet-worker-wake-up");
      assert.deepEqual(wakeUp.inputs.alarmActions, [res(T.policy, "fleet-worker-wake-up").outputs.arn]);
      const notifying = alarms.filter((a) => a !== wakeUp);
      assert.deepEqual(notifying.map((a) => a.name).sort(), [
        "fleet-alb-5xx-rate",
        "fleet-at-max-size",
        "fleet-jobs-dlq",
        "fleet-jobs-failed",
        "fleet-jobs-oldest-message",
        "fleet-p99-latency",
        "fleet-release-failed",
        "fleet-target-5xx-rate",
        "fleet-unhealthy-hosts",
        "fleet-workers-at-max-with-backlog",
      ]);
      const known = knownResources(r);
      for (const a of notifying) {
        assert.deepEqual(a.inputs.alarmActions, [topic.outputs.arn]);
        for (const q of a.inputs.metricQueries) if (q.metric) assertKnownMetric(q.metric, known, agentSets(r), a.name);
      }
      const body = res(T.dashboard).inputs.dashboardBody;
      for (const m of dashboardMetrics(body)) assertKnownMetric(m, known, agentSets(r), "dashboard");
      assert.equal(r.outputs.dashboardName, `fleet-${stack}`);
      assert.ok(
        res(T.asg, "fleet-asg").inputs.enabledMetrics.includes("GroupMaxSize"),
        "the at-max alarm's metrics are enabled",
      );
    });

    it("logs the VPC's traffic and locks its default security group", () => {
      const vpc = res(T.vpc);
      const flow = res(T.flowLog);
      assert.equal(flow.inputs.vpcId, vpc.outputs.vpcId);
      assert.equal(flow.inputs.trafficType, "ALL");
      assert.equal(flow.inputs.logDestination, res(T.logGroup, "fleet-flow-logs").outputs.arn);
      const sg = res(T.defaultSg);
      assert.equal(sg.inputs.vpcId, vpc.outputs.vpcId);
      assert.deepEqual([sg.inputs.ingress, sg.inputs.egress], [[], []]);
    });

    it("gives the flow logs AWS's documented minimum, for this account's flow logs only", () => {
      // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
      const flow = res(T.flowLog);
      const role = all(r, T.role).find((x) => x.outputs.arn === flow.inputs.iamRoleArn)!;
      const trust = JSON.parse(role.inputs.assumeRolePolicy);
      assert.equal(trust.Statement.length, 1);
      const st = trust.Statement[0];
      assert.deepEqual(st.Principal, { Service: "vpc-flow-logs.amazonaws.com" });
      assert.deepEqual(st.Condition.StringEquals, { "aws:SourceAccount": MOCK_ACCOUNT });
      assert.deepEqual(st.Condition.ArnLike, {
        "aws:SourceArn": `arn:aws:ec2:${readStackConfig(stack)["aws:region"]}:${MOCK_ACCOUNT}:vpc-flow-log/*`,
      });
      const policy = all(r, T.rolePolicy).find((p) => p.inputs.role === `${role.name}-id`)!;
      const granted = (action: string) =>
        JSON.parse(policy.inputs.policy).Statement.filter((s: { Action: string[] }) => s.Action.includes(action));
      const group = res(T.logGroup, "fleet-flow-logs").outputs.arn;
      for (const action of ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"])
        assert.deepEqual(granted(action)[0]?.Resource, [group, `${group}:*`], action);
      assert.equal(granted("logs:DescribeLogGroups").length, 1, "logs:DescribeLogGroups is granted");
    });
  });
}

describe("infra observability under mocks: variations", () => {
  it("mails the alarms to fleet:alarmEmail when set", async () => {
    const r = await synth("dev", { ...readStackConfig("dev"), "fleet:alarmEmail": "ops@example.com" });
    const sub = one(r, T.subscription);
    assert.deepEqual([sub.inputs.protocol, sub.inputs.endpoint], ["email", "ops@example.com"]);
    assert.equal(sub.inputs.topic, one(r, T.topic).outputs.arn);
  });
});
