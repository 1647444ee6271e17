import assert from "node:assert/strict";
import { PRIMARY_GRACE_MS } from "../service/cluster";
import * as t from "../service/timing";

// The relations of shared/design.md, "The numbers that must agree". Each failure here is a production
// incident: sporadic 502s, a refused start, cut requests or a SIGKILLed drain.
describe("the numbers that service, load balancer and systemd share", () => {
  it("the service keeps idle sockets longer than the ALB (else the ALB reuses a closed socket: 502)", () => {
    assert.ok(t.ALB_IDLE_TIMEOUT_S * 1000 < t.KEEP_ALIVE_TIMEOUT_MS);
  });

  it("headersTimeout ≤ requestTimeout (Node refuses to start otherwise)", () => {
    assert.ok(t.HEADERS_TIMEOUT_MS <= t.REQUEST_TIMEOUT_MS);
  });

  it("the longest request fits in the deregistration delay and in the drain", () => {
    assert.ok(t.LONGEST_REQUEST_MS <= t.DEREGISTRATION_DELAY_S * 1000);
    assert.ok(t.LONGEST_REQUEST_MS <= t.DEFAULT_SHUTDOWN_TIMEOUT_MS);
  });

  it("the longest stop (health-check window, then the longest allowed drain) ends before systemd's SIGKILL", () => {
    assert.ok(t.DEFAULT_SHUTDOWN_TIMEOUT_MS <= t.MAX_SHUTDOWN_TIMEOUT_MS);
    // A request admitted at the last moment of the linger still has the whole drain deadline, which
    // covers the longest request; the primary waits PRIMARY_GRACE_MS more before it gives up on workers.
    assert.ok(
      t.HEALTH_CHECK_WINDOW_MS + t.MAX_SHUTDOWN_TIMEOUT_MS + PRIMARY_GRACE_MS < t.SYSTEMD_TIMEOUT_STOP_S * 1000,
    );
    assert.ok(t.HEALTH_CHECK_WINDOW_MS + t.LONGEST_REQUEST_MS < t.SYSTEMD_TIMEOUT_STOP_S * 1000);
  });

  it("the linger outlasts the load balancer's noticing, and a quiet period is much shorter", () => {
    // Unhealthy after that many failed checks an interval apart: the linger must not end before.
    assert.ok(t.HEALTH_CHECK_WINDOW_MS > t.UNHEALTHY_THRESHOLD * t.HEALTH_CHECK_INTERVAL_S * 1000);
    // On the ASG's path the linger is only the quiet period: it must stay a small part of a stop.
    assert.ok(t.QUIET_PERIOD_MS < t.HEALTH_CHECK_INTERVAL_S * 1000);
    assert.ok(t.QUIET_PERIOD_MS < t.DEREGISTRATION_DELAY_S * 1000);
  });

  it("a new instance takes traffic within 20 s of answering its health check", () => {
    assert.ok(t.HEALTH_CHECK_INTERVAL_S <= 10);
    assert.ok(t.HEALTH_CHECK_INTERVAL_S * t.HEALTHY_THRESHOLD <= 20);
    assert.ok(t.HEALTH_CHECK_TIMEOUT_S < t.HEALTH_CHECK_INTERVAL_S, "AWS requires timeout < interval");
  });
});
