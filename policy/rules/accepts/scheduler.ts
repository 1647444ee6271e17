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

export const SCHEDULER_RULES = [scheduleExpression, flexibleTimeWindow];
