/** Broken and at-the-limit cases of the AWS-accepts rules for CloudWatch: alarms, log groups, dashboards. */
import { type Case, T, chars, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-alarm-name-description",
    "a description of 1025 characters",
    () => [mutate(T.alarm, (i) => (i.alarmDescription = chars(1025)), "fleet-p99-latency")],
  ],
  [
    "aws-accepts-alarm-window",
    "60 s × 1441 evaluation periods",
    () => [
      mutate(
        T.alarm,
        (i) => {
          i.evaluationPeriods = 1441;
          i.datapointsToAlarm = 1;
        },
        "fleet-p99-latency",
      ),
    ],
    /86400/,
  ],
  [
    "aws-accepts-alarm-window",
    "a 45 s period",
    () => [mutate(T.alarm, (i) => (i.metricQueries[0].metric.period = 45), "fleet-p99-latency")],
    /multiple of 60/,
  ],
  [
    "aws-accepts-log-retention",
    "31 days",
    () => [mutate(T.logGroup, (i) => (i.retentionInDays = 31), "fleet-instances")],
    /one of 1, 3, 5/,
  ],
  [
    "aws-accepts-log-group-name",
    "a space in a log group name",
    () => [mutate(T.logGroup, (i) => (i.name = "/fleet/prod/my logs"), "fleet-instances")],
    /" "/,
  ],
  [
    "aws-accepts-log-group-name",
    "513 characters",
    () => [mutate(T.logGroup, (i) => (i.name = chars(513)), "fleet-instances")],
  ],
  [
    "aws-accepts-dashboard-name",
    "a dot in the dashboard name",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = "fleet.prod"))],
    /"\."/,
  ],
  [
    "aws-accepts-dashboard-name",
    "256 characters",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = chars(256)))],
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-alarm-window",
    "60 s × 1440 periods",
    () => [mutate(T.alarm, (i) => (i.evaluationPeriods = 1440), "fleet-p99-latency")],
  ],
  [
    "aws-accepts-log-retention",
    "3653 days, and never expire (0)",
    () => [
      mutate(T.logGroup, (i) => (i.retentionInDays = 3653), "fleet-instances"),
      mutate(T.logGroup, (i) => (i.retentionInDays = 0), "fleet-flow-logs"),
    ],
  ],
  [
    "aws-accepts-log-group-name",
    "512 characters of every allowed kind",
    () => [mutate(T.logGroup, (i) => (i.name = "/aZ09_-.#".repeat(57).slice(0, 512)), "fleet-instances")],
  ],
  [
    "aws-accepts-dashboard-name",
    "255 characters of A-Z a-z 0-9 - _",
    () => [mutate("aws:cloudwatch/dashboard:Dashboard", (i) => (i.dashboardName = "Az09-_".repeat(43).slice(0, 255)))],
  ],
];
