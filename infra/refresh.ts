/**
 * How an instance refresh replaces instances, whether `pulumi up` starts it (a new launch template
 * version) or `npm run redeploy` does. AWS keeps no default on the group: a refresh started without
 * these gets MaxHealthyPercentage 100, which terminates before it launches, an outage for a group of one.
 */
export const INSTANCE_REFRESH_PREFERENCES = {
  /** Never below 90 % of the desired capacity in service. */
  minHealthyPercentage: 90,
  /** Launch the replacement first (up to 2× capacity), then terminate. */
  maxHealthyPercentage: 200,
  /** Replace every instance, even those already on the latest template: the AMI comes from SSM at launch. */
  skipMatching: false,
} as const;
