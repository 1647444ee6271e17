/**
 * Logs, alarms and the dashboard of a stack: the instances' log group (the CloudWatch agent in the image
 * writes the units' journals there, with the stack's retention), an SNS topic for the alarms (encrypted with a key CloudWatch may use,
 * optionally mailed), the alarms and the dashboard of infra/observability/monitoring.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
  alarmSpecs,
  dashboardBody,
  JOBS_FAILED_METRIC,
  PERIOD_S,
  type JobsResources,
  type MonitoredResources,
} from "./monitoring";

/**
 * The instances' log group, created before the group launches: an agent that found no group would create
 * it with no retention, and `pulumi up` would then fail to create it.
 */
export class InstanceLogs extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(
    name: string,
    args: {
      logGroupName: string;
      retentionDays: number;
      /** Namespace of the failed job attempts counted from the journals (monitoring.ts jobsFailedNamespace). */
      failedJobsNamespace?: string;
      tags?: Record<string, string>;
    },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("fleet:observability:InstanceLogs", name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-instances`,
      { name: args.logGroupName, retentionInDays: args.retentionDays, tags: args.tags ?? {} },
      { parent: this },
    );
    if (args.failedJobsNamespace !== undefined) {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-jobs-failed`,
        {
          logGroupName: this.logGroup.name,
          pattern: JOBS_FAILED_METRIC.pattern,
          metricTransformation: {
            name: JOBS_FAILED_METRIC.name,
            namespace: args.failedJobsNamespace,
            value: "1",
            // 0 in every minute with log events and no failure: the alarm sees a quiet minute as fine.
            defaultValue: "0",
          },
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}

export interface ObservabilityArgs extends MonitoredResources<pulumi.Input<string>> {
  stack: string;
  accountId: pulumi.Input<string>;
  alarmEmail?: string;
  jobs?: JobsResources<pulumi.Input<string>>;
  tags?: Record<string, string>;
}

/**
 * The alarm topic's key policy: the account administers the key; CloudWatch may encrypt to the topic.
 * The AWS-managed `alias/aws/sns` key does not let CloudWatch publish: alarms would fail silently.
 */
export function alarmKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchPublishesAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

export class Observability extends pulumi.ComponentResource {
  readonly alarmTopicArn: pulumi.Output<string>;
  /** The topic's key: whoever publishes to the topic (the release) must be allowed to use it. */
  readonly alarmKeyArn: pulumi.Output<string>;
  /** The alarms' names by key (monitoring.ts AlarmSpec.key): the release gates its refreshes on them. */
  readonly alarmNames: Record<string, pulumi.Output<string>>;
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:observability:Observability", name, {}, opts);
    const tags = args.tags ?? {};

    const key = new aws.kms.Key(
      `${name}-alarms`,
      {
        description: `fleet ${args.stack}: encrypts the alarm topic`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.output(args.accountId).apply(alarmKeyPolicy),
        tags,
      },
      { parent: this },
    );
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn, tags }, { parent: this });
    if (args.alarmEmail !== undefined) {
      // AWS mails a confirmation link first; until it is followed, nothing is delivered.
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail },
        { parent: this },
      );
    }

    const resources: MonitoredResources<pulumi.Input<string>> = {
      region: args.region,
      albArnSuffix: args.albArnSuffix,
      targetGroupArnSuffix: args.targetGroupArnSuffix,
      asgName: args.asgName,
      ...(args.jobs ? { jobs: args.jobs } : {}),
      ...(args.releaseStateMachineArn !== undefined ? { releaseStateMachineArn: args.releaseStateMachineArn } : {}),
    };
    const alarmNames: Record<string, pulumi.Output<string>> = {};
    for (const spec of alarmSpecs(resources)) {
      const alarm = new aws.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        {
          alarmDescription: `fleet ${args.stack}: ${spec.description}`,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: spec.treatMissingData,
          metricQueries: spec.queries.map((q) => ({
            id: q.id,
            returnData: q.returnData,
            ...(q.expression !== undefined ? { expression: q.expression } : {}),
            ...(q.label !== undefined ? { label: q.label } : {}),
            ...(q.metric !== undefined
              ? {
                  metric: {
                    namespace: q.metric.namespace,
                    metricName: q.metric.metricName,
                    dimensions: q.metric.dimensions,
                    stat: q.metric.stat,
                    period: PERIOD_S,
                  },
                }
              : {}),
          })),
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          tags,
        },
        { parent: this },
      );
      alarmNames[spec.key] = alarm.name;
    }

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `fleet-${args.stack}`,
        dashboardBody: pulumi
          .all([
            args.albArnSuffix,
            args.targetGroupArnSuffix,
            args.asgName,
            args.jobs ? pulumi.all([args.jobs.queueName, args.jobs.dlqName, args.jobs.workerAsgName]) : undefined,
            args.releaseStateMachineArn,
          ])
          .apply(([albArnSuffix, targetGroupArnSuffix, asgName, jobs, releaseStateMachineArn]) =>
            dashboardBody({
              region: args.region,
              albArnSuffix,
              targetGroupArnSuffix,
              asgName,
              ...(jobs ? { jobs: { queueName: jobs[0], dlqName: jobs[1], workerAsgName: jobs[2] } } : {}),
              ...(releaseStateMachineArn !== undefined ? { releaseStateMachineArn } : {}),
            }),
          ),
      },
      { parent: this },
    );

    this.alarmTopicArn = topic.arn;
    this.alarmKeyArn = key.arn;
    this.alarmNames = alarmNames;
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName });
  }
}
