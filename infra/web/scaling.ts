/** Target tracking: CPU always, requests per target optionally. */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface ScalingArgs {
  asgName: pulumi.Input<string>;
  cpuTargetPercent: number;
  /** With this, a second policy tracks ALBRequestCountPerTarget (requests per target per minute). */
  requestsPerTargetPerMinute?: number;
  albArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  /** The listener that forwards to the target group: the resource label is only valid once it exists. */
  listener: pulumi.Resource;
}

/** `<alb arnSuffix>/<target group arnSuffix>`, as ALBRequestCountPerTarget requires. */
export function requestCountResourceLabel(
  albArnSuffix: pulumi.Input<string>,
  targetGroupArnSuffix: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.interpolate`${albArnSuffix}/${targetGroupArnSuffix}`;
}

export class Scaling extends pulumi.ComponentResource {
  constructor(name: string, args: ScalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:scaling:Scaling", name, {}, opts);
    new aws.autoscaling.Policy(
      `${name}-cpu`,
      {
        autoscalingGroupName: args.asgName,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
          targetValue: args.cpuTargetPercent,
        },
      },
      { parent: this },
    );
    if (args.requestsPerTargetPerMinute !== undefined) {
      new aws.autoscaling.Policy(
        `${name}-requests`,
        {
          autoscalingGroupName: args.asgName,
          policyType: "TargetTrackingScaling",
          targetTrackingConfiguration: {
            predefinedMetricSpecification: {
              predefinedMetricType: "ALBRequestCountPerTarget",
              resourceLabel: requestCountResourceLabel(args.albArnSuffix, args.targetGroupArnSuffix),
            },
            targetValue: args.requestsPerTargetPerMinute,
          },
        },
        { parent: this, dependsOn: [args.listener] },
      );
    }
    this.registerOutputs({});
  }
}
