/**
 * Every setting of the fleet, parsed and validated in one place before any resource is registered.
 *
 * `parseFleetConfig` is a pure function over a key → string lookup, so it is unit-testable without
 * Pulumi; infra/index.ts feeds it from `new pulumi.Config("fleet")`. A bad value throws ONE
 * `FleetConfigError` that names the key (`fleet:<key>`), the bad value and the fix.
 */
import { CronExpressionParser } from "cron-parser";
import { ALB_IDLE_TIMEOUT_S, KEEP_ALIVE_TIMEOUT_MS } from "../../service/timing";
import { FleetConfigError, type ConfigLookup } from "./configError";
import { JOBS_CONFIG_KEYS, parseJobsConfig, type JobsConfig } from "../jobs/jobsConfig";
import { WEB_CONFIG_KEYS, parseWebConfig, type WebConfig } from "../web/webConfig";
import { WAF_CONFIG_KEYS, parseWafConfig, type WafConfig } from "../web/wafConfig";

export const NAT_STRATEGIES = ["Single", "OnePerAz"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/**
 * What a night looks like. Both release tonight's image the same way (infra/night/release.ts: canary, bake,
 * instance refresh with auto rollback, the last good image otherwise); they differ in what happens around it:
 * `refresh` (no outage) starts the release at the drain time; `drain` (dev: cheap) scales the groups to zero
 * at the drain time, brings them back on the last good image at the restore time, and starts the release
 * then (it lets the restored instances boot first).
 */
export const NIGHTLY_MODES = ["drain", "refresh"] as const;
export type NightlyMode = (typeof NIGHTLY_MODES)[number];

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface FleetConfig {
  /** EC2 instance type of the fleet and of the Image Builder build instance. */
  instanceType: string;
  /** CPU architecture implied by the instance type (Graviton: a "g" after the generation, or a1). */
  architecture: "x86_64" | "arm64";
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
  /** Number of availability zones of the VPC (>= 2: an ALB needs two). */
  availabilityZones: number;
  cpuTargetPercent: number;
  /** Optional ALBRequestCountPerTarget target (requests per target per minute). */
  requestsPerTargetPerMinute?: number;
  /** Unix cron (5 fields) in `timeZone` at which the group is drained to zero. */
  drainCron: string;
  /** Unix cron (5 fields) in `timeZone` at which the group comes back to min / desired. */
  restoreCron: string;
  /** Unix cron (5 fields) in `timeZone` of the Image Builder pipeline; must run before the drain. */
  pipelineCron: string;
  /** IANA time zone of all three crons. */
  timeZone: string;
  certificateArn?: string;
  natStrategy: NatStrategy;
  deletionProtection: boolean;
  /** ALB idle timeout (s); below the service's keepAliveTimeout. */
  albIdleTimeoutSeconds: number;
  nightly: NightlyMode;
  /** Retention of the instances' log group (days, a value CloudWatch accepts). */
  logRetentionDays: number;
  /** Optional address subscribed to the alarm topic (AWS mails a confirmation link first). */
  alarmEmail?: string;
  /** Minutes the release's canary runs alone and the refreshed group bakes, each under the alarms. */
  releaseBakeMinutes: number;
  /** The jobs resources and the worker fleet (infra/jobs/jobsConfig.ts). */
  jobs: JobsConfig;
  /** CORS and, without a certificate, the CloudFront origin secret (infra/web/webConfig.ts). */
  web: WebConfig;
  /** The WAF rate limit in front of the public endpoints (infra/web/wafConfig.ts); off unless set. */
  waf: WafConfig;
}

export const DEFAULTS = {
  instanceType: "t3.small",
  minSize: 1,
  maxSize: 2,
  availabilityZones: 2,
  cpuTargetPercent: 70,
  drainCron: "0 3 * * *",
  restoreCron: "10 3 * * *",
  pipelineCron: "0 2 * * *",
  timeZone: "UTC",
  natGateways: "Single" as NatStrategy,
  deletionProtection: false,
  albIdleTimeoutSeconds: ALB_IDLE_TIMEOUT_S,
  nightly: "drain" as NightlyMode,
  logRetentionDays: 30,
  releaseBakeMinutes: 10,
} as const;

/** AWS's largest BakeTime and CheckpointDelay (172800 s, RefreshPreferences), in minutes. */
export const MAX_RELEASE_BAKE_MINUTES = 2880;

/** The keys that are unset unless a stack sets them. */
export const OPTIONAL_KEYS = ["desiredCapacity", "requestsPerTargetPerMinute", "certificateArn", "alarmEmail"] as const;

/**
 * Every `fleet:` key a stack may set: the keys of DEFAULTS plus OPTIONAL_KEYS plus the jobs keys
 * (infra/jobs/jobsConfig.ts) and the web keys (infra/web/webConfig.ts), so a key added to any of them is known here. A test checks this list against the
 * keys parseFleetConfig reads.
 */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(DEFAULTS),
  ...OPTIONAL_KEYS,
  ...JOBS_CONFIG_KEYS,
  ...WEB_CONFIG_KEYS,
  ...WAF_CONFIG_KEYS,
];

/** Levenshtein distance, case-insensitive (`minsize` is one keystroke from `minSize`, not six). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length]!;
}

/** The known key nearest to `key`, if it is near enough to be a typo (a third of its length, at least 2). */
export function nearestKey(key: string, known: readonly string[] = KNOWN_KEYS): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * Throws for the first `fleet:` key (given without its prefix) that the program does not read: a mistyped
 * key would otherwise change nothing and say nothing.
 */
export function checkKnownKeys(keys: Iterable<string>, get: ConfigLookup, known: readonly string[] = KNOWN_KEYS) {
  for (const key of keys) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    throw new FleetConfigError(
      key,
      get(key),
      "not a setting of this program (it would be ignored)",
      `${near !== undefined ? `did you mean fleet:${near}? ` : ""}rename or remove it (\`pulumi config rm fleet:${key}\`); known keys: ${[...known].sort().join(", ")}`,
    );
  }
}

/** The pipeline must start at least this long before the drain, so the AMI is built and distributed in time. */
// An Image Builder build with its test phase takes 20-45 min; a shorter lead lets the restore boot
// yesterday's image.
export const MIN_PIPELINE_LEAD_MINUTES = 60;
/** The restore must follow the drain within this: a longer outage is a misconfiguration, not a night. */
export const MAX_DRAINED_HOURS = 12;
/** ...and at most this long: "the freshest image" is one built the same night, not a day-old one. */
export const MAX_PIPELINE_LEAD_HOURS = 12;

export { FleetConfigError, type ConfigLookup } from "./configError";

const CERT_ARN = /^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-fA-F-]{36}$/;
const INSTANCE_TYPE = /^([a-z][a-z0-9-]*?)(\d+)([a-z-]*)\.([a-z0-9]+)$/;

/** The CPU architecture of an instance type, or undefined if it is not one. */
export function architectureOf(instanceType: string): "x86_64" | "arm64" | undefined {
  const m = INSTANCE_TYPE.exec(instanceType);
  if (!m) return undefined;
  // Graviton: a "g" after the generation (t4g, c7gn, m7gd), or a1, the first generation.
  return m[3]!.startsWith("g") || m[1] === "a" ? "arm64" : "x86_64";
}

function integer(
  get: ConfigLookup,
  key: string,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  const raw = get(key);
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = raw.trim();
  if (!/^-?\d+$/.test(value)) {
    throw new FleetConfigError(
      key,
      raw,
      "not a whole number",
      `set a whole number, e.g. \`pulumi config set fleet:${key} ${fallback ?? min}\``,
    );
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new FleetConfigError(key, raw, `out of range ${min}..${max}`, `set a whole number between ${min} and ${max}`);
  }
  return n;
}

function boolean(get: ConfigLookup, key: string, fallback: boolean): boolean {
  const raw = get(key);
  if (raw === undefined || raw.trim() === "") return fallback;
  const v = raw.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new FleetConfigError(key, raw, "not a boolean", `set \`true\` or \`false\``);
}

/** True if `tz` is an IANA time zone this runtime (and so AWS) knows. */
export function isTimeZone(tz: string): boolean {
  if (tz === "UTC" || tz === "Etc/UTC") return true;
  if (!tz.includes("/")) return false; // abbreviations such as "EST" or "CET" are ambiguous, AWS wants IANA names
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cron(get: ConfigLookup, key: string, fallback: string, timeZone: string): string {
  const raw = get(key);
  const expr = raw === undefined || raw.trim() === "" ? fallback : raw.trim().replace(/\s+/g, " ");
  const fields = expr.split(" ");
  if (fields.length !== 5) {
    throw new FleetConfigError(
      key,
      raw,
      `a cron needs 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
      `use e.g. "${fallback}"`,
    );
  }
  if (/[?LW#]/.test(expr)) {
    throw new FleetConfigError(
      key,
      raw,
      "uses non-standard cron characters (? L W #)",
      `use plain Unix cron syntax, e.g. "${fallback}"`,
    );
  }
  try {
    CronExpressionParser.parse(expr, { tz: timeZone, strict: false }).next();
  } catch (err) {
    throw new FleetConfigError(
      key,
      raw,
      `not a valid cron expression (${(err as Error).message})`,
      `use e.g. "${fallback}"`,
    );
  }
  return expr;
}

/** Occurrences from `from` over the next year (daylight-saving transitions included), at most `limit`. */
function occurrencesOverYear(expr: string, tz: string, from: Date, limit = 1200): number[] {
  const it = CronExpressionParser.parse(expr, { tz, currentDate: from });
  const end = from.getTime() + 366 * 24 * 3600_000;
  const out: number[] = [];
  while (out.length < limit) {
    const t = it.next().getTime();
    out.push(t);
    if (t > end) break;
  }
  return out;
}

function nextAfter(expr: string, tz: string, t: number): number {
  return CronExpressionParser.parse(expr, { tz, currentDate: new Date(t) })
    .next()
    .getTime();
}

function prevBefore(expr: string, tz: string, t: number): number {
  return CronExpressionParser.parse(expr, { tz, currentDate: new Date(t) })
    .prev()
    .getTime();
}

/**
 * Checks, for every drain in the year after `reference`, that it is followed by a restore before the next
 * drain and within MAX_DRAINED_HOURS, and preceded by a pipeline run (MIN_PIPELINE_LEAD_MINUTES to MAX_PIPELINE_LEAD_HOURS earlier) since
 * the previous drain. Occurrences are computed in the configured time zone, so a whole year covers the daylight-saving
 * nights (e.g. 02:00 does not exist in Europe/Berlin on the last Sunday of March and runs at 03:00).
 */
function checkNightOrder(
  c: Pick<FleetConfig, "drainCron" | "restoreCron" | "pipelineCron" | "timeZone">,
  raw: ConfigLookup,
  reference: Date,
): void {
  const drains = occurrencesOverYear(c.drainCron, c.timeZone, reference);
  for (let i = 0; i + 1 < drains.length; i++) {
    const drain = drains[i]!;
    const nextDrain = drains[i + 1]!;
    const restore = nextAfter(c.restoreCron, c.timeZone, drain);
    if (!(restore > drain && restore < nextDrain && restore - drain <= MAX_DRAINED_HOURS * 3600_000)) {
      throw new FleetConfigError(
        "restoreCron",
        raw("restoreCron") ?? c.restoreCron,
        `the group is drained at "${c.drainCron}" (${c.timeZone}) but not restored within ${MAX_DRAINED_HOURS} h after that drain (and before the next one); see the drain of ${new Date(drain).toISOString()}`,
        `choose a restore time a few minutes after each drain, e.g. "10 3 * * *" for a drain at "0 3 * * *"`,
      );
    }
    const prevDrain = prevBefore(c.drainCron, c.timeZone, drain);
    let pipeline: number;
    try {
      pipeline = prevBefore(c.pipelineCron, c.timeZone, drain);
    } catch {
      pipeline = Number.NEGATIVE_INFINITY;
    }
    const lead = drain - pipeline;
    if (!(
      pipeline > prevDrain &&
      lead >= MIN_PIPELINE_LEAD_MINUTES * 60_000 &&
      lead <= MAX_PIPELINE_LEAD_HOURS * 3600_000
    )) {
      throw new FleetConfigError(
        "pipelineCron",
        raw("pipelineCron") ?? c.pipelineCron,
        `the image pipeline must run before each drain ("${c.drainCron}", ${c.timeZone}), between ${MAX_PIPELINE_LEAD_HOURS} h and ${MIN_PIPELINE_LEAD_MINUTES} min ahead of it, so the night brings back a freshly built image; it does not before the drain of ${new Date(drain).toISOString()}`,
        `schedule it before the drain, e.g. "0 2 * * *" for a drain at "0 3 * * *" (in zones with daylight saving, leave an hour of real time on the night clocks go forward: e.g. "0 1 * * *")`,
      );
    }
  }
}

/** Throws unless `toAwsCron` can translate `expr` (AWS cron: one of day-of-month / day-of-week is "?"). */
function awsCronExpressible(get: ConfigLookup, key: string, expr: string, service: string): void {
  const fields = expr.split(" ");
  if (fields[4]!.includes("/")) {
    throw new FleetConfigError(
      key,
      get(key),
      `uses a step in day-of-week, which is not translated to ${service}'s cron`,
      `list the days instead, e.g. "0 2 * * 1,3,5"`,
    );
  }
  if (fields[2] !== "*" && fields[4] !== "*") {
    throw new FleetConfigError(
      key,
      get(key),
      `restricts both day-of-month and day-of-week, which ${service}'s cron cannot express`,
      `leave one of them "*"`,
    );
  }
}

/**
 * Parses and validates the fleet's configuration. `get` returns the raw string of `fleet:<key>` or
 * undefined. `now` only anchors the ordering check of the crons (tests pin it). `setKeys`, the `fleet:`
 * keys the stack sets (without the prefix), are checked against KNOWN_KEYS first.
 */
export function parseFleetConfig(
  get: ConfigLookup,
  now: Date = new Date(),
  setKeys: Iterable<string> = [],
): FleetConfig {
  checkKnownKeys(setKeys, get);
  const instanceTypeRaw = get("instanceType");
  const instanceType = instanceTypeRaw?.trim() || DEFAULTS.instanceType;
  const m = INSTANCE_TYPE.exec(instanceType);
  if (!m) {
    throw new FleetConfigError(
      "instanceType",
      instanceTypeRaw,
      "not an EC2 instance type",
      `use a type such as "t3.small" or "c7g.large"`,
    );
  }
  const architecture = architectureOf(instanceType)!;

  const minSize = integer(get, "minSize", DEFAULTS.minSize, 0, 1000)!;
  const maxSize = integer(get, "maxSize", Math.max(DEFAULTS.maxSize, minSize), 1, 1000)!;
  if (minSize > maxSize) {
    throw new FleetConfigError(
      "minSize",
      get("minSize"),
      `greater than fleet:maxSize (${maxSize})`,
      `lower fleet:minSize or raise fleet:maxSize`,
    );
  }
  const desiredCapacity = integer(get, "desiredCapacity", minSize, 0, 1000)!;
  if (desiredCapacity < minSize || desiredCapacity > maxSize) {
    throw new FleetConfigError(
      "desiredCapacity",
      get("desiredCapacity"),
      `outside fleet:minSize..fleet:maxSize (${minSize}..${maxSize})`,
      `set a value between ${minSize} and ${maxSize}`,
    );
  }
  const availabilityZones = integer(get, "availabilityZones", DEFAULTS.availabilityZones, 2, 6)!;
  const cpuTargetPercent = integer(get, "cpuTargetPercent", DEFAULTS.cpuTargetPercent, 10, 95)!;
  const requestsPerTargetPerMinute = integer(get, "requestsPerTargetPerMinute", undefined, 1, 10_000_000);

  const tzRaw = get("timeZone");
  const timeZone = tzRaw?.trim() || DEFAULTS.timeZone;
  if (!isTimeZone(timeZone)) {
    throw new FleetConfigError(
      "timeZone",
      tzRaw,
      "not an IANA time zone",
      `use a name such as "UTC", "Europe/Berlin" or "America/New_York"`,
    );
  }
  const drainCron = cron(get, "drainCron", DEFAULTS.drainCron, timeZone);
  const restoreCron = cron(get, "restoreCron", DEFAULTS.restoreCron, timeZone);
  const pipelineCron = cron(get, "pipelineCron", DEFAULTS.pipelineCron, timeZone);
  awsCronExpressible(get, "pipelineCron", pipelineCron, "EC2 Image Builder");
  checkNightOrder({ drainCron, restoreCron, pipelineCron, timeZone }, get, now);

  const certRaw = get("certificateArn");
  const certificateArn = certRaw?.trim() || undefined;
  if (certificateArn !== undefined && !CERT_ARN.test(certificateArn)) {
    throw new FleetConfigError(
      "certificateArn",
      certRaw,
      "not an ACM certificate ARN",
      `use "arn:aws:acm:<region>:<account>:certificate/<uuid>" of a certificate in the stack's region, or remove the key to serve HTTPS through CloudFront's own certificate`,
    );
  }

  const natRaw = get("natGateways");
  const natStrategy = (natRaw?.trim() || DEFAULTS.natGateways) as NatStrategy;
  if (!NAT_STRATEGIES.includes(natStrategy)) {
    throw new FleetConfigError(
      "natGateways",
      natRaw,
      "unknown NAT gateway strategy",
      `use one of ${NAT_STRATEGIES.join(", ")} (instances in private subnets need a NAT for SSM and updates)`,
    );
  }
  const deletionProtection = boolean(get, "deletionProtection", DEFAULTS.deletionProtection);

  const keepAliveS = KEEP_ALIVE_TIMEOUT_MS / 1000;
  const albIdleTimeoutSeconds = integer(get, "albIdleTimeoutSeconds", DEFAULTS.albIdleTimeoutSeconds, 1, 4000)!;
  if (albIdleTimeoutSeconds >= keepAliveS) {
    throw new FleetConfigError(
      "albIdleTimeoutSeconds",
      get("albIdleTimeoutSeconds"),
      `not below the service's keepAliveTimeout (${keepAliveS} s): the service would close sockets the ALB is about to reuse (sporadic 502s)`,
      `set a value below ${keepAliveS}, e.g. ${ALB_IDLE_TIMEOUT_S}, or remove the key`,
    );
  }

  const nightlyRaw = get("nightly");
  const nightly = (nightlyRaw?.trim() || DEFAULTS.nightly) as NightlyMode;
  if (!NIGHTLY_MODES.includes(nightly)) {
    throw new FleetConfigError(
      "nightly",
      nightlyRaw,
      "unknown nightly mode",
      `use "drain" (scale to zero and back: an outage of the drained window) or "refresh" (no outage: the release runs at the drain time); both release tonight's image with a canary and automatic rollback`,
    );
  }

  // The release's schedule (EventBridge Scheduler): the drain time in refresh mode, the restore time in drain mode.
  if (nightly === "refresh") awsCronExpressible(get, "drainCron", drainCron, "EventBridge Scheduler");
  else awsCronExpressible(get, "restoreCron", restoreCron, "EventBridge Scheduler");

  const releaseBakeMinutes = integer(
    get,
    "releaseBakeMinutes",
    DEFAULTS.releaseBakeMinutes,
    0,
    MAX_RELEASE_BAKE_MINUTES,
  )!;

  const logRetentionDays = integer(get, "logRetentionDays", DEFAULTS.logRetentionDays, 1, 3653)!;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new FleetConfigError(
      "logRetentionDays",
      get("logRetentionDays"),
      "not a retention CloudWatch Logs accepts",
      `use one of ${LOG_RETENTION_DAYS.join(", ")}`,
    );
  }

  const emailRaw = get("alarmEmail");
  const alarmEmail = emailRaw?.trim() || undefined;
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new FleetConfigError("alarmEmail", emailRaw, "not an email address", `use e.g. "ops@example.com"`);
  }

  const jobs = parseJobsConfig(get, {
    instanceType,
    architecture,
    architectureOf,
  });
  const web = parseWebConfig(get, { behindCloudFront: certificateArn === undefined });
  const waf = parseWafConfig(get);

  return {
    instanceType,
    architecture,
    minSize,
    desiredCapacity,
    maxSize,
    availabilityZones,
    cpuTargetPercent,
    ...(requestsPerTargetPerMinute !== undefined ? { requestsPerTargetPerMinute } : {}),
    drainCron,
    restoreCron,
    pipelineCron,
    timeZone,
    ...(certificateArn !== undefined ? { certificateArn } : {}),
    natStrategy,
    deletionProtection,
    albIdleTimeoutSeconds,
    nightly,
    logRetentionDays,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    releaseBakeMinutes,
    jobs,
    web,
    waf,
  };
}

/**
 * Converts a 5-field Unix cron into EC2 Image Builder's `cron(min hour dom month dow year)` form: one
 * of day-of-month / day-of-week must be "?", and days of the week are 1-7 from Sunday instead of 0-6
 * (or 7). The days are written as a list, since a Unix range such as 5-7 (Friday to Sunday) would wrap
 * around the week in AWS's numbering.
 */
export function toAwsCron(unix: string): string {
  const [min, hour, dom, month, dow] = unix.split(" ") as [string, string, string, string, string];
  if (dow === "*") return `cron(${min} ${hour} ${dom} ${month} ? *)`;
  const days = CronExpressionParser.parse(unix).fields.dayOfWeek.values.map((d) => (Number(d) % 7) + 1);
  return `cron(${min} ${hour} ? ${month} ${[...new Set(days)].sort((x, y) => x - y).join(",")} *)`;
}
