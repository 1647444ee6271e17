/**
 * The nightly move onto the image the pipeline built before the drain time, in one of two modes
 * (`fleet:nightly`):
 * - `drain`: scheduled actions drain the group to zero, then bring it back. Instances launched by the
 *   restore resolve the AMI parameter anew. The service is down between the two.
 * - `refresh`: at the drain time an EventBridge Scheduler schedule calls StartInstanceRefresh (universal
 *   target) with the group's preferences: replacements launch first, then the old instances go. No outage.
 *   A refresh already running makes that call fail with InstanceRefreshInProgress; the schedule does not
 *   retry, so the running refresh is left alone and the night is not an error (one target error in the
 *   schedule's metrics, which no alarm watches).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { toAwsCron, type NightlyMode } from "../shared/config";
import { autoScalingGroupArn } from "../shared/launchGroup";
import { apiRefreshPreferences, refreshPreferenceProblems, type RefreshPreferences } from "./refresh";

export interface NightArgs {
  mode: NightlyMode;
  asgName: pulumi.Input<string>;
  drainCron: string;
  restoreCron: string;
  timeZone: string;
  minSize: number;
  desiredCapacity: number;
  /** Region and account of the group: the schedule's role may start a refresh of this group only. */
  region: string;
  accountId: pulumi.Input<string>;
  /**
   * `refresh` mode: the group's own refresh preferences (the worker's replace protected instances); the
   * web fleet's (infra/night/refresh.ts) when left out. A refresh started by the schedule gets these, not the
   * group's: StartInstanceRefresh does not read the preferences stored on the group.
   */
  refreshPreferences?: RefreshPreferences;
  tags?: Record<string, string>;
}

/**
 * A scheduled action sends every size field; one left out is sent as 0. -1 tells Auto Scaling to leave
 * the field unchanged, which is what maxSize needs in both actions.
 */
export const UNCHANGED = -1;

/** EventBridge Scheduler's universal target for the Auto Scaling API's StartInstanceRefresh. */
export const START_INSTANCE_REFRESH_TARGET = "arn:aws:scheduler:::aws-sdk:autoscaling:startInstanceRefresh";

/** The request Scheduler sends: StartInstanceRefresh's parameters, spelled as in the API reference. */
export function startInstanceRefreshInput(asgName: string, preferences?: RefreshPreferences): string {
  return JSON.stringify({
    AutoScalingGroupName: asgName,
    Strategy: "Rolling",
    Preferences: apiRefreshPreferences(preferences),
  });
}

export class Night extends pulumi.ComponentResource {
  constructor(name: string, args: NightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:night:Night", name, {}, opts);
    if (args.mode === "refresh") this.refresh(name, args);
    else this.drain(name, args);
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

  private refresh(name: string, args: NightArgs): void {
    const tags = args.tags ?? {};
    const problems = refreshPreferenceProblems(args.refreshPreferences ?? {});
    if (problems.length > 0)
      throw new Error(`Night ${name}: AWS would reject the refresh preferences: ${problems.join("; ")}`);
    // Scheduler assumes the role for schedules of this account only (confused-deputy guard).
    const role = new aws.iam.Role(
      `${name}-refresh`,
      {
        description: "EventBridge Scheduler: start the fleet's nightly instance refresh",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "scheduler.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
            },
          ],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-refresh`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["autoscaling:StartInstanceRefresh"],
              Resource: [
                pulumi
                  .all([args.accountId, args.asgName])
                  .apply(([account, asg]) => autoScalingGroupArn(args.region, account, asg)),
              ],
            },
          ],
        }),
      },
      { parent: this },
    );
    new aws.scheduler.Schedule(
      `${name}-refresh`,
      {
        description: "fleet: nightly instance refresh onto tonight's image (launch before terminate)",
        scheduleExpression: toAwsCron(args.drainCron),
        scheduleExpressionTimezone: args.timeZone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: START_INSTANCE_REFRESH_TARGET,
          roleArn: role.arn,
          input: pulumi.output(args.asgName).apply((asg) => startInstanceRefreshInput(asg, args.refreshPreferences)),
          // A refresh already running is answered InstanceRefreshInProgress: retrying would not help.
          retryPolicy: { maximumRetryAttempts: 0 },
        },
      },
      { parent: this },
    );
  }
}
