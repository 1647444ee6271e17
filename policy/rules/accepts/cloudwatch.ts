/**
 * CloudWatch values AWS accepts beyond the provider's types: alarm names and descriptions, the alarm's
 * period values and evaluation window, and the log group retention values Logs allows.
 */
import { acceptsRule, at, charsetProblem, lengthProblem, list, num, str, type Finding } from "./rule";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const PUT_METRIC_ALARM_PERIOD =
  "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-put-metric-alarm-request/period.html";

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html
export const alarmText = acceptsRule({
  name: "aws-accepts-alarm-name-description",
  description: "An alarm's name is 1-255 characters and its description at most 1024.",
  meta: {
    types: [ALARM],
    field: "name, alarmDescription",
    limit: "name 1..255; alarmDescription <= 1024 characters",
    source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html",
  },
  check: (p) => [
    ...(str(p.name) ? at("name", p.name, lengthProblem(p.name, 1, 255)) : []),
    ...(str(p.alarmDescription)
      ? at("alarmDescription", p.alarmDescription, lengthProblem(p.alarmDescription, 0, 1024))
      : []),
  ],
});

export const ONE_DAY_S = 86_400;
export const SEVEN_DAYS_S = 604_800;

/** Why CloudWatch would refuse a period: 10, 20, 30 or a multiple of 60 seconds. */
export function alarmPeriodProblem(periodS: number): string | undefined {
  return [10, 20, 30].includes(periodS) || (periodS > 0 && periodS % 60 === 0)
    ? undefined
    : "must be 10, 20, 30 or a multiple of 60 seconds";
}

/**
 * Why CloudWatch would refuse this window: period × evaluationPeriods at most 7 days, and at most one day
 * for periods under an hour.
 */
export function evaluationWindowProblem(periodS: number, evaluationPeriods: number): string | undefined {
  const windowS = periodS * evaluationPeriods;
  const max = periodS < 3600 ? ONE_DAY_S : SEVEN_DAYS_S;
  return windowS > max
    ? `period × evaluationPeriods must be at most ${max} s${periodS < 3600 ? " for periods under an hour" : ""}, is ${windowS} s`
    : undefined;
}

export const alarmWindow = acceptsRule({
  name: "aws-accepts-alarm-window",
  description:
    "Alarm periods are 10, 20, 30 or multiples of 60 s, and period × evaluation periods fits 1 day (7 days from 1 h periods).",
  meta: {
    types: [ALARM],
    field: "period, metricQueries[].metric.period, evaluationPeriods",
    limit: "period in {10, 20, 30, 60k}; period × evaluationPeriods <= 86,400 s (period < 3,600) or 604,800 s",
    source: PUT_METRIC_ALARM_PERIOD,
  },
  check: (p) => {
    const out: Finding[] = [];
    const evaluations = num(p.evaluationPeriods);
    const periods: Array<[string, unknown]> = [];
    if (p.period !== undefined) periods.push(["period", p.period]);
    list(p.metricQueries as Array<{ metric?: { period?: unknown } }>).forEach((q, i) => {
      if (q?.metric?.period !== undefined) periods.push([`metricQueries[${i}].metric.period`, q.metric.period]);
    });
    for (const [field, raw] of periods) {
      const periodS = num(raw);
      if (periodS === undefined) continue;
      out.push(...at(field, raw, alarmPeriodProblem(periodS)));
      if (evaluations !== undefined)
        out.push(
          ...at(
            field,
            { period: periodS, evaluationPeriods: evaluations },
            evaluationWindowProblem(periodS, evaluations),
          ),
        );
    }
    return out;
  },
});

/** The retention values CloudWatch Logs accepts (PutRetentionPolicy); 0 means "never expire" to the provider. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
export const logRetention = acceptsRule({
  name: "aws-accepts-log-retention",
  description: "A log group's retention is one of the day counts CloudWatch Logs allows.",
  meta: {
    types: [LOG_GROUP],
    field: "retentionInDays",
    limit: LOG_RETENTION_DAYS.join(", ") + " (or unset/0: never expire)",
    source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
  },
  check: (p) => {
    const n = num(p.retentionInDays);
    if (n === undefined || n === 0) return [];
    return (LOG_RETENTION_DAYS as readonly number[]).includes(n)
      ? []
      : at("retentionInDays", p.retentionInDays, `must be one of ${LOG_RETENTION_DAYS.join(", ")}`);
  },
});

// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html ("Log group
// names can be between 1 and 512 characters long"; a-z, A-Z, 0-9, _ - / . and, today, #)
export const logGroupName = acceptsRule({
  name: "aws-accepts-log-group-name",
  description: "A log group name is 1-512 characters of a-z, A-Z, 0-9, _ - / . #.",
  meta: {
    types: [LOG_GROUP],
    field: "name",
    limit: "1..512 of [a-zA-Z0-9_\\-/.#]",
    source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
  },
  check: (p) =>
    str(p.name)
      ? at(
          "name",
          p.name,
          lengthProblem(p.name, 1, 512),
          charsetProblem(p.name, /^[a-zA-Z0-9_\-/.#]$/, "a-z A-Z 0-9 _ - / . #"),
        )
      : [],
});

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html (DashboardName), the
// same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-put-dashboard-request/dashboard-name.html
export const dashboardName = acceptsRule({
  name: "aws-accepts-dashboard-name",
  description: "A dashboard name is at most 255 characters of A-Z, a-z, 0-9, - and _.",
  meta: {
    types: ["aws:cloudwatch/dashboard:Dashboard"],
    field: "dashboardName",
    limit: "1..255 of [A-Za-z0-9_-]",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-put-dashboard-request/dashboard-name.html",
  },
  check: (p) =>
    str(p.dashboardName)
      ? at(
          "dashboardName",
          p.dashboardName,
          lengthProblem(p.dashboardName, 1, 255),
          charsetProblem(p.dashboardName, /^[A-Za-z0-9_-]$/, "A-Z a-z 0-9 - _"),
        )
      : [],
});

export const CLOUDWATCH_RULES = [alarmText, alarmWindow, logRetention, logGroupName, dashboardName];
