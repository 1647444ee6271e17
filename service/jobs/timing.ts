/**
 * The job numbers that the worker, the queue and the infra must agree on, as service/timing.ts does for
 * requests. The Pulumi program derives the SQS visibility timeout, the redrive's maxReceiveCount and the
 * lifecycle hook's timeout from here; test/jobs/timing.test.ts checks the relations.
 */

/** JOBS_VISIBILITY_TIMEOUT_S default: a lease lasts this long unless the heartbeat extends it (SQS's name). */
export const DEFAULT_VISIBILITY_TIMEOUT_S = 30;

/** The heartbeat extends a lease this many times per lease: one lost beat must not lose the job. */
export const HEARTBEATS_PER_LEASE = 3;

/** JOBS_MAX_ATTEMPTS default: attempts before a job ends failed (and, on AWS, its message in the DLQ). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** JOBS_TIMEOUT_S default: an attempt running longer is stopped and ends the job failed (not retried).
 * `sum` of 1e11 takes about two minutes on one core; an input its kind estimates past this (a render of
 * 8192² at 10,000 iterations, ~2,240 s) is refused at POST /jobs. */
export const DEFAULT_JOB_TIMEOUT_S = 900;

/** First retry delay; later ones double (jittered), up to the cap. */
export const RETRY_BASE_MS = 1_000;
export const RETRY_MAX_MS = 60_000;

/**
 * How long a draining worker lets running jobs finish before it gives them back (SIGTERM, or the
 * termination lifecycle hook). A job still running at this deadline is handed back with its attempt
 * counted (worker.ts): a job longer than the drain that lands on instances which keep being replaced
 * reaches the dead letters after JOBS_MAX_ATTEMPTS drains instead of starting over forever.
 */
export const WORKER_DRAIN_TIMEOUT_S = 120;

/** systemd's TimeoutStopSec for the `fleet-worker` unit: above the drain deadline, with time to exit. */
export const WORKER_SYSTEMD_TIMEOUT_STOP_S = WORKER_DRAIN_TIMEOUT_S + 30;

/** Time the termination watcher needs around the drain: its IMDS poll (5 s), completing the hook, slack. */
export const LIFECYCLE_HOOK_MARGIN_S = 60;

/**
 * The worker fleet's termination lifecycle hook waits this long (heartbeat timeout) for the instance to
 * drain: the whole worker stop (the drain deadline and the unit's exit time) and the watcher's margin.
 * Waiting longer would buy nothing (the drain hands every job back at WORKER_DRAIN_TIMEOUT_S) except a
 * slower refresh; AWS accepts 30 to 7200 s
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html, HeartbeatTimeout).
 */
export const LIFECYCLE_HOOK_TIMEOUT_S = WORKER_SYSTEMD_TIMEOUT_STOP_S + LIFECYCLE_HOOK_MARGIN_S;

/**
 * JOBS_RETENTION_S default: a finished job (its record, its idempotency key, its result object) is kept
 * this long after it finished, then purged: the SQLite backend deletes it in small batches, on AWS the
 * table's TTL, the results bucket's expiry and the results' cache lifetime all follow this one number
 * (infra/jobs/results.ts, infra/jobs/jobsConfig.ts). It is also how long a dead letter can be redriven.
 */
export const DEFAULT_JOBS_RETENTION_S = 7 * 24 * 3600;

/** A result object's absolute expiry (its `Expires`, what the CDN caches it until): written + retention. */
export function resultExpires(writtenAtMs: number, retentionS: number): Date {
  return new Date(Math.floor(writtenAtMs / 1000) * 1000 + retentionS * 1000);
}

/**
 * The results bucket's lifecycle expiration, in whole days (S3's unit, counted from the object's creation
 * and rounded up to the next midnight UTC): never before the result's Expires, so the CDN never holds a
 * result the bucket has already deleted.
 */
export function resultExpireDays(retentionS: number): number {
  return Math.max(1, Math.ceil(retentionS / 86_400));
}

/**
 * An idempotency key names its job this long (as payment APIs do), or the retention if that is shorter
 * (a key cannot outlive its job); after that the same key makes a new job. Both backends.
 */
export const IDEMPOTENCY_KEY_TTL_S = 24 * 3600;

export function idempotencyKeyTtlS(retentionS: number): number {
  return Math.min(IDEMPOTENCY_KEY_TTL_S, retentionS);
}

/**
 * Every AWS SDK call gives up after this long (connection, then the whole request): far below the web
 * unit's stop (SYSTEMD_TIMEOUT_STOP_S, 70 s) and the worker's drain, so a stalled call during a deploy
 * fails and is retried or swept instead of being killed mid-flight. The SDK's default has no bound.
 * Long polls add their wait (20 s at most) on top.
 */
export const AWS_CONNECTION_TIMEOUT_MS = 2_000;
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

/**
 * A queued job whose message was never confirmed sent (its writer died between the write and the send,
 * or the send failed) is re-sent by the sweeper this long after it was written: longer than an enqueue
 * can take with the SDK timeouts above (a few tries of AWS_REQUEST_TIMEOUT_MS), so the sweeper never
 * races a live enqueue.
 */
export const UNSENT_JOB_SWEEP_S = 60;

/** How often a worker runs one sweep of the table (AWS: queued or running jobs SQS may have forgotten). */
export const SWEEP_INTERVAL_MS = 30_000;

/** `GET /jobs/:id?wait=` at most: below the ALB's idle timeout (60 s) and the 20 s a client expects. */
export const MAX_POLL_WAIT_S = 20;

/** Largest POST /jobs body. */
export const MAX_JOB_BODY_BYTES = 64 * 1024;

/** SQS keeps a queued job's message this long (its default, 4 days); the sweeper re-sends before it. */
export const QUEUE_RETENTION_S = 4 * 24 * 3600;
/** SQS's maximum, 14 days: the DLQ only passes messages through to the table (failed jobs live there). */
export const DLQ_RETENTION_S = 14 * 24 * 3600;

/**
 * The oldest message's age that alarms (ApproximateAgeOfOldestMessage): a day, well before the sweeper's
 * re-send (retention minus a day) and the retention itself, so an operator hears of a stuck backlog while
 * every job is still in SQS.
 */
export const OLDEST_MESSAGE_ALARM_S = 24 * 3600;
