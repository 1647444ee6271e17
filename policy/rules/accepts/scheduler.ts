/**
 * EventBridge Scheduler values AWS accepts beyond the provider's types: the schedule expression's three
 * forms (at(), rate(), 6-field cron()) and the flexible time window.
 */
import { acceptsRule, at, num, rangeProblem, str, type Finding } from "./rule";

const SCHEDULE = "aws:scheduler/schedule:Schedule";
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html
// (ScheduleExpression: at(yyyy-mm-ddThh:mm:ss), rate(value unit) with minute(s)|hour(s)|day(s), cron(6 fields))
const SCHEDULE_SOURCE =
  "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html";

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/;
const CRON = /^cron\((.*)\)$/;

/** Why Scheduler would refuse `expression`; undefined when it has one of the three accepted forms. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) return Number(rate[1]) > 0 ? undefined : "a rate() value must be a positive integer";
  if (AT.test(expression)) return undefined;
  const cron = CRON.exec(expression);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    return fields.length === 6
      ? undefined
      : `cron() takes 6 fields (minutes hours day-of-month month day-of-week year), has ${fields.length}`;
  }
  return "must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(6 fields)";
}

export const scheduleExpression = acceptsRule({
  name: "aws-accepts-schedule-expression",
  description: "A Scheduler schedule expression is at(yyyy-mm-ddThh:mm:ss), rate(n unit) or a 6-field cron().",
  meta: {
    types: [SCHEDULE],
    field: "scheduleExpression",
    limit: "at(yyyy-mm-ddThh:mm:ss) | rate(n minute[s]|hour[s]|day[s]) | cron(6 fields)",
    source: SCHEDULE_SOURCE,
  },
  check: (p) =>
    str(p.scheduleExpression)
      ? at("scheduleExpression", p.scheduleExpression, scheduleExpressionProblem(p.scheduleExpression))
      : [],
});

// https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html
export const flexibleTimeWindow = acceptsRule({
  name: "aws-accepts-flexible-time-window",
  description: "A schedule's flexible time window is OFF or FLEXIBLE, with a maximum window of 1-1440 minutes.",
  meta: {
    types: [SCHEDULE],
    field: "flexibleTimeWindow.mode, flexibleTimeWindow.maximumWindowInMinutes",
    limit: "mode OFF | FLEXIBLE; maximumWindowInMinutes 1..1440",
    source: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html",
  },
  check: (p) => {
    const w = p.flexibleTimeWindow as { mode?: unknown; maximumWindowInMinutes?: unknown } | undefined;
    if (!w) return [];
    const out: Finding[] = [];
    if (str(w.mode) && !["OFF", "FLEXIBLE"].includes(w.mode))
      out.push(...at("flexibleTimeWindow.mode", w.mode, "must be OFF or FLEXIBLE"));
    const n = num(w.maximumWindowInMinutes);
    if (n !== undefined)
      out.push(
        ...at(
          "flexibleTimeWindow.maximumWindowInMinutes",
          w.maximumWindowInMinutes,
          rangeProblem(n, 1, 1440, "minutes"),
        ),
      );
    return out;
  },
});

/** [field, range of plain numbers, wildcards] of EventBridge's 6-field cron, in order. */
const CRON_FIELDS = [
  ["minutes", [0, 59], ",-*/"],
  ["hours", [0, 23], ",-*/"],
  ["day-of-month", [1, 31], ",-*?/LW"],
  ["month", [1, 12], ",-*/"],
  ["day-of-week", [1, 7], ",-*?L#"],
  ["year", [1970, 2199], ",-*/"],
] as const;

/**
 * Why EventBridge would refuse these cron() fields: each field's numbers in its range, only its wildcards,
 * and "*" not in both day-of-month and day-of-week (one of them takes "?").
 */
export function cronFieldsProblem(fields: readonly string[]): string | undefined {
  if (fields.length !== 6) return `cron() takes 6 fields, has ${fields.length}`;
  for (const [i, [name, [min, max], wildcards]] of CRON_FIELDS.entries()) {
    const f = fields[i]!;
    const allowed = new RegExp(`^[0-9A-Za-z${wildcards.replace(/[-\\/*?#]/g, "\\$&")}]+$`);
    if (!allowed.test(f)) return `${name} ${JSON.stringify(f)} uses a wildcard the field does not allow (${wildcards})`;
    for (const m of f.matchAll(/\d+/g)) {
      // Numbers after "/" are increments and after "#" the nth weekday: only the others are field values.
      const before = f[m.index - 1];
      if (before === "/" || before === "#") continue;
      if (Number(m[0]) < min || Number(m[0]) > max) return `${name} ${m[0]} is outside ${min}-${max}`;
    }
  }
  if (fields[2] === "*" && fields[4] !== "?") return 'day-of-month is "*", so day-of-week must be "?"';
  if (fields[4] === "*" && fields[2] !== "?") return 'day-of-week is "*", so day-of-month must be "?"';
  return undefined;
}

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html (cron fields,
// values and wildcards; "You can't use * in both the Day-of-month and Day-of-week fields")
export const cronFields = acceptsRule({
  name: "aws-accepts-cron-fields",
  description:
    "A cron() schedule's six fields hold values and wildcards EventBridge allows, with ? in day-of-month or day-of-week.",
  meta: {
    types: [SCHEDULE],
    field: "scheduleExpression",
    limit:
      "minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12, day-of-week 1-7, year 1970-2199; * not in both day fields",
    source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
  },
  check: (p) => {
    if (!str(p.scheduleExpression)) return [];
    const cron = CRON.exec(p.scheduleExpression);
    if (!cron) return [];
    const fields = cron[1]!.trim().split(/\s+/);
    // The field count is aws-accepts-schedule-expression's finding; this rule reads six fields.
    return fields.length === 6 ? at("scheduleExpression", p.scheduleExpression, cronFieldsProblem(fields)) : [];
  },
});

export const SCHEDULER_RULES = [scheduleExpression, cronFields, flexibleTimeWindow];
