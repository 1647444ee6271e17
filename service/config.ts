import os from "node:os";
import { DEFAULT_SLOW_MS, DEFAULT_SUMMARY_INTERVAL_MS, type RequestLogOptions } from "./request-log";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, LONGEST_REQUEST_MS, MAX_SHUTDOWN_TIMEOUT_MS, SERVICE_PORT } from "./timing";

/** The service's settings, read from the environment once, before any worker is forked. */
export interface ServiceConfig {
  port: number;
  host: string;
  webConcurrency: number;
  apiMaxN: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  /**
   * CORS_ORIGINS: the exact origins (scheme://host[:port]) whose pages may call the API from a browser,
   * or ["*"] for any page. Empty: no cross-origin access (service/cors.ts sends no CORS headers).
   */
  corsOrigins: readonly string[];
  /** json, pretty, or auto: pretty when stdout is a terminal (see logFormatFor). */
  logFormat: LogFormatSetting;
  /** What is logged about requests: a line each (LOG_REQUESTS=1 or LOG_LEVEL=debug/trace), slow ones, a summary. */
  requestLog: RequestLogOptions;
  /**
   * TRUST_PROXY: how many proxies in front of the service append to X-Forwarded-For (the ALB: 1;
   * CloudFront then the ALB: 2). The client is the address that many hops back; 0 (unset): the socket's.
   */
  trustProxy: number;
  /** API_CLIENT_QUOTA_MS: estimated ms of /api/:n work one client may have admitted at once per process. */
  apiClientQuotaMs: number;
}

/** TRUST_PROXY's most: no deployment puts more proxies than this in front of the service. */
export const MAX_TRUST_PROXY = 5;

/**
 * API_CLIENT_QUOTA_MS default: half the pool's wait budget (WAIT_BUDGET_MS, 1 s): one client's sums can
 * never by themselves make another's wait past the budget, so another client is still admitted.
 */
export const DEFAULT_API_CLIENT_QUOTA_MS = 500;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFormatSetting = LogFormat | "auto";

/** Pretty lines for a person at a terminal, JSON for journald, files and pipes; LOG_FORMAT decides when set. */
export function logFormatFor(setting: LogFormatSetting, stdoutIsTty: boolean): LogFormat {
  return setting === "auto" ? (stdoutIsTty ? "pretty" : "json") : setting;
}

export const DEFAULT_API_MAX_N = 5_000_000_000;

/** A bad environment value: the message names the variable and the form it expects. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Env = Record<string, string | undefined>;

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Where `npm run web` serves the example page (examples/web/serve.ts): the origins a service started
 * outside production accepts when CORS_ORIGINS is unset. Loopback origins only, so only a page served on
 * the developer's own machine gets in; production (NODE_ENV=production, as the systemd unit sets) starts
 * from no origins at all.
 */
export const LOCAL_WEB_PORT = 5173;
export const LOCAL_WEB_ORIGINS = [`http://127.0.0.1:${LOCAL_WEB_PORT}`, `http://localhost:${LOCAL_WEB_PORT}`] as const;

export const CORS_ORIGINS_FORM =
  "a comma-separated list of origins such as https://app.example.com,http://127.0.0.1:5173";

/** A bad entry of an origin list: the entry, what is wrong, and what to write instead. */
export interface CorsOriginsProblem {
  entry: string;
  problem: string;
  fix: string;
}

/**
 * Checks a comma-separated origin list (CORS_ORIGINS, and the stack's `fleet:corsOrigins` that writes it):
 * each entry is exactly an origin as a browser sends it in `Origin` (scheme, host, a port only when not the
 * default, no path, no trailing slash, lower case), since the match is exact; `*` only alone. Pure: the
 * service and the Pulumi program word their errors around the same verdict.
 */
export function checkCorsOrigins(raw: string): { origins: string[] } | CorsOriginsProblem {
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.includes("*")) {
    // Credentials are never allowed, so `*` cannot leak a cookie; it still means every page on the web may
    // call the API, which must be said alone, not slipped into a list.
    if (entries.length > 1)
      return {
        entry: "*",
        problem: "is mixed with other origins",
        fix: `either "*" alone (any page) or a list of origins`,
      };
    return { origins: ["*"] };
  }
  const origins: string[] = [];
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { entry, problem: "is not an origin", fix: CORS_ORIGINS_FORM };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { entry, problem: "is not an http or https origin", fix: CORS_ORIGINS_FORM };
    // A path, a trailing slash, a default port or upper case would never equal a browser's Origin header.
    if (entry !== url.origin)
      return {
        entry,
        problem: "is not exactly an origin (scheme://host[:port], nothing after)",
        fix: `${JSON.stringify(url.origin)} for this entry`,
      };
    if (!origins.includes(entry)) origins.push(entry);
  }
  return { origins };
}

/**
 * CORS_ORIGINS (checkCorsOrigins). Unset: LOCAL_WEB_ORIGINS outside production, nothing in production.
 * Set but empty: nothing.
 */
export function parseCorsOrigins(env: Env): readonly string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined) return env.NODE_ENV === "production" ? [] : [...LOCAL_WEB_ORIGINS];
  const checked = checkCorsOrigins(raw);
  if ("origins" in checked) return checked.origins;
  throw new ConfigError(
    `CORS_ORIGINS=${JSON.stringify(raw)} is invalid: ${JSON.stringify(checked.entry)} ${checked.problem}; expected ${checked.fix}`,
  );
}

/** TRUST_PROXY, with what the number means in its error: a hop too many lets a client name itself. */
export function parseTrustProxy(env: Env): number {
  try {
    return integer(env, "TRUST_PROXY", 0, 0, MAX_TRUST_PROXY);
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}: the number of proxies in front that append to X-Forwarded-For (1 behind the ALB, 2 behind CloudFront and the ALB; unset or 0 when clients connect directly)`,
    );
  }
}

export function loadConfig(env: Env = process.env): ServiceConfig {
  const cores = os.availableParallelism();
  const host = env.HOST?.trim() || "0.0.0.0";
  if (/\s|\//.test(host)) {
    throw new ConfigError(
      `HOST=${JSON.stringify(env.HOST)} is invalid: expected an IP address or host name, such as 0.0.0.0 or 127.0.0.1`,
    );
  }
  const logLevel = (env.LOG_LEVEL?.trim() || "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is invalid: expected one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  const logFormat = (env.LOG_FORMAT?.trim() || "auto") as LogFormatSetting;
  if (logFormat !== "auto" && !LOG_FORMATS.includes(logFormat)) {
    throw new ConfigError(
      `LOG_FORMAT=${JSON.stringify(env.LOG_FORMAT)} is invalid: expected json or pretty (unset: pretty on a terminal, json otherwise)`,
    );
  }
  const logRequests = env.LOG_REQUESTS?.trim() || "0";
  if (logRequests !== "0" && logRequests !== "1") {
    throw new ConfigError(
      `LOG_REQUESTS=${JSON.stringify(env.LOG_REQUESTS)} is invalid: expected 1 (a line per request) or 0 (the default)`,
    );
  }
  return {
    port: integer(env, "PORT", SERVICE_PORT, 0, 65535),
    host,
    // More workers than cores only adds context switches; the cap stops a typo from forking hundreds.
    webConcurrency: integer(env, "WEB_CONCURRENCY", cores, 1, Math.max(64, cores * 4)),
    apiMaxN: integer(env, "API_MAX_N", DEFAULT_API_MAX_N, 0, Number.MAX_SAFE_INTEGER),
    // Below the longest request, a drain cuts requests the service accepted; above the maximum,
    // systemd's TimeoutStopSec would SIGKILL a drain that is still going cleanly.
    shutdownTimeoutMs: integer(
      env,
      "SHUTDOWN_TIMEOUT_MS",
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
      LONGEST_REQUEST_MS,
      MAX_SHUTDOWN_TIMEOUT_MS,
    ),
    logLevel,
    corsOrigins: parseCorsOrigins(env),
    trustProxy: parseTrustProxy(env),
    apiClientQuotaMs: integer(env, "API_CLIENT_QUOTA_MS", DEFAULT_API_CLIENT_QUOTA_MS, 1, 3_600_000),
    logFormat,
    requestLog: {
      perRequest: logRequests === "1" || logLevel === "debug" || logLevel === "trace",
      slowMs: integer(env, "LOG_SLOW_MS", DEFAULT_SLOW_MS, 1, 3_600_000),
      // 0 turns the summary off.
      summaryIntervalMs: integer(env, "LOG_SUMMARY_S", DEFAULT_SUMMARY_INTERVAL_MS / 1000, 0, 3600) * 1000,
    },
  };
}
