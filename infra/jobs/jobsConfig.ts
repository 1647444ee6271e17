/**
 * The stack settings of the jobs resources and the worker fleet (`fleet:worker*`, `fleet:job*`,
 * `fleet:resultsExpireDays`), parsed by `parseFleetConfig` (infra/shared/config.ts) with the same rules: a pure
 * function over the key lookup, one `FleetConfigError` naming the key, the bad value and the fix.
 *
 * The backlog-per-instance target is derived here, once, with service/jobs/capacity.ts's function, so the
 * scaling policy, `npm run capacity` and the README's worked example cannot disagree.
 */
import { backlogPerInstanceTarget } from "../../service/jobs/capacity";
import {
  DEFAULT_JOB_TIMEOUT_S,
  DEFAULT_JOBS_RETENTION_S,
  DEFAULT_MAX_ATTEMPTS,
  resultExpireDays,
} from "../../service/jobs/timing";
import { parseSchedules, ScheduleConfigError, type JobSchedule } from "../../service/jobs/schedules";
import { FleetConfigError, type ConfigLookup } from "../shared/configError";
import { instanceTypesProblems, spotInstanceTypes, type WorkerPurchase } from "./spotPolicy";

/** Every key this module reads, for the unknown-key check. */
export const JOBS_CONFIG_KEYS = [
  "workerInstanceType",
  "workerMinSize",
  "workerDesiredCapacity",
  "workerMaxSize",
  "workerConcurrency",
  "jobSeconds",
  "jobMaxWaitSeconds",
  "jobsMaxAttempts",
  "jobsRetentionDays",
  "resultsExpireDays",
  "jobSchedules",
  "workerInstanceTypes",
  "workerOnDemandBase",
  "workerOnDemandPercent",
] as const;

export interface JobsConfig {
  /** EC2 instance type of the worker fleet; same architecture as `fleet:instanceType` (one image). */
  workerInstanceType: string;
  workerMinSize: number;
  workerDesiredCapacity: number;
  workerMaxSize: number;
  /** Jobs one worker instance runs at once (WORKER_CONCURRENCY); default: the type's vCPUs. */
  workerConcurrency: number;
  /** Average seconds one job keeps one worker slot busy. */
  jobSeconds: number;
  /** The longest a job should wait in the queue before a worker starts it (s). */
  jobMaxWaitSeconds: number;
  /** Attempts before a job ends failed: JOBS_MAX_ATTEMPTS and the redrive's maxReceiveCount. */
  maxAttempts: number;
  /**
   * JOBS_RETENTION_S: finished jobs, their keys and results are kept this long. The table's TTL (the
   * backend writes it), the results bucket's expiry and the results' CDN lifetime all follow it.
   */
  retentionS: number;
  /** The results bucket's expiry in whole days, derived from retentionS (resultExpireDays, timing.ts). */
  resultsExpireDays: number;
  /** Visible messages per in-service worker that the scaling policy holds (derived). */
  backlogPerInstanceTarget: number;
  /** `fleet:jobSchedules`: periodic jobs, run by EventBridge Scheduler (infra/jobs/jobSchedules.ts). */
  schedules: JobSchedule[];
  /** How the worker group buys instances: Spot through a mixed instances policy (infra/jobs/spotPolicy.ts). */
  purchase: WorkerPurchase;
}

export const JOBS_DEFAULTS = {
  /** 0: no worker runs (or costs) while the queue is empty; the wake-up alarm starts the first. */
  workerMinSize: 0,
  workerMaxSize: 2,
  jobSeconds: 10,
  jobMaxWaitSeconds: 60,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  jobsRetentionDays: DEFAULT_JOBS_RETENTION_S / 86_400,
} as const;

/**
 * The worker refuses JOBS_MAX_ATTEMPTS above 100 (service/jobs/config.ts): a job failing this often is
 * not transient. SQS's maxReceiveCount would allow 1000; the stack must not write what the worker rejects.
 */
const MAX_ATTEMPTS = 100;
/** The longest wait we accept: beyond half a day a queue is a backlog, not a wait (and retention is 4 days). */
const MAX_WAIT_S = 12 * 3600;

/**
 * vCPUs of an EC2 instance type from its size, or undefined where the size does not tell (metal, or a
 * name we do not recognise). t2 nano..small have 1; other burstable sizes up to medium have 2; a
 * non-burstable `medium` (Graviton c6g/m6g/r6g, a1) has 1; large 2; xlarge 4; Nxlarge 4N.
 */
export function vcpusOf(instanceType: string): number | undefined {
  const m = /^([a-z]+)(\d+)[a-z-]*\.([a-z0-9]+)$/.exec(instanceType);
  if (!m) return undefined;
  const [, family, generation, size] = m as unknown as [string, string, string, string];
  if (family === "t" && generation === "2" && ["nano", "micro", "small"].includes(size)) return 1;
  if (["nano", "micro", "small"].includes(size)) return family === "t" ? 2 : undefined;
  if (size === "medium") return family === "t" ? 2 : 1;
  if (size === "large") return 2;
  if (size === "xlarge") return 4;
  const x = /^(\d+)xlarge$/.exec(size);
  return x ? 4 * Number(x[1]) : undefined;
}

function positiveNumber(get: ConfigLookup, key: string, fallback: number, max: number): number {
  const raw = get(key);
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = raw.trim();
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(n > 0 && n <= max)) {
    throw new FleetConfigError(
      key,
      raw,
      `not a number of seconds above 0 and at most ${max}`,
      `set e.g. \`pulumi config set fleet:${key} ${fallback}\``,
    );
  }
  return n;
}

function wholeNumber(get: ConfigLookup, key: string, fallback: number, min: number, max: number): number {
  const raw = get(key);
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = raw.trim();
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new FleetConfigError(
      key,
      raw,
      Number.isNaN(n) ? "not a whole number" : `out of range ${min}..${max}`,
      `set a whole number between ${min} and ${max}, e.g. \`pulumi config set fleet:${key} ${fallback}\``,
    );
  }
  return n;
}

/**
 * `fleet:jobsRetentionDays` (default 7), or its older name `fleet:resultsExpireDays`, which now means the
 * same one number (results may not outlive their job on the CDN, nor die before it); both set and
 * different is refused.
 */
function retentionDays(get: ConfigLookup): number {
  const days = wholeNumber(get, "jobsRetentionDays", JOBS_DEFAULTS.jobsRetentionDays, 1, 3650);
  const older = get("resultsExpireDays");
  if (older === undefined || older.trim() === "") return days;
  const olderDays = wholeNumber(get, "resultsExpireDays", days, 1, 3650);
  const set = get("jobsRetentionDays");
  if (set !== undefined && set.trim() !== "" && olderDays !== days) {
    throw new FleetConfigError(
      "resultsExpireDays",
      older,
      `differs from fleet:jobsRetentionDays (${days}): jobs, keys and results now share one retention`,
      "remove fleet:resultsExpireDays (`pulumi config rm fleet:resultsExpireDays`) and keep fleet:jobsRetentionDays",
    );
  }
  return olderDays;
}

/**
 * Parses the jobs keys. `base` is what parseFleetConfig already knows: the web instance type and its
 * architecture (the worker fleet boots the same image, so it must have the same architecture).
 */
export function parseJobsConfig(
  get: ConfigLookup,
  base: { instanceType: string; architecture: "x86_64" | "arm64"; architectureOf: (t: string) => string | undefined },
): JobsConfig {
  const typeRaw = get("workerInstanceType");
  const workerInstanceType = typeRaw?.trim() || base.instanceType;
  const arch = base.architectureOf(workerInstanceType);
  if (arch === undefined) {
    throw new FleetConfigError(
      "workerInstanceType",
      typeRaw,
      "not an EC2 instance type",
      `use a type such as "c7i.large", or remove the key to use fleet:instanceType (${base.instanceType})`,
    );
  }
  if (arch !== base.architecture) {
    throw new FleetConfigError(
      "workerInstanceType",
      typeRaw,
      `is ${arch} but fleet:instanceType (${base.instanceType}) is ${base.architecture}, and both fleets boot the one image built for that`,
      `choose a ${base.architecture} type, or change fleet:instanceType as well`,
    );
  }

  const workerMinSize = wholeNumber(get, "workerMinSize", JOBS_DEFAULTS.workerMinSize, 0, 1000);
  const workerMaxSize = wholeNumber(
    get,
    "workerMaxSize",
    Math.max(JOBS_DEFAULTS.workerMaxSize, workerMinSize),
    1,
    1000,
  );
  if (workerMinSize > workerMaxSize) {
    throw new FleetConfigError(
      "workerMinSize",
      get("workerMinSize"),
      `greater than fleet:workerMaxSize (${workerMaxSize})`,
      `lower fleet:workerMinSize or raise fleet:workerMaxSize`,
    );
  }
  const workerDesiredCapacity = wholeNumber(get, "workerDesiredCapacity", workerMinSize, 0, 1000);
  if (workerDesiredCapacity < workerMinSize || workerDesiredCapacity > workerMaxSize) {
    throw new FleetConfigError(
      "workerDesiredCapacity",
      get("workerDesiredCapacity"),
      `outside fleet:workerMinSize..fleet:workerMaxSize (${workerMinSize}..${workerMaxSize})`,
      `set a value between ${workerMinSize} and ${workerMaxSize}`,
    );
  }

  const vcpus = vcpusOf(workerInstanceType);
  const concurrencyRaw = get("workerConcurrency");
  if ((concurrencyRaw === undefined || concurrencyRaw.trim() === "") && vcpus === undefined) {
    throw new FleetConfigError(
      "workerConcurrency",
      concurrencyRaw,
      `is required: the vCPUs of ${workerInstanceType} cannot be told from its name`,
      `set the jobs one worker instance runs at once, e.g. \`pulumi config set fleet:workerConcurrency 2\``,
    );
  }
  // The worker refuses more than max(64, 4 per core) (service/jobs/config.ts): threads beyond that only queue.
  const workerConcurrency = wholeNumber(get, "workerConcurrency", vcpus ?? 1, 1, Math.max(64, 4 * (vcpus ?? 16)));

  const jobSeconds = positiveNumber(get, "jobSeconds", JOBS_DEFAULTS.jobSeconds, DEFAULT_JOB_TIMEOUT_S);
  const jobMaxWaitSeconds = positiveNumber(get, "jobMaxWaitSeconds", JOBS_DEFAULTS.jobMaxWaitSeconds, MAX_WAIT_S);
  const maxAttempts = wholeNumber(get, "jobsMaxAttempts", JOBS_DEFAULTS.maxAttempts, 1, MAX_ATTEMPTS);
  const retentionS = retentionDays(get) * 86_400;

  const schedules = jobSchedules(get);
  return {
    workerInstanceType,
    workerMinSize,
    workerDesiredCapacity,
    workerMaxSize,
    workerConcurrency,
    jobSeconds,
    jobMaxWaitSeconds,
    maxAttempts,
    retentionS,
    resultsExpireDays: resultExpireDays(retentionS),
    backlogPerInstanceTarget: backlogPerInstanceTarget({
      maxWaitSeconds: jobMaxWaitSeconds,
      jobSeconds,
      jobsPerInstance: workerConcurrency,
    }),
    schedules,
    purchase: parseWorkerPurchase(get, workerInstanceType, workerMaxSize, base),
  };
}

/**
 * `fleet:jobSchedules`: a JSON list of `{ name, schedule, timeZone, kind, input }`, checked by the parser the
 * service uses for JOBS_SCHEDULES (service/jobs/schedules.ts), so a schedule whose expression, time zone,
 * kind or input is invalid is refused before anything is created, naming the schedule and the field.
 */
function jobSchedules(get: ConfigLookup): JobSchedule[] {
  const raw = get("jobSchedules");
  if (raw === undefined || raw.trim() === "") return [];
  const example = `pulumi config set fleet:jobSchedules '[{"name":"nightly","schedule":"cron(0 3 * * ? *)","kind":"sum","input":{"n":1000}}]'`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new FleetConfigError(
      "jobSchedules",
      raw,
      `not JSON (${(err as Error).message})`,
      `set a JSON list: ${example}`,
    );
  }
  try {
    return parseSchedules(parsed, "fleet:jobSchedules");
  } catch (err) {
    if (!(err instanceof ScheduleConfigError)) throw err;
    throw new FleetConfigError(
      "jobSchedules",
      raw,
      err.message,
      `correct ${err.where}${err.field ? `.${err.field}` : ""} (docs/jobs.md, "Periodic jobs")`,
    );
  }
}

/**
 * `fleet:workerInstanceTypes` (comma-separated; default: spotInstanceTypes of the worker type),
 * `fleet:workerOnDemandBase` (default 0) and `fleet:workerOnDemandPercent` (default 0: all Spot above the base;
 * 100 buys every worker On-Demand).
 */
function parseWorkerPurchase(
  get: ConfigLookup,
  workerInstanceType: string,
  workerMaxSize: number,
  base: { architecture: string; architectureOf: (t: string) => string | undefined },
): WorkerPurchase {
  const typesRaw = get("workerInstanceTypes");
  const instanceTypes =
    typesRaw === undefined || typesRaw.trim() === ""
      ? spotInstanceTypes(workerInstanceType)
      : typesRaw.split(",").map((t) => t.trim());
  const notTypes = instanceTypes.filter((t) => base.architectureOf(t) !== base.architecture);
  const problems = [
    ...(notTypes.length > 0 ? [`${notTypes.join(", ")}: not ${base.architecture} EC2 instance types`] : []),
    ...instanceTypesProblems(instanceTypes, workerInstanceType, vcpusOf),
  ];
  if (problems.length > 0) {
    throw new FleetConfigError(
      "workerInstanceTypes",
      typesRaw,
      problems.join("; "),
      `list 1 to 40 distinct ${base.architecture} types with the vCPUs of fleet:workerInstanceType (${workerInstanceType}), ` +
        `e.g. "${spotInstanceTypes(workerInstanceType).join(",")}", or remove the key`,
    );
  }
  const onDemandBase = wholeNumber(get, "workerOnDemandBase", 0, 0, workerMaxSize);
  const onDemandPercentAboveBase = wholeNumber(get, "workerOnDemandPercent", 0, 0, 100);
  return { instanceTypes, onDemandBase, onDemandPercentAboveBase };
}
