/**
 * The relations between the job numbers (service/jobs/timing.ts) that the worker, the queue, the infra
 * and the units must agree on; each assertion names the failure it prevents.
 */
import assert from "node:assert/strict";
import { AWS_MAX_ATTEMPTS } from "../../service/jobs/aws/client-config";
import { MESSAGE_RESEND_S, RUNNING_SWEEP_GRACE_MS } from "../../service/jobs/aws/sweep";
import {
  AWS_CONNECTION_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_MS,
  DEFAULT_JOBS_RETENTION_S,
  DEFAULT_VISIBILITY_TIMEOUT_S,
  IDEMPOTENCY_KEY_TTL_S,
  idempotencyKeyTtlS,
  LIFECYCLE_HOOK_TIMEOUT_S,
  OLDEST_MESSAGE_ALARM_S,
  QUEUE_RETENTION_S,
  resultExpireDays,
  resultExpires,
  UNSENT_JOB_SWEEP_S,
  WORKER_DRAIN_TIMEOUT_S,
  WORKER_SYSTEMD_TIMEOUT_STOP_S,
} from "../../service/jobs/timing";
import { SYSTEMD_TIMEOUT_STOP_S } from "../../service/timing";

describe("job timings", () => {
  it("drains a terminating worker within the lifecycle hook's timeout, and waits no longer than that", () => {
    assert.ok(WORKER_DRAIN_TIMEOUT_S < WORKER_SYSTEMD_TIMEOUT_STOP_S, "systemd would SIGKILL the drain");
    assert.ok(WORKER_SYSTEMD_TIMEOUT_STOP_S < LIFECYCLE_HOOK_TIMEOUT_S, "the hook would end before the worker stops");
    assert.ok(
      LIFECYCLE_HOOK_TIMEOUT_S - WORKER_SYSTEMD_TIMEOUT_STOP_S <= 120,
      `the hook waits ${LIFECYCLE_HOOK_TIMEOUT_S} s for a stop of ${WORKER_SYSTEMD_TIMEOUT_STOP_S} s: a slower refresh for nothing`,
    );
    // PutLifecycleHook's HeartbeatTimeout range (AWS API reference).
    assert.ok(LIFECYCLE_HOOK_TIMEOUT_S >= 30 && LIFECYCLE_HOOK_TIMEOUT_S <= 7200);
  });

  it("bounds every AWS call well below the web unit's stop", () => {
    const worstCallMs = AWS_MAX_ATTEMPTS * (AWS_CONNECTION_TIMEOUT_MS + AWS_REQUEST_TIMEOUT_MS);
    assert.ok(worstCallMs < (SYSTEMD_TIMEOUT_STOP_S * 1000) / 2, `${worstCallMs} ms per call`);
    assert.ok(
      UNSENT_JOB_SWEEP_S * 1000 > worstCallMs,
      "the sweeper would race an enqueue still sending within its timeouts",
    );
  });

  it("re-sends a queued job before SQS drops it, and alarms on its age well before that", () => {
    assert.ok(MESSAGE_RESEND_S < QUEUE_RETENTION_S);
    assert.ok(OLDEST_MESSAGE_ALARM_S < MESSAGE_RESEND_S);
    assert.ok(RUNNING_SWEEP_GRACE_MS > DEFAULT_VISIBILITY_TIMEOUT_S * 1000, "a live message would be re-sent");
  });

  it("expires keys no later than their jobs, and results on the CDN no later than the bucket deletes them", () => {
    assert.equal(idempotencyKeyTtlS(DEFAULT_JOBS_RETENTION_S), IDEMPOTENCY_KEY_TTL_S);
    assert.equal(idempotencyKeyTtlS(3600), 3600);
    for (const retentionS of [60, 3600, 86_400, DEFAULT_JOBS_RETENTION_S, 30 * 86_400 + 1]) {
      const writtenMs = Date.parse("2026-12-03T23:59:59Z");
      const cachedUntil = resultExpires(writtenMs, retentionS).getTime();
      const deletedNoSooner = writtenMs + resultExpireDays(retentionS) * 86_400_000;
      assert.ok(cachedUntil <= deletedNoSooner, `retention ${retentionS} s: served after deletion`);
      assert.ok(cachedUntil >= writtenMs + (retentionS - 1) * 1000, `retention ${retentionS} s: expires early`);
    }
  });
});
