/**
 * EC2 Auto Scaling values AWS accepts beyond the provider's types: group and scheduled action names, the
 * scheduled action's 5-field Unix cron recurrence, the lifecycle hook's heartbeat range, and the instance
 * refresh percentages (AWS checks them only at StartInstanceRefresh, after the group already changed).
 */
import { refreshPreferenceProblems } from "../../../infra/night/refresh";
import { acceptsRule, at, lengthProblem, num, rangeProblem, str, type Finding } from "./rule";

const GROUP = "aws:autoscaling/group:Group";
const HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook";
const SCHEDULE = "aws:autoscaling/schedule:Schedule";

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LifecycleHook.html (AutoScalingGroupName 1..255)
export const groupName = acceptsRule({
  name: "aws-accepts-autoscaling-group-name",
  description: "An Auto Scaling group's name is 1-255 characters.",
  meta: {
    types: [GROUP, HOOK, SCHEDULE],
    field: "name, autoscalingGroupName",
    limit: "1..255 characters",
    source: "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LifecycleHook.html",
  },
  check: (p) => [
    ...(str(p.name) ? at("name", p.name, lengthProblem(p.name, 1, 255)) : []),
    ...(str(p.autoscalingGroupName)
      ? at("autoscalingGroupName", p.autoscalingGroupName, lengthProblem(p.autoscalingGroupName, 1, 255))
      : []),
  ],
});

export const HEARTBEAT_MIN_S = 30;
export const HEARTBEAT_MAX_S = 7200;

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html (HeartbeatTimeout),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/aws.sdk.kotlin.services.autoscaling.model/-put-lifecycle-hook-request/heartbeat-timeout.html
export const lifecycleHookHeartbeat = acceptsRule({
  name: "aws-accepts-lifecycle-hook-heartbeat",
  description: "A lifecycle hook's heartbeat timeout is 30-7200 seconds.",
  meta: {
    types: [HOOK],
    field: "heartbeatTimeout",
    limit: "30..7200 seconds",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/aws.sdk.kotlin.services.autoscaling.model/-put-lifecycle-hook-request/heartbeat-timeout.html",
  },
  check: (p) => {
    const n = num(p.heartbeatTimeout);
    return n === undefined
      ? []
      : at("heartbeatTimeout", p.heartbeatTimeout, rangeProblem(n, HEARTBEAT_MIN_S, HEARTBEAT_MAX_S, "seconds"));
  },
});

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
export const refreshPreferences = acceptsRule({
  name: "aws-accepts-instance-refresh-percentages",
  description: "Instance refresh percentages: both or neither, min 0-100, max 100-200, max - min <= 100.",
  meta: {
    types: [GROUP],
    field: "instanceRefresh.preferences.minHealthyPercentage, .maxHealthyPercentage",
    limit: "min 0..100; max 100..200; max - min <= 100; both set together",
    source: "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html",
  },
  check: (p) => {
    const prefs = p.instanceRefresh?.preferences;
    if (!prefs) return [];
    const value = { min: prefs.minHealthyPercentage, max: prefs.maxHealthyPercentage };
    return refreshPreferenceProblems(prefs).map((problem) => ({
      field: "instanceRefresh.preferences",
      problem,
      value,
    }));
  },
});

/** Unix cron field characters: digits, names (MON, JAN), and * , / - (crontab syntax). */
const CRON_FIELD = /^[0-9A-Za-z*,/-]+$/;

/** Why Auto Scaling would refuse `recurrence`; it wants 5-field Unix cron, not EventBridge's 6-field cron(). */
export function recurrenceProblem(recurrence: string): string | undefined {
  if (/^\s*(cron|rate|at)\(/.test(recurrence))
    return "must be plain 5-field Unix cron ([Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]), not an EventBridge expression";
  const fields = recurrence.trim().split(/\s+/);
  if (fields.length !== 5)
    return `must have 5 fields ([Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]), has ${fields.length}`;
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  if (bad) return `field ${JSON.stringify(bad)} is not Unix cron syntax`;
  return lengthProblem(recurrence, 1, 255);
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ScheduledUpdateGroupActionRequest.html
// (Recurrence: Unix cron, five fields; ScheduledActionName and Recurrence 1..255)
export const scheduledAction = acceptsRule({
  name: "aws-accepts-scheduled-action",
  description: "A scheduled action's recurrence is 5-field Unix cron and its name 1-255 characters.",
  meta: {
    types: [SCHEDULE],
    field: "recurrence, scheduledActionName",
    limit: "recurrence: 5 fields of Unix cron, <= 255 characters; name 1..255",
    source: "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ScheduledUpdateGroupActionRequest.html",
  },
  check: (p) => {
    const out: Finding[] = [];
    if (str(p.recurrence)) out.push(...at("recurrence", p.recurrence, recurrenceProblem(p.recurrence)));
    if (str(p.scheduledActionName))
      out.push(...at("scheduledActionName", p.scheduledActionName, lengthProblem(p.scheduledActionName, 1, 255)));
    return out;
  },
});

export const SPOT_ALLOCATION_STRATEGIES = [
  "lowest-price",
  "capacity-optimized",
  "capacity-optimized-prioritized",
  "price-capacity-optimized",
] as const;
export const ON_DEMAND_ALLOCATION_STRATEGIES = ["prioritized", "lowest-price"] as const;
export const MAX_OVERRIDES = 40;

/** Why Auto Scaling would refuse a group's mixed instances policy (the provider's field names). */
export function mixedInstancesPolicyProblems(p: Record<string, any>): Finding[] {
  const mip = p.mixedInstancesPolicy;
  if (!mip) return [];
  const out: Finding[] = [];
  if (p.launchTemplate !== undefined)
    out.push({
      field: "launchTemplate",
      problem: "a group has a launch template or a mixed instances policy, not both",
      value: "both",
    });
  const overrides: Array<Record<string, any>> = mip.launchTemplate?.overrides ?? [];
  if (overrides.length > MAX_OVERRIDES)
    out.push({
      field: "mixedInstancesPolicy.launchTemplate.overrides",
      problem: `at most ${MAX_OVERRIDES} instance types`,
      value: overrides.length,
    });
  const weighted = overrides.filter((o) => o.weightedCapacity !== undefined);
  if (weighted.length > 0 && weighted.length < overrides.length)
    out.push({
      field: "mixedInstancesPolicy.launchTemplate.overrides",
      problem: "weightedCapacity on some types but not all",
      value: weighted.length,
    });
  weighted.forEach((o, i) =>
    out.push(
      ...at(
        `mixedInstancesPolicy.launchTemplate.overrides[${i}].weightedCapacity`,
        o.weightedCapacity,
        rangeProblem(Number(o.weightedCapacity), 1, 999, "units"),
      ),
    ),
  );
  const d = mip.instancesDistribution ?? {};
  const oneOf = (field: string, value: unknown, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(String(value)))
      out.push({
        field: `mixedInstancesPolicy.instancesDistribution.${field}`,
        problem: `must be one of ${allowed.join(", ")}`,
        value,
      });
  };
  oneOf("spotAllocationStrategy", d.spotAllocationStrategy, SPOT_ALLOCATION_STRATEGIES);
  oneOf("onDemandAllocationStrategy", d.onDemandAllocationStrategy, ON_DEMAND_ALLOCATION_STRATEGIES);
  const percent = num(d.onDemandPercentageAboveBaseCapacity);
  if (percent !== undefined)
    out.push(
      ...at(
        "mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity",
        percent,
        rangeProblem(percent, 0, 100, "percent"),
      ),
    );
  const base = num(d.onDemandBaseCapacity);
  if (base !== undefined && !(Number.isInteger(base) && base >= 0))
    out.push({
      field: "mixedInstancesPolicy.instancesDistribution.onDemandBaseCapacity",
      problem: "must be a whole number from 0",
      value: base,
    });
  if (d.spotInstancePools !== undefined && d.spotAllocationStrategy !== "lowest-price")
    out.push({
      field: "mixedInstancesPolicy.instancesDistribution.spotInstancePools",
      problem: "only valid with the lowest-price strategy",
      value: d.spotInstancePools,
    });
  return out;
}

// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html (strategies, base,
// percentage 0..100, SpotInstancePools with lowest-price only),
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html (at most 40 instance
// types per group; WeightedCapacity 1..999, for all types or none),
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html (LaunchTemplate or
// MixedInstancesPolicy).
export const mixedInstancesPolicy = acceptsRule({
  name: "aws-accepts-mixed-instances-policy",
  description:
    "A mixed instances policy: <= 40 types, weights on all or none (1-999), known strategies, On-Demand share 0-100 %.",
  meta: {
    types: [GROUP],
    field: "mixedInstancesPolicy, launchTemplate",
    limit:
      "<= 40 overrides; weights all-or-none 1..999; known allocation strategies; percentage 0..100; base >= 0; not with launchTemplate",
    source: "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html",
  },
  check: (p) => mixedInstancesPolicyProblems(p),
});

export const AUTOSCALING_RULES = [
  groupName,
  lifecycleHookHeartbeat,
  refreshPreferences,
  scheduledAction,
  mixedInstancesPolicy,
];
