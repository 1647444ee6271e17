/**
 * The local scheduler of periodic jobs (JOBS_SCHEDULES): it runs in every job-worker process
 * (FLEET_ROLE=worker, and the worker child of FLEET_ROLE=all) and enqueues each schedule's tick under the
 * tick's idempotency key (ticks.ts), so however many processes or machines share the backend, a tick is
 * one job. Promises:
 * - a tick is enqueued once it is due (checked at each tick's time and at least every MAX_SLEEP_MS, so a
 *   clock that jumps is caught up);
 * - a tick missed while every process was down runs once when one returns: the latest missed tick, not one
 *   per missed tick, provided the schedule has run before and its last job is still kept (JOBS_RETENTION_S:
 *   past that, nothing says whether it ran). A schedule seen for the first time waits for its next tick;
 * - a failed enqueue (the backend down) is tried again at the next pass, never lost nor doubled.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JobBackend } from "./backend";
import { latestTick, nextTick, type JobSchedule } from "./schedules";
import { enqueueTick } from "./ticks";

/** The longest the ticker sleeps without looking at the clock again, and the retry pace after a failure. */
export const MAX_SLEEP_MS = 30_000;

interface TickerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TickerOptions {
  backend: JobBackend;
  schedules: readonly JobSchedule[];
  log: TickerLog;
  /** ms since the epoch; tests move it. */
  now?: () => number;
  /** Ticks older than this are not caught up: their job, had it run, may be purged (JOBS_RETENTION_S). */
  catchUpWindowMs: number;
}

export class ScheduleTicker {
  private readonly now: () => number;
  /** Per schedule, the latest tick known enqueued (or deliberately skipped); undefined before start(). */
  private readonly done = new Map<string, number>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: TickerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Learns each schedule's last tick from the backend (its latest job), so that a missed tick is caught up
   * once and a fresh schedule does not run at once.
   */
  async init(): Promise<void> {
    const nowMs = this.now();
    for (const schedule of this.options.schedules) {
      let lastMs: number | undefined;
      try {
        const [last] = await this.options.backend.list({ schedule: schedule.name, limit: 1 });
        lastMs = last?.schedule ? Date.parse(last.schedule.tick) : undefined;
      } catch (err) {
        // The backend cannot say: tick from now on rather than not at all (a missed tick is not caught up).
        this.options.log.warn(
          { err, schedule: schedule.name },
          "could not read a schedule's last tick; ticking from now",
        );
      }
      const floor = nowMs - this.options.catchUpWindowMs;
      // Never run before (or its jobs purged): start from now, as AWS's Scheduler does for a new schedule.
      this.done.set(
        schedule.name,
        lastMs !== undefined && lastMs > floor ? lastMs : (latestTick(schedule, nowMs) ?? 0),
      );
    }
  }

  /**
   * One pass: enqueues each schedule's latest due tick that is not done yet. Resolves with the ms until the
   * next tick of any schedule (capped at MAX_SLEEP_MS).
   */
  async runDue(): Promise<number> {
    const nowMs = this.now();
    let sleepMs = MAX_SLEEP_MS;
    for (const schedule of this.options.schedules) {
      const due = latestTick(schedule, nowMs);
      const done = this.done.get(schedule.name) ?? 0;
      if (due !== undefined && due > done) {
        try {
          const { job, created } = await enqueueTick(this.options.backend, schedule, due);
          this.done.set(schedule.name, due);
          this.options.log.info(
            { schedule: schedule.name, tick: new Date(due).toISOString(), jobId: job?.id, created },
            created ? "schedule tick enqueued" : "schedule tick already enqueued",
          );
        } catch (err) {
          this.options.log.warn({ err, schedule: schedule.name }, "could not enqueue a schedule tick; retrying");
          continue;
        }
      }
      const next = nextTick(schedule, nowMs);
      if (next !== undefined) sleepMs = Math.min(sleepMs, Math.max(1, next - nowMs));
    }
    return sleepMs;
  }

  /** Starts the loop (after init); resolves once it is running. */
  async start(): Promise<void> {
    await this.init();
    this.loop = (async () => {
      while (!this.stopping.signal.aborted) {
        const sleepMs = await this.runDue();
        await sleep(sleepMs, undefined, { signal: this.stopping.signal }).catch(() => {});
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }
}
