/**
 * dev's cheap night (`fleet:nightly: drain`): scheduled actions drain the group to zero at the drain time and
 * bring it back at the restore time. The restore launches the group's launch template version, the one the
 * last release put there with the last good AMI (infra/shared/launchGroup.ts): never an untested image. The
 * service is down between the two. The release of tonight's image (infra/night/release.ts) runs after the
 * restore in this mode, at the drain time in `refresh` mode, where this component schedules nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { NightlyMode } from "../shared/config";

export interface NightArgs {
  mode: NightlyMode;
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
    if (args.mode === "drain") this.drain(name, args);
    this.registerOutputs({});
  }

  private drain(name: string, args: NightArgs): void {
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
  }
}
