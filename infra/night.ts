/**
 * The nightly cycle: drain the group to zero, then bring it back. Instances launched by the restore
 * resolve the AMI parameter anew, so they run the image the pipeline built before the drain.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface NightArgs {
  asgName: pulumi.Input<string>;
  drainCron: string;
  restoreCron: string;
  timeZone: string;
  minSize: number;
  desiredCapacity: number;
}

/**
 * A scheduled action sends every size field; one left out is sent as 0. -1 tells Auto Scaling to leave
 * the field unchanged, which is what maxSize needs in both actions.
 */
export const UNCHANGED = -1;

export class Night extends pulumi.ComponentResource {
  constructor(name: string, args: NightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:night:Night", name, {}, opts);
    new aws.autoscaling.Schedule(
      `${name}-drain`,
      {
        autoscalingGroupName: args.asgName,
        scheduledActionName: "fleet-nightly-drain",
        recurrence: args.drainCron,
        timeZone: args.timeZone,
        minSize: 0,
        desiredCapacity: 0,
        maxSize: UNCHANGED,
      },
      { parent: this },
    );
    new aws.autoscaling.Schedule(
      `${name}-restore`,
      {
        autoscalingGroupName: args.asgName,
        scheduledActionName: "fleet-nightly-restore",
        recurrence: args.restoreCron,
        timeZone: args.timeZone,
        minSize: args.minSize,
        desiredCapacity: args.desiredCapacity,
        maxSize: UNCHANGED,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
