/**
 * The worker fleet scales on backlog per instance, as the EC2 Auto Scaling user guide documents it
 * ("Scaling policy based on Amazon SQS"): target tracking over metric math, visible messages divided by
 * in-service instances, held at the target of service/jobs/capacity.ts. Raw queue length would not do as
 * a tracked metric: it does not fall as the group grows.
 *
 * At zero instances m1 / m2 has no value, so target tracking cannot wake an empty group (min size 0, or
 * any group during the nightly drain). The wake-up path:
 * an alarm on "messages visible while the group's desired capacity is 0" drives a step policy that sets
 * the capacity to exactly 1; from there target tracking takes over. The label maths is pure.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The metric-math queries of the target-tracking policy, AWS's documented example with our names. */
type TrackedMetric = aws.types.input.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetric;
type AlarmQuery = aws.types.input.cloudwatch.MetricAlarmMetricQuery;

export function backlogPerInstanceMetrics(queueName: string, asgName: string): TrackedMetric[] {
  return [
    {
      id: "m1",
      label: "Visible messages (jobs waiting for a worker)",
      metricStat: {
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: [{ name: "QueueName", value: queueName }],
        },
        stat: "Sum",
      },
      returnData: false,
    },
    {
      id: "m2",
      label: "In-service worker instances",
      metricStat: {
        metric: {
          namespace: "AWS/AutoScaling",
          metricName: "GroupInServiceInstances",
          dimensions: [{ name: "AutoScalingGroupName", value: asgName }],
        },
        stat: "Average",
      },
      returnData: false,
    },
    { id: "e1", label: "Backlog per instance", expression: "m1 / m2", returnData: true },
  ];
}

/** Seconds per data point of the wake-up alarm: SQS publishes its metrics once a minute. */
export const WAKE_UP_PERIOD_S = 60;

/**
 * The wake-up alarm's queries: 1 while messages are visible and the desired capacity is 0, else 0.
 * Desired (not in-service) capacity, because after a restore or the first step instances are pending
 * (in service 0) while desired is already above 0: "exactly 1" must not shrink a group that is starting.
 */
export function wakeUpQueries(queueName: string, asgName: string): AlarmQuery[] {
  return [
    {
      id: "visible",
      metric: {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queueName },
        stat: "Maximum",
        period: WAKE_UP_PERIOD_S,
      },
      returnData: false,
    },
    {
      id: "desired",
      metric: {
        namespace: "AWS/AutoScaling",
        metricName: "GroupDesiredCapacity",
        dimensions: { AutoScalingGroupName: asgName },
        stat: "Maximum",
        period: WAKE_UP_PERIOD_S,
      },
      returnData: false,
    },
    {
      id: "wake",
      label: "Jobs waiting and no worker wanted",
      expression: "IF(visible > 0 AND desired == 0, 1, 0)",
      returnData: true,
    },
  ];
}

export interface WorkerScalingArgs {
  asgName: pulumi.Input<string>;
  /** The jobs queue's name (the `QueueName` dimension). */
  queueName: pulumi.Input<string>;
  /** Visible messages per in-service instance to hold (service/jobs/capacity.ts backlogPerInstanceTarget). */
  backlogPerInstanceTarget: number;
}

export class WorkerScaling extends pulumi.ComponentResource {
  constructor(name: string, args: WorkerScalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:workerScaling:WorkerScaling", name, {}, opts);
    new aws.autoscaling.Policy(
      `${name}-backlog`,
      {
        autoscalingGroupName: args.asgName,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          customizedMetricSpecification: {
            metrics: pulumi
              .all([args.queueName, args.asgName])
              .apply(([queue, asg]) => backlogPerInstanceMetrics(queue, asg)),
          },
          targetValue: args.backlogPerInstanceTarget,
        },
      },
      { parent: this },
    );
    // Always, whatever the min size: the nightly drain takes every group to zero for a while too.
    const wake = new aws.autoscaling.Policy(
      `${name}-wake-up`,
      {
        autoscalingGroupName: args.asgName,
        policyType: "StepScaling",
        adjustmentType: "ExactCapacity",
        metricAggregationType: "Maximum",
        // The alarm's value is 1 against a threshold of 1: any breach is "from zero to one".
        stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
      },
      { parent: this },
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-wake-up`,
      {
        alarmDescription: "Jobs are waiting and the worker fleet is at zero: start one worker.",
        metricQueries: pulumi.all([args.queueName, args.asgName]).apply(([queue, asg]) => wakeUpQueries(queue, asg)),
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // An idle queue stops publishing metrics after six hours: no data is no waiting job.
        treatMissingData: "notBreaching",
        alarmActions: [wake.arn],
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
