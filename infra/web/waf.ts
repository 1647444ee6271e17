/**
 * An AWS WAF web ACL whose one rule blocks a client address that sends more than `rateLimit` requests in
 * `windowS` seconds (FSBP CloudFront.6 / ELB.16): one client cannot flood the public endpoints, whatever the
 * service's own admission does behind them. Blocked requests get `429 Too Many Requests`; everything else
 * passes (default action Allow).
 *
 * Scope CLOUDFRONT (the API's and the results' distributions) is created in us-east-1 whatever the stack's
 * region: AWS WAF keeps CloudFront's web ACLs there
 * (https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html). The resource's own
 * `region` argument says so, rather than an explicit provider, which would not inherit the stack's `aws:`
 * settings (profile, assumed role, default tags). Scope REGIONAL (an ALB serving HTTPS itself) lives in the
 * stack's region and is associated with the load balancer here.
 *
 * Price (https://aws.amazon.com/waf/pricing/): $5 per web ACL and $1 per rule a month, $0.60 per million
 * requests inspected.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { WafWindowS } from "./wafConfig";

export const WAF_SCOPES = ["CLOUDFRONT", "REGIONAL"] as const;
export type WafScope = (typeof WAF_SCOPES)[number];

/** The region of every CLOUDFRONT-scope WAF resource. */
export const CLOUDFRONT_WAF_REGION = "us-east-1";

/** Status of a rate-limited request: the client should slow down, not give up (RFC 6585). */
export const RATE_LIMITED_STATUS = 429;

/**
 * A CloudWatch metric name WAF accepts: letters, digits, `-` and `_`, 1 to 128 characters, not `All` or
 * `Default_Action` (https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html).
 */
export function wafMetricName(...parts: string[]): string {
  const name = parts
    .join("-")
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .slice(0, 128);
  if (name === "" || name === "All" || name === "Default_Action")
    throw new Error(`WebFirewall: "${name}" is not a metric name AWS WAF accepts`);
  return name;
}

/** The rate-based rule: count per client address (the viewer's, as CloudFront or the ALB sees it), block past it. */
export function rateLimitRule(rateLimit: number, windowS: WafWindowS, metricName: string) {
  return {
    name: "rate-per-client-address",
    priority: 0,
    action: { block: { customResponse: { responseCode: RATE_LIMITED_STATUS } } },
    statement: { rateBasedStatement: { limit: rateLimit, evaluationWindowSec: windowS, aggregateKeyType: "IP" } },
    visibilityConfig: { cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
  };
}

export interface WebFirewallArgs {
  stack: string;
  scope: WafScope;
  rateLimit: number;
  windowS: WafWindowS;
  /** REGIONAL only: the load balancer to associate with (a CLOUDFRONT ACL is named by its distributions). */
  loadBalancerArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class WebFirewall extends pulumi.ComponentResource {
  /** The web ACL's ARN: a distribution's `webAclId` (CLOUDFRONT scope). */
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: WebFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:waf:WebFirewall", name, {}, opts);
    if ((args.scope === "REGIONAL") !== (args.loadBalancerArn !== undefined))
      throw new Error(
        `WebFirewall ${name}: a REGIONAL web ACL needs the load balancer it guards, a CLOUDFRONT one none`,
      );
    const metric = wafMetricName("fleet", args.stack, args.scope.toLowerCase());
    const acl = new aws.wafv2.WebAcl(
      name,
      {
        description: `fleet ${args.stack}: at most ${args.rateLimit} requests per ${args.windowS} s per client address`,
        scope: args.scope,
        ...(args.scope === "CLOUDFRONT" ? { region: CLOUDFRONT_WAF_REGION } : {}),
        defaultAction: { allow: {} },
        rules: [rateLimitRule(args.rateLimit, args.windowS, wafMetricName(metric, "rate"))],
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: metric, sampledRequestsEnabled: true },
        tags: args.tags ?? {},
      },
      { parent: this },
    );
    if (args.loadBalancerArn !== undefined)
      new aws.wafv2.WebAclAssociation(
        name,
        { resourceArn: args.loadBalancerArn, webAclArn: acl.arn },
        { parent: this },
      );
    this.arn = acl.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
