/**
 * The worker fleet: instances from the same image as the web fleet, running the `fleet-worker` unit
 * (their user data says so), in the private subnets behind no load balancer, checked by EC2 status, and
 * allowed the jobs resources a worker uses and nothing more. No job is lost when the group shrinks:
 *  - a busy worker protects itself from scale-in (SetInstanceProtection on its own group);
 *  - a termination lifecycle hook holds a terminating instance until its drain completes the hook
 *    (infra/shared/userData.ts), or at the latest until the heartbeat timeout of service/jobs/timing.ts;
 *  - an instance refresh replaces protected instances too, through the same hook (see REFRESH_PREFERENCES);
 *  - Spot (a mixed instances policy, infra/jobs/spotPolicy.ts): an interruption notice or a rebalance
 *    recommendation drains the worker within the two-minute notice (service/jobs/aws/spot.ts); Capacity
 *    Rebalancing's termination of an at-risk instance goes through the same hook.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { LIFECYCLE_HOOK_TIMEOUT_S } from "../../service/jobs/timing";
import { autoScalingGroupArn, httpsEgress, launchGroup, type FleetBaseArgs } from "../shared/launchGroup";
import { INSTANCE_REFRESH_PREFERENCES } from "../night/refresh";
import { workerGroupPolicy, workerJobsPolicy, type JobsResourceArns } from "./jobsAccess";
import type { WorkerPurchase } from "./spotPolicy";

/** Fixed, so the user data and the IAM policy can name the group before it exists. */
export function workerGroupName(stack: string): string {
  return `fleet-worker-${stack}`;
}

export const WORKER_LIFECYCLE_HOOK_NAME = "fleet-worker-drain";

/**
 * CONTINUE: for a termination hook both results terminate the instance; CONTINUE also lets any other
 * termination hook run, ABANDON would skip them. The timeout is the backstop for a drain that never
 * reports (a hung instance): its jobs' leases have long expired and another worker has them.
 */
export const LIFECYCLE_HOOK_DEFAULT_RESULT = "CONTINUE";

/**
 * Refresh, not the default: "Ignore" would leave busy workers on yesterday's image for good, and "Wait"
 * waits an hour for protection to drop, then fails the refresh (a worker under steady load never idles).
 * A protected instance replaced by a refresh still goes through the termination hook, so its worker
 * drains: running jobs finish or are given back, none is lost.
 */
export const WORKER_REFRESH_PREFERENCES = {
  ...INSTANCE_REFRESH_PREFERENCES,
  scaleInProtectedInstances: "Refresh",
} as const;

/** Boot, Node start and the first receive; the group's metrics ignore a new instance this long. */
export const WORKER_WARMUP_S = 120;
/** EC2 status checks only: nothing listens on a worker for a load balancer to check. */
export const WORKER_HEALTH_CHECK_GRACE_PERIOD_S = 120;

export interface WorkerFleetArgs extends FleetBaseArgs {
  /** User data for the worker role (infra/shared/userData.ts renderUserData with role "worker"). */
  userData: pulumi.Input<string>;
  /** The jobs resources the worker's role may use. */
  jobs: pulumi.Input<JobsResourceArns>;
  /** Spot through a mixed instances policy (infra/jobs/spotPolicy.ts); `instanceType` is its first type. */
  purchase: WorkerPurchase;
}

export class WorkerFleet extends pulumi.ComponentResource {
  readonly asgName: pulumi.Output<string>;
  /** What the release needs: the template it adds versions to, and the role its instances pass. */
  readonly launchTemplateId: pulumi.Output<string>;
  readonly launchTemplateArn: pulumi.Output<string>;
  readonly instanceRoleArn: pulumi.Output<string>;

  constructor(name: string, args: WorkerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:workerFleet:WorkerFleet", name, {}, opts);
    const tags = { ...(args.tags ?? {}), "fleet:stack": args.stack, "fleet:role": "worker" };
    const groupName = workerGroupName(args.stack);

    // --- Security: nothing comes in; HTTPS out to SQS, DynamoDB, S3, SSM through the NAT.
    const sg = new aws.ec2.SecurityGroup(
      `${name}-instances`,
      { vpcId: args.vpcId, description: "fleet workers: no ingress, HTTPS out", tags },
      { parent: this },
    );
    httpsEgress(name, sg.id, "HTTPS to AWS APIs (SQS, DynamoDB, S3, SSM) through the NAT", tags, this);

    const policy = pulumi.output(args.jobs).apply((arns) => {
      const jobs = workerJobsPolicy(arns);
      // The group's partition, region and account are the queue's (same stack).
      const [, partition, , region, account] = arns.queueArn.split(":");
      const own = workerGroupPolicy(autoScalingGroupArn(region!, account!, groupName, partition));
      return JSON.stringify({ ...jobs, Statement: [...jobs.Statement, ...own.Statement] });
    });

    const { group, template, role } = launchGroup(
      name,
      {
        stack: args.stack,
        groupName,
        instanceName: groupName,
        privateSubnetIds: args.privateSubnetIds,
        securityGroupId: sg.id,
        instanceType: args.instanceType,
        minSize: args.minSize,
        desiredCapacity: args.desiredCapacity,
        maxSize: args.maxSize,
        imageId: args.imageId,
        userData: args.userData,
        inlinePolicy: policy,
        instancePolicy: args.instancePolicy,
        healthCheckType: "EC2",
        healthCheckGracePeriodS: WORKER_HEALTH_CHECK_GRACE_PERIOD_S,
        defaultInstanceWarmupS: WORKER_WARMUP_S,
        refreshPreferences: { ...WORKER_REFRESH_PREFERENCES },
        purchase: args.purchase,
        ...(args.dependsOn !== undefined ? { dependsOn: args.dependsOn } : {}),
        tags,
      },
      this,
    );

    new aws.autoscaling.LifecycleHook(
      `${name}-termination-hook`,
      {
        name: WORKER_LIFECYCLE_HOOK_NAME,
        autoscalingGroupName: group.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: LIFECYCLE_HOOK_TIMEOUT_S,
        defaultResult: LIFECYCLE_HOOK_DEFAULT_RESULT,
      },
      { parent: this },
    );

    this.asgName = group.name;
    this.launchTemplateId = template.id;
    this.launchTemplateArn = template.arn;
    this.instanceRoleArn = role.arn;
    this.registerOutputs({ asgName: this.asgName, launchTemplateId: this.launchTemplateId });
  }
}
