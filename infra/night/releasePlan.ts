/**
 * The release's decisions and AWS's limits, as pure functions: what a release does with an AMI (skip it or
 * roll it out), the canary's checkpoint, the preferences StartInstanceRefresh gets, which refresh statuses
 * are terminal and what each one means for the outcome. infra/night/releaseDefinition.ts renders the same
 * rules into the state machine; the tests run both and check that they agree.
 *
 * AWS's rules, each with its page:
 *  - RefreshPreferences (Auto Scaling API reference,
 *    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html): BakeTime and
 *    CheckpointDelay 0..172800 s; CheckpointPercentages ascending, unique, the last one 100 to replace every
 *    instance; AutoRollback needs a DesiredConfiguration and a group on neither an SSM-parameter AMI nor
 *    `$Latest`/`$Default` (also https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html).
 *  - AlarmSpecification.Alarms: at most 10 alarm names
 *    (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AlarmSpecification.html).
 *  - Checkpoints are a minimum share of new instances; Auto Scaling paces replacements to stop at each one
 *    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html).
 *  - Instance refresh statuses (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html).
 *  - State machine names: 1..80 characters of `0-9 A-Z a-z - _` (the set CloudWatch Logs also accepts;
 *    https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html).
 */
import { refreshPreferenceProblems, type RefreshPreferences } from "./refresh";

export const RELEASE_REASONS = ["nightly", "redeploy", "rollback"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

export const RELEASE_OUTCOMES = ["promoted", "rolled-back", "failed", "skipped"] as const;
export type ReleaseOutcome = (typeof RELEASE_OUTCOMES)[number];

/** The groups a release moves, in the order it moves them: the web group is the canary of the image. */
export const RELEASE_GROUPS = ["web", "worker"] as const;
export type ReleaseGroup = (typeof RELEASE_GROUPS)[number];

/** AMI tags the release writes (RELEASE_CONTRACT.md). */
export const RELEASE_TAG = "fleet:release";
export const RELEASE_AT_TAG = "fleet:release-at";
/**
 * The tag that keeps the last good AMI out of the image lifecycle policy (infra/image/image.ts): the
 * policy keeps the newest IMAGES_KEPT images, so a week of bad nights would otherwise delete the very AMI
 * the groups' default template versions launch. The release moves it: on the AMI it promotes, off the one
 * that was last good before (which stays a rollback target while the count keeps it).
 */
export const KEEP_TAG = "fleet:keep";
export const KEEP_VALUE = "last-good";
export const RELEASE_TAG_VALUES = ["good", "bad"] as const;
export type ReleaseTagValue = (typeof RELEASE_TAG_VALUES)[number];

/** Instance refresh statuses after which nothing changes any more. */
export const TERMINAL_REFRESH_STATUSES = [
  "Successful",
  "Failed",
  "Cancelled",
  "RollbackFailed",
  "RollbackSuccessful",
] as const;
/** Statuses of a refresh still at work (Baking: replaced, waiting out BakeTime). */
export const RUNNING_REFRESH_STATUSES = [
  "Pending",
  "InProgress",
  "Cancelling",
  "RollbackInProgress",
  "Baking",
] as const;
export type RefreshStatus = (typeof TERMINAL_REFRESH_STATUSES)[number] | (typeof RUNNING_REFRESH_STATUSES)[number];

export function isTerminalRefreshStatus(status: string): boolean {
  return (TERMINAL_REFRESH_STATUSES as readonly string[]).includes(status);
}

/**
 * What a group's refresh means for the release: only Successful promotes; RollbackSuccessful means AWS put
 * the group back on its previous version (the last good image); anything else, or no terminal status before
 * the deadline, is a failure (the group may be part-way: the state machine asks AWS to roll it back).
 */
export function outcomeOfRefresh(status: string | "TimedOut"): ReleaseOutcome {
  if (status === "Successful") return "promoted";
  if (status === "RollbackSuccessful") return "rolled-back";
  return "failed";
}

export interface ReleaseFacts {
  reason: ReleaseReason;
  force: boolean;
  /** The AMI is the one `/fleet/<stack>/release/last-good-ami` holds. */
  isLastGood: boolean;
  /** The AMI's `fleet:release` tag, if any. */
  tag?: ReleaseTagValue | undefined;
}

export type ReleaseDecision = { action: "release" } | { action: "skip"; why: SkipReason };
export const SKIP_REASONS = ["already-last-good", "tagged-bad", "never-promoted"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * Whether a release rolls the AMI out. In this order:
 *  1. the last good image again, except for a rollback (which puts groups that drifted back on it): skip;
 *  2. an image tagged bad, unless forced: skip, so a bad build is never tried twice;
 *  3. a rollback to an image never promoted (not tagged good, not the last good one), unless forced: skip.
 */
export function releaseDecision(f: ReleaseFacts): ReleaseDecision {
  if (f.reason !== "rollback" && f.isLastGood) return { action: "skip", why: "already-last-good" };
  if (f.tag === "bad" && !f.force) return { action: "skip", why: "tagged-bad" };
  if (f.reason === "rollback" && f.tag !== "good" && !f.isLastGood && !f.force)
    return { action: "skip", why: "never-promoted" };
  return { action: "release" };
}

/** The sentence each skip reports (the execution output's `detail`, the topic's message). */
export const SKIP_DETAILS: Record<SkipReason, string> = {
  "already-last-good": "is already the last good image: nothing to release",
  "tagged-bad": "is tagged fleet:release=bad (a failed release): not tried again without force",
  "never-promoted": "was never promoted: a rollback goes only to a promoted image unless forced",
};

/**
 * The canary: the refresh's first checkpoint is one instance's share of the group, rounded DOWN (a checkpoint
 * is reached when at least that share of the instances is new: with 3 instances, 34 % would need a second
 * one, 33 % is reached by the first), so Auto Scaling replaces one instance, waits CheckpointDelay (the
 * canary's bake, alarms watching), then the rest. AWS's smallest checkpoint is 1 %: past 100 instances the
 * canary is the first 1 %. A group of 0 or 1 instance has a single checkpoint at 100: its instance is the canary.
 */
export function checkpointPercentages(desiredCapacity: number): number[] {
  if (!Number.isInteger(desiredCapacity) || desiredCapacity < 0)
    throw new Error(`checkpointPercentages: desired capacity ${desiredCapacity} is not a whole number ≥ 0`);
  const first = desiredCapacity <= 1 ? 100 : Math.max(1, Math.floor(100 / desiredCapacity));
  return first >= 100 ? [100] : [first, 100];
}

/**
 * The checkpoints for every desired capacity 0..maxSize, indexed by capacity: the state machine has no
 * division, so it looks the canary's checkpoint up (States.ArrayGetItem) by the group's desired capacity.
 */
export function checkpointTable(maxSize: number): number[][] {
  return Array.from({ length: maxSize + 1 }, (_, n) => checkpointPercentages(n));
}

/** AWS's limits on a refresh's preferences (RefreshPreferences, AlarmSpecification). */
export const MAX_REFRESH_ALARMS = 10;
export const MAX_BAKE_TIME_S = 172_800;
export const MAX_CHECKPOINT_DELAY_S = 172_800;

/** StartInstanceRefresh's Preferences, in the API's spelling, except CheckpointPercentages (set at run time). */
export interface ReleasePreferences {
  MinHealthyPercentage?: number;
  MaxHealthyPercentage?: number;
  SkipMatching: boolean;
  ScaleInProtectedInstances?: string;
  AutoRollback: true;
  AlarmSpecification: { Alarms: string[] };
  BakeTime: number;
  CheckpointDelay: number;
}

export interface ReleaseTiming {
  /** Seconds the canary runs alone, under the alarms, before the rest is replaced. */
  canaryBakeS: number;
  /** Seconds after the last replacement before the refresh counts as successful (alarms still watched). */
  bakeTimeS: number;
}

/**
 * A group's release preferences: its own healthy percentages and protected-instance handling
 * (infra/night/refresh.ts), plus what makes the refresh safe: AutoRollback, its alarms, a bake time and the
 * canary's checkpoint delay. SkipMatching is on: an instance already on the release's version (a release
 * started again after a timeout) is not replaced twice.
 */
export function releasePreferences(
  group: RefreshPreferences,
  alarmNames: readonly string[],
  t: ReleaseTiming,
): ReleasePreferences {
  return {
    ...(group.minHealthyPercentage !== undefined ? { MinHealthyPercentage: group.minHealthyPercentage } : {}),
    ...(group.maxHealthyPercentage !== undefined ? { MaxHealthyPercentage: group.maxHealthyPercentage } : {}),
    SkipMatching: true,
    ...(group.scaleInProtectedInstances !== undefined
      ? { ScaleInProtectedInstances: group.scaleInProtectedInstances }
      : {}),
    AutoRollback: true,
    AlarmSpecification: { Alarms: [...alarmNames] },
    BakeTime: t.bakeTimeS,
    CheckpointDelay: t.canaryBakeS,
  };
}

/** The reasons AWS would reject these release preferences; empty when it accepts them. */
export function releasePreferenceProblems(p: ReleasePreferences): string[] {
  const problems = refreshPreferenceProblems({
    minHealthyPercentage: p.MinHealthyPercentage,
    maxHealthyPercentage: p.MaxHealthyPercentage,
  });
  const alarms = p.AlarmSpecification.Alarms;
  if (alarms.length === 0) problems.push("AlarmSpecification has no alarm: nothing would gate the release");
  if (alarms.length > MAX_REFRESH_ALARMS)
    problems.push(`AlarmSpecification names ${alarms.length} alarms; AWS accepts at most ${MAX_REFRESH_ALARMS}`);
  if (new Set(alarms).size !== alarms.length) problems.push("AlarmSpecification names an alarm twice");
  for (const [field, value, max] of [
    ["BakeTime", p.BakeTime, MAX_BAKE_TIME_S],
    ["CheckpointDelay", p.CheckpointDelay, MAX_CHECKPOINT_DELAY_S],
  ] as const)
    if (!Number.isInteger(value) || value < 0 || value > max) problems.push(`${field} ${value} is not in 0..${max}`);
  return problems;
}

/** The state machine's name (RELEASE_CONTRACT.md) and AWS's rule for it. */
export function releaseStateMachineName(stack: string): string {
  return `fleet-${stack}-release`;
}

export function stateMachineNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 1 || name.length > 80) problems.push(`${name.length} characters; AWS allows 1..80`);
  if (!/^[0-9A-Za-z_-]*$/.test(name)) problems.push("only 0-9, A-Z, a-z, - and _ are allowed");
  return problems;
}

/**
 * How long one group's refresh may take before the release gives up and asks AWS to roll it back: the
 * canary's bake, the bake at the end, and `replaceBudgetS` for the replacements themselves.
 */
export function refreshDeadlineS(t: ReleaseTiming, replaceBudgetS: number): number {
  return t.canaryBakeS + t.bakeTimeS + replaceBudgetS;
}

/** Polls of DescribeInstanceRefreshes before the deadline (the state machine counts them). */
export function maxPolls(deadlineS: number, pollIntervalS: number): number {
  return Math.ceil(deadlineS / pollIntervalS);
}
