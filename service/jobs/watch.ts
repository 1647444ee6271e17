/**
 * Long polls (`GET /jobs/:id?wait=N`) without read amplification: one poller per job id per process,
 * shared by every request waiting on that job; a cap on the waiters one process holds (past it the
 * request is refused with WaitersFullError, a 503 with Retry-After); and reads spaced so that the process
 * makes at most POLL_READS_PER_S backend reads a second however many jobs are watched. On AWS each read is
 * a strongly consistent DynamoDB read: the bill follows the jobs watched and this rate, never the waiters.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JobRecord } from "./backend";
import { JobError } from "./errors";

/** A poller's first re-read comes after this, then the pause doubles up to POLL_MAX_MS. */
export const POLL_FIRST_MS = 25;
export const POLL_MAX_MS = 1_000;
/**
 * The most backend reads one process's pollers make a second, all jobs together: with more jobs watched
 * than this, each is re-read less often (every polls / POLL_READS_PER_S seconds).
 */
export const POLL_READS_PER_S = 50;

/** Too many long polls held here: the client should come back (or poll without ?wait=). */
export class WaitersFullError extends JobError {
  override name = "WaitersFullError";
  readonly code = "WAITERS_FULL";
  readonly retryAfterS = 1;
  constructor(readonly maxWaiters: number) {
    super(
      `this server holds ${maxWaiters} long polls already, the most it holds (JOBS_MAX_WAITERS); retry in a second, or ask without ?wait=`,
    );
  }
}

interface Waiter {
  seen: JobRecord;
  resolve: (job: JobRecord) => void;
}

export interface JobWatchOptions {
  /** Reads the job (the backend's get). */
  read: (id: string) => Promise<JobRecord | undefined>;
  /** JOBS_MAX_WAITERS. */
  maxWaiters: number;
  /** True once the process drains: every waiter is answered with what it has. */
  stopped?: () => boolean;
  firstMs?: number;
  maxMs?: number;
  readsPerS?: number;
}

/** Has the job moved since the waiter saw it? */
function moved(seen: JobRecord, now: JobRecord): boolean {
  return now.status !== seen.status || now.progress !== seen.progress;
}

/** One job's poller and the requests waiting on it; `idle` aborts its pause once the last one leaves. */
interface Poll {
  waiters: Set<Waiter>;
  idle: AbortController;
}

export class JobWatch {
  readonly #options: Required<Omit<JobWatchOptions, "stopped">> & Pick<JobWatchOptions, "stopped">;
  readonly #polls = new Map<string, Poll>();
  #waiters = 0;

  constructor(options: JobWatchOptions) {
    this.#options = {
      firstMs: POLL_FIRST_MS,
      maxMs: POLL_MAX_MS,
      readsPerS: POLL_READS_PER_S,
      ...options,
    };
  }

  /** Requests waiting now, all jobs together. */
  get waiters(): number {
    return this.#waiters;
  }

  /** Jobs being polled now (one poller each). */
  get polls(): number {
    return this.#polls.size;
  }

  /**
   * Resolves with the job once its status or progress differs from `seen`, or with `seen` once `waitMs`
   * has passed, the signal aborts (the client left), the process drains or the job is gone (purged).
   * Throws WaitersFullError (synchronously, before waiting) past JOBS_MAX_WAITERS.
   */
  wait(seen: JobRecord, waitMs: number, signal: AbortSignal): Promise<JobRecord> {
    if (this.#waiters >= this.#options.maxWaiters) throw new WaitersFullError(this.#options.maxWaiters);
    return new Promise((resolve) => {
      let poll = this.#polls.get(seen.id);
      const fresh = !poll;
      if (!poll) this.#polls.set(seen.id, (poll = { waiters: new Set(), idle: new AbortController() }));
      const mine = poll;
      const timer = setTimeout(() => done(seen), waitMs);
      const onAbort = () => done(seen);
      const waiter: Waiter = { seen, resolve: (job) => done(job) };
      const done = (job: JobRecord) => {
        if (!mine.waiters.delete(waiter)) return;
        this.#waiters--;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (mine.waiters.size === 0) {
          // No one waits on this job any more: its poller stops now, not after its pause.
          if (this.#polls.get(seen.id) === mine) this.#polls.delete(seen.id);
          mine.idle.abort();
        }
        resolve(job);
      };
      mine.waiters.add(waiter);
      this.#waiters++;
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
      else if (fresh) void this.#poll(seen.id, mine);
    });
  }

  /** One job's poller: re-reads it while anyone waits on it, answering each waiter whose view it moved. */
  async #poll(id: string, poll: Poll): Promise<void> {
    const { read, firstMs, maxMs, readsPerS, stopped } = this.#options;
    const { waiters, idle } = poll;
    let pauseMs = firstMs;
    while (!idle.signal.aborted) {
      // Spaced by the number of jobs polled, so the process's reads a second stay bounded.
      const spacedMs = (this.#polls.size * 1000) / readsPerS;
      const paused = await sleep(Math.max(pauseMs, spacedMs), true, { signal: idle.signal }).catch(() => false);
      if (!paused) return;
      pauseMs = Math.min(maxMs, pauseMs * 2);
      if (stopped?.()) {
        for (const w of [...waiters]) w.resolve(w.seen);
        return;
      }
      let job: JobRecord | undefined;
      try {
        job = await read(id);
      } catch {
        continue; // a failed read is tried again at the next pause; each waiter's deadline still holds
      }
      for (const w of [...waiters]) {
        if (!job) w.resolve(w.seen);
        else if (moved(w.seen, job)) w.resolve(job);
      }
    }
  }
}
