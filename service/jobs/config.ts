/**
 * The jobs settings, read from the environment once by whoever opens a backend (the web tier, the worker,
 * `npm run jobs`). A bad value throws ConfigError with one line naming the variable, the value and the
 * form expected; the process exits 1 on it before it opens anything.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, integer, type Env } from "../config";
import { parseSchedules, ScheduleConfigError, type JobSchedule } from "./schedules";
import {
  DEFAULT_JOB_TIMEOUT_S,
  DEFAULT_JOBS_RETENTION_S,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_VISIBILITY_TIMEOUT_S,
} from "./timing";

/** JOBS_BACKEND values. The AWS backend (issue 8) is opened by open-backend.ts. */
export const JOBS_BACKENDS = ["sqlite", "aws"] as const;
export type JobsBackendName = (typeof JOBS_BACKENDS)[number];

/**
 * Where the embedded backend keeps its state when JOBS_DB / JOBS_RESULTS_DIR are not set: the directory
 * systemd made for the unit (`StateDirectory=fleet` sets STATE_DIRECTORY=/var/lib/fleet, writable by the
 * unit's user while the install directory stays read-only,
 * https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#RuntimeDirectory=), or else
 * `.data/` in the working directory (`npm start` in a checkout).
 */
export const LOCAL_DATA_DIR = ".data";
export const DEFAULT_JOBS_DB = path.join(LOCAL_DATA_DIR, "jobs.db");
export const DEFAULT_JOBS_RESULTS_DIR = path.join(LOCAL_DATA_DIR, "results");

/**
 * The state directory systemd gives the unit, if any. STATE_DIRECTORY lists one absolute path per
 * StateDirectory= entry, separated by colons; the first is the unit's own.
 */
export function stateDirectory(env: Env): string | undefined {
  const raw = env.STATE_DIRECTORY;
  if (raw === undefined || raw === "") return undefined;
  const first = raw.split(":")[0]!;
  if (!path.isAbsolute(first) || first.includes("\0")) {
    throw new ConfigError(
      `STATE_DIRECTORY=${JSON.stringify(raw)} is invalid: expected absolute paths separated by ":", as systemd sets it for StateDirectory= (e.g. /var/lib/fleet)`,
    );
  }
  return first;
}

/**
 * JOBS_MAX_BACKLOG_S default: POST /jobs answers 503 once the work waiting is estimated past this many
 * seconds (on one core, each job by its kind's estimate). Ten core-hours: on one 2-core machine five hours
 * of queue, already past what a client waits for; on the fleet at its maximum, minutes. It bounds the
 * queue by the work it holds, so a flood of the largest jobs is refused as early as a flood of small ones.
 */
export const DEFAULT_MAX_BACKLOG_S = 36_000;

/**
 * A job counts at least this many seconds, whatever its estimate: its queue and table writes, its claim
 * and completion cost a worker slot that much. It also bounds the jobs the backlog holds at its limit to
 * JOBS_MAX_BACKLOG_S (36,000 by default, a count like the one the scaling target is set in).
 */
export const JOB_MIN_COST_S = 1;

/**
 * JOBS_CLIENT_QUOTA_S default: the estimated seconds of work one client (one address) may have waiting or
 * running through one web process: a tenth of the backlog, four of the longest jobs the timeout allows.
 */
export const DEFAULT_CLIENT_QUOTA_S = 3_600;

/**
 * JOBS_MAX_WAITERS default: long polls (`GET /jobs/:id?wait=`) one web process holds at once; past it
 * such a request answers 503 with Retry-After. Each holds a socket and a timer; their reads are bounded
 * apart from it (service/jobs/watch.ts).
 */
export const DEFAULT_MAX_WAITERS = 1_000;

/** SQS's longest visibility timeout (12 h): a longer lease could not be the same on both backends. */
const MAX_VISIBILITY_TIMEOUT_S = 43_200;
/** One day: past that a "job" is a batch system's, and a lost worker would hold it for as long. */
const MAX_JOB_TIMEOUT_S = 86_400;
/** A job failing this often is not transient; SQS's maxReceiveCount allows up to 1000. */
const MAX_ATTEMPTS_LIMIT = 100;
/** JOBS_RETENTION_S bounds: a minute (tests, soaks) to ten years (S3 lifecycle days and DynamoDB TTL take it). */
const MIN_RETENTION_S = 60;
const MAX_RETENTION_S = 3650 * 86_400;

export interface JobsConfig {
  backend: JobsBackendName;
  /** JOBS_DB, absolute (default: $STATE_DIRECTORY/jobs.db under systemd, else .data/jobs.db). */
  dbFile: string;
  /** JOBS_RESULTS_DIR, absolute (default: $STATE_DIRECTORY/results under systemd, else .data/results). */
  resultsDir: string;
  maxAttempts: number;
  visibilityTimeoutS: number;
  timeoutS: number;
  /** JOBS_MAX_BACKLOG_S: estimated seconds of waiting work above which POST /jobs answers 503. */
  maxBacklogS: number;
  /** JOBS_CLIENT_QUOTA_S: estimated seconds of work one client may have outstanding per web process. */
  clientQuotaS: number;
  /** JOBS_MAX_WAITERS: long polls one web process holds at once. */
  maxWaiters: number;
  /**
   * JOBS_WORKER_SLOTS: jobs the whole worker fleet runs at once, the rate the web tier's admission drains
   * its estimate of the backlog at (default WORKER_CONCURRENCY: the one worker `npm start` runs; on AWS the
   * stack writes the fleet's maximum, workerMaxSize × workerConcurrency).
   */
  workerSlots: number;
  workerConcurrency: number;
  /** JOBS_RETENTION_S: finished jobs, their keys and results are purged this long after they finish. */
  retentionS: number;
}

function filePath(env: Env, name: string, fallback: string, cwd: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return path.resolve(cwd, fallback);
  // Leading or trailing spaces are nearly always a quoting slip in an env file, never a wanted name.
  if (raw !== raw.trim() || raw.includes("\0")) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is invalid: expected a file system path, such as ${fallback}`,
    );
  }
  return path.resolve(cwd, raw);
}

export function loadJobsConfig(env: Env = process.env, cwd = process.cwd()): JobsConfig {
  const backend = (env.JOBS_BACKEND?.trim() || "sqlite") as JobsBackendName;
  if (!JOBS_BACKENDS.includes(backend)) {
    throw new ConfigError(
      `JOBS_BACKEND=${JSON.stringify(env.JOBS_BACKEND)} is invalid: expected one of ${JOBS_BACKENDS.join(", ")}`,
    );
  }
  if (env.JOBS_MAX_BACKLOG !== undefined) {
    // A count cannot tell ten tiny jobs from ten of the longest: the bound is in seconds of work.
    throw new ConfigError(
      `JOBS_MAX_BACKLOG=${JSON.stringify(env.JOBS_MAX_BACKLOG)} is not read: the backlog is bounded in estimated seconds of work; set JOBS_MAX_BACKLOG_S instead (default ${DEFAULT_MAX_BACKLOG_S})`,
    );
  }
  const cores = os.availableParallelism();
  // Under systemd the defaults live in the unit's state directory: the working directory is read-only there.
  const state = stateDirectory(env);
  const defaults = state
    ? { db: path.join(state, "jobs.db"), results: path.join(state, "results") }
    : { db: DEFAULT_JOBS_DB, results: DEFAULT_JOBS_RESULTS_DIR };
  // Each job runs on a thread: more than a few per core only queues them in the OS instead of the backlog.
  const workerConcurrency = integer(env, "WORKER_CONCURRENCY", cores, 1, Math.max(64, cores * 4));
  return {
    backend,
    dbFile: filePath(env, "JOBS_DB", defaults.db, cwd),
    resultsDir: filePath(env, "JOBS_RESULTS_DIR", defaults.results, cwd),
    maxAttempts: integer(env, "JOBS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS_LIMIT),
    visibilityTimeoutS: integer(
      env,
      "JOBS_VISIBILITY_TIMEOUT_S",
      DEFAULT_VISIBILITY_TIMEOUT_S,
      1,
      MAX_VISIBILITY_TIMEOUT_S,
    ),
    timeoutS: integer(env, "JOBS_TIMEOUT_S", DEFAULT_JOB_TIMEOUT_S, 1, MAX_JOB_TIMEOUT_S),
    maxBacklogS: integer(env, "JOBS_MAX_BACKLOG_S", DEFAULT_MAX_BACKLOG_S, 1, 1_000_000_000),
    clientQuotaS: integer(env, "JOBS_CLIENT_QUOTA_S", DEFAULT_CLIENT_QUOTA_S, 1, 1_000_000_000),
    maxWaiters: integer(env, "JOBS_MAX_WAITERS", DEFAULT_MAX_WAITERS, 1, 1_000_000),
    retentionS: integer(env, "JOBS_RETENTION_S", DEFAULT_JOBS_RETENTION_S, MIN_RETENTION_S, MAX_RETENTION_S),
    workerConcurrency,
    workerSlots: integer(env, "JOBS_WORKER_SLOTS", workerConcurrency, 1, 1_000_000),
  };
}

/** The embedded backend's data directory cannot be made: names the setting, the directory and the fix. */
export class DataDirError extends ConfigError {
  override name = "DataDirError";
  constructor(
    readonly variable: "JOBS_DB" | "JOBS_RESULTS_DIR",
    readonly dir: string,
    readonly code: string,
    detail: string,
  ) {
    super(
      `cannot create ${dir} for ${variable} (${code}: ${detail}): set ${variable} to a writable place, or run where ` +
        `fleet may write: under systemd, StateDirectory= in the unit (its STATE_DIRECTORY holds the defaults); ` +
        `locally, a writable working directory (the defaults are under .data/)`,
    );
  }
}

/**
 * Creates the embedded backend's directories (the database's and the results'), or throws DataDirError.
 * The primary calls it before forking, so a read-only install directory is one clear line and exit 1,
 * not every worker dying on EACCES.
 */
export function ensureDataDirs(config: Pick<JobsConfig, "dbFile" | "resultsDir">): void {
  const dirs = [
    ["JOBS_DB", path.dirname(config.dbFile)],
    ["JOBS_RESULTS_DIR", config.resultsDir],
  ] as const;
  for (const [variable, dir] of dirs) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (err) {
      const e = whyNotWritable(dir) ?? (err as NodeJS.ErrnoException);
      throw new DataDirError(variable, dir, e.code ?? "error", e.message.replace(/^\w+: /, ""));
    }
  }
}

/**
 * The real reason a directory cannot be made: Node's recursive mkdir reports ENOENT for a parent on a
 * read-only file system (it stats the path after EROFS), so ask the nearest existing ancestor instead.
 */
function whyNotWritable(dir: string): NodeJS.ErrnoException | undefined {
  let at = path.dirname(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  try {
    fs.accessSync(at, fs.constants.W_OK);
    return undefined;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/**
 * JOBS_SCHEDULES: the path of a JSON file holding the periodic jobs (schedules.ts), read and checked at
 * start; unset or empty means none. A bad file or schedule throws ConfigError naming the schedule and the
 * field, so the primary exits 1 before it forks.
 */
export function loadJobSchedules(env: Env = process.env, cwd = process.cwd()): JobSchedule[] {
  const raw = env.JOBS_SCHEDULES;
  if (raw === undefined || raw.trim() === "") return [];
  const file = path.resolve(cwd, raw);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `JOBS_SCHEDULES=${JSON.stringify(raw)}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"}): point it at a JSON file of schedules`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`JOBS_SCHEDULES=${JSON.stringify(raw)}: ${file} is not JSON (${(err as Error).message})`);
  }
  try {
    return parseSchedules(parsed, "JOBS_SCHEDULES");
  } catch (err) {
    if (err instanceof ScheduleConfigError) throw new ConfigError(`${err.message} (in ${file})`);
    throw err;
  }
}
