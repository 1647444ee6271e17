/**
 * A schedule's tick becomes exactly one job: whoever sees the tick (the local ticker in every worker process,
 * or a worker receiving EventBridge Scheduler's message on AWS) enqueues it under the tick's idempotency key
 * (`schedule:<name>:<tick ISO>`), and the backend's idempotency keeps one job however many try.
 *
 * On AWS, Scheduler sends a tick message to the jobs queue (infra/jobs/jobSchedules.ts), its body built by
 * `tickMessageBody` with Scheduler's `<aws.scheduler.scheduled-time>` in it
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html); the
 * worker that receives it records the job in the table (the truth) and deletes the message.
 */
import type { JobBackend, JobRecord } from "./backend";
import { IdempotencyConflictError } from "./errors";
import { nextTick, parseExpression, parseSchedule, tickKey, type JobSchedule } from "./schedules";

/** Marks a queue message as a tick (a job's message is its bare id). */
export const TICK_MESSAGE_TYPE = "fleet.schedule-tick";
/** Scheduler's placeholder for the tick's time, replaced in the message body at each invocation. */
export const SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>";

/**
 * Enqueues the job of a tick; resolves with it and whether this call created it. The fingerprint is the
 * schedule's name, not its input: a process with an older schedule list racing a newer one on the same
 * tick still gets one job, never a conflict.
 */
export async function enqueueTick(
  backend: JobBackend,
  schedule: JobSchedule,
  tickMs: number,
): Promise<{ job: JobRecord | undefined; created: boolean }> {
  const key = tickKey(schedule.name, tickMs);
  try {
    return await backend.enqueue({
      kind: schedule.kind,
      input: schedule.input,
      idempotencyKey: key,
      fingerprint: `schedule:${schedule.name}`,
      schedule: { name: schedule.name, tick: new Date(tickMs).toISOString() },
    });
  } catch (err) {
    if (err instanceof IdempotencyConflictError) return { job: undefined, created: false };
    throw err;
  }
}

/** The body of a schedule's tick message: the schedule itself and Scheduler's time placeholder. */
export function tickMessageBody(schedule: JobSchedule): string {
  return JSON.stringify({
    type: TICK_MESSAGE_TYPE,
    name: schedule.name,
    schedule: schedule.schedule,
    timeZone: schedule.timeZone,
    kind: schedule.kind,
    input: schedule.input,
    tick: SCHEDULED_TIME_PLACEHOLDER,
  });
}

export function isTickMessage(body: string): boolean {
  return body.startsWith("{") && body.includes(TICK_MESSAGE_TYPE);
}

/**
 * When a tick is superseded: the next tick AWS would send. A rate counts from the tick itself (AWS starts a
 * rate at the schedule's creation, not at the epoch); a cron's next tick is the expression's.
 */
export function supersededAtMs(schedule: JobSchedule, tickMs: number): number | undefined {
  const recurrence = parseExpression(schedule.schedule, schedule.timeZone);
  return recurrence.type === "rate" ? tickMs + recurrence.periodMs : nextTick(schedule, tickMs);
}

export type TickOutcome = "enqueued" | "duplicate" | "superseded" | "invalid";

/**
 * Turns a tick message into its job. A tick whose next tick is already due is superseded (SQS held the
 * ticks while no worker ran): only the latest missed tick runs, as locally. A message that is not a valid
 * tick of a valid schedule (a kind removed since) is `invalid`. Every outcome but a throw means the
 * message may be deleted.
 */
export async function takeTickMessage(backend: JobBackend, body: string, nowMs: number): Promise<TickOutcome> {
  let schedule: JobSchedule;
  let tickMs: number;
  try {
    const raw = JSON.parse(body) as Record<string, unknown>;
    if (raw.type !== TICK_MESSAGE_TYPE) return "invalid";
    schedule = parseSchedule(
      { name: raw.name, schedule: raw.schedule, timeZone: raw.timeZone, kind: raw.kind, input: raw.input },
      "tick message",
    );
    tickMs = typeof raw.tick === "string" ? Date.parse(raw.tick) : NaN;
    if (!Number.isFinite(tickMs)) return "invalid";
  } catch {
    return "invalid";
  }
  const next = supersededAtMs(schedule, tickMs);
  if (next !== undefined && next <= nowMs) return "superseded";
  const { created } = await enqueueTick(backend, schedule, tickMs);
  return created ? "enqueued" : "duplicate";
}
