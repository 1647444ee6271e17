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
  /** json, pretty, or auto: pretty when stdout is a terminal (see logFormatFor). */
  logFormat: LogFormatSetting;
  /** What is logged about requests: a line each (LOG_REQUESTS=1 or LOG_LEVEL=debug/trace), slow ones, a summary. */
  requestLog: RequestLogOptions;
}

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
    logFormat,
    requestLog: {
      perRequest: logRequests === "1" || logLevel === "debug" || logLevel === "trace",
      slowMs: integer(env, "LOG_SLOW_MS", DEFAULT_SLOW_MS, 1, 3_600_000),
      // 0 turns the summary off.
      summaryIntervalMs: integer(env, "LOG_SUMMARY_S", DEFAULT_SUMMARY_INTERVAL_MS / 1000, 0, 3600) * 1000,
    },
  };
}
