/**
 * Admission by estimated cost, not by a count of requests: a unit of work is refused only when the work
 * already admitted would make it wait past a budget. The caller states a cost in its own units (n for
 * /api/:n, a job's size for a backlog); the controller turns units into milliseconds with a running
 * estimate it learns from observed run times, and answers admit or refuse, with the estimated wait and a
 * Retry-After derived from it. It knows nothing about HTTP, threads or sums, and takes a clock, so tests
 * drive it with made-up times.
 *
 * Fairness: work may be charged to a client (its address); with `clientQuotaMs` a client whose admitted,
 * unfinished work would pass the quota is refused while others are still admitted, so one client fills
 * its share of the budget, not all of it. A client with nothing outstanding is never refused by the
 * quota (one unit bigger than the quota is still served, one at a time).
 */

export interface AdmissionOptions {
  /** How many units of work run at once (the pool's threads): the backlog drains this many times faster. */
  servers: number;
  /** The longest estimated wait before starting that is still worth admitting, ms. */
  budgetMs: number;
  /** The first estimate of the cost of one unit, ms (measured at start-up or a known constant). */
  msPerUnit: number;
  /** Work estimated at or under this is always admitted: it adds nothing worth refusing anyone for. */
  trivialMs?: number;
  /**
   * Weight of each observation in the running estimate of msPerUnit (exponential moving average): 0.2
   * follows a change in the machine's speed within about ten tasks and shrugs off one slow outlier.
   */
  smoothing?: number;
  /** Work shorter than this (ms, estimated and measured) is too short to time and does not teach the estimate. */
  minObservedMs?: number;
  /** Most estimated work one client may have admitted and unfinished at once, ms; absent: no quota. */
  clientQuotaMs?: number;
  /**
   * Forget admitted work at its estimated end instead of waiting for done(): for work that runs elsewhere
   * (the job fleet) and whose end this process never hears of.
   */
  forgetAtEstimatedEnd?: boolean;
  now?: () => number;
}

export const REFUSAL_REASONS = ["busy", "client-quota"] as const;
/** busy: the work admitted from everyone is past the budget; client-quota: this client's share is full. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Why a unit of work was refused, with what the client should be told. */
export interface Refusal {
  admitted: false;
  reason: RefusalReason;
  /** The client's admitted, unfinished work, ms (0 without a client). */
  clientMs: number;
  /** The estimated wait before this work could have started, ms. */
  waitMs: number;
  /** Whole seconds after which the work admitted now is estimated to be done: the Retry-After header. */
  retryAfterS: number;
}

/** Admitted work: call done() once it has finished (or failed), with its measured run time if known. */
export interface Ticket {
  admitted: true;
  waitMs: number;
  costMs: number;
  done(observedRunMs?: number): void;
}

export type Verdict = Ticket | Refusal;

interface Admitted {
  units: number;
  client?: string;
  costMs: number;
  /** When it was predicted to start: admission time + the wait estimated then. */
  startAtMs: number;
}

export class Admission {
  readonly #servers: number;
  readonly #budgetMs: number;
  readonly #trivialMs: number;
  readonly #smoothing: number;
  readonly #minObservedMs: number;
  readonly #now: () => number;
  readonly #clientQuotaMs: number;
  readonly #forget: boolean;
  readonly #admitted = new Set<Admitted>();
  /** Each client's unfinished work, ms, and its entries (a client leaves the map with its last entry). */
  readonly #clients = new Map<string, { ms: number; entries: Set<Admitted> }>();
  #msPerUnit: number;

  constructor(options: AdmissionOptions) {
    if (!(options.servers >= 1)) throw new RangeError(`servers must be at least 1; got ${options.servers}`);
    if (!(options.budgetMs >= 0)) throw new RangeError(`budgetMs must be at least 0; got ${options.budgetMs}`);
    if (!(options.msPerUnit > 0)) throw new RangeError(`msPerUnit must be above 0; got ${options.msPerUnit}`);
    this.#servers = options.servers;
    this.#budgetMs = options.budgetMs;
    this.#msPerUnit = options.msPerUnit;
    this.#trivialMs = options.trivialMs ?? 0;
    this.#smoothing = options.smoothing ?? 0.2;
    this.#minObservedMs = options.minObservedMs ?? 5;
    if (options.clientQuotaMs !== undefined && !(options.clientQuotaMs > 0))
      throw new RangeError(`clientQuotaMs must be above 0; got ${options.clientQuotaMs}`);
    this.#clientQuotaMs = options.clientQuotaMs ?? Infinity;
    this.#forget = options.forgetAtEstimatedEnd ?? false;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The current estimate of one unit's cost, ms. */
  get msPerUnit(): number {
    return this.#msPerUnit;
  }

  /** The estimated cost of `units`, ms. */
  estimateMs(units: number): number {
    return units * this.#msPerUnit;
  }

  /** Is work of this size trivial (always admitted)? */
  isTrivial(units: number): boolean {
    return this.estimateMs(units) <= this.#trivialMs;
  }

  /**
   * The estimated wait before new work would start, ms: what is left of the admitted work, spread over the
   * servers. Work predicted to have started has run since its predicted start; none is counted below 0, so
   * work that overruns its estimate is treated as about to finish rather than as freeing a server early.
   */
  waitMs(): number {
    const now = this.#now();
    let remaining = 0;
    for (const a of this.#admitted) {
      const left = Math.max(0, a.costMs - Math.max(0, now - a.startAtMs));
      if (left === 0 && this.#forget && now >= a.startAtMs) this.#remove(a);
      remaining += left;
    }
    return remaining / this.#servers;
  }

  /** A client's admitted, unfinished work, ms (what its quota is measured against). */
  outstandingMs(client: string): number {
    this.waitMs(); // forgets work past its estimated end first
    return this.#clients.get(client)?.ms ?? 0;
  }

  /**
   * Admit or refuse work of `units` (≥ 0), charged to `client` when given. `elsewhereMs` is work known to
   * be waiting that this process did not admit (a shared queue's backlog): the wait is the larger of the
   * two, since the process's own work is part of the shared backlog.
   */
  admit(units: number, client?: string, elsewhereMs = 0): Verdict {
    const costMs = this.estimateMs(units);
    const waitMs = Math.max(this.waitMs(), elsewhereMs / this.#servers);
    const clientMs = client === undefined ? 0 : (this.#clients.get(client)?.ms ?? 0);
    if (waitMs > this.#budgetMs && costMs > this.#trivialMs) {
      // Retry once the backlog seen now has drained; at least 1 s, since 0 means "now" to a client.
      return { admitted: false, reason: "busy", clientMs, waitMs, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    if (clientMs > 0 && clientMs + costMs > this.#clientQuotaMs && costMs > this.#trivialMs) {
      // The client's own work must drain first; it runs no faster than one server would run it.
      const excessMs = clientMs + costMs - this.#clientQuotaMs;
      return {
        admitted: false,
        reason: "client-quota",
        clientMs,
        waitMs,
        retryAfterS: Math.max(1, Math.ceil((waitMs + excessMs) / 1000)),
      };
    }
    const entry: Admitted = { units, client, costMs, startAtMs: this.#now() + waitMs };
    this.#admitted.add(entry);
    if (client !== undefined) {
      const mine = this.#clients.get(client) ?? { ms: 0, entries: new Set<Admitted>() };
      mine.ms += costMs;
      mine.entries.add(entry);
      this.#clients.set(client, mine);
    }
    let finished = false;
    return {
      admitted: true,
      waitMs,
      costMs,
      done: (observedRunMs?: number) => {
        if (finished) return;
        finished = true;
        this.#remove(entry);
        // Stryker disable next-line ConditionalExpression: equivalent, observe() drops an undefined run time itself
        if (observedRunMs !== undefined) this.observe(units, observedRunMs);
      },
    };
  }

  #remove(entry: Admitted): void {
    if (!this.#admitted.delete(entry) || entry.client === undefined) return;
    const mine = this.#clients.get(entry.client)!;
    mine.entries.delete(entry);
    mine.ms -= entry.costMs;
    if (mine.entries.size === 0) this.#clients.delete(entry.client);
  }

  /**
   * Teach the estimate: `units` of work took `runMs` to run (not counting its wait). An observation that
   * cannot teach (units not finite and > 0, a run time not finite and ≥ 0) is dropped, not refused: one
   * Infinity or NaN would poison the estimate for good, and done() runs where a throw would fail a request
   * whose answer is ready. The longer of estimate and measurement decides if the run was long enough to
   * time, so a start-up estimate far too low is still corrected.
   */
  observe(units: number, runMs: number): void {
    if (!(units > 0 && units < Infinity) || !(runMs >= 0 && runMs < Infinity)) return;
    if (Math.max(this.estimateMs(units), runMs) < this.#minObservedMs) return;
    const sample = runMs / units;
    this.#msPerUnit = this.#msPerUnit * (1 - this.#smoothing) + sample * this.#smoothing;
  }
}
