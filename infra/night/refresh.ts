/**
 * How an instance refresh replaces instances: the release's (infra/night/release.ts, nightly or through
 * `npm run redeploy`, which adds rollback, alarms, a bake and the canary's checkpoint: releasePlan.ts), and
 * the one the provider starts if `pulumi up` ever replaces a group's template. AWS keeps no default on the group: a refresh started without these gets MaxHealthyPercentage 100, which terminates before it
 * launches, an outage for a group of one.
 *
 * AWS's rule (RefreshPreferences / InstanceMaintenancePolicy, Auto Scaling API reference): min in 0..100,
 * max in 100..200, both given when either is, and max − min ≤ 100. The provider checks each value alone,
 * so a pair that breaks the rule passes `pulumi preview` and fails at StartInstanceRefresh, after the
 * group already points at the new template version. `refreshPreferenceProblems` is that rule, and the
 * tests and the policy pack run it.
 */
export const INSTANCE_REFRESH_PREFERENCES = {
  /** Keep the whole desired capacity in service: with max 200 the replacement launches first. */
  minHealthyPercentage: 100,
  /** Launch the replacement first (up to 2× capacity), then terminate. 200 − 100 ≤ 100, as AWS requires. */
  maxHealthyPercentage: 200,
  /**
   * The provider's refresh replaces every instance. The release sets its own (SkipMatching on: an instance
   * already on the release's version is not replaced twice).
   */
  skipMatching: false,
} as const;

/** AWS's largest allowed gap between max and min healthy percentage. */
export const MAX_HEALTHY_RANGE_PERCENT = 100;

export interface RefreshPercentages {
  minHealthyPercentage?: number | undefined;
  maxHealthyPercentage?: number | undefined;
}

/** The reasons AWS would reject these preferences at StartInstanceRefresh; empty when it accepts them. */
export function refreshPreferenceProblems(p: RefreshPercentages): string[] {
  const { minHealthyPercentage: min, maxHealthyPercentage: max } = p;
  const problems: string[] = [];
  if (min === undefined && max === undefined) return problems;
  if (min === undefined || max === undefined) {
    problems.push("MinHealthyPercentage and MaxHealthyPercentage must be set together");
    return problems;
  }
  if (!Number.isInteger(min) || min < 0 || min > 100) problems.push(`MinHealthyPercentage ${min} is not in 0..100`);
  if (!Number.isInteger(max) || max < 100 || max > 200) problems.push(`MaxHealthyPercentage ${max} is not in 100..200`);
  if (max - min > MAX_HEALTHY_RANGE_PERCENT)
    problems.push(`MaxHealthyPercentage − MinHealthyPercentage = ${max - min} exceeds ${MAX_HEALTHY_RANGE_PERCENT}`);
  return problems;
}

/** Refresh preferences as the provider spells them: the web fleet's, or a group's own variant of them. */
export interface RefreshPreferences extends RefreshPercentages {
  skipMatching?: boolean;
  /** What a refresh does with instances protected from scale in; AWS's default is "Wait" (one hour, then fail). */
  scaleInProtectedInstances?: "Refresh" | "Ignore" | "Wait";
}

/**
 * The preferences in the Auto Scaling API's spelling (CLI `--preferences`, Scheduler's universal target);
 * the web fleet's unless a group's own are given.
 */
export function apiRefreshPreferences(p: RefreshPreferences = INSTANCE_REFRESH_PREFERENCES): {
  MinHealthyPercentage?: number;
  MaxHealthyPercentage?: number;
  SkipMatching?: boolean;
  ScaleInProtectedInstances?: string;
} {
  return {
    ...(p.minHealthyPercentage !== undefined ? { MinHealthyPercentage: p.minHealthyPercentage } : {}),
    ...(p.maxHealthyPercentage !== undefined ? { MaxHealthyPercentage: p.maxHealthyPercentage } : {}),
    ...(p.skipMatching !== undefined ? { SkipMatching: p.skipMatching } : {}),
    ...(p.scaleInProtectedInstances !== undefined ? { ScaleInProtectedInstances: p.scaleInProtectedInstances } : {}),
  };
}
