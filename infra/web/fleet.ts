/**
 * The web instances: their security group (the service port from the ALB only), and the launch template
 * and Auto Scaling Group of infra/shared/launchGroup.ts, registered with the ALB's target group. The group's desired capacity
 * belongs to the scaling policies and the nightly schedule after creation, so `pulumi up` ignores it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { httpsEgress, launchGroup, type FleetBaseArgs } from "../shared/launchGroup";
import { INSTANCE_REFRESH_PREFERENCES } from "../night/refresh";
import { HEALTH_CHECK_INTERVAL_S, HEALTHY_THRESHOLD, SERVICE_PORT } from "../../service/timing";

export interface FleetArgs extends FleetBaseArgs {
  /** The ALB's security group: the only source admitted to the service port. */
  albSecurityGroupId: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  /** User data of the launch template (infra/shared/userData.ts: the environment file, then the `fleet` unit). */
  userData?: pulumi.Input<string>;
  /** An inline policy of the instance role (JSON): the jobs resources the web tier uses. */
  inlinePolicy?: pulumi.Input<string>;
}

/** Time from launch to a booted instance answering health checks, with margin. */
export const HEALTH_CHECK_GRACE_PERIOD_S = 120;
/** How long a new instance's metrics are kept out of scaling decisions: boot plus becoming healthy. */
export const DEFAULT_INSTANCE_WARMUP_S = 60 + HEALTH_CHECK_INTERVAL_S * HEALTHY_THRESHOLD;

export class Fleet extends pulumi.ComponentResource {
  readonly asgName: pulumi.Output<string>;
  /** What the release needs: the template it adds versions to, and the role its instances pass. */
  readonly launchTemplateId: pulumi.Output<string>;
  readonly launchTemplateArn: pulumi.Output<string>;
  readonly instanceRoleArn: pulumi.Output<string>;

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
        // No apostrophe: EC2 rejects any character outside a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$* in a
        // rule description (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html).
        description: "ALB to the instances service port (traffic and health checks)",
        tags,
      },
      { parent: this },
    );
    httpsEgress(name, sg.id, "HTTPS to AWS APIs (SSM, CloudWatch, SQS, DynamoDB) through the NAT", tags, this);

    // --- Identity, launch template and group: the builder both fleets share.
    const { group, template, role } = launchGroup(
      name,
      {
        stack: args.stack,
        instanceName: `fleet-${args.stack}`,
        privateSubnetIds: args.privateSubnetIds,
        securityGroupId: sg.id,
        instanceType: args.instanceType,
        minSize: args.minSize,
        desiredCapacity: args.desiredCapacity,
        maxSize: args.maxSize,
        imageId: args.imageId,
        ...(args.userData !== undefined ? { userData: args.userData } : {}),
        ...(args.inlinePolicy !== undefined ? { inlinePolicy: args.inlinePolicy } : {}),
        instancePolicy: args.instancePolicy,
        targetGroupArns: [args.targetGroupArn],
        healthCheckType: "ELB",
        healthCheckGracePeriodS: HEALTH_CHECK_GRACE_PERIOD_S,
        defaultInstanceWarmupS: DEFAULT_INSTANCE_WARMUP_S,
        refreshPreferences: { ...INSTANCE_REFRESH_PREFERENCES },
        ...(args.dependsOn !== undefined ? { dependsOn: args.dependsOn } : {}),
        tags,
      },
      this,
    );

    this.asgName = group.name;
    this.launchTemplateId = template.id;
    this.launchTemplateArn = template.arn;
    this.instanceRoleArn = role.arn;
    this.registerOutputs({ asgName: this.asgName, launchTemplateId: this.launchTemplateId });
  }
}
