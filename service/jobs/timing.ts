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

/** JOBS_TIMEOUT_S default: an attempt running longer is stopped and counts as failed. `sum` of 1e11 takes
 * about two minutes on one core; a render of 8192² at 10,000 iterations can take longer. */
export const DEFAULT_JOB_TIMEOUT_S = 900;

/** First retry delay; later ones double (jittered), up to the cap. */
export const RETRY_BASE_MS = 1_000;
export const RETRY_MAX_MS = 60_000;

/** How long a draining worker lets running jobs finish before it gives them back (SIGTERM). */
export const WORKER_DRAIN_TIMEOUT_S = 120;

/** systemd's TimeoutStopSec for the `fleet-worker` unit: above the drain deadline, with time to exit. */
export const WORKER_SYSTEMD_TIMEOUT_STOP_S = WORKER_DRAIN_TIMEOUT_S + 30;

/**
 * The worker fleet's termination lifecycle hook waits this long (heartbeat timeout) for the instance to
 * finish: longer than a job may run, so a draining worker may finish the job it holds.
 */
export const LIFECYCLE_HOOK_TIMEOUT_S = DEFAULT_JOB_TIMEOUT_S + 300;

/** `GET /jobs/:id?wait=` at most: below the ALB's idle timeout (60 s) and the 20 s a client expects. */
export const MAX_POLL_WAIT_S = 20;

/** Largest POST /jobs body. */
export const MAX_JOB_BODY_BYTES = 64 * 1024;
