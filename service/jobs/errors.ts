/**
 * The jobs subsystem's errors. Each has a stable `code`; the API maps codes to statuses in one place.
 */

export type JobErrorCode =
  | "JOB_NOT_FOUND"
  | "JOB_STATE"
  | "IDEMPOTENCY_CONFLICT"
  | "BACKLOG_FULL"
  | "CLIENT_QUOTA"
  | "WAITERS_FULL"
  | "JOB_PERMANENT"
  | "JOB_TIMEOUT";

export abstract class JobError extends Error {
  abstract readonly code: JobErrorCode;
}

export class JobNotFoundError extends JobError {
  override name = "JobNotFoundError";
  readonly code = "JOB_NOT_FOUND";
  constructor(readonly id: string) {
    super(`no job ${id}`);
  }
}

/** The job is not in a state that allows the operation (cancel a finished job, retry a live one). */
export class JobStateError extends JobError {
  override name = "JobStateError";
  readonly code = "JOB_STATE";
  constructor(
    readonly id: string,
    readonly status: string,
    operation: string,
  ) {
    super(`job ${id} is ${status}: it cannot be ${operation}`);
  }
}

export class IdempotencyConflictError extends JobError {
  override name = "IdempotencyConflictError";
  readonly code = "IDEMPOTENCY_CONFLICT";
  constructor(readonly key: string) {
    super(`Idempotency-Key ${JSON.stringify(key)} was already used with a different request body`);
  }
}

/** Thrown by a kind's run function for input that will never succeed: the job fails without retries. */
export class PermanentJobError extends JobError {
  override name = "PermanentJobError";
  readonly code = "JOB_PERMANENT";
}
