/**
 * The jobs contract: what the web tier and the worker may ask of a backend, in queue terms. The embedded
 * backend (`sqlite/`) and the AWS one (`aws/`) implement it; routes and the worker import only this file,
 * so no receipt handle, table key or object key leaks out of an adapter. `test/jobs/backend-contract.ts`
 * is the one suite every backend must pass.
 *
 * Delivery is at least once (a lease that runs out hands the job to another worker); what makes the
 * client see a job succeed exactly once is that every state change is guarded: a stale lease cannot
 * overwrite a newer state, and a result is written under a key that is the same for every attempt.
 */

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const FINISHED_STATES: readonly JobState[] = ["succeeded", "failed", "canceled"];

/** The tick of a periodic schedule that made a job (schedules.ts): its name and the tick's ISO time. */
export interface ScheduleTick {
  name: string;
  tick: string;
}

/** A job as the API shows it. Times are ISO 8601 strings (UTC). */
export interface JobRecord {
  id: string;
  kind: string;
  input: unknown;
  status: JobState;
  /** Attempts started so far (a lease given back on a drain does not count). */
  attempts: number;
  /** 0 to 1. */
  progress: number;
  result?: unknown;
  /** The last attempt's error message, for a job that failed or is waiting to retry. */
  error?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Set on a job a schedule's tick enqueued. */
  schedule?: ScheduleTick;
}

export interface NewJob {
  kind: string;
  input: unknown;
  /** The client's Idempotency-Key header, if any. */
  idempotencyKey?: string;
  /** A hash of the request body: the same key with another fingerprint is a conflict. */
  fingerprint?: string;
  /** The schedule tick that enqueues it (with the tick's idempotency key, schedules.ts tickKey). */
  schedule?: ScheduleTick;
}

/** What `npm run jobs -- list` narrows to; every field given must match. */
export interface JobFilter {
  status?: JobState;
  kind?: string;
  /** A schedule's name: its jobs, latest tick first. */
  schedule?: string;
  limit: number;
}

/**
 * A claimed job: the worker holds it until it completes, fails or releases it, extending it while it
 * works. What identifies the lease to the backend (a lease id, a receipt handle) stays inside the
 * adapter, behind `token`.
 */
export interface Lease {
  readonly job: JobRecord;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly token: string;
}

/** The answer to a heartbeat or a progress report. */
export type LeaseStatus = "held" | "lost" | "canceled";

export interface ClaimOptions {
  /** Claim at most this many jobs. */
  max: number;
  /** Each claimed job is leased for this long unless extended. */
  leaseMs: number;
  /** Wait up to this long for a job to become claimable (a long poll); 0 returns at once. */
  waitMs: number;
  /** Ends the wait early: the claim then resolves with no jobs (it does not reject). */
  signal?: AbortSignal;
}

export interface FailOptions {
  /** Do not retry, whatever attempts remain (PermanentJobError, a timeout on the last attempt). */
  permanent: boolean;
  /** Make the job claimable again after this delay (the worker's jittered backoff). */
  retryDelayMs: number;
}

/** Where job results live; `url` is what the client fetches (a local `/results/...` path or the CDN). */
export interface ResultStore {
  /**
   * Writes the object; the same key with the same bytes may be written again (a redelivered job). A key
   * is a relative path of plain segments (`jobs/<id>/out.png`); one that climbs out (`..`) or is
   * absolute is refused.
   */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  url(key: string): string;
}

/** Where the backends genuinely differ; the README's table and the contract suite read this. */
export interface BackendCapabilities {
  name: "sqlite" | "aws";
  /** Jobs are claimed in the order they were enqueued (SQS standard queues do not promise it). */
  fifo: boolean;
  /** Largest job input, in bytes, that the backend stores. */
  maxInputBytes: number;
  /** The finest granularity of a lease, in ms (SQS visibility is whole seconds). */
  leaseGranularityMs: number;
  /**
   * backlog() is an estimate, not a count (SQS's ApproximateNumberOfMessages: it lags, and a canceled
   * job's message counts until a worker receives and drops it). Absent: exact.
   */
  approximateBacklog?: boolean;
}

export interface JobBackend {
  readonly capabilities: BackendCapabilities;
  readonly results: ResultStore;
  /**
   * Records the job and makes it claimable. With an idempotency key already used by the same fingerprint
   * it returns that job with `created: false`; with another fingerprint it throws IdempotencyConflictError.
   */
  enqueue(job: NewJob, now?: Date): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * The job a live idempotency key names (keys expire after idempotencyKeyTtlS, timing.ts), undefined if
   * none; throws IdempotencyConflictError for another fingerprint. The API answers a retry with it before
   * any admission check.
   */
  findByKey(key: string, fingerprint: string, now?: Date): Promise<JobRecord | undefined>;
  /** The job, or undefined when unknown or purged (JOBS_RETENTION_S after it finished). */
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Leases up to `max` claimable jobs (queued, due, or running with an expired lease) and marks them
   * running with attempts + 1. A job whose expired lease used its last attempt ends failed instead.
   */
  claim(options: ClaimOptions): Promise<Lease[]>;
  /** Heartbeat: keeps the lease for another `leaseMs`. */
  extendLease(lease: Lease, leaseMs: number): Promise<LeaseStatus>;
  /** Records progress (0..1); answers whether the worker should go on. */
  progress(lease: Lease, fraction: number): Promise<LeaseStatus>;
  /** Marks the job succeeded with its result; false when the lease was lost (nothing written). */
  complete(lease: Lease, result: unknown): Promise<boolean>;
  /** Retries later, or ends the job failed (dead letter) when permanent or out of attempts. */
  fail(lease: Lease, error: string, options: FailOptions): Promise<"retrying" | "failed" | "lost">;
  /** Gives the job back at once without counting the attempt (a draining worker). */
  release(lease: Lease): Promise<void>;
  /** Ends a queued or running job canceled. Throws JobNotFoundError or JobStateError (already finished). */
  cancel(id: string, now?: Date): Promise<JobRecord>;
  /** Jobs waiting to run (queued, not yet started): what admission and scaling look at. */
  backlog(): Promise<number>;
  /**
   * Jobs matching the filter, newest first (with `schedule`, latest tick first), purged ones left out: the
   * operator's list. On AWS it scans the table (an operator's command, not a request path).
   */
  list(filter: JobFilter): Promise<JobRecord[]>;
  /** Failed jobs, newest first: the dead letters an operator looks at. */
  listDead(limit: number): Promise<JobRecord[]>;
  /** Puts a failed job back in the queue with a fresh set of attempts. Throws JobStateError otherwise. */
  retryDead(id: string): Promise<JobRecord>;
  close(): Promise<void>;
}
