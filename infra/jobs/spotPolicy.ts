/**
 * The worker group's purchase plan, as plain data: which instance types of the configured size it may buy
 * (a small table of interchangeable families, or the stack's own list), how much of it is On-Demand, and the
 * mixed instances policy both Pulumi (the group) and the release (StartInstanceRefresh's DesiredConfiguration)
 * write from it. Pure, tested without Pulumi. The web group keeps a plain launch template (On-Demand).
 *
 * AWS's rules, each looked up:
 *  - InstancesDistribution (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html):
 *    SpotAllocationStrategy one of lowest-price | capacity-optimized | capacity-optimized-prioritized |
 *    price-capacity-optimized; OnDemandBaseCapacity a whole number in the group's capacity unit (instances, as
 *    no override has a weight); OnDemandPercentageAboveBaseCapacity 0–100; OnDemandAllocationStrategy
 *    `prioritized` (the default without InstanceRequirements) takes the overrides in order, so the configured
 *    type is On-Demand's first choice; SpotInstancePools only applies to lowest-price, so it is not set.
 *  - LaunchTemplateOverrides (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html):
 *    at most 40 instance types per group; WeightedCapacity (1–999) is all or nothing across overrides. Every
 *    type here has the configured type's vCPUs, so none is weighted and one instance is one unit of capacity
 *    (desired capacity, the backlog-per-instance scaling and WORKER_CONCURRENCY keep meaning instances).
 *  - Capacity Rebalancing (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-rebalancing.html):
 *    on a rebalance recommendation the group launches a replacement first, then terminates the at-risk
 *    instance through its termination lifecycle hook; an interruption itself ends the instance two minutes
 *    after the notice whatever the hook's timeout, so the worker's own drain must fit in those two minutes.
 */
/** The price-and-capacity strategy AWS recommends: pools least likely to be interrupted, among the cheapest. */
export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";
/** The overrides' order is On-Demand's priority: the configured type first. */
export const ON_DEMAND_ALLOCATION_STRATEGY = "prioritized";
/** LaunchTemplateOverrides: "The maximum number of instance types that can be associated with an Auto Scaling group is 40." */
export const MAX_INSTANCE_TYPES = 40;

/**
 * Families that are interchangeable for a worker at a given size: same vCPUs and memory per size, same
 * architecture (one image). `sizes` are the sizes every family of the row offers; outside them the table
 * offers no sibling and the group buys only the configured type (set `fleet:workerInstanceTypes` instead).
 */
const SIBLINGS: readonly { families: readonly string[]; sizes: readonly string[] }[] = [
  // x86, compute / general / memory: large..4xlarge exist in every one of these families.
  { families: ["c7i", "c6i", "c6a", "c7a", "c5", "c5a"], sizes: ["large", "xlarge", "2xlarge", "4xlarge"] },
  { families: ["m7i", "m6i", "m6a", "m7a", "m5", "m5a"], sizes: ["large", "xlarge", "2xlarge", "4xlarge"] },
  { families: ["r7i", "r6i", "r6a", "r7a", "r5", "r5a"], sizes: ["large", "xlarge", "2xlarge", "4xlarge"] },
  // Burstable: Intel and AMD, nano..2xlarge in both.
  { families: ["t3", "t3a"], sizes: ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"] },
  // Graviton (arm64): medium..4xlarge in every one.
  { families: ["c7g", "c6g", "c8g"], sizes: ["medium", "large", "xlarge", "2xlarge", "4xlarge"] },
  { families: ["m7g", "m6g", "m8g"], sizes: ["medium", "large", "xlarge", "2xlarge", "4xlarge"] },
  { families: ["r7g", "r6g", "r8g"], sizes: ["medium", "large", "xlarge", "2xlarge", "4xlarge"] },
];

/**
 * The instance types the worker group may buy for `instanceType`: itself first, then the same size of its
 * sibling families (table above). A type the table does not know yields just itself.
 */
export function spotInstanceTypes(instanceType: string): string[] {
  const [family, size] = instanceType.split(".") as [string, string | undefined];
  const row = SIBLINGS.find((r) => r.families.includes(family));
  if (!row || size === undefined || !row.sizes.includes(size)) return [instanceType];
  return [instanceType, ...row.families.filter((f) => f !== family).map((f) => `${f}.${size}`)];
}

/**
 * Why a list of worker instance types would be refused (empty: fine): AWS's limit of 40, duplicates, and
 * types whose vCPUs differ from the configured type's (one instance must stay one unit of capacity and run
 * WORKER_CONCURRENCY jobs).
 */
export function instanceTypesProblems(
  types: readonly string[],
  configured: string,
  vcpusOf: (instanceType: string) => number | undefined,
): string[] {
  const problems: string[] = [];
  if (types.length === 0) problems.push("no instance type");
  if (types.length > MAX_INSTANCE_TYPES)
    problems.push(`${types.length} types, AWS allows at most ${MAX_INSTANCE_TYPES} per group`);
  const twice = types.filter((t, i) => types.indexOf(t) !== i);
  if (twice.length > 0) problems.push(`listed twice: ${[...new Set(twice)].join(", ")}`);
  const want = vcpusOf(configured);
  const odd = types.filter((t) => vcpusOf(t) !== want);
  if (odd.length > 0)
    problems.push(
      `${odd.join(", ")} ${odd.length === 1 ? "has" : "have"} not the ${want ?? "?"} vCPUs of ${configured}`,
    );
  return problems;
}

/** What a stack decides about buying its workers (infra/jobs/jobsConfig.ts parses it). */
export interface WorkerPurchase {
  /** In priority order; the first is the configured `fleet:workerInstanceType`. */
  instanceTypes: string[];
  /** Instances always bought On-Demand (launched first as the group grows). */
  onDemandBase: number;
  /** Of the capacity above the base, the percentage bought On-Demand (0: all Spot). */
  onDemandPercentAboveBase: number;
}

/** The InstancesDistribution, in the API's own field names (Step Functions' SDK integration sends these). */
export function instancesDistribution(p: WorkerPurchase) {
  return {
    OnDemandAllocationStrategy: ON_DEMAND_ALLOCATION_STRATEGY,
    OnDemandBaseCapacity: p.onDemandBase,
    OnDemandPercentageAboveBaseCapacity: p.onDemandPercentAboveBase,
    SpotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
  };
}

/**
 * The whole MixedInstancesPolicy for a DesiredConfiguration, the launch template's version left to the
 * caller (the release fills it from its state with `versionField`). A refresh's desired configuration
 * becomes the group's settings when it succeeds
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html), and it holds
 * either a LaunchTemplate or a MixedInstancesPolicy
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DesiredConfiguration.html): a bare
 * LaunchTemplate would leave this group with one On-Demand type, so the release sends all of it.
 */
export function mixedInstancesPolicyApi(
  p: WorkerPurchase,
  launchTemplateId: string,
  versionField: Record<string, string>,
) {
  return {
    LaunchTemplate: {
      LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, ...versionField },
      Overrides: p.instanceTypes.map((InstanceType) => ({ InstanceType })),
    },
    InstancesDistribution: instancesDistribution(p),
  };
}
