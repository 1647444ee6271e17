/**
 * The public entry: an Application Load Balancer in the public subnets, a target group on the service
 * port that health-checks /healthcheck, and the listeners. Two modes, one of them always:
 * - a certificate (`fleet:certificateArn`): HTTPS on 443 from anywhere, HTTP redirects to it;
 * - behind CloudFront (infra/web/apiCdn.ts): HTTP on 80 admitted only from CloudFront's origin-facing
 *   addresses (the managed prefix list), answered 403 unless the request carries CloudFront's secret header,
 *   so neither the ALB's name nor its addresses lead around the CDN.
 * Timings come from service/timing.ts.
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
  /** HTTPS on the ALB itself. Exactly one of certificateArn and behindCloudFront. */
  certificateArn?: string;
  /** Serve only CloudFront: its origin-facing prefix list, and the secret header it adds (ApiCdn). */
  behindCloudFront?: { prefixListId: pulumi.Input<string>; headerName: string; secret: pulumi.Input<string> };
  /** Bucket and prefix of the access logs, and what must exist before AWS checks it may write there. */
  accessLogs?: { bucket: pulumi.Input<string>; prefix: string; dependsOn: pulumi.Resource[] };
  tags?: Record<string, string>;
}

/** AWS's managed prefix list of CloudFront's origin-facing servers (IPv4; the ALB is IPv4 only). */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing";

/** What a request that did not come through CloudFront gets: nothing of the service. */
export const NOT_THROUGH_CLOUDFRONT = { statusCode: "403", contentType: "text/plain", messageBody: "Forbidden" };

export class LoadBalancer extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  readonly albArnSuffix: pulumi.Output<string>;
  /** The ALB's ARN (a REGIONAL WAF web ACL is associated with it). */
  readonly arn: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  /** What forwards to the target group: the HTTPS listener, or the HTTP listener's CloudFront rule. */
  readonly forwarding: pulumi.Resource;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:lb:LoadBalancer", name, {}, opts);
    const tags = args.tags ?? {};
    const https = args.certificateArn !== undefined;
    if (https === (args.behindCloudFront !== undefined))
      throw new Error(
        "LoadBalancer: give exactly one of certificateArn (HTTPS here) and behindCloudFront (HTTPS there)",
      );

    // No inline rules: every rule is its own resource (mixing inline and standalone rules makes them fight).
    // The provider removes AWS's default allow-all egress, so the group's only egress is the rule to the
    // instances' group on the service port, added by the Fleet component, which owns that group.
    const sg = new aws.ec2.SecurityGroup(
      `${name}-alb`,
      { vpcId: args.vpcId, description: "fleet ALB: HTTP/HTTPS from the internet, egress only to the instances", tags },
      { parent: this },
    );
    // IPv4 only, like the ALB (ipAddressType defaults to ipv4); 443 only where something listens on it.
    // Behind CloudFront, port 80 admits CloudFront's origin-facing servers alone. That prefix list weighs
    // 55 rules against the group's quota of 60 inbound rules, so it is the group's only ingress
    // (https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html#aws-managed-prefix-list-weights).
    for (const port of https ? [80, 443] : [80]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          ...(args.behindCloudFront
            ? { prefixListId: args.behindCloudFront.prefixListId, description: "HTTP from CloudFront only" }
            : { cidrIpv4: "0.0.0.0/0", description: port === 80 ? "HTTP from anywhere" : "HTTPS from anywhere" }),
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
      this.forwarding = httpsListener;
    } else {
      const cdn = args.behindCloudFront!;
      // Plain HTTP, but only from CloudFront (the group above), and only with its secret: anything else,
      // the ALB's own name or a spoofed Host included, gets the 403 of the default action.
      const httpListener = new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "fixed-response", fixedResponse: NOT_THROUGH_CLOUDFRONT }],
          tags,
        },
        { parent: this },
      );
      this.forwarding = new aws.lb.ListenerRule(
        `${name}-from-cloudfront`,
        {
          listenerArn: httpListener.arn,
          priority: 1,
          conditions: [{ httpHeader: { httpHeaderName: cdn.headerName, values: [cdn.secret] } }],
          actions: forward,
          tags,
        },
        { parent: this },
      );
    }

    this.securityGroupId = sg.id;
    this.albArnSuffix = alb.arnSuffix;
    this.arn = alb.arn;
    this.dnsName = alb.dnsName;
    this.targetGroupArn = tg.arn;
    this.targetGroupArnSuffix = tg.arnSuffix;
    // With a certificate, the stack's URL; behind CloudFront, the origin ApiCdn points at (not for clients).
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
    this.registerOutputs({
      url: this.url,
      dnsName: this.dnsName,
      targetGroupArn: this.targetGroupArn,
      securityGroupId: this.securityGroupId,
    });
  }
}
