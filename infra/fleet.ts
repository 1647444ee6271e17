/**
 * The instances: a launch template that resolves the freshest AMI from SSM at launch, and an Auto
 * Scaling Group over the private subnets behind the ALB's target group. The group's desired capacity
 * belongs to the scaling policies and the nightly schedule after creation, so `pulumi up` ignores it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { instanceRole } from "./instanceRole";
import { INSTANCE_REFRESH_PREFERENCES } from "./refresh";
import { HEALTH_CHECK_INTERVAL_S, HEALTHY_THRESHOLD, SERVICE_PORT } from "../service/timing";

export interface FleetArgs {
  stack: string;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  instanceType: string;
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** SSM parameter holding the AMI id (written by Image Builder's distribution). */
  amiParameterName: string;
  /** The ALB's security group: the only source admitted to the service port. */
  albSecurityGroupId: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  /** Resources that must exist before the group launches (the first image, so the parameter exists). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  tags?: Record<string, string>;
}

/** Time from launch to a booted instance answering health checks, with margin. */
export const HEALTH_CHECK_GRACE_PERIOD_S = 120;
/** How long a new instance's metrics are kept out of scaling decisions: boot plus becoming healthy. */
export const DEFAULT_INSTANCE_WARMUP_S = 60 + HEALTH_CHECK_INTERVAL_S * HEALTHY_THRESHOLD;

export const ENABLED_METRICS = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupTerminatingInstances",
  "GroupTotalInstances",
] as const;

export class Fleet extends pulumi.ComponentResource {
  readonly asgName: pulumi.Output<string>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:fleet:Fleet", name, {}, opts);
    const tags = { ...(args.tags ?? {}), "fleet:stack": args.stack };

    // --- Security: the service port from the ALB's group only; no SSH, no CIDR ingress.
    const sg = new aws.ec2.SecurityGroup(
      `${name}-instances`,
      { vpcId: args.vpcId, description: "fleet instances: service port from the ALB only", tags },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-alb`,
      {
        securityGroupId: sg.id,
        referencedSecurityGroupId: args.albSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: SERVICE_PORT,
        toPort: SERVICE_PORT,
        description: "service port from the ALB",
        tags,
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-instances`,
      {
        securityGroupId: args.albSecurityGroupId,
        referencedSecurityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: SERVICE_PORT,
        toPort: SERVICE_PORT,
        description: "ALB to the instances' service port (traffic and health checks)",
        tags,
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-https-out`,
      {
        securityGroupId: sg.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "HTTPS to AWS APIs (SSM, CloudWatch) through the NAT",
        tags,
      },
      { parent: this },
    );

    // --- Identity: SSM Session Manager (instead of SSH) and the CloudWatch agent, nothing else.
    const { attachments, profile } = instanceRole(
      `${name}-instance`,
      ["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"],
      this,
      tags,
    );

    const template = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `fleet ${args.stack}: AMI resolved from ${args.amiParameterName} at launch`,
        imageId: `resolve:ssm:${args.amiParameterName}`,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [sg.id],
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
        tagSpecifications: [
          { resourceType: "instance", tags: { ...tags, Name: `fleet-${args.stack}` } },
          { resourceType: "volume", tags },
        ],
        updateDefaultVersion: true,
        tags,
      },
      // The template references the AMI parameter, which exists once the first image is distributed.
      { parent: this, dependsOn: [...attachments, ...(args.dependsOn ?? [])] },
    );

    const group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        vpcZoneIdentifiers: args.privateSubnetIds,
        minSize: args.minSize,
        maxSize: args.maxSize,
        desiredCapacity: args.desiredCapacity,
        // A fixed version (never "$Latest"): a new template version is a change the provider sees,
        // so it starts the instance refresh below.
        launchTemplate: { id: template.id, version: template.latestVersion.apply((v) => String(v)) },
        targetGroupArns: [args.targetGroupArn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: HEALTH_CHECK_GRACE_PERIOD_S,
        defaultInstanceWarmup: DEFAULT_INSTANCE_WARMUP_S,
        instanceRefresh: {
          strategy: "Rolling",
          preferences: { ...INSTANCE_REFRESH_PREFERENCES },
        },
        enabledMetrics: [...ENABLED_METRICS],
        metricsGranularity: "1Minute",
        terminationPolicies: ["OldestLaunchTemplate", "OldestInstance"],
        tags: Object.entries({ ...tags, Name: `fleet-${args.stack}` }).map(([key, value]) => ({
          key,
          value,
          propagateAtLaunch: true,
        })),
      },
      {
        parent: this,
        dependsOn: args.dependsOn ?? [],
        // Scaling policies and the nightly schedule own desiredCapacity after creation.
        ignoreChanges: ["desiredCapacity"],
      },
    );

    this.asgName = group.name;
    this.registerOutputs({ asgName: this.asgName });
  }
}
