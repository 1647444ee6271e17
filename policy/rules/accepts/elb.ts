/**
 * Elastic Load Balancing values AWS accepts beyond the provider's types: load balancer and target group
 * names (32 characters, alphanumerics and hyphens) and the target group health check's ranges.
 */
import { acceptsRule, at, num, rangeProblem, str, type Finding } from "./rule";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const TG = "aws:lb/targetGroup:TargetGroup";
export const ELB_NAME_MAX = 32;
/** The provider's limit on a target group's namePrefix: it appends a unique suffix up to the 32 characters. */
export const TG_NAME_PREFIX_MAX = 6;

/**
 * Why ELB would refuse `name` for a load balancer (`internalPrefix`: names starting "internal-" are refused
 * too) or a target group; undefined when it accepts it.
 */
export function elbNameProblem(name: string, internalPrefix = true): string | undefined {
  if (name.length === 0) return "cannot be empty";
  if (name.length > ELB_NAME_MAX) return `must be at most ${ELB_NAME_MAX} characters, is ${name.length}`;
  if (!/^[A-Za-z0-9-]+$/.test(name)) return "may contain only alphanumeric characters and hyphens";
  if (name.startsWith("-") || name.endsWith("-")) return "cannot begin or end with a hyphen";
  if (internalPrefix && name.startsWith("internal-")) return 'cannot begin with "internal-"';
  return undefined;
}

/** A namePrefix: the start of a name, so the same character rules, no trailing-hyphen rule, and a length cap. */
export function elbNamePrefixProblem(prefix: string, maxLength: number, internalPrefix = true): string | undefined {
  if (prefix.length > maxLength) return `must be at most ${maxLength} characters, is ${prefix.length}`;
  if (!/^[A-Za-z0-9-]*$/.test(prefix)) return "may contain only alphanumeric characters and hyphens";
  if (prefix.startsWith("-")) return "cannot begin with a hyphen";
  if (internalPrefix && prefix.startsWith("internal-")) return 'cannot begin with "internal-"';
  return undefined;
}

// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html (Name)
export const loadBalancerName = acceptsRule({
  name: "aws-accepts-load-balancer-name",
  description: 'A load balancer name is <= 32 alphanumerics or hyphens, no hyphen at either end, not "internal-...".',
  meta: {
    types: [LB],
    field: "name, namePrefix",
    limit: '1..32 of [A-Za-z0-9-]; no leading/trailing hyphen; not starting "internal-"',
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
  },
  check: (p) => [
    ...(str(p.name) ? at("name", p.name, elbNameProblem(p.name)) : []),
    ...(str(p.namePrefix) ? at("namePrefix", p.namePrefix, elbNamePrefixProblem(p.namePrefix, ELB_NAME_MAX)) : []),
  ],
});

// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html (Name);
// namePrefix's 6: the provider's TargetGroup documentation ("Cannot be longer than 6 characters").
export const targetGroupName = acceptsRule({
  name: "aws-accepts-target-group-name",
  description: "A target group name is <= 32 alphanumerics or hyphens with no hyphen at either end; a namePrefix <= 6.",
  meta: {
    types: [TG],
    field: "name, namePrefix",
    limit: "name 1..32 of [A-Za-z0-9-], no leading/trailing hyphen; namePrefix <= 6",
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
  },
  check: (p) => [
    ...(str(p.name) ? at("name", p.name, elbNameProblem(p.name, false)) : []),
    ...(str(p.namePrefix)
      ? at("namePrefix", p.namePrefix, elbNamePrefixProblem(p.namePrefix, TG_NAME_PREFIX_MAX, false))
      : []),
  ],
});

// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
// (HealthCheckIntervalSeconds 5-300; HealthyThresholdCount and UnhealthyThresholdCount 2-10)
export const targetGroupHealthCheck = acceptsRule({
  name: "aws-accepts-target-group-health-check",
  description: "A target group's health check interval is 5-300 s and its thresholds 2-10.",
  meta: {
    types: [TG],
    field: "healthCheck.interval, healthCheck.healthyThreshold, healthCheck.unhealthyThreshold",
    limit: "interval 5..300 s; thresholds 2..10",
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
  },
  check: (p) => {
    const hc = (p.healthCheck ?? {}) as Record<string, unknown>;
    const out: Finding[] = [];
    const field = (k: string, min: number, max: number, unit = "") => {
      const n = num(hc[k]);
      if (n !== undefined) out.push(...at(`healthCheck.${k}`, hc[k], rangeProblem(n, min, max, unit)));
    };
    field("interval", 5, 300, "seconds");
    field("healthyThreshold", 2, 10);
    field("unhealthyThreshold", 2, 10);
    return out;
  },
});

export const ELB_RULES = [loadBalancerName, targetGroupName, targetGroupHealthCheck];
