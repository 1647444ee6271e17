/**
 * The builder both fleets share (the web `Fleet` and the `WorkerFleet`): an instance identity, a launch
 * template with a concrete AMI (the last good one, RELEASE_CONTRACT.md) that runs the role's user data, and an
 * Auto Scaling Group over the private subnets on a concrete template version. The callers differ only in what they pass (security group, load
 * balancer or none, health check type, inline policy, refresh preferences); the hardening (IMDSv2, encrypted
 * gp3, detailed monitoring, no key pair) is the same for both and lives here once.
 *
 * Children are created with the caller's component as parent and the caller's name as prefix, so the web
 * fleet's URNs are the ones it had before this builder existed (`fleet-lt`, `fleet-asg`, `fleet-instance`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { instanceRole } from "./instanceRole";
import { instancesDistribution, type WorkerPurchase } from "../jobs/spotPolicy";

export const ENABLED_METRICS = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupTerminatingInstances",
  "GroupTotalInstances",
] as const;

export const HEALTH_CHECK_TYPES = ["ELB", "EC2"] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

/**
 * A group's ARN with its id wildcarded: the id is not an output of the group resource, and a policy may
 * need to name a group before it exists (the worker's own group; the nightly schedule's target group).
 */
export function autoScalingGroupArn(region: string, accountId: string, groupName: string, partition = "aws"): string {
  return `arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
}

/** What both fleet components are given: where, how big, from which image. */
export interface FleetBaseArgs {
  stack: string;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** EC2 instance type; the worker's has the web fleet's architecture (one image). */
  instanceType: string;
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** The AMI every launch uses: the last good one, read from its record at deploy time. */
  imageId: pulumi.Input<string>;
  /** Resources that must exist before the group launches (the log group its agent writes to). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * What every instance may do besides its job (infra/shared/instancePolicy.ts instanceBasePolicy, JSON):
   * Session Manager and the CloudWatch agent on the stack's log group and namespace, no AWS managed policy.
   */
  instancePolicy: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/** HTTPS out to anywhere (AWS APIs through the NAT): the only egress an instance of ours needs. */
export function httpsEgress(
  name: string,
  securityGroupId: pulumi.Input<string>,
  description: string,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): aws.vpc.SecurityGroupEgressRule {
  return new aws.vpc.SecurityGroupEgressRule(
    `${name}-https-out`,
    { securityGroupId, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description, tags },
    { parent },
  );
}

export interface LaunchGroupArgs {
  stack: string;
  /** A fixed group name (known before the group exists, e.g. to its own user data). Default: autonamed. */
  groupName?: string;
  /** Name tag of the instances, e.g. `fleet-dev` or `fleet-worker-dev`. */
  instanceName: string;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupId: pulumi.Input<string>;
  instanceType: string;
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** The AMI every launch uses: the last good one (never `resolve:ssm:`, which rules out AutoRollback). */
  imageId: pulumi.Input<string>;
  /** The user data (a shell script, plain text; encoded here). Absent: none. */
  userData?: pulumi.Input<string>;
  /** An inline policy of the instance role (JSON), in place before the first instance boots. */
  inlinePolicy?: pulumi.Input<string>;
  /** The role's base policy (FleetBaseArgs.instancePolicy), in place before the first instance boots. */
  instancePolicy: pulumi.Input<string>;
  /** Target groups to register with; absent for a group behind no load balancer. */
  targetGroupArns?: pulumi.Input<string>[];
  healthCheckType: HealthCheckType;
  /** Seconds from launch until health checks count. */
  healthCheckGracePeriodS: number;
  /** Seconds a new instance's metrics stay out of scaling decisions. */
  defaultInstanceWarmupS: number;
  /** The group's instance refresh preferences (infra/night/refresh.ts and the caller's choices). */
  refreshPreferences: aws.types.input.autoscaling.GroupInstanceRefreshPreferences;
  /** Resources that must exist before the group launches (the log group its agent writes to). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Buy through a mixed instances policy (several types, Spot above an On-Demand base, Capacity Rebalancing):
   * infra/jobs/spotPolicy.ts. Absent: the launch template's one type, On-Demand (the web group).
   */
  purchase?: WorkerPurchase;
  tags: Record<string, string>;
}

export interface LaunchGroup {
  role: aws.iam.Role;
  template: aws.ec2.LaunchTemplate;
  group: aws.autoscaling.Group;
}

export function launchGroup(name: string, args: LaunchGroupArgs, parent: pulumi.Resource): LaunchGroup {
  const tags = args.tags;
  // No AWS managed policy: the base policy grants what the instances use, on the stack's own resources.
  const { role, attachments, profile } = instanceRole(`${name}-instance`, [], parent, tags);
  const base = new aws.iam.RolePolicy(
    `${name}-instance-base`,
    { role: role.name, policy: args.instancePolicy },
    { parent },
  );
  const policies = [
    base,
    ...(args.inlinePolicy === undefined
      ? []
      : [new aws.iam.RolePolicy(`${name}-instance`, { role: role.name, policy: args.inlinePolicy }, { parent })]),
  ];

  const template = new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      description: `fleet ${args.stack}: the last good image; each release adds a version with its AMI`,
      // Concrete, read from the last good record at every deploy: a version Pulumi adds (a user data
      // change) carries what the release promoted, never an older AMI and never an untested one.
      imageId: args.imageId,
      instanceType: args.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [args.securityGroupId],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      monitoring: { enabled: true },
      ebsOptimized: "true",
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: { volumeSize: 8, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      ...(args.userData !== undefined
        ? { userData: pulumi.output(args.userData).apply((s) => Buffer.from(s, "utf8").toString("base64")) }
        : {}),
      tagSpecifications: [
        { resourceType: "instance", tags: { ...tags, Name: args.instanceName } },
        { resourceType: "volume", tags },
      ],
      updateDefaultVersion: true,
      tags,
    },
    { parent, dependsOn: [...attachments, ...policies, ...(args.dependsOn ?? [])] },
  );

  // A concrete version (never "$Latest"/"$Default"): AutoRollback needs one, and every launch (a daytime
  // scale-out, dev's restore after the drain) uses exactly the version the last release put there.
  const templateSpec = { id: template.id, version: template.latestVersion.apply((v) => String(v)) };
  const group = new aws.autoscaling.Group(
    `${name}-asg`,
    {
      ...(args.groupName !== undefined ? { name: args.groupName } : {}),
      vpcZoneIdentifiers: args.privateSubnetIds,
      minSize: args.minSize,
      maxSize: args.maxSize,
      desiredCapacity: args.desiredCapacity,
      ...(args.purchase === undefined
        ? { launchTemplate: templateSpec }
        : {
            // A group has either a launch template or a mixed instances policy, never both.
            mixedInstancesPolicy: mixedInstancesPolicy(args.purchase, templateSpec),
            // A Spot instance at risk is replaced before it goes (its worker drains through the hook).
            capacityRebalance: true,
          }),
      ...(args.targetGroupArns !== undefined ? { targetGroupArns: args.targetGroupArns } : {}),
      healthCheckType: args.healthCheckType,
      healthCheckGracePeriod: args.healthCheckGracePeriodS,
      defaultInstanceWarmup: args.defaultInstanceWarmupS,
      instanceRefresh: { strategy: "Rolling", preferences: args.refreshPreferences },
      enabledMetrics: [...ENABLED_METRICS],
      metricsGranularity: "1Minute",
      terminationPolicies: ["OldestLaunchTemplate", "OldestInstance"],
      tags: Object.entries({ ...tags, Name: args.instanceName }).map(([key, value]) => ({
        key,
        value,
        propagateAtLaunch: true,
      })),
    },
    {
      parent,
      dependsOn: args.dependsOn ?? [],
      ignoreChanges: [
        // Scaling policies and the nightly schedule own desiredCapacity after creation.
        "desiredCapacity",
        // The release owns the version after creation: its refresh moves the group to the version with the
        // promoted AMI, and a later `pulumi up` (its latestVersion, or the live version with --refresh) must
        // not move it back or start a refresh of its own without canary or rollback. A template change
        // Pulumi makes reaches the instances with the next release, which starts from the default version.
        args.purchase === undefined
          ? "launchTemplate.version"
          : "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version",
      ],
      // A fixed name cannot exist twice: a replacement must delete the old group first.
      ...(args.groupName !== undefined ? { deleteBeforeReplace: true } : {}),
    },
  );
  return { role, template, group };
}

/** The group's mixed instances policy (the provider's field names) from the purchase plan. */
function mixedInstancesPolicy(
  p: WorkerPurchase,
  templateSpec: { id: pulumi.Output<string>; version: pulumi.Output<string> },
): aws.types.input.autoscaling.GroupMixedInstancesPolicy {
  return {
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId: templateSpec.id, version: templateSpec.version },
      overrides: p.instanceTypes.map((instanceType) => ({ instanceType })),
    },
    // The release's DesiredConfiguration sends the same distribution; one source, the API's names lowered.
    instancesDistribution: Object.fromEntries(
      Object.entries(instancesDistribution(p)).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]),
    ),
  };
}
