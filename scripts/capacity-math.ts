/**
 * The paper math of capacity estimation, pure functions only (scripts/capacity.ts is the CLI).
 *
 * Inputs: the peak load (req/s), what one instance serves at 100 % CPU (req/s), the CPU utilisation the
 * autoscaler targets, and the number of availability zones the group spreads over (evenly: an ASG
 * balances its instances across its AZs).
 *
 *  - atTarget  = ⌈peak / (perInstance × target)⌉: instances that carry the peak at the CPU target.
 *  - at100     = ⌈peak / perInstance⌉: instances that carry the peak at 100 % CPU.
 *  - min       = azs: at least one instance per AZ.
 *  - desired   = the larger of atTarget rounded up to a multiple of azs, and azs × ⌈at100 / (azs − 1)⌉:
 *                with that many per AZ, losing one AZ leaves (azs − 1) AZs that still carry the peak at
 *                ≤ 100 % CPU while the autoscaler replaces the lost capacity.
 *  - max       = the larger of desired and azs × ⌈atTarget / (azs − 1)⌉: room to scale out until the
 *                surviving AZs alone carry the peak back at the CPU target; a multiple of azs.
 * With one AZ an AZ loss cannot be survived: desired = atTarget and max = atTarget + 1 (N+1 instances).
 *
 * Jobs (planJobCapacity) are sized differently: see below.
 */
import { backlogPerInstanceTarget, busySlots } from "../service/jobs/capacity";
import { DEFAULT_JOB_TIMEOUT_S } from "../service/jobs/timing";

export interface CapacityInput {
  peakRps: number;
  /** Requests/s one instance serves at 100 % CPU. */
  perInstanceRps: number;
  /** The autoscaler's CPU target, percent, 1..100. */
  targetCpuPercent: number;
  azs: number;
}

export interface CapacityPlan {
  atTarget: number;
  at100: number;
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** The arithmetic behind each number, one line each, for the reader. */
  steps: string[];
  /** Caveats worth printing (single AZ, CPU target above what the AZ-loss headroom allows...). */
  notes: string[];
}

/** The smallest multiple of m that is ≥ x. */
export function roundUpToMultiple(x: number, m: number): number {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`multiple must be an integer ≥ 1, got ${m}`);
  return Math.ceil(x / m) * m;
}

/** ⌈a / b⌉ with a tolerance for floating-point noise (4000 / (800 × 0.5) is 10, not 10.000000000000002). */
export function ceilDiv(a: number, b: number): number {
  const q = a / b;
  const r = Math.round(q);
  return Math.abs(q - r) < 1e-9 ? r : Math.ceil(q);
}

export function validateCapacityInput(input: CapacityInput): void {
  const { peakRps, perInstanceRps, targetCpuPercent, azs } = input;
  if (!Number.isFinite(peakRps) || peakRps <= 0)
    throw new RangeError(`peak req/s must be a number > 0, got ${peakRps}`);
  if (!Number.isFinite(perInstanceRps) || perInstanceRps <= 0) {
    throw new RangeError(`per-instance req/s must be a number > 0, got ${perInstanceRps}`);
  }
  if (!Number.isFinite(targetCpuPercent) || targetCpuPercent < 1 || targetCpuPercent > 100) {
    throw new RangeError(`target CPU must be a percentage from 1 to 100, got ${targetCpuPercent}`);
  }
  if (!Number.isInteger(azs) || azs < 1) throw new RangeError(`azs must be an integer ≥ 1, got ${azs}`);
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  validateCapacityInput(input);
  const { peakRps: peak, perInstanceRps: per, targetCpuPercent, azs } = input;
  const target = targetCpuPercent / 100;
  const f = (x: number): string => String(Math.round(x * 100) / 100);
  const steps: string[] = [];
  const notes: string[] = [];

  const atTarget = Math.max(1, ceilDiv(peak, per * target));
  steps.push(
    `at the CPU target: ⌈${f(peak)} / (${f(per)} × ${f(target)})⌉ = ⌈${f(peak / (per * target))}⌉ = ${atTarget} instance(s)`,
  );
  const at100 = Math.max(1, ceilDiv(peak, per));
  steps.push(`at 100 % CPU:      ⌈${f(peak)} / ${f(per)}⌉ = ⌈${f(peak / per)}⌉ = ${at100} instance(s)`);

  const minSize = azs;
  steps.push(`min     = one instance per AZ = ${azs}`);

  let desiredCapacity: number;
  let maxSize: number;
  if (azs === 1) {
    desiredCapacity = Math.max(minSize, atTarget);
    steps.push(
      `desired = max(min ${minSize}, at target ${atTarget}) = ${desiredCapacity} (one AZ: no AZ-loss headroom possible)`,
    );
    maxSize = desiredCapacity + 1;
    steps.push(`max     = desired + 1 (N+1: one instance of headroom) = ${maxSize}`);
    notes.push("with a single AZ the fleet cannot survive an AZ outage; use --azs 2 or more for that.");
  } else {
    const targetRounded = roundUpToMultiple(atTarget, azs);
    const perAzSurvive = ceilDiv(at100, azs - 1);
    const survive = perAzSurvive * azs;
    desiredCapacity = Math.max(minSize, targetRounded, survive);
    steps.push(
      `desired = max(at target ${atTarget} rounded up to a multiple of ${azs} = ${targetRounded}, ` +
        `AZ loss: ${azs} AZs × ⌈${at100} / ${azs - 1}⌉ = ${azs} × ${perAzSurvive} = ${survive}) = ${desiredCapacity}` +
        ` — if one AZ fails, ${azs - 1} × ${desiredCapacity / azs} = ${(desiredCapacity / azs) * (azs - 1)} instance(s) carry ` +
        `${f(peak)} req/s at ${f((peak / ((desiredCapacity / azs) * (azs - 1) * per)) * 100)} % CPU`,
    );
    const perAzMax = ceilDiv(atTarget, azs - 1);
    const scaleOut = perAzMax * azs;
    maxSize = Math.max(desiredCapacity, scaleOut);
    steps.push(
      `max     = max(desired ${desiredCapacity}, ${azs} AZs × ⌈${atTarget} / ${azs - 1}⌉ = ${azs} × ${perAzMax} = ${scaleOut}) = ${maxSize}` +
        ` — room for the surviving ${azs - 1} AZ(s) to hold ${atTarget} instance(s), the peak back at the CPU target`,
    );
    const keepTarget = (100 * (azs - 1)) / azs;
    // The AZ-loss count binds only above that target: at t ≤ (azs − 1) / azs, atTarget ≥ ⌈P·azs / (azs − 1)⌉
    // (P = peak / per), so rounded up to a multiple of azs it is ≥ azs × ⌈P / (azs − 1)⌉ = survive. Testing the
    // target as well would be a second spelling of this one condition, which no input could tell apart.
    if (survive > targetRounded) {
      notes.push(
        `a target-tracking policy at ${targetCpuPercent} % CPU scales in below the AZ-loss count when load is steady; ` +
          `to keep the AZ-loss headroom at all times, use a CPU target ≤ ${f(keepTarget)} % (= (azs − 1) / azs) ` +
          `or set minSize to ${desiredCapacity}.`,
      );
    }
  }
  return { atTarget, at100, minSize, desiredCapacity, maxSize, steps, notes };
}

/** The `pulumi config set` lines that apply a plan to a stack. */
export function pulumiConfigLines(
  plan: CapacityPlan,
  stack: string,
  targetCpuPercent: number,
  instanceType?: string,
): string[] {
  const set = (key: string, value: string | number): string =>
    `pulumi config set --stack ${stack} fleet:${key} ${value}`;
  const lines = [
    set("minSize", plan.minSize),
    set("desiredCapacity", plan.desiredCapacity),
    set("maxSize", plan.maxSize),
    set("cpuTargetPercent", targetCpuPercent),
  ];
  if (instanceType) lines.push(set("instanceType", instanceType));
  return lines;
}

/**
 * The infra's own bounds (infra/shared/config.ts): it accepts a CPU target of 10..95 % and 2..6 AZs. The math
 * works outside them; this says where the infra would refuse the result.
 */
export function infraCaveats(targetCpuPercent: number, azs: number): string[] {
  const out: string[] = [];
  if (targetCpuPercent < 10 || targetCpuPercent > 95)
    out.push(`the infra accepts fleet:cpuTargetPercent from 10 to 95, not ${targetCpuPercent}.`);
  if (azs < 2 || azs > 6) out.push(`the infra's VPC spans 2 to 6 AZs (fleet:availabilityZones), not ${azs}.`);
  return out;
}

/**
 * The matching ALBRequestCountPerTarget target, per instance per minute: what one instance serves at the
 * CPU target (fleet:requestsPerTargetPerMinute, optional in the infra).
 */
export function requestsPerTargetPerMinute(perInstanceRps: number, targetCpuPercent: number): number {
  return Math.floor(perInstanceRps * (targetCpuPercent / 100) * 60);
}

// ---- Jobs: the worker fleet ----------------------------------------------------------------------------
// Requests per second do not size a worker fleet: a job holds a worker slot for its whole run, and a queue
// absorbs what arrives faster. Little's law gives the slots busy on average; the backlog-per-instance
// target (service/jobs/capacity.ts, which the infra's scaling policy uses too) says how much queue each
// instance may have before the group grows.

/**
 * From zero instances, the first job waits for the wake-up alarm (one-minute metrics) and a launch and
 * boot (about two minutes, infra/web/fleet.ts HEALTH_CHECK_GRACE_PERIOD_S): a wait shorter than this needs a
 * worker always running.
 */
export const WORKER_COLD_START_S = 180;

export interface JobCapacityInput {
  /**
   * Percent of Spot instances interrupted per month (the Spot Instance Advisor's "frequency of
   * interruption", https://aws.amazon.com/ec2/spot/instance-advisor/: <5, 5-10, 10-15, 15-20, >20). Absent:
   * no Spot overhead counted.
   */
  spotInterruptionPercent?: number;
  jobsPerMinute: number;
  jobSeconds: number;
  maxWaitSeconds: number;
  /** Jobs one instance runs at once (WORKER_CONCURRENCY; default its vCPUs). */
  jobsPerInstance: number;
  /** The share of worker slots busy at the peak that the sizing aims for, percent 1..100. */
  targetUtilisationPercent: number;
}

export interface JobCapacityPlan {
  /** Slots busy on average with the Spot overhead (work redone, slots missing until a replacement runs). */
  spotExtraSlots: number;
  busySlots: number;
  at100: number;
  atTarget: number;
  backlogPerInstance: number;
  workerMinSize: number;
  workerMaxSize: number;
  steps: string[];
  notes: string[];
}

/** Seconds a running job may go on after a Spot notice (service/jobs/aws/spot.ts: 120 s notice − 20 s margin). */
export const SPOT_DRAIN_BUDGET_S = 100;
/**
 * Seconds an interrupted instance's slots are missing: a replacement's launch, boot and first receive
 * (infra/jobs/workerFleet.ts WORKER_WARMUP_S). An upper bound: Capacity Rebalancing often launches it first.
 */
export const SPOT_RELAUNCH_S = 120;
const SECONDS_PER_MONTH = 730 * 3600;

/**
 * What Spot interruptions cost in worker slots, on average. Per interruption, in slot-seconds:
 *  - redone: a job longer than the drain budget B is handed back unless it was within B of its end; its
 *    elapsed time is uniform over [0, S], so a busy slot loses (S − B)² / 2S on average (nothing if S ≤ B);
 *    u of the instance's n slots are busy;
 *  - missing: the instance's n slots until its replacement runs, SPOT_RELAUNCH_S.
 * Interruptions reach each Spot instance at p / 100 per month.
 */
export function spotOverhead(a: {
  interruptionPercent: number;
  spotInstances: number;
  jobsPerInstance: number;
  jobSeconds: number;
  utilisation: number;
}): {
  perInterruptionSlotS: number;
  redoneSlotS: number;
  missingSlotS: number;
  interruptionsPerHour: number;
  extraSlots: number;
} {
  const over = Math.max(0, a.jobSeconds - SPOT_DRAIN_BUDGET_S);
  const redoneSlotS = a.jobsPerInstance * a.utilisation * ((over * over) / (2 * a.jobSeconds));
  const missingSlotS = a.jobsPerInstance * SPOT_RELAUNCH_S;
  const perInterruptionSlotS = redoneSlotS + missingSlotS;
  const perSecond = (a.spotInstances * a.interruptionPercent) / 100 / SECONDS_PER_MONTH;
  return {
    perInterruptionSlotS,
    redoneSlotS,
    missingSlotS,
    interruptionsPerHour: perSecond * 3600,
    extraSlots: perSecond * perInterruptionSlotS,
  };
}

export function planJobCapacity(input: JobCapacityInput): JobCapacityPlan {
  const { jobsPerMinute, jobSeconds, maxWaitSeconds, jobsPerInstance, targetUtilisationPercent } = input;
  for (const [name, value] of Object.entries({ jobsPerMinute, jobSeconds, maxWaitSeconds, jobsPerInstance })) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a number > 0, got ${value}`);
  }
  if (!Number.isInteger(jobsPerInstance))
    throw new RangeError(`jobsPerInstance must be an integer, got ${jobsPerInstance}`);
  if (!(targetUtilisationPercent >= 1 && targetUtilisationPercent <= 100)) {
    throw new RangeError(`target utilisation must be a percentage from 1 to 100, got ${targetUtilisationPercent}`);
  }
  const spotPercent = input.spotInterruptionPercent;
  if (spotPercent !== undefined && !(spotPercent >= 0 && spotPercent <= 100)) {
    throw new RangeError(`the Spot interruption rate must be a percentage from 0 to 100 a month, got ${spotPercent}`);
  }
  const f = (x: number): string => String(Math.round(x * 100) / 100);
  const target = targetUtilisationPercent / 100;
  const rate = jobsPerMinute / 60;
  const plain = busySlots({ jobsPerMinute, jobSeconds });
  // Every worker counted as Spot (dev's policy: no On-Demand base): the overhead is an upper bound.
  const spot =
    spotPercent === undefined
      ? undefined
      : spotOverhead({
          interruptionPercent: spotPercent,
          spotInstances: Math.max(1, ceilDiv(plain, jobsPerInstance * target)),
          jobsPerInstance,
          jobSeconds,
          utilisation: target,
        });
  const busy = plain + (spot?.extraSlots ?? 0);
  const at100 = Math.max(1, ceilDiv(busy, jobsPerInstance));
  const atTarget = Math.max(1, ceilDiv(busy, jobsPerInstance * target));
  const backlogPerInstance = backlogPerInstanceTarget({ maxWaitSeconds, jobSeconds, jobsPerInstance });
  const workerMinSize = maxWaitSeconds < WORKER_COLD_START_S ? 1 : 0;
  const workerMaxSize = atTarget;
  const steps = [
    `arrival rate     λ = ${f(jobsPerMinute)} jobs/min / 60 = ${f(rate)} jobs/s`,
    `busy slots       L = λ × job time = ${f(rate)} × ${f(jobSeconds)} s = ${f(plain)} (Little's law: slots busy on average)`,
    ...(spot === undefined
      ? []
      : spotSteps(spot, spotPercent!, { jobsPerInstance, jobSeconds, target, plain, busy }, f)),
    `at 100 %         ⌈${f(busy)} / ${jobsPerInstance} jobs per instance⌉ = ${at100} instance(s)`,
    `at the target    ⌈${f(busy)} / (${jobsPerInstance} × ${f(target)})⌉ = ⌈${f(busy / (jobsPerInstance * target))}⌉ = ${atTarget} instance(s)`,
    `backlog target   max wait × jobs per instance / job time = ${f(maxWaitSeconds)} × ${jobsPerInstance} / ${f(jobSeconds)}` +
      ` = ${f(backlogPerInstance)} queued jobs per instance (what the scaling policy holds: each instance clears` +
      ` ${jobsPerInstance} / ${f(jobSeconds)} = ${f(jobsPerInstance / jobSeconds)} jobs/s, so that backlog waits ≤ ${f(maxWaitSeconds)} s)`,
    workerMinSize === 1
      ? `min              1: a ${f(maxWaitSeconds)} s wait is shorter than a cold start from zero (~${WORKER_COLD_START_S} s: alarm + launch + boot)`
      : `min              0: nothing runs while the queue is empty; the first job waits a cold start (~${WORKER_COLD_START_S} s) ≤ ${f(maxWaitSeconds)} s`,
    `max              ${workerMaxSize}: the peak at the target utilisation; raise it to work off bursts faster`,
  ];
  const notes: string[] = [];
  if (jobSeconds > maxWaitSeconds) {
    notes.push(
      `a job (${f(jobSeconds)} s) outlasts the acceptable wait (${f(maxWaitSeconds)} s): the target is below ` +
        `${jobsPerInstance} queued jobs per instance, so the group grows as soon as every slot is taken.`,
    );
  }
  if (jobSeconds > DEFAULT_JOB_TIMEOUT_S) {
    notes.push(
      `jobs of ${f(jobSeconds)} s run past JOBS_TIMEOUT_S's default (${DEFAULT_JOB_TIMEOUT_S} s), and the infra accepts ` +
        `fleet:jobSeconds up to ${DEFAULT_JOB_TIMEOUT_S}.`,
    );
  }
  if (busy < 1) {
    notes.push(`less than one slot busy on average: the fleet idles most of the time; min 0 saves what it costs.`);
  }
  return {
    busySlots: busy,
    spotExtraSlots: spot?.extraSlots ?? 0,
    at100,
    atTarget,
    backlogPerInstance,
    workerMinSize,
    workerMaxSize,
    steps,
    notes,
  };
}

/** The Spot lines of the arithmetic: each term of spotOverhead with its numbers. */
function spotSteps(
  spot: ReturnType<typeof spotOverhead>,
  percent: number,
  a: { jobsPerInstance: number; jobSeconds: number; target: number; plain: number; busy: number },
  f: (x: number) => string,
): string[] {
  const over = Math.max(0, a.jobSeconds - SPOT_DRAIN_BUDGET_S);
  return [
    `spot, redone     a job of ${f(a.jobSeconds)} s past the ${SPOT_DRAIN_BUDGET_S} s the notice leaves is handed back and run again: ` +
      (over === 0
        ? `none (every job finishes within the notice)`
        : `${a.jobsPerInstance} slots × ${f(a.target)} busy × (${f(a.jobSeconds)} − ${SPOT_DRAIN_BUDGET_S})² / (2 × ${f(a.jobSeconds)}) = ${f(spot.redoneSlotS)} slot-s`) +
      ` per interruption`,
    `spot, missing    ${a.jobsPerInstance} slots × ${SPOT_RELAUNCH_S} s until a replacement runs = ${f(spot.missingSlotS)} slot-s per interruption`,
    `spot, rate       ${f(percent)} % of Spot instances a month: ${spot.interruptionsPerHour.toPrecision(3)} interruptions an hour across the fleet`,
    `spot, extra      ${spot.interruptionsPerHour.toPrecision(3)} / 3600 s × ${f(spot.perInterruptionSlotS)} slot-s = ` +
      `${spot.extraSlots.toPrecision(3)} slots; L with Spot = ${f(a.plain)} + ${spot.extraSlots.toPrecision(3)} = ${f(a.busy)}`,
  ];
}

/** The `pulumi config set` lines of the worker fleet (infra/jobs/jobsConfig.ts reads these keys). */
export function jobsPulumiConfigLines(plan: JobCapacityPlan, input: JobCapacityInput, stack: string): string[] {
  const set = (key: string, value: string | number): string =>
    `pulumi config set --stack ${stack} fleet:${key} ${value}`;
  return [
    set("jobSeconds", input.jobSeconds),
    set("jobMaxWaitSeconds", input.maxWaitSeconds),
    set("workerConcurrency", input.jobsPerInstance),
    set("workerMinSize", plan.workerMinSize),
    set("workerMaxSize", plan.workerMaxSize),
  ];
}
