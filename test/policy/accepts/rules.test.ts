/**
 * Every "AWS accepts" rule over broken resources (a real plan resource with one value AWS would refuse:
 * the rule fires) and over the limit itself (the largest value AWS accepts passes, one more fails), and a
 * check that no rule of the list goes without a broken case.
 */
import * as assert from "node:assert/strict";
import type { PlanResource } from "../../../policy/evaluate";
import { AWS_ACCEPTS_POLICIES } from "../../../policy/rules/accepts";
import { policySize } from "../../../policy/rules/accepts/iam";
import { chars, loadPlans, mutate, plan, res, T, violationsOf } from "./helpers";

type Case = [rule: string, what: string, resources: () => PlanResource[], message?: RegExp];

const b64 = (bytes: number) => Buffer.alloc(bytes, "#").toString("base64");

/** The worker role and its inline policy, padded (in a Sid) so the role's inline policies total `size`. */
function workerInlinePolicies(size: number): PlanResource[] {
  const role = plan("prod").find((r) => r.type === T.role && r.name === "fleet-worker-instance")!;
  const policy = mutate(T.rolePolicy, () => undefined, "fleet-worker-instance");
  const doc = JSON.parse(policy.inputs.policy as string) as { Statement: Array<{ Sid?: string }> };
  const pad = size - policySize(policy.inputs.policy as string);
  doc.Statement[0]!.Sid += "x".repeat(pad);
  return [role, { ...policy, inputs: { ...policy.inputs, policy: JSON.stringify(doc, null, 2) } }];
}

/** A role whose trust policy is `size` characters without white space. */
function trustPolicyOf(size: number): PlanResource {
  return mutate(
    T.role,
    (i) => {
      const pad = size - policySize(JSON.stringify(i.assumeRolePolicy));
      i.assumeRolePolicy.Statement[0].Sid += "x".repeat(pad);
    },
    "fleet-builder",
  );
}

const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, "v"]));

const BROKEN: Case[] = [
  [
    "aws-accepts-security-group-text",
    "a group description with an apostrophe",
    () => [mutate(T.sg, (i) => (i.description = "fleet's ALB"), "fleet-alb")],
    /description: has "'"/,
  ],
  [
    "aws-accepts-security-group-text",
    "an inline egress rule description with a quote",
    () => [mutate(T.sg, (i) => (i.egress[0].description = 'HTTPS "out"'), "fleet-builder")],
    /egress\[0\]\.description/,
  ],
  [
    "aws-accepts-security-group-text",
    "a group description of 256 characters",
    () => [mutate(T.sg, (i) => (i.description = chars(256)), "fleet-alb")],
    /at most 255/,
  ],
  [
    "aws-accepts-security-group-text",
    "a group name starting sg-",
    () => [mutate(T.sg, (i) => (i.name = "sg-fleet"), "fleet-alb")],
    /sg-/,
  ],
  [
    "aws-accepts-security-group-rule-description",
    "& in a rule that references the ALB's group",
    () => [mutate(T.ingress, (i) => (i.description = "traffic & health checks"), "fleet-from-alb")],
    /"&"/,
  ],
  [
    "aws-accepts-security-group-rule-description",
    "an apostrophe in a CIDR rule",
    () => [mutate(T.ingress, (i) => (i.description = "HTTP from the world's browsers"), "fleet-alb-80")],
  ],
  [
    "aws-accepts-launch-template-name",
    "a space in the name",
    () => [mutate(T.lt, (i) => (i.name = "fleet lt"), "fleet-lt")],
    /name: has " "/,
  ],
  [
    "aws-accepts-launch-template-name",
    "a name of 129 characters",
    () => [mutate(T.lt, (i) => (i.name = chars(129)), "fleet-lt")],
  ],
  [
    "aws-accepts-launch-template-name",
    "a description of 256 characters",
    () => [mutate(T.lt, (i) => (i.description = chars(256)), "fleet-lt")],
    /description/,
  ],
  [
    "aws-accepts-user-data-size",
    "16,385 bytes of user data",
    () => [mutate(T.lt, (i) => (i.userData = b64(16_385)), "fleet-lt")],
    /16384 bytes/,
  ],
  [
    "aws-accepts-user-data-size",
    "user data that is not base64",
    () => [mutate(T.lt, (i) => (i.userData = "#!/bin/bash\necho hi"), "fleet-lt")],
    /base64/,
  ],
  [
    "aws-accepts-load-balancer-name",
    "a name of 33 characters",
    () => [mutate(T.alb, (i) => (i.name = chars(33)))],
    /at most 32/,
  ],
  [
    "aws-accepts-load-balancer-name",
    'a name starting "internal-"',
    () => [mutate(T.alb, (i) => (i.name = "internal-fleet"))],
    /internal-/,
  ],
  [
    "aws-accepts-load-balancer-name",
    "a name ending with a hyphen",
    () => [mutate(T.alb, (i) => (i.name = "fleet-"))],
    /hyphen/,
  ],
  [
    "aws-accepts-target-group-name",
    "an underscore",
    () => [mutate(T.tg, (i) => (i.name = "fleet_tg"))],
    /alphanumeric/,
  ],
  [
    "aws-accepts-target-group-name",
    "a namePrefix of 7 characters",
    () => [mutate(T.tg, (i) => (i.namePrefix = "fleettg"))],
    /namePrefix: must be at most 6/,
  ],
  [
    "aws-accepts-target-group-health-check",
    "a 301 s interval",
    () => [mutate(T.tg, (i) => (i.healthCheck.interval = 301))],
    /5\.\.300/,
  ],
  [
    "aws-accepts-target-group-health-check",
    "a healthy threshold of 1",
    () => [mutate(T.tg, (i) => (i.healthCheck.healthyThreshold = 1))],
    /2\.\.10/,
  ],
  [
    "aws-accepts-autoscaling-group-name",
    "a group name of 256 characters",
    () => [mutate(T.asg, (i) => (i.name = chars(256)), "fleet-worker-asg")],
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "a 29 s heartbeat",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 29))],
    /30\.\.7200/,
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "a 7201 s heartbeat",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 7201))],
  ],
  [
    "aws-accepts-instance-refresh-percentages",
    "min 90 / max 200",
    () => [mutate(T.asg, (i) => (i.instanceRefresh.preferences.minHealthyPercentage = 90), "fleet-asg")],
    /exceeds 100/,
  ],
  [
    "aws-accepts-scheduled-action",
    "an EventBridge cron() as recurrence",
    () => [mutate(T.schedule, (i) => (i.recurrence = "cron(0 3 * * ? *)"), "fleet-drain", "dev")],
    /5-field Unix cron/,
  ],
  [
    "aws-accepts-scheduled-action",
    "a 4-field recurrence",
    () => [mutate(T.schedule, (i) => (i.recurrence = "0 3 * *"), "fleet-drain", "dev")],
    /has 4/,
  ],
  [
    "aws-accepts-component-data-size",
    "16,001 characters of component data",
    () => [mutate(T.component, (i) => (i.data = chars(16_001)))],
    /at most 16000/,
  ],
  [
    "aws-accepts-component-name",
    "a ! in the component name",
    () => [mutate(T.component, (i) => (i.name = "fleet-service!"))],
  ],
  [
    "aws-accepts-imagebuilder-version",
    "a two-node version",
    () => [mutate(T.component, (i) => (i.version = "1.0"))],
    /<major>/,
  ],
  [
    "aws-accepts-imagebuilder-version",
    "a recipe node over 2^30-1",
    () => [mutate(T.recipe, (i) => (i.version = "1.0.1073741824"))],
    /at most 1073741823/,
  ],
  [
    "aws-accepts-image-tests-timeout",
    "a 59-minute test timeout",
    () => [mutate(T.image, (i) => (i.imageTestsConfiguration.timeoutMinutes = 59))],
    /60\.\.1440/,
  ],
  [
    "aws-accepts-image-tests-timeout",
    "a pipeline's 1441-minute test timeout",
    () => [mutate(T.pipeline, (i) => (i.imageTestsConfiguration.timeoutMinutes = 1441))],
  ],
  [
    "aws-accepts-role-trust-policy",
    "a trust policy of 2,049 characters",
    () => [trustPolicyOf(2049)],
    /at most 2048 characters without white space, is 2049/,
  ],
  [
    "aws-accepts-managed-policy-size",
    "a managed policy of 6,145 characters",
    () => [
      res("aws:iam/policy:Policy", "big", {
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        }).replace('"Sid":""', `"Sid":"${chars(6145 - 87)}"`),
      }),
    ],
    /6144/,
  ],
  [
    "aws-accepts-iam-names",
    "a role name of 65 characters",
    () => [mutate(T.role, (i) => (i.name = chars(65)), "fleet-builder")],
    /at most 64/,
  ],
  [
    "aws-accepts-iam-names",
    "a role name with a space",
    () => [mutate(T.role, (i) => (i.name = "fleet builder"), "fleet-builder")],
  ],
  [
    "aws-accepts-iam-names",
    "a / in an inline policy name",
    () => [mutate(T.rolePolicy, (i) => (i.name = "read/bundle"), "fleet-builder-read-bundle")],
    /\\ \/ \* or \?/,
  ],
  [
    "aws-accepts-role-inline-policies-size",
    "the worker role's inline policies at 10,241 characters",
    () => workerInlinePolicies(10_241),
    /total 10241/,
  ],
  [
    "aws-accepts-sqs-attributes",
    "a 59 s retention",
    () => [mutate(T.queue, (i) => (i.messageRetentionSeconds = 59), "fleet-jobs")],
    /messageRetentionSeconds: must be in 60\.\.1209600/,
  ],
  [
    "aws-accepts-sqs-attributes",
    "a 43,201 s visibility timeout",
    () => [mutate(T.queue, (i) => (i.visibilityTimeoutSeconds = 43_201), "fleet-jobs")],
  ],
  [
    "aws-accepts-sqs-attributes",
    "a 21 s receive wait",
    () => [mutate(T.queue, (i) => (i.receiveWaitTimeSeconds = 21), "fleet-jobs")],
  ],
  ["aws-accepts-sqs-attributes", "a 901 s delay", () => [mutate(T.queue, (i) => (i.delaySeconds = 901), "fleet-jobs")]],
  [
    "aws-accepts-dlq-retention",
    "a DLQ that keeps messages as long as its queue",
    () => [
      mutate(T.queue, () => undefined, "fleet-jobs"),
      mutate(T.queue, (i) => (i.messageRetentionSeconds = 345_600), "fleet-jobs-dlq"),
    ],
    /longer than its source fleet-jobs/,
  ],
  [
    "aws-accepts-alarm-name-description",
    "a description of 1025 characters",
    () => [mutate(T.alarm, (i) => (i.alarmDescription = chars(1025)), "fleet-p99-latency")],
  ],
  [
    "aws-accepts-alarm-window",
    "60 s × 1441 evaluation periods",
    () => [
      mutate(
        T.alarm,
        (i) => {
          i.evaluationPeriods = 1441;
          i.datapointsToAlarm = 1;
        },
        "fleet-p99-latency",
      ),
    ],
    /86400/,
  ],
  [
    "aws-accepts-alarm-window",
    "a 45 s period",
    () => [mutate(T.alarm, (i) => (i.metricQueries[0].metric.period = 45), "fleet-p99-latency")],
    /multiple of 60/,
  ],
  [
    "aws-accepts-log-retention",
    "31 days",
    () => [mutate(T.logGroup, (i) => (i.retentionInDays = 31), "fleet-instances")],
    /one of 1, 3, 5/,
  ],
  [
    "aws-accepts-schedule-expression",
    "a 5-field cron()",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 3 * * ?)"), "fleet-refresh")],
    /6 fields/,
  ],
  [
    "aws-accepts-schedule-expression",
    "rate with weeks",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "rate(1 week)"), "fleet-refresh")],
  ],
  [
    "aws-accepts-flexible-time-window",
    "a 1441-minute window",
    () => [
      mutate(
        T.scheduler,
        (i) => (i.flexibleTimeWindow = { mode: "FLEXIBLE", maximumWindowInMinutes: 1441 }),
        "fleet-refresh",
      ),
    ],
    /1\.\.1440/,
  ],
  [
    "aws-accepts-flexible-time-window",
    "an unknown mode",
    () => [mutate(T.scheduler, (i) => (i.flexibleTimeWindow = { mode: "ON" }), "fleet-refresh")],
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "an AMI parameter under /aws",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/aws/fleet/ami"),
      ),
    ],
    /"aws" or "ssm"/,
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "16 levels",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/" + Array(16).fill("a").join("/")),
      ),
    ],
    /15 levels/,
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "a launch template resolving a name with a space",
    () => [mutate(T.lt, (i) => (i.imageId = "resolve:ssm:/fleet/my ami"), "fleet-lt")],
    /imageId/,
  ],
  [
    "aws-accepts-state-machine",
    "a state machine name with a space",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: "fleet release", definition: "{}" })],
    /white space/,
  ],
  [
    "aws-accepts-state-machine",
    "a name of 81 characters",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: chars(81) })],
  ],
  [
    "aws-accepts-state-machine",
    "a definition over 1 MB",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { definition: chars(1024 * 1024 + 1) })],
    /1048576 bytes/,
  ],
  [
    "aws-accepts-s3-bucket-name",
    "capitals and an underscore",
    () => [mutate(T.bucket, (i) => (i.bucket = "Fleet_Results"), "fleet-results")],
    /lowercase/,
  ],
  [
    "aws-accepts-s3-bucket-name",
    "64 characters",
    () => [mutate(T.bucket, (i) => (i.bucket = chars(64)), "fleet-results")],
  ],
  [
    "aws-accepts-s3-noncurrent-days",
    "0 noncurrent days",
    () => [mutate(T.lifecycle, (i) => (i.rules[0].noncurrentVersionExpiration.noncurrentDays = 0), "fleet-bundle")],
  ],
  [
    "aws-accepts-dynamodb-names",
    "a 2-character index name",
    () => [mutate(T.table, (i) => (i.globalSecondaryIndexes[0].name = "dl"), "fleet-jobs")],
    /at least 3/,
  ],
  [
    "aws-accepts-dynamodb-names",
    "a table name with a space",
    () => [mutate(T.table, (i) => (i.name = "fleet jobs"), "fleet-jobs")],
  ],
  [
    "aws-accepts-sns-topic-name",
    "a topic name with a space",
    () => [mutate(T.topic, (i) => (i.name = "fleet alarms"))],
  ],
  [
    "aws-accepts-cloudfront-comment",
    "a 129-character comment",
    () => [mutate(T.cdn, (i) => (i.comment = chars(129)))],
    /at most 128/,
  ],
  ["aws-accepts-tags", "51 tags", () => [mutate(T.queue, (i) => (i.tags = tags(51)), "fleet-jobs")], /at most 50 tags/],
  [
    "aws-accepts-tags",
    "an aws: tag key",
    () => [mutate(T.queue, (i) => (i.tags["aws:team"] = "x"), "fleet-jobs")],
    /reserved/,
  ],
  [
    "aws-accepts-tags",
    "a 129-character key on a launched instance",
    () => [mutate(T.lt, (i) => (i.tagSpecifications[0].tags[chars(129)] = "x"), "fleet-lt")],
    /tagSpecifications\[0\]/,
  ],
  [
    "aws-accepts-tags",
    "a 257-character value on the group",
    () => [
      mutate(T.asg, (i) => i.tags.push({ key: "note", value: chars(257), propagateAtLaunch: false }), "fleet-asg"),
    ],
    /at most 256/,
  ],
  [
    "aws-accepts-cron-fields",
    "* in both day fields",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 3 * * * *)"), "fleet-refresh")],
    /must be "\?"/,
  ],
  [
    "aws-accepts-cron-fields",
    "hour 24",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 24 * * ? *)"), "fleet-refresh")],
    /hours 24 is outside 0-23/,
  ],
  [
    "aws-accepts-cron-fields",
    "? in the minutes",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0? 3 * * ? *)"), "fleet-refresh")],
    /wildcard/,
  ],
  [
    "aws-accepts-log-group-name",
    "a space in a log group name",
    () => [mutate(T.logGroup, (i) => (i.name = "/fleet/prod/my logs"), "fleet-instances")],
    /" "/,
  ],
  [
    "aws-accepts-log-group-name",
    "513 characters",
    () => [mutate(T.logGroup, (i) => (i.name = chars(513)), "fleet-instances")],
  ],
  [
    "aws-accepts-flow-log-interval",
    "a 300 s aggregation interval",
    () => [mutate("aws:ec2/flowLog:FlowLog", (i) => (i.maxAggregationInterval = 300))],
    /60 or 600/,
  ],
  [
    "aws-accepts-kms-deletion-window",
    "a 6-day deletion window",
    () => [mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 6))],
    /7\.\.30/,
  ],
  [
    "aws-accepts-kms-deletion-window",
    "a 31-day deletion window",
    () => [mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 31))],
  ],
  [
    "aws-accepts-s3-object-key",
    "a key of 1,025 bytes (multi-byte characters count as bytes)",
    () => [mutate("aws:s3/bucketObjectv2:BucketObjectv2", (i) => (i.key = "bundle/" + "é".repeat(509)))],
    /1025/,
  ],
  [
    "aws-accepts-s3-bucket-policy-size",
    "a bucket policy of 20,481 bytes",
    () => [
      mutate(
        "aws:s3/bucketPolicy:BucketPolicy",
        (i) => (i.policy = JSON.stringify({ Sid: chars(20_481 - 10) })),
        "fleet-results",
      ),
    ],
    /20480 bytes, is 20481/,
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "byQueue with 11 source queues",
    () => [
      mutate(
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "byQueue",
            sourceQueueArns: Array.from({ length: 11 }, (_, k) => `arn:aws:sqs:eu-central-1:123456789012:q${k}`),
          })),
      ),
    ],
    /at most 10/,
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "source queues with allowAll",
    () => [
      mutate(
        T.queue,
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "allowAll",
            sourceQueueArns: ["arn:aws:sqs:eu-central-1:123456789012:q"],
          })),
        "fleet-jobs-dlq",
      ),
    ],
    /only go with/,
  ],
  [
    "aws-accepts-dashboard-name",
    "a dot in the dashboard name",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = "fleet.prod"))],
    /"\."/,
  ],
  [
    "aws-accepts-dashboard-name",
    "256 characters",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = chars(256)))],
  ],
  [
    "aws-accepts-origin-access-control-name",
    "65 characters",
    () => [mutate("aws:cloudfront/originAccessControl:OriginAccessControl", (i) => (i.name = chars(65)))],
    /at most 64/,
  ],
  [
    "aws-accepts-distribution-configuration",
    "a name ending with a space",
    () => [mutate(T.distribution, (i) => (i.name = "fleet dist "))],
  ],
  [
    "aws-accepts-distribution-configuration",
    "a 1025-character description",
    () => [mutate(T.distribution, (i) => (i.description = chars(1025)))],
    /at most 1024/,
  ],
];

/** The limit itself passes: the largest (or smallest) value AWS accepts. */
const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-security-group-text",
    "255 characters of every allowed kind",
    () => [mutate(T.sg, (i) => (i.description = "aZ09 ._-:/()#,@[]+=&;{}!$*".repeat(10).slice(0, 255)), "fleet-alb")],
  ],
  [
    "aws-accepts-security-group-rule-description",
    "& in a CIDR rule",
    () => [mutate(T.ingress, (i) => (i.description = "HTTP & HTTPS"), "fleet-alb-80")],
  ],
  [
    "aws-accepts-launch-template-name",
    "128 characters of (). -/_",
    () => [mutate(T.lt, (i) => (i.name = "fleet(web).lt-/_".repeat(8).slice(0, 128)), "fleet-lt")],
  ],
  [
    "aws-accepts-user-data-size",
    "16,384 bytes of user data",
    () => [mutate(T.lt, (i) => (i.userData = b64(16_384)), "fleet-lt")],
  ],
  [
    "aws-accepts-load-balancer-name",
    "32 characters",
    () => [mutate(T.alb, (i) => (i.name = "a" + chars(30, "-") + "b"))],
  ],
  [
    "aws-accepts-target-group-name",
    "32 characters and a 6-character prefix",
    () => [
      mutate(T.tg, (i) => {
        i.name = chars(32, "T");
        i.namePrefix = "fleet-";
      }),
    ],
  ],
  [
    "aws-accepts-target-group-health-check",
    "interval 5 and 300, thresholds 2 and 10",
    () => [
      mutate(T.tg, (i) => Object.assign(i.healthCheck, { interval: 300, healthyThreshold: 10, unhealthyThreshold: 2 })),
      mutate(T.tg, (i) => (i.healthCheck.interval = 5)),
    ],
  ],
  [
    "aws-accepts-autoscaling-group-name",
    "255 characters",
    () => [mutate(T.asg, (i) => (i.name = chars(255)), "fleet-worker-asg")],
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "30 and 7200 s",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 30)), mutate(T.hook, (i) => (i.heartbeatTimeout = 7200))],
  ],
  [
    "aws-accepts-instance-refresh-percentages",
    "min 0 / max 100",
    () => [
      mutate(
        T.asg,
        (i) => Object.assign(i.instanceRefresh.preferences, { minHealthyPercentage: 0, maxHealthyPercentage: 100 }),
        "fleet-asg",
      ),
    ],
  ],
  [
    "aws-accepts-scheduled-action",
    "a 5-field recurrence with names",
    () => [mutate(T.schedule, (i) => (i.recurrence = "30 0 1 1,6,12 MON-FRI"), "fleet-drain", "dev")],
  ],
  [
    "aws-accepts-component-data-size",
    "16,000 characters",
    () => [mutate(T.component, (i) => (i.data = chars(16_000)))],
  ],
  ["aws-accepts-component-name", "inner spaces", () => [mutate(T.component, (i) => (i.name = "fleet service_1"))]],
  [
    "aws-accepts-imagebuilder-version",
    "1073741823 in every node",
    () => [mutate(T.recipe, (i) => (i.version = "1073741823.1073741823.1073741823"))],
  ],
  [
    "aws-accepts-image-tests-timeout",
    "60 and 1440 minutes",
    () => [
      mutate(T.image, (i) => (i.imageTestsConfiguration.timeoutMinutes = 60)),
      mutate(T.pipeline, (i) => (i.imageTestsConfiguration.timeoutMinutes = 1440)),
    ],
  ],
  ["aws-accepts-role-trust-policy", "exactly 2,048 characters (white space free)", () => [trustPolicyOf(2048)]],
  [
    "aws-accepts-iam-names",
    "a 64-character role name of + = , . @ _ -",
    () => [mutate(T.role, (i) => (i.name = "Ab0+=,.@_-".repeat(7).slice(0, 64)), "fleet-builder")],
  ],
  [
    "aws-accepts-role-inline-policies-size",
    "exactly 10,240 characters (pretty-printed: white space does not count)",
    () => workerInlinePolicies(10_240),
  ],
  [
    "aws-accepts-sqs-attributes",
    "the ends of every range",
    () => [
      mutate(
        T.queue,
        (i) =>
          Object.assign(i, {
            messageRetentionSeconds: 60,
            visibilityTimeoutSeconds: 43_200,
            delaySeconds: 900,
            receiveWaitTimeSeconds: 0,
          }),
        "fleet-jobs",
      ),
      mutate(T.queue, (i) => (i.messageRetentionSeconds = 1_209_600), "fleet-jobs-dlq"),
    ],
  ],
  [
    "aws-accepts-alarm-window",
    "60 s × 1440 periods",
    () => [mutate(T.alarm, (i) => (i.evaluationPeriods = 1440), "fleet-p99-latency")],
  ],
  [
    "aws-accepts-log-retention",
    "3653 days, and never expire (0)",
    () => [
      mutate(T.logGroup, (i) => (i.retentionInDays = 3653), "fleet-instances"),
      mutate(T.logGroup, (i) => (i.retentionInDays = 0), "fleet-flow-logs"),
    ],
  ],
  [
    "aws-accepts-schedule-expression",
    "rate() and at()",
    () => [
      mutate(T.scheduler, (i) => (i.scheduleExpression = "rate(5 minutes)"), "fleet-refresh"),
      mutate(T.scheduler, (i) => (i.scheduleExpression = "at(2026-12-24T03:00:00)"), "fleet-worker-refresh"),
    ],
  ],
  [
    "aws-accepts-flexible-time-window",
    "a 1440-minute window",
    () => [
      mutate(
        T.scheduler,
        (i) => (i.flexibleTimeWindow = { mode: "FLEXIBLE", maximumWindowInMinutes: 1440 }),
        "fleet-refresh",
      ),
    ],
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "15 levels",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/" + Array(15).fill("a").join("/")),
      ),
    ],
  ],
  [
    "aws-accepts-state-machine",
    "80 characters and exactly 1 MB",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: chars(80), definition: chars(1024 * 1024) })],
  ],
  [
    "aws-accepts-s3-bucket-name",
    "63 characters",
    () => [mutate(T.bucket, (i) => (i.bucket = "a" + chars(61, "-") + "b"), "fleet-results")],
  ],
  ["aws-accepts-cloudfront-comment", "128 characters", () => [mutate(T.cdn, (i) => (i.comment = chars(128)))]],
  [
    "aws-accepts-tags",
    "50 tags, a 128-character key and a 256-character value",
    () => [mutate(T.queue, (i) => (i.tags = { ...tags(49), [chars(128)]: chars(256) }), "fleet-jobs")],
  ],
  [
    "aws-accepts-cron-fields",
    "ranges, increments, names, L, W and #",
    () => [
      mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0/15 0-23 ? JAN-DEC 2#1 1970-2199)"), "fleet-refresh"),
      mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(59 23 LW * ? 2199)"), "fleet-worker-refresh"),
    ],
  ],
  [
    "aws-accepts-log-group-name",
    "512 characters of every allowed kind",
    () => [mutate(T.logGroup, (i) => (i.name = "/aZ09_-.#".repeat(57).slice(0, 512)), "fleet-instances")],
  ],
  [
    "aws-accepts-flow-log-interval",
    "60 s",
    () => [mutate("aws:ec2/flowLog:FlowLog", (i) => (i.maxAggregationInterval = 60))],
  ],
  [
    "aws-accepts-kms-deletion-window",
    "7 and 30 days",
    () => [
      mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 7)),
      mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 30)),
    ],
  ],
  [
    "aws-accepts-s3-object-key",
    "1,024 bytes",
    () => [mutate("aws:s3/bucketObjectv2:BucketObjectv2", (i) => (i.key = "bundle/" + "é".repeat(508) + "x"))],
  ],
  [
    "aws-accepts-s3-bucket-policy-size",
    "exactly 20,480 bytes",
    () => [
      mutate(
        "aws:s3/bucketPolicy:BucketPolicy",
        (i) => (i.policy = JSON.stringify({ Sid: chars(20_480 - 10) })),
        "fleet-results",
      ),
    ],
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "byQueue with 10 source queues",
    () => [
      mutate(
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "byQueue",
            sourceQueueArns: Array.from({ length: 10 }, (_, k) => `arn:aws:sqs:eu-central-1:123456789012:q${k}`),
          })),
      ),
    ],
  ],
  [
    "aws-accepts-dashboard-name",
    "255 characters of A-Z a-z 0-9 - _",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = "Az09-_".repeat(43).slice(0, 255)))],
  ],
  [
    "aws-accepts-origin-access-control-name",
    "64 characters",
    () => [mutate("aws:cloudfront/originAccessControl:OriginAccessControl", (i) => (i.name = chars(64)))],
  ],
  [
    "aws-accepts-distribution-configuration",
    "128 characters with inner spaces and a 1024-character description",
    () => [
      mutate(T.distribution, (i) => {
        i.name = "a" + "b c_-".repeat(26).slice(0, 126) + "z";
        i.description = chars(1024);
      }),
    ],
  ],
];

describe("AWS-accepts rules: broken resources fire, the limits pass", function () {
  this.timeout(120_000);
  before(loadPlans);

  for (const [rule, what, resources, message] of BROKEN) {
    it(`${rule} fires on ${what}`, async () => {
      const found = await violationsOf(rule, resources());
      assert.ok(found.length > 0, `${rule} did not fire`);
      for (const v of found)
        assert.match(v.message, /^\S.*: .+ \(got .+\) — source: https:\/\/docs\.aws\.amazon\.com\/\S+$/, v.message);
      if (message)
        assert.ok(
          found.some((v) => message.test(v.message)),
          found.map((v) => v.message).join("\n"),
        );
    });
  }

  for (const [rule, what, resources] of AT_THE_LIMIT) {
    it(`${rule} passes ${what}`, async () => {
      assert.deepEqual(
        (await violationsOf(rule, resources())).map((v) => v.message),
        [],
      );
    });
  }

  it("every rule of the list has a broken case, and every case names a rule of the list", () => {
    const rules = AWS_ACCEPTS_POLICIES.map((p) => p.name);
    const broken = new Set(BROKEN.map(([r]) => r));
    assert.deepEqual(
      rules.filter((r) => !broken.has(r)),
      [],
    );
    assert.deepEqual(
      [...broken, ...AT_THE_LIMIT.map(([r]) => r)].filter((r) => !rules.includes(r)),
      [],
    );
  });

  it("names every rule once, in kebab-case, with a one-sentence description and an AWS source", () => {
    const names = AWS_ACCEPTS_POLICIES.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of AWS_ACCEPTS_POLICIES) {
      assert.match(p.name, /^aws-accepts-[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.match(p.description ?? "", /^[A-Z].*\.$/);
      assert.match(p.accepts.source, /^https:\/\/docs\.aws\.amazon\.com\//);
      assert.equal(p.enforcementLevel, "mandatory");
    }
  });
});
