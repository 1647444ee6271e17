/**
 * What a stack's offline plan (the synth of scripts/synth.ts) says that costs money: the two Auto Scaling
 * groups with their launch templates' instance types and volumes, the night's mode and drained hours, the
 * NAT gateways, alarms and the metrics they read, dashboards, log groups and their retention, queues,
 * tables, buckets, distributions, KMS keys, state machines, schedules and Image Builder's build instance.
 * Pure: a SynthResult and the stack's config map in, plain facts out. The NAT gateways come from the
 * config (`fleet:natGateways`, `fleet:availabilityZones`) because the VPC is an awsx component whose
 * children the mocks never see.
 */
import type { SynthResource, SynthResult } from "../synth";
import { JOBS_DEFAULTS, vcpusOf } from "../../infra/jobs/jobsConfig";

export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

export interface GroupFacts {
  name: string;
  instanceType: string;
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** GB of EBS per instance, summed over the launch template's block devices. */
  volumeGb: number;
  vcpus: number | undefined;
  /**
   * A mixed instances policy's split: the first `onDemandBase` instances on demand, then
   * `onDemandPercentAbove` % of the rest (the remainder on Spot). Absent: all on demand.
   */
  purchase?: { onDemandBase: number; onDemandPercentAbove: number };
}

export interface StackFacts {
  stack: string;
  region: string;
  web: GroupFacts;
  /** Absent in a plan without a worker group. */
  workers?: GroupFacts;
  nightly: "drain" | "refresh" | "none";
  /** Drain mode: hours a day the groups are drained to zero (restore time − drain time). */
  drainedHoursPerDay: number;
  natGateways: number;
  availabilityZones: number;
  /** Metrics read by the stack's alarms plus the target-tracking policies' (two alarms each). */
  alarmMetrics: number;
  dashboards: number;
  logGroups: { name: string; retentionDays: number; kind: "instances" | "flow-logs" | "other" }[];
  queues: number;
  tables: number;
  buckets: number;
  distributions: number;
  kmsKeys: number;
  stateMachines: number;
  /** WAF web ACLs, with their rules and whether they sit in front of CloudFront (which sees every request). */
  webAcls: { rules: number; scope: string }[];
  /** EventBridge Scheduler schedules (each fires once a night). */
  schedules: number;
  /** Image Builder's build instance type (the pipeline runs once a night), if the plan has one. */
  buildInstanceType?: string;
  /** `fleet:jobSeconds`: how long a job takes, for the worker hours it needs. */
  jobSeconds: number;
}

export class PlanFactsError extends Error {
  override name = "PlanFactsError";
  constructor(
    message: string,
    readonly resource?: string,
  ) {
    super(message);
  }
}

const T = {
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  schedule: "aws:autoscaling/schedule:Schedule",
  scheduler: "aws:scheduler/schedule:Schedule",
  webAcl: "aws:wafv2/webAcl:WebAcl",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  policy: "aws:autoscaling/policy:Policy",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  flowLog: "aws:ec2/flowLog:FlowLog",
  queue: "aws:sqs/queue:Queue",
  table: "aws:dynamodb/table:Table",
  bucket: "aws:s3/bucket:Bucket",
  cdn: "aws:cloudfront/distribution:Distribution",
  kms: "aws:kms/key:Key",
  sfn: "aws:sfn/stateMachine:StateMachine",
  ibInfra: "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
  vpc: "awsx:ec2:Vpc",
} as const;

const of = (plan: SynthResult, type: string) => plan.resources.filter((r) => r.type === type);

/** The launch template an ASG launches from: its own `launchTemplate`, or a mixed instances policy's. */
function launchTemplateOf(plan: SynthResult, asg: SynthResource): { lt: SynthResource; overrideType?: string } {
  const spec =
    asg.inputs.launchTemplate ?? asg.inputs.mixedInstancesPolicy?.launchTemplate?.launchTemplateSpecification ?? {};
  const id: string | undefined = spec.id ?? spec.launchTemplateId;
  const lt = of(plan, T.lt).find((l) => l.id === id || `${l.name}-id` === id || l.name === spec.launchTemplateName);
  if (!lt)
    throw new PlanFactsError(`the Auto Scaling group ${asg.name} names no launch template of the plan`, asg.name);
  const override = asg.inputs.mixedInstancesPolicy?.launchTemplate?.overrides?.[0]?.instanceType as string | undefined;
  return { lt, ...(override ? { overrideType: override } : {}) };
}

function groupFacts(plan: SynthResult, asg: SynthResource): GroupFacts {
  const { lt, overrideType } = launchTemplateOf(plan, asg);
  const instanceType: string | undefined = overrideType ?? lt.inputs.instanceType;
  if (!instanceType) throw new PlanFactsError(`launch template ${lt.name} has no instanceType`, lt.name);
  const volumeGb = ((lt.inputs.blockDeviceMappings ?? []) as { ebs?: { volumeSize?: number } }[]).reduce(
    (sum, b) => sum + Number(b.ebs?.volumeSize ?? 0),
    0,
  );
  const minSize = Number(asg.inputs.minSize ?? 0);
  return {
    name: asg.name,
    instanceType,
    minSize,
    desiredCapacity: Number(asg.inputs.desiredCapacity ?? minSize),
    maxSize: Number(asg.inputs.maxSize ?? minSize),
    volumeGb,
    vcpus: vcpusOf(instanceType),
    ...purchaseOf(asg),
  };
}

/** The on-demand / Spot split of a mixed instances policy (AWS's defaults: base 0, 100 % on demand). */
function purchaseOf(asg: SynthResource): Pick<GroupFacts, "purchase"> {
  const d = asg.inputs.mixedInstancesPolicy?.instancesDistribution;
  if (!asg.inputs.mixedInstancesPolicy) return {};
  return {
    purchase: {
      onDemandBase: Number(d?.onDemandBaseCapacity ?? 0),
      onDemandPercentAbove: Number(d?.onDemandPercentageAboveBaseCapacity ?? 100),
    },
  };
}

/** Minutes after midnight of a 5-field Unix cron that fires at one fixed minute and hour ("M H * * *"). */
export function cronMinuteOfDay(cron: string): number {
  const m = /^(\d{1,2})\s+(\d{1,2})\s/.exec(cron.trim());
  if (!m) throw new PlanFactsError(`cannot read a fixed time of day from the cron "${cron}"`);
  return Number(m[2]) * 60 + Number(m[1]);
}

/** Hours from the drain action to the restore action (wrapping past midnight). */
export function drainedHours(drainCron: string, restoreCron: string): number {
  const minutes = (cronMinuteOfDay(restoreCron) - cronMinuteOfDay(drainCron) + 24 * 60) % (24 * 60);
  return minutes / 60;
}

/** Billed alarm metrics of one alarm: one for a plain alarm, one per metric a metric-math alarm reads. */
export function alarmMetricCount(inputs: Record<string, any>): number {
  const queries = (inputs.metricQueries ?? []) as { metric?: unknown }[];
  return queries.length > 0 ? queries.filter((q) => q.metric !== undefined).length : 1;
}

export function stackFacts(plan: SynthResult, config: Record<string, string>): StackFacts {
  const asgs = of(plan, T.asg);
  const webAsg = asgs.find((a) => (a.inputs.targetGroupArns ?? []).length > 0) ?? asgs[0];
  if (!webAsg) throw new PlanFactsError("the plan has no Auto Scaling group");
  const workerAsg = asgs.find((a) => a !== webAsg);
  const web = groupFacts(plan, webAsg);
  const workers = workerAsg ? groupFacts(plan, workerAsg) : undefined;

  const drain = of(plan, T.schedule).find((s) => s.inputs.scheduledActionName === "fleet-nightly-drain");
  const restore = of(plan, T.schedule).find((s) => s.inputs.scheduledActionName === "fleet-nightly-restore");
  // The nightly release (a schedule starting the release state machine) refreshes the groups with
  // launch-before-terminate; a schedule calling StartInstanceRefresh directly does the same.
  const refresh = of(plan, T.scheduler).some((s) =>
    /startInstanceRefresh|:states:.*:stateMachine:/.test(String(s.inputs.target?.arn ?? "")),
  );
  const nightly = drain && restore ? "drain" : refresh ? "refresh" : "none";

  const vpc = of(plan, T.vpc)[0];
  const availabilityZones = Number(config["fleet:availabilityZones"] ?? vpc?.inputs.numberOfAvailabilityZones ?? 2);
  const strategy = config["fleet:natGateways"] ?? vpc?.inputs.natGateways?.strategy ?? "Single";
  const natGateways = strategy === "OnePerAz" ? availabilityZones : strategy === "None" ? 0 : 1;

  const targetTracking = of(plan, T.policy).filter((p) => p.inputs.policyType === "TargetTrackingScaling");
  const trackingMetrics = targetTracking.reduce((sum, p) => {
    const custom = p.inputs.targetTrackingConfiguration?.customizedMetricSpecification;
    const metrics = custom?.metrics ? custom.metrics.filter((m: any) => m.metricStat).length : 1;
    return sum + 2 * metrics; // a high and a low alarm, each reading the policy's metrics
  }, 0);

  const flowLogGroupArns = new Set(of(plan, T.flowLog).map((f) => String(f.inputs.logDestination ?? "")));
  const infra = of(plan, T.ibInfra)[0];
  return {
    stack: plan.stack,
    region: config["aws:region"] ?? "us-east-1",
    web,
    ...(workers ? { workers } : {}),
    nightly,
    drainedHoursPerDay: drain && restore ? drainedHours(drain.inputs.recurrence, restore.inputs.recurrence) : 0,
    natGateways,
    availabilityZones,
    alarmMetrics: of(plan, T.alarm).reduce((sum, a) => sum + alarmMetricCount(a.inputs), 0) + trackingMetrics,
    dashboards: of(plan, T.dashboard).length,
    logGroups: of(plan, T.logGroup).map((g) => ({
      name: String(g.inputs.name ?? g.name),
      retentionDays: Number(g.inputs.retentionInDays ?? 0),
      kind: [...flowLogGroupArns].some((arn) => arn.endsWith(`:${g.name}`) || arn.includes(String(g.inputs.name)))
        ? "flow-logs"
        : /instances/.test(g.name)
          ? "instances"
          : "other",
    })),
    queues: of(plan, T.queue).length,
    tables: of(plan, T.table).length,
    buckets: of(plan, T.bucket).length,
    distributions: of(plan, T.cdn).length,
    kmsKeys: of(plan, T.kms).length,
    stateMachines: of(plan, T.sfn).length,
    schedules: of(plan, T.scheduler).length,
    webAcls: of(plan, T.webAcl).map((acl) => ({
      rules: Array.isArray(acl.inputs.rules) ? acl.inputs.rules.length : 0,
      scope: String(acl.inputs.scope ?? ""),
    })),
    ...(infra?.inputs.instanceTypes?.[0] ? { buildInstanceType: String(infra.inputs.instanceTypes[0]) } : {}),
    jobSeconds: Number(config["fleet:jobSeconds"] ?? JOBS_DEFAULTS.jobSeconds),
  };
}
