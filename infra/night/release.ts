/**
 * The release (RELEASE_CONTRACT.md): the Step Functions state machine of infra/night/releaseDefinition.ts,
 * its role, and the EventBridge Scheduler schedule that starts it every night, after the image pipeline
 * (`refresh`: at the drain time; `drain`: at the restore time, after which it lets the restored instances
 * boot). `npm run redeploy` starts the same state machine on demand.
 *
 * IAM, least privilege, each grant with its reason:
 *  - the state machine's role may read the two AMI records and write the last good one, tag this stack's
 *    AMIs with the release tags only, add versions to and set the default of the two launch templates, start
 *    and roll back refreshes of the two groups, publish to the alarm topic (and use its key);
 *  - StartInstanceRefresh on a launch template with an instance profile and tag specifications needs what
 *    creating or updating a group with that template needs: ec2:RunInstances, iam:PassRole on the instance
 *    role, ec2:CreateTags on what RunInstances creates; ssm:GetParameters only for an AMI from an SSM
 *    parameter, which no template has any more (Amazon EC2 Auto Scaling user guide, "Control Amazon EC2
 *    launch template usage in Auto Scaling groups",
 *    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html,
 *    and "Amazon EC2 Auto Scaling API permissions",
 *    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html);
 *  - Describe calls take `*` only: autoscaling:DescribeAutoScalingGroups and DescribeInstanceRefreshes, and
 *    ec2:DescribeTags have no resource types in the Service Authorization Reference
 *    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html,
 *    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html);
 *  - Scheduler's role may start this one state machine; both roles trust their service only for this account
 *    and this resource (aws:SourceAccount, aws:SourceArn: the confused-deputy guard,
 *    https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role,
 *    https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { toAwsCron } from "../shared/config";
import { autoScalingGroupArn } from "../shared/launchGroup";
import { serviceTrust } from "../shared/serviceTrust";
import { releaseDefinition, type ReleaseGroupParams } from "./releaseDefinition";
import {
  maxPolls,
  refreshDeadlineS,
  releasePreferenceProblems,
  releasePreferences,
  releaseStateMachineName,
  RELEASE_AT_TAG,
  RELEASE_TAG,
  KEEP_TAG,
  stateMachineNameProblems,
  type ReleaseGroup,
  type ReleaseTiming,
} from "./releasePlan";
import type { RefreshPreferences } from "./refresh";
import type { WorkerPurchase } from "../jobs/spotPolicy";

/** How often the state machine looks at a refresh (one state transition each: cheap, and fine-grained). */
export const POLL_INTERVAL_S = 60;
/** Time for the replacements themselves, beyond the two bakes: boot, warm-up and drain of every batch. */
export const REPLACE_BUDGET_S = 3600;
/** `drain` mode: the release starts at the restore; the restored instances boot and turn healthy first. */
export const AFTER_RESTORE_S = 900;
/** What the nightly start passes: the contract's input, the candidate being Image Builder's latest AMI. */
export const RELEASE_SCHEDULE_INPUT = { reason: "nightly" } as const;

export interface ReleaseGroupArgs {
  group: ReleaseGroup;
  asgName: pulumi.Input<string>;
  launchTemplateId: pulumi.Input<string>;
  launchTemplateArn: pulumi.Input<string>;
  /** The role of the group's instance profile: StartInstanceRefresh passes it (iam:PassRole). */
  instanceRoleArn: pulumi.Input<string>;
  /** The alarms that gate this group's refresh (names, at most 10). */
  alarmNames: pulumi.Input<string>[];
  refreshPreferences: RefreshPreferences;
  maxSize: number;
  /** The group's mixed instances policy, which every refresh's desired configuration must carry whole. */
  purchase?: WorkerPurchase;
}

export interface ReleaseArgs {
  stack: string;
  region: string;
  accountId: pulumi.Input<string>;
  candidateParameterName: string;
  lastGoodParameterName: string;
  topicArn: pulumi.Input<string>;
  topicKeyArn: pulumi.Input<string>;
  /** In release order: web first. */
  groups: ReleaseGroupArgs[];
  timing: ReleaseTiming;
  /** Unix cron (5 fields) and IANA time zone of the nightly start. */
  cron: string;
  timeZone: string;
  /** Seconds the nightly run waits before it starts (AFTER_RESTORE_S in `drain` mode, else 0). */
  nightlyDelayS: number;
  tags?: Record<string, string>;
}

/** The resolved names and ARNs the role's policy is built from. */
export interface ReleaseGrantTargets {
  region: string;
  accountId: string;
  stack: string;
  candidateParameterName: string;
  lastGoodParameterName: string;
  topicArn: string;
  topicKeyArn: string;
  groups: { asgName: string; launchTemplateArn: string; instanceRoleArn: string }[];
}

const parameterArn = (t: ReleaseGrantTargets, name: string) =>
  `arn:aws:ssm:${t.region}:${t.accountId}:parameter/${name.replace(/^\//, "")}`;

/** The state machine's permissions (a policy document): each statement the least AWS allows. */
export function releaseRolePolicy(t: ReleaseGrantTargets): { Version: string; Statement: Record<string, unknown>[] } {
  const templates = t.groups.map((g) => g.launchTemplateArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadTheAmiRecords",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: [parameterArn(t, t.candidateParameterName), parameterArn(t, t.lastGoodParameterName)],
      },
      {
        Sid: "WriteTheLastGoodRecord",
        Effect: "Allow",
        Action: ["ssm:PutParameter"],
        Resource: [parameterArn(t, t.lastGoodParameterName)],
      },
      {
        Sid: "TagThisStacksAmisWithTheOutcome",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [`arn:aws:ec2:${t.region}::image/*`],
        Condition: {
          StringEquals: { "aws:ResourceTag/fleet:stack": t.stack },
          "ForAllValues:StringEquals": { "aws:TagKeys": [RELEASE_TAG, RELEASE_AT_TAG, KEEP_TAG] },
        },
      },
      {
        // The keep tag moves off the AMI that stops being the last good one; no other tag may be removed.
        Sid: "MoveTheKeepTag",
        Effect: "Allow",
        Action: ["ec2:DeleteTags"],
        Resource: [`arn:aws:ec2:${t.region}::image/*`],
        Condition: {
          StringEquals: { "aws:ResourceTag/fleet:stack": t.stack },
          "ForAllValues:StringEquals": { "aws:TagKeys": [KEEP_TAG] },
        },
      },
      {
        Sid: "VersionTheLaunchTemplates",
        Effect: "Allow",
        Action: ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
        Resource: templates,
      },
      {
        Sid: "RefreshTheGroups",
        Effect: "Allow",
        Action: ["autoscaling:StartInstanceRefresh", "autoscaling:RollbackInstanceRefresh"],
        Resource: t.groups.map((g) => autoScalingGroupArn(t.region, t.accountId, g.asgName)),
      },
      // What StartInstanceRefresh checks of its caller for these templates (see the header's sources).
      { Sid: "LaunchFromTheTemplates", Effect: "Allow", Action: ["ec2:RunInstances"], Resource: templates },
      {
        Sid: "LaunchOnlyThroughTheTemplates",
        Effect: "Allow",
        Action: ["ec2:RunInstances"],
        Resource: [`arn:aws:ec2:${t.region}:${t.accountId}:*/*`, `arn:aws:ec2:${t.region}::image/*`],
        Condition: { ArnEquals: { "ec2:LaunchTemplate": templates } },
      },
      {
        Sid: "TagWhatTheLaunchCreates",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [
          `arn:aws:ec2:${t.region}:${t.accountId}:instance/*`,
          `arn:aws:ec2:${t.region}:${t.accountId}:volume/*`,
        ],
        Condition: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
      },
      {
        Sid: "PassTheInstanceRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: t.groups.map((g) => g.instanceRoleArn),
        Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
      },
      {
        Sid: "DescribeTakesNoResource",
        Effect: "Allow",
        Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes", "ec2:DescribeTags"],
        Resource: "*",
      },
      { Sid: "Report", Effect: "Allow", Action: ["sns:Publish"], Resource: [t.topicArn] },
      {
        Sid: "ReportToTheEncryptedTopic",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [t.topicKeyArn],
      },
    ],
  };
}

/** A role `service` may assume for this account and the one resource `sourceArn` only (infra/shared). */
export { serviceTrust };

export class Release extends pulumi.ComponentResource {
  readonly stateMachineArn: pulumi.Output<string>;

  constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:release:Release", name, {}, opts);
    const tags = args.tags ?? {};
    const machineName = releaseStateMachineName(args.stack);
    const nameProblems = stateMachineNameProblems(machineName);
    if (nameProblems.length > 0)
      throw new Error(
        `Release ${name}: AWS would reject the state machine name "${machineName}": ${nameProblems.join("; ")}`,
      );
    const deadlineS = refreshDeadlineS(args.timing, REPLACE_BUDGET_S);
    const polls = maxPolls(deadlineS, POLL_INTERVAL_S);
    // Every group's deadline, the waits for a running refresh (6 × 300 s each), the night's delay, margin.
    const timeoutS = args.groups.length * (deadlineS + 1800) + args.nightlyDelayS + 3600;

    const machineArn = pulumi.interpolate`arn:aws:states:${args.region}:${args.accountId}:stateMachine:${machineName}`;
    const role = new aws.iam.Role(
      `${name}-machine`,
      {
        description: `fleet ${args.stack}: the release state machine`,
        assumeRolePolicy: pulumi
          .all([args.accountId, machineArn])
          .apply(([account, arn]) => serviceTrust("states.amazonaws.com", account, arn)),
        tags,
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-machine`,
      {
        role: role.id,
        policy: pulumi
          .all([
            args.accountId,
            args.topicArn,
            args.topicKeyArn,
            pulumi.output(
              args.groups.map((g) => ({
                asgName: g.asgName,
                launchTemplateArn: g.launchTemplateArn,
                instanceRoleArn: g.instanceRoleArn,
              })),
            ),
          ])
          .apply(([accountId, topicArn, topicKeyArn, groups]) =>
            JSON.stringify(
              releaseRolePolicy({
                region: args.region,
                accountId,
                stack: args.stack,
                candidateParameterName: args.candidateParameterName,
                lastGoodParameterName: args.lastGoodParameterName,
                topicArn,
                topicKeyArn,
                groups,
              }),
            ),
          ),
      },
      { parent: this },
    );

    const definition = pulumi
      .all([
        args.topicArn,
        pulumi.output(
          args.groups.map((g) => ({ asgName: g.asgName, launchTemplateId: g.launchTemplateId, alarms: g.alarmNames })),
        ),
      ])
      .apply(([topicArn, resolved]) => {
        const groups: ReleaseGroupParams[] = args.groups.map((g, i) => {
          const preferences = releasePreferences(g.refreshPreferences, resolved[i]!.alarms, args.timing);
          const problems = releasePreferenceProblems(preferences);
          if (problems.length > 0)
            throw new Error(`Release ${name}: AWS would reject the ${g.group} group's refresh: ${problems.join("; ")}`);
          return {
            group: g.group,
            asgName: resolved[i]!.asgName,
            launchTemplateId: resolved[i]!.launchTemplateId,
            preferences,
            revertPreferences: g.refreshPreferences,
            maxSize: g.maxSize,
            ...(g.purchase !== undefined ? { purchase: g.purchase } : {}),
          };
        });
        return JSON.stringify(
          releaseDefinition({
            stack: args.stack,
            candidateParameterName: args.candidateParameterName,
            lastGoodParameterName: args.lastGoodParameterName,
            topicArn,
            groups,
            pollIntervalS: POLL_INTERVAL_S,
            maxPolls: polls,
            nightlyDelayS: args.nightlyDelayS,
            timeoutS,
          }),
        );
      });
    const machine = new aws.sfn.StateMachine(
      `${name}-machine`,
      { name: machineName, type: "STANDARD", roleArn: role.arn, definition, tags },
      // Its first execution must find its permissions in place.
      { parent: this, dependsOn: [policy] },
    );

    // --- The nightly start: Scheduler's templated target for Step Functions is the state machine's ARN
    // with states:StartExecution (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html).
    const scheduleName = machineName;
    // The trust names the schedule's group, not the schedule: Scheduler presents the group's ARN as
    // aws:SourceArn, and a trust scoped to one schedule is never assumable
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role,
    // "Changes to execution role and confused deputy prevention" in
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/doc-history.html). The release's schedule is in
    // the default group, which holds nothing else of this stack's.
    const scheduleGroupArn = pulumi.interpolate`arn:aws:scheduler:${args.region}:${args.accountId}:schedule-group/default`;
    const schedulerRole = new aws.iam.Role(
      `${name}-schedule`,
      {
        description: `fleet ${args.stack}: EventBridge Scheduler starts the nightly release`,
        assumeRolePolicy: pulumi
          .all([args.accountId, scheduleGroupArn])
          .apply(([account, arn]) => serviceTrust("scheduler.amazonaws.com", account, arn)),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-schedule`,
      {
        role: schedulerRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["states:StartExecution"], Resource: [machine.arn] }],
        }),
      },
      { parent: this },
    );
    new aws.scheduler.Schedule(
      `${name}-nightly`,
      {
        name: scheduleName,
        description: `fleet ${args.stack}: the nightly release of tonight's image (canary, bake, refresh, rollback)`,
        scheduleExpression: toAwsCron(args.cron),
        scheduleExpressionTimezone: args.timeZone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: machine.arn,
          roleArn: schedulerRole.arn,
          input: JSON.stringify(RELEASE_SCHEDULE_INPUT),
          // A start that failed is not retried: a second release the same night would only queue behind it.
          retryPolicy: { maximumRetryAttempts: 0 },
        },
      },
      { parent: this },
    );

    this.stateMachineArn = machine.arn;
    this.registerOutputs({ stateMachineArn: this.stateMachineArn });
  }
}
