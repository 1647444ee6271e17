import assert from "node:assert/strict";
import { Admission } from "../../service/admission";

/** A clock the test moves by hand. */
function clock(startMs = 0) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("Admission by estimated cost", () => {
  it("admits until the admitted work would make the next unit wait past the budget, then refuses with Retry-After", () => {
    const c = clock();
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, now: c.now });
    const first = a.admit(600);
    const second = a.admit(600);
    assert.ok(first.admitted && second.admitted);
    assert.equal(first.waitMs, 0);
    assert.equal(second.waitMs, 600);
    const third = a.admit(600);
    assert.equal(third.admitted, false);
    assert.equal(third.waitMs, 1_200);
    assert.equal(!third.admitted && third.retryAfterS, 2, "ceil(1.2 s of admitted work)");
  });

  it("counts the work done since it started: the wait shrinks as the clock runs", () => {
    const c = clock();
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, now: c.now });
    a.admit(600);
    a.admit(600);
    c.advance(300);
    assert.equal(a.waitMs(), 900);
    assert.ok(a.admit(100).admitted, "900 ms of wait is within the budget");
    c.advance(10_000);
    assert.equal(a.waitMs(), 0, "overrun work is counted as about to finish, never below zero");
  });

  it("spreads the backlog over the servers", () => {
    const a = new Admission({ servers: 4, budgetMs: 1_000, msPerUnit: 1, now: () => 0 });
    for (let i = 0; i < 6; i++) assert.ok(a.admit(600).admitted);
    assert.equal(a.waitMs(), 900);
  });

  it("done() takes the work back out, once", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, now: () => 0 });
    const t = a.admit(5_000);
    assert.equal(a.admit(10).admitted, false);
    assert.ok(t.admitted);
    t.done();
    t.done();
    assert.equal(a.waitMs(), 0);
    assert.ok(a.admit(10).admitted);
  });

  it("never refuses trivial work, however long the backlog; refuses the big ones first", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1e-6, trivialMs: 0.05, now: () => 0 });
    a.admit(5e9); // 5 s of work
    assert.equal(a.admit(300_000_000).admitted, false);
    assert.equal(a.admit(50_001).admitted, false);
    assert.ok(a.admit(50_000).admitted);
    assert.ok(a.isTrivial(50_000) && !a.isTrivial(50_001));
  });

  it("learns the cost of a unit from observed run times, and ignores runs too short to time", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1e-6, smoothing: 0.5, now: () => 0 });
    a.observe(1_000, 0.5); // 1 µs estimated, 0.5 ms measured: both under 5 ms, noise
    assert.equal(a.msPerUnit, 1e-6);
    const t = a.admit(1e8); // 100 ms estimated
    assert.ok(t.admitted);
    t.done(300); // it took 3 ns per unit
    assert.equal(a.msPerUnit, 2e-6);
    assert.equal(a.estimateMs(1e8), 200);
  });

  it("done(runMs) twice teaches the estimate once: the second call is a no-op", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, smoothing: 0.5, now: () => 0 });
    const t = a.admit(100);
    assert.ok(t.admitted);
    t.done(300); // 3 ms per unit: 1 × 0.5 + 3 × 0.5
    t.done(300);
    assert.equal(a.msPerUnit, 2);
  });

  it("corrects a start-up estimate far too low: the measured run time decides whether it is long enough to time", () => {
    // Estimated at 1 µs, measured at 100 ms: the longer of the two is what says the run was timeable.
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1e-6, smoothing: 0.5, now: () => 0 });
    a.observe(1, 100);
    assert.equal(a.msPerUnit, 0.5 * 1e-6 + 0.5 * 100);
  });

  it("learns from a run exactly minObservedMs long, not from one shorter", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, smoothing: 0.5, minObservedMs: 5 });
    a.observe(1, 4.999);
    assert.equal(a.msPerUnit, 1, "max(1 ms estimated, 4.999 ms measured) < 5 ms: too short to time");
    a.observe(1, 5);
    assert.equal(a.msPerUnit, 3, "5 ms is long enough: 1 × 0.5 + 5 × 0.5");
  });

  it("learns from a 0 ms run of work estimated long enough to time (the estimate falls)", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 10, smoothing: 0.5 });
    a.observe(1, 0);
    assert.equal(a.msPerUnit, 5);
  });

  // done() runs in a finally (service/sum-pool.ts) where a throw would fail a request whose answer is ready,
  // so an observation that cannot teach is dropped rather than refused; it must never reach the estimate.
  const useless: [string, number, number][] = [
    ["0 units (a cost per unit of 10 / 0 = Infinity)", 0, 10],
    ["negative units", -1, 10],
    ["NaN units", NaN, 10],
    ["Infinity units (a cost per unit of 0)", Infinity, 10],
    ["a negative run time", 1, -10],
    ["a NaN run time", 1, NaN],
    ["an Infinity run time", 1, Infinity],
  ];
  for (const [what, units, runMs] of useless) {
    it(`drops an observation of ${what}: the estimate stays as it was`, () => {
      const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 10, now: () => 0 });
      a.observe(units, runMs);
      assert.equal(a.msPerUnit, 10);
      const t = a.admit(1);
      assert.ok(t.admitted);
      t.done(runMs);
      assert.equal(a.msPerUnit, 10);
      assert.equal(a.estimateMs(100), 1_000);
    });
  }

  it("admits at exactly the budget's wait; refuses just past it", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1, now: () => 0 });
    a.admit(1_000);
    assert.equal(a.waitMs(), 1_000);
    assert.ok(a.admit(10).admitted, "a wait equal to the budget is within it");
    assert.equal(a.admit(10).admitted, false, "1 010 ms of wait is past it");
  });

  it("trivial work is work estimated at or under trivialMs, exactly at the edge included", () => {
    const a = new Admission({ servers: 1, budgetMs: 0, msPerUnit: 1, trivialMs: 5, now: () => 0 });
    a.admit(1_000); // a wait of 1 s, far past a budget of 0
    assert.ok(a.isTrivial(5) && !a.isTrivial(6));
    assert.ok(a.admit(5).admitted, "5 ms estimated = trivialMs: admitted however long the wait");
    assert.equal(a.admit(6).admitted, false);
  });

  it("with a budget of 0 admits only while nothing waits", () => {
    const a = new Admission({ servers: 1, budgetMs: 0, msPerUnit: 1, now: () => 0 });
    assert.ok(a.admit(10).admitted);
    assert.equal(a.admit(10).admitted, false);
  });

  it("uses the process clock by default: admitted work makes the next one wait", () => {
    const a = new Admission({ servers: 1, budgetMs: 1_000, msPerUnit: 1 });
    assert.ok(a.admit(60_000).admitted);
    const wait = a.waitMs();
    assert.ok(wait > 59_000 && wait <= 60_000, `waitMs ${wait}`);
    assert.equal(a.admit(10).admitted, false);
  });

  it("rejects nonsense settings by name", () => {
    assert.throws(() => new Admission({ servers: 0, budgetMs: 1, msPerUnit: 1 }), /servers must be at least 1/);
    assert.throws(() => new Admission({ servers: 1, budgetMs: -1, msPerUnit: 1 }), /budgetMs/);
    assert.throws(() => new Admission({ servers: 1, budgetMs: 1, msPerUnit: 0 }), /msPerUnit/);
  });
});

describe("Admission: per-client quota", () => {
  it("refuses a client past its quota while another client is still admitted", () => {
    const a = new Admission({ servers: 1, budgetMs: 10_000, msPerUnit: 1, clientQuotaMs: 1_000, now: () => 0 });
    assert.ok(a.admit(600, "A").admitted);
    assert.ok(a.admit(400, "A").admitted, "exactly at the quota");
    const refused = a.admit(1, "A");
    assert.equal(refused.admitted, false);
    assert.equal(!refused.admitted && refused.reason, "client-quota");
    assert.equal(!refused.admitted && refused.clientMs, 1_000);
    assert.ok(a.admit(600, "B").admitted, "B has its own share");
    assert.ok(a.admit(1).admitted, "work charged to no client has no quota");
  });

  it("admits one unit bigger than the quota when the client has nothing outstanding, and frees the share on done()", () => {
    const a = new Admission({ servers: 1, budgetMs: 100_000, msPerUnit: 1, clientQuotaMs: 1_000, now: () => 0 });
    const big = a.admit(5_000, "A");
    assert.ok(big.admitted);
    assert.equal(a.admit(1, "A").admitted, false);
    big.done();
    assert.equal(a.outstandingMs("A"), 0);
    assert.ok(a.admit(1, "A").admitted);
  });

  it("forgets work at its estimated end when told to (work that runs elsewhere), quota included", () => {
    let t = 0;
    const a = new Admission({
      servers: 1,
      budgetMs: 100_000,
      msPerUnit: 1,
      clientQuotaMs: 1_000,
      forgetAtEstimatedEnd: true,
      now: () => t,
    });
    assert.ok(a.admit(1_000, "A").admitted);
    assert.ok(a.admit(1_000, "B").admitted, "starts at 1,000, ends at 2,000");
    assert.equal(a.admit(1, "A").admitted, false);
    t = 1_000;
    assert.equal(a.outstandingMs("A"), 0, "A's work is estimated done");
    assert.equal(a.outstandingMs("B"), 1_000, "B's has only just started");
    assert.ok(a.admit(1, "A").admitted);
  });

  it("waits behind work admitted elsewhere (a shared queue's backlog), the larger of the two", () => {
    const a = new Admission({ servers: 2, budgetMs: 1_000, msPerUnit: 1, now: () => 0 });
    const refused = a.admit(1, "A", 4_000);
    assert.equal(refused.admitted, false);
    assert.equal(!refused.admitted && refused.reason, "busy");
    assert.equal(refused.waitMs, 2_000, "4,000 ms of work over two servers");
    assert.ok(a.admit(1, "A", 2_000).admitted);
  });
});
