/**
 * The worker fleet's sizing arithmetic, in one place: `npm run capacity` prints it and the Pulumi program
 * sets the scaling target from it, so the two cannot disagree.
 */

export interface JobLoad {
  /** Jobs arriving per minute at the peak. */
  jobsPerMinute: number;
  /** Average seconds one job keeps one worker slot busy. */
  jobSeconds: number;
}

/** Little's law: slots busy on average = arrival rate × time in service. */
export function busySlots(load: JobLoad): number {
  return (load.jobsPerMinute / 60) * load.jobSeconds;
}

export interface BacklogTargetInput {
  /** The longest a job should wait in the queue before a worker starts it. */
  maxWaitSeconds: number;
  jobSeconds: number;
  /** Jobs one instance runs at once (WORKER_CONCURRENCY on the worker fleet). */
  jobsPerInstance: number;
}

/**
 * Backlog per instance that target tracking should hold (EC2 Auto Scaling's "scaling based on Amazon SQS"):
 * one instance clears jobsPerInstance / jobSeconds jobs a second, so a backlog of
 * maxWait × jobsPerInstance / jobSeconds per instance is worked off within maxWait.
 */
export function backlogPerInstanceTarget(input: BacklogTargetInput): number {
  for (const [name, value] of Object.entries(input)) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return (input.maxWaitSeconds * input.jobsPerInstance) / input.jobSeconds;
}

export interface FullFleetInput {
  /** The worker group's maximum size. */
  maxInstances: number;
  jobsPerInstance: number;
  maxWaitSeconds: number;
}

/**
 * The estimated seconds of work waiting when target tracking asks for the whole fleet: maxInstances ×
 * the target (maxWait × jobsPerInstance / jobSeconds jobs each) × jobSeconds, which does not depend on
 * jobSeconds. Admission's bound (JOBS_MAX_BACKLOG_S) must be at least this, or the web tier would refuse
 * jobs before the queue is long enough for the fleet to grow to its maximum.
 */
export function fullFleetBacklogS(input: FullFleetInput): number {
  return input.maxInstances * input.jobsPerInstance * input.maxWaitSeconds;
}

/**
 * JOBS_CLIENT_QUOTA_S for a web group of `webProcesses` processes at its largest: each process counts only
 * the jobs it admitted, so one client spread over every process holds up to processes × quota; that must
 * stay within the backlog's bound for other clients to keep being admitted. Never above `defaultQuotaS`,
 * never below 1 s (a client with nothing outstanding is still admitted one job of any size).
 */
export function clientQuotaForProcesses(maxBacklogS: number, webProcesses: number, defaultQuotaS: number): number {
  if (!(Number.isInteger(webProcesses) && webProcesses >= 1))
    throw new RangeError(`webProcesses must be a whole number of at least 1, got ${webProcesses}`);
  return Math.max(1, Math.min(defaultQuotaS, Math.floor(maxBacklogS / webProcesses)));
}
