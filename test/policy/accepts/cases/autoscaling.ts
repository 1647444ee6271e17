/** Broken and at-the-limit cases of the AWS-accepts rules for EC2 Auto Scaling: names, lifecycle hooks, refresh percentages, scheduled actions. */
import { type Case, T, chars, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-autoscaling-group-name",
    "a group name of 256 characters",
    () => [mutate(T.asg, (i) => (i.name = chars(256)), "fleet-worker-asg")],
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "a 29 s heartbeat",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 29))],
    /30\.\.7200/,
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "a 7201 s heartbeat",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 7201))],
  ],
  [
    "aws-accepts-instance-refresh-percentages",
    "min 90 / max 200",
    () => [mutate(T.asg, (i) => (i.instanceRefresh.preferences.minHealthyPercentage = 90), "fleet-asg")],
    /exceeds 100/,
  ],
  [
    "aws-accepts-scheduled-action",
    "an EventBridge cron() as recurrence",
    () => [mutate(T.schedule, (i) => (i.recurrence = "cron(0 3 * * ? *)"), "fleet-drain", "dev")],
    /5-field Unix cron/,
  ],
  [
    "aws-accepts-scheduled-action",
    "a 4-field recurrence",
    () => [mutate(T.schedule, (i) => (i.recurrence = "0 3 * *"), "fleet-drain", "dev")],
    /has 4/,
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "41 instance types",
    () => [
      mutate(
        T.asg,
        (i) =>
          (i.mixedInstancesPolicy.launchTemplate.overrides = Array.from({ length: 41 }, (_, n) => ({
            instanceType: `c${n}.large`,
          }))),
        "fleet-worker-asg",
      ),
    ],
    /at most 40/,
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "a weight on one type only",
    () => [
      mutate(
        T.asg,
        (i) => (i.mixedInstancesPolicy.launchTemplate.overrides[0].weightedCapacity = "2"),
        "fleet-worker-asg",
      ),
    ],
    /some types but not all/,
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "an unknown Spot strategy",
    () => [
      mutate(
        T.asg,
        (i) => (i.mixedInstancesPolicy.instancesDistribution.spotAllocationStrategy = "cheapest"),
        "fleet-worker-asg",
      ),
    ],
    /price-capacity-optimized/,
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "101 % On-Demand",
    () => [
      mutate(
        T.asg,
        (i) => (i.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity = 101),
        "fleet-worker-asg",
      ),
    ],
    /0\.\.100/,
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "a launch template beside the policy",
    () => [mutate(T.asg, (i) => (i.launchTemplate = { id: "lt-1", version: "1" }), "fleet-worker-asg")],
    /not both/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-autoscaling-group-name",
    "255 characters",
    () => [mutate(T.asg, (i) => (i.name = chars(255)), "fleet-worker-asg")],
  ],
  [
    "aws-accepts-lifecycle-hook-heartbeat",
    "30 and 7200 s",
    () => [mutate(T.hook, (i) => (i.heartbeatTimeout = 30)), mutate(T.hook, (i) => (i.heartbeatTimeout = 7200))],
  ],
  [
    "aws-accepts-instance-refresh-percentages",
    "min 0 / max 100",
    () => [
      mutate(
        T.asg,
        (i) => Object.assign(i.instanceRefresh.preferences, { minHealthyPercentage: 0, maxHealthyPercentage: 100 }),
        "fleet-asg",
      ),
    ],
  ],
  [
    "aws-accepts-scheduled-action",
    "a 5-field recurrence with names",
    () => [mutate(T.schedule, (i) => (i.recurrence = "30 0 1 1,6,12 MON-FRI"), "fleet-drain", "dev")],
  ],
  [
    "aws-accepts-mixed-instances-policy",
    "40 types weighted 1..999, all On-Demand",
    () => [
      mutate(
        T.asg,
        (i) => {
          i.mixedInstancesPolicy.launchTemplate.overrides = Array.from({ length: 40 }, (_, n) => ({
            instanceType: `c${n}.large`,
            weightedCapacity: String(n === 0 ? 999 : 1),
          }));
          i.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity = 100;
        },
        "fleet-worker-asg",
      ),
    ],
  ],
];
