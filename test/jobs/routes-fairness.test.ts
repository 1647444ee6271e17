/**
 * Per-client fairness of POST /jobs, with the client's address as the ALB passes it: the service behind
 * one proxy (TRUST_PROXY=1), every request arriving from the ALB's address with the client's in
 * X-Forwarded-For. A flood from one client fills its quota (429), not the queue: another client's jobs
 * are still admitted; and a client cannot pass for another by writing its own X-Forwarded-For entries.
 */
import assert from "node:assert/strict";
import { buildJobsApp, type JobsTestApp } from "./helpers";

/** The ALB node's address, the socket's peer on the instance. */
const ALB = "10.0.1.17";
/** A sum estimated at 100 s (1e9 additions a second). */
const JOB = { kind: "sum", input: { n: 100e9 } };

describe("jobs API: per-client fairness behind the ALB (TRUST_PROXY=1)", function () {
  this.timeout(30_000);
  let t: JobsTestApp;
  afterEach(() => t.close());

  const post = (forwardedFor: string | undefined, remoteAddress = ALB) =>
    t.app.inject({
      method: "POST",
      url: "/jobs",
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
      payload: JOB,
    });

  /** Posts as `client` until refused (at most `limit` posts): how many were admitted, and the refusal. */
  async function flood(forwardedFor: () => string, limit = 60) {
    let admitted = 0;
    for (let i = 0; i < limit; i++) {
      const res = await post(forwardedFor());
      if (res.statusCode !== 202) return { admitted, refusal: res };
      admitted++;
    }
    return { admitted, refusal: undefined };
  }

  it("refuses a flooding client past its quota with 429 while another client's jobs are admitted", async () => {
    t = await buildJobsApp({ trustProxy: 1, maxBacklogS: 10_000, clientQuotaS: 1_000, now: () => 0 });
    const { admitted, refusal } = await flood(() => "203.0.113.7");
    assert.ok(refusal, "the flood was never refused");
    assert.equal(admitted, 10, "1,000 s of quota holds ten jobs of 100 s");
    assert.equal(refusal.statusCode, 429);
    assert.equal(refusal.json().code, "CLIENT_QUOTA");
    assert.match(refusal.json().message, /estimated at 1000 s of work.*JOBS_CLIENT_QUOTA_S/);
    assert.ok(Number(refusal.headers["retry-after"]) >= 1);
    const other = await post("198.51.100.20");
    assert.equal(other.statusCode, 202, `another client got ${other.statusCode}: ${other.body}`);
  });

  it("keeps the shared bound too: clients together are refused with 503 past JOBS_MAX_BACKLOG_S", async () => {
    t = await buildJobsApp({ trustProxy: 1, maxBacklogS: 600, workerSlots: 1, clientQuotaS: 1_000, now: () => 0 });
    let i = 0;
    const { admitted, refusal } = await flood(() => `198.51.100.${++i}`);
    assert.equal(admitted, 7, "100 s each: admitted while the work waiting is at most 600 s");
    assert.equal(refusal?.statusCode, 503);
  });

  it("cannot be spoofed: entries a client writes before the ALB's are not its address", async () => {
    t = await buildJobsApp({ trustProxy: 1, maxBacklogS: 10_000, clientQuotaS: 1_000, now: () => 0 });
    let i = 0;
    // The ALB appends the address it saw (203.0.113.7) after whatever the client sent.
    const { admitted, refusal } = await flood(() => `10.9.${++i % 250}.1, 203.0.113.7`);
    assert.equal(admitted, 10, "every request counted as 203.0.113.7's, whatever it claimed");
    assert.equal(refusal?.statusCode, 429);
  });

  it("trusts X-Forwarded-For only from a private peer: a direct client from outside is its socket's address", async () => {
    t = await buildJobsApp({ trustProxy: 1, maxBacklogS: 10_000, clientQuotaS: 1_000, now: () => 0 });
    let i = 0;
    // Were the security group ever opened, a client would connect from its public address itself.
    const direct = async () => {
      const res = await post(`198.51.100.${++i}`, "203.0.113.99");
      return res;
    };
    let admitted = 0;
    while (admitted < 30 && (await direct()).statusCode === 202) admitted++;
    assert.equal(admitted, 10, "counted as 203.0.113.99 whatever X-Forwarded-For said");
  });

  it("behind CloudFront and the ALB (TRUST_PROXY=2) counts the viewer CloudFront appended, not the edge", async () => {
    t = await buildJobsApp({ trustProxy: 2, maxBacklogS: 10_000, clientQuotaS: 1_000, now: () => 0 });
    let i = 0;
    // CloudFront appends the viewer (203.0.113.7), the ALB the edge server it heard from (varies).
    const { admitted, refusal } = await flood(() => `10.9.${++i % 250}.1, 203.0.113.7, 130.176.0.${i % 250}`);
    assert.equal(admitted, 10);
    assert.equal(refusal?.statusCode, 429);
  });

  it("without TRUST_PROXY counts the socket's address and ignores X-Forwarded-For", async () => {
    t = await buildJobsApp({ maxBacklogS: 10_000, clientQuotaS: 1_000, now: () => 0 });
    let i = 0;
    const { admitted, refusal } = await flood(() => `198.51.100.${++i}`);
    assert.equal(admitted, 10, "all from one socket address: one client");
    assert.equal(refusal?.statusCode, 429);
    const res = await post(undefined, "192.0.2.50");
    assert.equal(res.statusCode, 202, "another socket address is another client");
  });
});
