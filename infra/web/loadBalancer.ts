/**
 * The public entry: an Application Load Balancer in the public subnets, a target group on the service
 * port that health-checks /healthcheck, and the listeners (HTTP forwards, or redirects to HTTPS when a
 * certificate is configured). Timings come from service/timing.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
  DEREGISTRATION_DELAY_S,
  HEALTH_CHECK_INTERVAL_S,
  HEALTH_CHECK_PATH,
  HEALTH_CHECK_TIMEOUT_S,
  HEALTHY_THRESHOLD,
  SERVICE_PORT,
  UNHEALTHY_THRESHOLD,
} from "../../service/timing";

export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  idleTimeoutSeconds: number;
  deletionProtection: boolean;
  certificateArn?: string;
  /**
   * Why this ALB may forward plain HTTP without a certificate; tagged on the listener (`fleet:plain-http`)
   * so the policy pack sees a reasoned exception instead of a violation.
   */
  plainHttpReason?: string;
  /** Bucket and prefix of the access logs, and what must exist before AWS checks it may write there. */
  accessLogs?: { bucket: pulumi.Input<string>; prefix: string; dependsOn: pulumi.Resource[] };
  tags?: Record<string, string>;
}

/** The listener tag that carries the reason a listener forwards plain HTTP (read by the policy pack). */
export const PLAIN_HTTP_TAG = "fleet:plain-http";

export class LoadBalancer extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  readonly albArnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  /** The listener that forwards to the target group (HTTPS with a certificate, else HTTP). */
  readonly forwardingListener: aws.lb.Listener;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:lb:LoadBalancer", name, {}, opts);
    const tags = args.tags ?? {};
    const https = args.certificateArn !== undefined;
    const plainHttpReason = args.plainHttpReason?.trim() ?? "";
    if (!https && plainHttpReason === "")
      throw new Error("LoadBalancer: without a certificate, plainHttpReason must say why plain HTTP is acceptable");

    // No inline rules: every rule is its own resource (mixing inline and standalone rules makes them fight).
    // The provider removes AWS's default allow-all egress, so the group's only egress is the rule to the
    // instances' group on the service port, added by the Fleet component, which owns that group.
    const sg = new aws.ec2.SecurityGroup(
      `${name}-alb`,
      { vpcId: args.vpcId, description: "fleet ALB: HTTP/HTTPS from the internet, egress only to the instances", tags },
      { parent: this },
    );
    // IPv4 only, like the ALB (ipAddressType defaults to ipv4); 443 only where something listens on it.
    for (const port of https ? [80, 443] : [80]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: "0.0.0.0/0",
          description: port === 80 ? "HTTP from anywhere" : "HTTPS from anywhere",
          tags,
        },
        { parent: this },
      );
    }

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [sg.id],
        idleTimeout: args.idleTimeoutSeconds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        ...(args.accessLogs
          ? { accessLogs: { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true } }
          : {}),
        tags,
      },
      { parent: this, dependsOn: args.accessLogs?.dependsOn ?? [] },
    );

    const tg = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: "instance",
        protocol: "HTTP",
        port: SERVICE_PORT,
        deregistrationDelay: DEREGISTRATION_DELAY_S,
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          port: "traffic-port",
          path: HEALTH_CHECK_PATH,
          interval: HEALTH_CHECK_INTERVAL_S,
          timeout: HEALTH_CHECK_TIMEOUT_S,
          healthyThreshold: HEALTHY_THRESHOLD,
          unhealthyThreshold: UNHEALTHY_THRESHOLD,
          matcher: "200",
        },
        tags,
      },
      { parent: this },
    );

    const forward = [{ type: "forward", targetGroupArn: tg.arn }];
    if (https) {
      const httpsListener = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: TLS_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: forward,
          tags,
        },
        { parent: this },
      );
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
          tags,
        },
        { parent: this },
      );
      this.forwardingListener = httpsListener;
    } else {
      const httpListener = new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: forward,
          tags: { ...tags, [PLAIN_HTTP_TAG]: plainHttpReason },
        },
        { parent: this },
      );
      this.forwardingListener = httpListener;
    }

    this.securityGroupId = sg.id;
    this.albArnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.targetGroupArn = tg.arn;
    this.targetGroupArnSuffix = tg.arnSuffix;
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
    this.registerOutputs({
      url: this.url,
      dnsName: this.dnsName,
      targetGroupArn: this.targetGroupArn,
      securityGroupId: this.securityGroupId,
    });
  }
}
