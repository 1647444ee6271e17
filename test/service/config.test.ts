import assert from "node:assert/strict";
import os from "node:os";
import { ConfigError, DEFAULT_API_MAX_N, loadConfig } from "../../service/config";
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
    };
    assert.deepEqual(loadConfig(env), {
      port: 8080,
      host: "127.0.0.1",
      webConcurrency: 3,
      apiMaxN: 1000,
      shutdownTimeoutMs: 35000,
      logLevel: "warn",
      corsOrigins: ["https://app.example.com"],
    });
  });

  const bad: Array<[string, string, RegExp]> = [
    ["PORT", "http", /PORT="http" is invalid: expected an integer from 0 to 65535/],
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
