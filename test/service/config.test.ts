import assert from "node:assert/strict";
import os from "node:os";
import {
  ConfigError,
  DEFAULT_API_CLIENT_QUOTA_MS,
  DEFAULT_API_MAX_N,
  loadConfig,
  logFormatFor,
} from "../../service/config";
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  LONGEST_REQUEST_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  SERVICE_PORT,
} from "../../service/timing";

describe("service config from the environment", () => {
  it("defaults: port 3000 on all interfaces, a worker per core, the documented maximum n", () => {
    assert.deepEqual(loadConfig({}), {
      port: SERVICE_PORT,
      host: "0.0.0.0",
      webConcurrency: os.availableParallelism(),
      apiMaxN: DEFAULT_API_MAX_N,
      shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      logLevel: "info",
      corsOrigins: ["http://127.0.0.1:5173", "http://localhost:5173"],
      logFormat: "auto",
      // At info: no line per request; slow ones past 1 s; a summary every 10 s.
      requestLog: { perRequest: false, slowMs: 1_000, summaryIntervalMs: 10_000 },
      // Locally nothing is in front: the socket's address is the client.
      trustProxy: 0,
      apiClientQuotaMs: DEFAULT_API_CLIENT_QUOTA_MS,
    });
    assert.equal(DEFAULT_API_MAX_N, 5_000_000_000);
  });

  it("reads every variable", () => {
    const env = {
      PORT: "8080",
      HOST: "127.0.0.1",
      WEB_CONCURRENCY: "3",
      API_MAX_N: "1000",
      SHUTDOWN_TIMEOUT_MS: "35000",
      LOG_LEVEL: "warn",
      CORS_ORIGINS: "https://app.example.com",
      LOG_FORMAT: "json",
      LOG_REQUESTS: "1",
      LOG_SLOW_MS: "250",
      LOG_SUMMARY_S: "0",
      TRUST_PROXY: "2",
      API_CLIENT_QUOTA_MS: "250",
    };
    assert.deepEqual(loadConfig(env), {
      port: 8080,
      host: "127.0.0.1",
      webConcurrency: 3,
      apiMaxN: 1000,
      shutdownTimeoutMs: 35000,
      logLevel: "warn",
      corsOrigins: ["https://app.example.com"],
      logFormat: "json",
      requestLog: { perRequest: true, slowMs: 250, summaryIntervalMs: 0 },
      trustProxy: 2,
      apiClientQuotaMs: 250,
    });
  });

  it("LOG_LEVEL=debug (or trace) logs every request, as LOG_REQUESTS=1 does", () => {
    assert.equal(loadConfig({ LOG_LEVEL: "debug" }).requestLog.perRequest, true);
    assert.equal(loadConfig({ LOG_LEVEL: "trace" }).requestLog.perRequest, true);
    assert.equal(loadConfig({ LOG_LEVEL: "info", LOG_REQUESTS: "0" }).requestLog.perRequest, false);
  });

  it("log format: pretty on a terminal, JSON otherwise, unless LOG_FORMAT says", () => {
    assert.equal(logFormatFor("auto", true), "pretty");
    assert.equal(logFormatFor("auto", false), "json");
    assert.equal(logFormatFor("json", true), "json");
    assert.equal(logFormatFor("pretty", false), "pretty");
  });

  const bad: Array<[string, string, RegExp]> = [
    ["PORT", "http", /PORT="http" is invalid: expected an integer from 0 to 65535/],
    ["TRUST_PROXY", "true", /TRUST_PROXY="true" is invalid: expected an integer from 0 to 5/],
    ["TRUST_PROXY", "6", /TRUST_PROXY="6"/],
    ["API_CLIENT_QUOTA_MS", "0", /API_CLIENT_QUOTA_MS="0" is invalid: expected an integer from 1/],
    ["PORT", "65536", /PORT="65536"/],
    ["WEB_CONCURRENCY", "0", /WEB_CONCURRENCY="0" is invalid: expected an integer from 1 to/],
    ["WEB_CONCURRENCY", "2.5", /WEB_CONCURRENCY="2.5"/],
    ["WEB_CONCURRENCY", "100000", /WEB_CONCURRENCY="100000"/],
    ["API_MAX_N", "-5", /API_MAX_N="-5" is invalid: expected an integer from 0 to 9007199254740991/],
    ["API_MAX_N", "1e9", /API_MAX_N="1e9"/],
    [
      "SHUTDOWN_TIMEOUT_MS",
      String(MAX_SHUTDOWN_TIMEOUT_MS + 1),
      new RegExp(`expected an integer from ${LONGEST_REQUEST_MS} to ${MAX_SHUTDOWN_TIMEOUT_MS}`),
    ],
    // A drain shorter than the longest request would cut requests the service had accepted.
    ["SHUTDOWN_TIMEOUT_MS", String(LONGEST_REQUEST_MS - 1), /SHUTDOWN_TIMEOUT_MS="24999" is invalid/],
    [
      "LOG_LEVEL",
      "loud",
      /LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent/,
    ],
    ["HOST", "http://x", /HOST="http:\/\/x" is invalid/],
    ["LOG_FORMAT", "text", /LOG_FORMAT="text" is invalid: expected json or pretty/],
    ["LOG_REQUESTS", "yes", /LOG_REQUESTS="yes" is invalid: expected 1/],
    ["LOG_SLOW_MS", "0", /LOG_SLOW_MS="0" is invalid: expected an integer from 1/],
    ["LOG_SUMMARY_S", "5s", /LOG_SUMMARY_S="5s" is invalid/],
  ];
  for (const [name, value, message] of bad) {
    it(`${name}=${value} is refused with a message naming it`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }
});
