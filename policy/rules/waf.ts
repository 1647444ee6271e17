/**
 * AWS WAF in front of every public endpoint (FSBP CloudFront.6, ELB.16): each CloudFront distribution names a
 * web ACL, and each load balancer is either a distribution's origin (its ACL stands in front; the ALB admits
 * only CloudFront, infra/web/loadBalancer.ts) or associated with a REGIONAL web ACL of its own. dev is excepted
 * (policy/exceptions.ts): `fleet:waf` is off there by default.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isExcepted } from "../exceptions";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";

const dependsOn = (r: PolicyResource, prop: string, on: PolicyResource) =>
  (r.propertyDependencies[prop] ?? []).some((d) => d.urn === on.urn);

export const wafOnPublicEndpoints: StackValidationPolicy = {
  name: "waf-on-public-endpoints",
  description:
    "CloudFront.6/ELB.16: every distribution has a WAF web ACL, and every ALB is behind one (a distribution's origin, or a REGIONAL web ACL association).",
  validateStack: (args, report) => {
    // An exception names stacks, and every resource of a plan is of the one stack.
    const first = args.resources[0];
    if (first === undefined || isExcepted("waf-on-public-endpoints", first.urn)) return;
    const distributions = args.resources.filter((r) => r.type === DISTRIBUTION);
    // In a preview of a new web ACL its ARN is still unknown: the dependency on it is what shows it is set.
    const named = (d: PolicyResource) =>
      Boolean(d.props.webAclId) || (d.propertyDependencies.webAclId ?? []).some((w) => w.type === WEB_ACL);
    for (const d of distributions) if (!named(d)) report(`distribution ${d.name} has no WAF web ACL (webAclId)`, d.urn);
    for (const alb of args.resources.filter((r) => r.type === LOAD_BALANCER)) {
      if (alb.props.internal === true) continue;
      const behindCloudFront = distributions.some((d) => dependsOn(d, "origins", alb));
      const associated = args.resources.some((r) => r.type === ASSOCIATION && dependsOn(r, "resourceArn", alb));
      if (!behindCloudFront && !associated)
        report(
          `load balancer ${alb.name} is neither a distribution's origin nor associated with a WAF web ACL`,
          alb.urn,
        );
    }
  },
};

export const WAF_POLICIES = [wafOnPublicEndpoints];
