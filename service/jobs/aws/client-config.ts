/**
 * The settings every AWS SDK client of the jobs system is built with: bounded connection and request
 * timeouts (service/jobs/timing.ts) and a bounded number of tries, so no call can hang past the units'
 * stop. The SDK's own default has no request timeout: a stalled socket waits until the OS gives up, and
 * a stalled call during a deploy would be killed by systemd instead of failing and being retried.
 * `requestHandler` as plain options is the SDK v3 form of NodeHttpHandler's constructor
 * (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * and the "requestHandler" section of https://github.com/aws/aws-sdk-js-v3/blob/main/supplemental-docs/CLIENTS.md).
 */
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS } from "../timing";

/** Tries of one call (the SDK's default, stated): a call gives up after about MAX_ATTEMPTS × the request timeout. */
export const AWS_MAX_ATTEMPTS = 3;

export interface SdkTimeouts {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_SDK_TIMEOUTS: SdkTimeouts = {
  connectionTimeoutMs: AWS_CONNECTION_TIMEOUT_MS,
  requestTimeoutMs: AWS_REQUEST_TIMEOUT_MS,
};

/** Client options with the timeouts; `extraRequestMs` for a long poll, which legitimately waits that long. */
export function boundedClientConfig(timeouts: SdkTimeouts = DEFAULT_SDK_TIMEOUTS, extraRequestMs = 0) {
  return {
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs + extraRequestMs,
      // Without it this SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
