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

  it("rejects nonsense settings by name", () => {
    assert.throws(() => new Admission({ servers: 0, budgetMs: 1, msPerUnit: 1 }), /servers must be at least 1/);
    assert.throws(() => new Admission({ servers: 1, budgetMs: -1, msPerUnit: 1 }), /budgetMs/);
    assert.throws(() => new Admission({ servers: 1, budgetMs: 1, msPerUnit: 0 }), /msPerUnit/);
  });
});
