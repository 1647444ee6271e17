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
];
