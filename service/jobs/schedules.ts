/**
 * Periodic jobs: the one parser and validator of a schedule list, pure, shared by the service (JOBS_SCHEDULES
 * at start) and the Pulumi program (`fleet:jobSchedules` at `pulumi up`), so a schedule that one would refuse
 * the other refuses too, with the same message naming the schedule and the field.
 *
 * A schedule is `{ name, schedule: "cron(…)" | "rate(…)", timeZone, kind, input }` in EventBridge Scheduler's
 * expression syntax, https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html:
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; `?` in exactly one of the two day
 *   fields; `L` and `W` in day-of-month, `L` and `#` in day-of-week; days of the week 1-7 = SUN-SAT; years
 *   1970-2199 (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html).
 * - `rate(value unit)`: a positive integer and minute(s) | hour(s) | day(s), singular for 1 and plural above, as EventBridge
 *   asks (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html, "Limitations").
 *
 * Ticks are computed by croner (the exact version is pinned in package.json) after a translation of AWS's
 * fields, and filtered to AWS's daylight-saving rule: a time that does not exist (spring forward) is
 * skipped, a time that occurs twice (fall back) runs once
 * (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst). A rate's ticks are whole periods
 * since the Unix epoch, so every process computes the same ticks (on AWS a rate counts from the schedule's
 * creation instead; the idempotency key comes from the tick either way).
 */
import Ajv from "ajv";
import { Cron } from "croner";
import { KINDS, KIND_NAMES } from "./kinds";
import { describeSchemaError, type SchemaError } from "./schemas";

export interface JobSchedule {
  name: string;
  /** `cron(…)` or `rate(…)`, as EventBridge Scheduler takes it. */
  schedule: string;
  /** IANA time zone the expression is read in (default UTC). */
  timeZone: string;
  kind: string;
  input: Record<string, unknown>;
}

export const SCHEDULE_FIELDS = ["name", "schedule", "timeZone", "kind", "input"] as const;
export type ScheduleField = (typeof SCHEDULE_FIELDS)[number];

/**
 * A schedule that cannot run, named: `where` is the list's own name for it (`jobSchedules[2]` or the
 * schedule's name), `field` the bad field.
 */
export class ScheduleConfigError extends Error {
  override name = "ScheduleConfigError";
  constructor(
    readonly where: string,
    readonly field: ScheduleField | undefined,
    readonly value: unknown,
    detail: string,
  ) {
    super(`${where}${field ? `.${field}` : ""}: ${detail}`);
  }
}

/**
 * A schedule's name is also an EventBridge Scheduler schedule's: 1-64 of [0-9a-zA-Z-_.]
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html, Name and GroupName).
 */
export const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
/**
 * ScheduleExpressionTimezone at most 50 characters, ScheduleExpression at most 256: the bounds of
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html as we read them (every
 * IANA zone name is shorter, and a valid expression is far shorter, so neither refuses a real schedule).
 */
const MAX_TIME_ZONE_LENGTH = 50;
const MAX_EXPRESSION_LENGTH = 256;
/** More schedules than this is a batch system's job; also bounds the work of every validation. */
export const MAX_SCHEDULES = 100;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

const MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC";
const DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT";

interface FieldRule {
  label: string;
  min: number;
  max: number;
  names?: string;
}
const CRON_FIELDS: readonly FieldRule[] = [
  { label: "minutes", min: 0, max: 59 },
  { label: "hours", min: 0, max: 23 },
  { label: "day-of-month", min: 1, max: 31 },
  { label: "month", min: 1, max: 12, names: MONTHS },
  { label: "day-of-week", min: 1, max: 7, names: DAYS },
  { label: "year", min: 1970, max: 2199 },
];

/** One comma item of a plain field: `*`, `n`, `n-m`, each optionally `/step` (names where the field has them). */
function checkPlainItem(item: string, rule: FieldRule): string | undefined {
  const value = rule.names ? `(\\d+|${rule.names})` : `(\\d+)`;
  const m = new RegExp(`^(?:\\*|${value}(?:-${value})?)(?:/(\\d+))?$`, "i").exec(item);
  if (!m) return `"${item}" is not a value, range, * or step of the ${rule.label} field`;
  for (const part of [m[1], m[2]]) {
    if (part === undefined || !/^\d+$/.test(part)) continue;
    const n = Number(part);
    if (n < rule.min || n > rule.max) return `${n} is outside ${rule.min}-${rule.max} in the ${rule.label} field`;
  }
  if (m[3] !== undefined && Number(m[3]) < 1) return `the step in "${item}" must be at least 1`;
  return undefined;
}

/**
 * Checks AWS's six fields and returns croner's seven (a leading seconds field of 0), or the problem.
 * Day-of-week keeps AWS's numbering (1 = Sunday) through croner's `alternativeWeekdays`.
 */
export function toCronerPattern(fields: string): { pattern: string } | { problem: string } {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) {
    return {
      problem: `cron takes six fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`,
    };
  }
  const [, , dom, , dow] = parts as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) {
    return { problem: `exactly one of day-of-month ("${dom}") and day-of-week ("${dow}") must be ?, as AWS requires` };
  }
  const out: string[] = [];
  for (let i = 0; i < 6; i++) {
    const field = parts[i]!;
    const rule = CRON_FIELDS[i]!;
    if (field === "?" && (i === 2 || i === 4)) {
      out.push("*");
      continue;
    }
    if (i === 2 && /^(L|([1-9]|[12]\d|3[01])W)$/.test(field)) {
      out.push(field); // last day of the month; the weekday nearest the nth: croner's L and nW mean the same
      continue;
    }
    if (i === 4 && /[L#]/i.test(field)) {
      // `n#k` (the kth weekday n of the month; only one such expression, AWS says) and `nL` (the last one).
      const nth = /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#([1-5])$/i.exec(field);
      const last = /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)L$/i.exec(field);
      if (nth) out.push(`${nth[1]}#${nth[2]}`);
      else if (last) out.push(`${last[1]}#L`);
      else {
        return {
          problem: `day-of-week "${field}" is not supported: use n#k (the kth weekday n, e.g. 2#1) or nL (the last weekday n, e.g. 6L)`,
        };
      }
      continue;
    }
    const items = field.split(",");
    for (const item of items) {
      const problem = checkPlainItem(item, rule);
      if (problem) return { problem };
    }
    // AWS's `n/step` starts at n and runs to the field's end; croner spells that `n-max/step`.
    out.push(items.map((item) => item.replace(/^(\w+)\/(\d+)$/, `$1-${rule.max}/$2`)).join(","));
  }
  return { pattern: `0 ${out.join(" ")}` };
}

/** What a schedule's ticks are computed from. */
export type Recurrence = { type: "rate"; periodMs: number } | { type: "cron"; cron: Cron };

/** Parses `cron(…)` / `rate(…)`; throws a plain Error with the problem (the caller names the schedule). */
export function parseExpression(expression: string, timeZone: string): Recurrence {
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new Error(`longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1 || !Number.isSafeInteger(value)) throw new Error(`the rate's value must be a positive integer`);
    if ((value === 1) !== !unit.endsWith("s")) {
      throw new Error(`write rate(1 ${unit.replace(/s$/, "")}) for one, and a plural unit for more (rate(5 minutes))`);
    }
    return { type: "rate", periodMs: value * UNIT_MS[unit.replace(/s$/, "") as keyof typeof UNIT_MS] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new Error(`expected cron(minutes hours day-of-month month day-of-week year) or rate(value unit)`);
  const translated = toCronerPattern(cron[1]!);
  if ("problem" in translated) throw new Error(translated.problem);
  try {
    return {
      type: "cron",
      cron: new Cron(translated.pattern, {
        timezone: timeZone,
        mode: "7-part",
        alternativeWeekdays: true,
        // One day field is always ? (any): AND makes the other the only one that counts.
        domAndDow: true,
        paused: true,
      }),
    };
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map([...KINDS].map(([name, kind]) => [name, ajv.compile(kind.inputSchema)]));

/** Validates one schedule (`where` names it in errors); returns it with the time zone defaulted. */
export function parseSchedule(raw: unknown, where: string): JobSchedule {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ScheduleConfigError(
      where,
      undefined,
      raw,
      `expected an object { name, schedule, timeZone, kind, input }`,
    );
  }
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!(SCHEDULE_FIELDS as readonly string[]).includes(key)) {
      throw new ScheduleConfigError(
        where,
        undefined,
        key,
        `"${key}" is not a field: expected ${SCHEDULE_FIELDS.join(", ")}`,
      );
    }
  }
  const { name, schedule, kind, input } = entry;
  const timeZone = entry.timeZone ?? "UTC";
  if (typeof name !== "string" || !SCHEDULE_NAME.test(name)) {
    throw new ScheduleConfigError(
      where,
      "name",
      name,
      `${JSON.stringify(name)} must be 1-64 letters, digits, - _ or . (an EventBridge Scheduler name)`,
    );
  }
  const named = `${where} ("${name}")`;
  if (typeof timeZone !== "string" || timeZone.length > MAX_TIME_ZONE_LENGTH || !isTimeZone(timeZone)) {
    throw new ScheduleConfigError(
      named,
      "timeZone",
      timeZone,
      `${JSON.stringify(timeZone)} is not an IANA time zone, e.g. UTC or Europe/Paris`,
    );
  }
  if (typeof schedule !== "string") {
    throw new ScheduleConfigError(
      named,
      "schedule",
      schedule,
      `expected a string such as "rate(1 hour)" or "cron(0 3 * * ? *)"`,
    );
  }
  try {
    parseExpression(schedule, timeZone);
  } catch (err) {
    throw new ScheduleConfigError(
      named,
      "schedule",
      schedule,
      `${JSON.stringify(schedule)}: ${(err as Error).message}`,
    );
  }
  if (typeof kind !== "string" || !KINDS.has(kind)) {
    throw new ScheduleConfigError(
      named,
      "kind",
      kind,
      `${JSON.stringify(kind)} is not a kind: expected one of ${KIND_NAMES.join(", ")}`,
    );
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ScheduleConfigError(named, "input", input, `expected an object, the job's input as POST /jobs takes it`);
  }
  const validate = validators.get(kind)!;
  if (!validate(input)) {
    throw new ScheduleConfigError(
      named,
      "input",
      input,
      describeSchemaError((validate.errors ?? []) as SchemaError[], "input"),
    );
  }
  return { name, schedule, timeZone, kind, input: input as Record<string, unknown> };
}

/** Validates a whole list: each schedule, and names unique (each is an EventBridge schedule and a key prefix). */
export function parseSchedules(raw: unknown, listName: string): JobSchedule[] {
  if (!Array.isArray(raw))
    throw new ScheduleConfigError(listName, undefined, raw, `expected a JSON array of schedules`);
  if (raw.length > MAX_SCHEDULES) {
    throw new ScheduleConfigError(listName, undefined, raw.length, `${raw.length} schedules: at most ${MAX_SCHEDULES}`);
  }
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const schedule = parseSchedule(entry, `${listName}[${i}]`);
    if (seen.has(schedule.name)) {
      throw new ScheduleConfigError(
        `${listName}[${i}]`,
        "name",
        schedule.name,
        `"${schedule.name}" is used twice: names must be unique`,
      );
    }
    seen.add(schedule.name);
    return schedule;
  });
}

/** The wall-clock time of `ms` in `zone`, to the minute: two instants with the same one are a repeated hour. */
function wallClock(ms: number, zone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(ms);
}

/** Whether croner's tick is one AWS would run: it matches the pattern (not moved out of a DST gap) and its
 * wall-clock time did not already occur in the hour before (the second pass of a repeated hour). */
function awsRunsCronTick(cron: Cron, ms: number, zone: string): boolean {
  if (!cron.match(new Date(ms))) return false;
  const wall = wallClock(ms, zone);
  return wallClock(ms - 3_600_000, zone) !== wall && wallClock(ms - 1_800_000, zone) !== wall;
}

/** The first tick strictly after `afterMs`, or undefined when there is none (a cron whose years are over). */
export function nextTick(schedule: JobSchedule, afterMs: number): number | undefined {
  const rec = parseExpression(schedule.schedule, schedule.timeZone);
  if (rec.type === "rate") return (Math.floor(afterMs / rec.periodMs) + 1) * rec.periodMs;
  let from = afterMs;
  for (let guard = 0; guard < 1000; guard++) {
    const next = rec.cron.nextRun(new Date(from))?.getTime();
    if (next === undefined) return undefined;
    if (awsRunsCronTick(rec.cron, next, schedule.timeZone)) return next;
    from = next;
  }
  return undefined;
}

/** The latest tick at or before `atMs`, or undefined when none (within the last ~400 days for a cron). */
export function latestTick(schedule: JobSchedule, atMs: number): number | undefined {
  const rec = parseExpression(schedule.schedule, schedule.timeZone);
  if (rec.type === "rate") return Math.floor(atMs / rec.periodMs) * rec.periodMs;
  let reference = atMs + 1;
  for (let guard = 0; guard < 1000; guard++) {
    const [previous] = rec.cron.previousRuns(1, new Date(reference));
    if (!previous || previous.getTime() < atMs - 400 * 86_400_000) return undefined;
    if (previous.getTime() <= atMs && awsRunsCronTick(rec.cron, previous.getTime(), schedule.timeZone)) {
      return previous.getTime();
    }
    reference = previous.getTime();
  }
  return undefined;
}

/** The idempotency key of a schedule's tick: the same in every process, so the backend keeps one job per tick. */
export function tickKey(name: string, tickMs: number): string {
  return `schedule:${name}:${new Date(tickMs).toISOString()}`;
}
