/** The heartbeat, driven by a fake clock and a fake extend: when it beats, and when it gives up. */
import assert from "node:assert/strict";
import type { LeaseStatus } from "../../service/jobs/backend";
import { setTimeout as sleep } from "node:timers/promises";
import { heartbeatMs, realClock, startLeaseKeeper, type Clock } from "../../service/jobs/lease-keeper";
import { HEARTBEATS_PER_LEASE } from "../../service/jobs/timing";

/** A clock whose time moves only when the test says. */
class FakeClock implements Clock {
  nowMs = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  schedule(fn: () => void, ms: number) {
    const timer = { at: this.nowMs + ms, fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  }
  pending(): number {
    return this.timers.filter((t) => t.live).length;
  }
  /** Moves time forward, firing due timers, letting each beat's promise settle. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.nowMs = next.at;
      next.live = false;
      next.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.nowMs = end;
  }
}

function keeper(answers: (LeaseStatus | Error)[], leaseMs = 30_000) {
  const clock = new FakeClock();
  const calls: { atMs: number; leaseMs: number }[] = [];
  const ended: string[] = [];
  const warnings: string[] = [];
  const handle = startLeaseKeeper({
    extend: async (ms) => {
      calls.push({ atMs: clock.nowMs, leaseMs: ms });
      const answer = answers.shift() ?? "held";
      if (answer instanceof Error) throw answer;
      return answer;
    },
    leaseMs,
    onEnd: (status) => ended.push(status),
    log: { warn: (_details, msg) => warnings.push(msg) },
    clock,
  });
  return { clock, calls, ended, warnings, handle };
}

describe("lease keeper", () => {
  it(`extends the lease ${HEARTBEATS_PER_LEASE} times per lease, by a whole lease each time`, async () => {
    const { clock, calls, handle } = keeper([]);
    await clock.advance(30_000);
    assert.deepEqual(calls, [
      { atMs: 10_000, leaseMs: 30_000 },
      { atMs: 20_000, leaseMs: 30_000 },
      { atMs: 30_000, leaseMs: 30_000 },
    ]);
    handle.stop();
    await clock.advance(60_000);
    assert.equal(calls.length, 3, "no beat after stop()");
    assert.equal(clock.pending(), 0);
  });

  for (const status of ["lost", "canceled"] as const) {
    it(`reports a ${status} lease once and stops beating`, async () => {
      const { clock, calls, ended } = keeper(["held", status]);
      await clock.advance(100_000);
      assert.deepEqual(ended, [status]);
      assert.equal(calls.length, 2);
    });
  }

  it("survives a failed beat: logs it and tries again at the next one", async () => {
    const { clock, calls, ended, warnings } = keeper([new Error("backend unreachable"), "held"]);
    await clock.advance(30_000);
    assert.equal(calls.length, 3);
    assert.deepEqual(ended, []);
    assert.deepEqual(warnings, ["heartbeat failed; trying again at the next beat"]);
  });

  it("never has two beats in flight: the next one is scheduled when the last has answered", async () => {
    const clock = new FakeClock();
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => {};
    startLeaseKeeper({
      extend: () => {
        inFlight++;
        most = Math.max(most, inFlight);
        return new Promise<LeaseStatus>((resolve) => (release = () => (inFlight--, resolve("held"))));
      },
      leaseMs: 3_000,
      onEnd: () => {},
      log: { warn: () => {} },
      clock,
    });
    await clock.advance(10_000); // one slow beat in flight the whole time
    assert.equal(most, 1);
    release();
    await clock.advance(1_000);
    assert.equal(most, 1);
  });

  // The job has ended (done, failed, given back) while a beat was on its way: whatever that beat answers,
  // the keeper must neither extend the finished job's lease again nor report anything.
  for (const answer of ["held", "lost", "canceled", new Error("backend unreachable")] as const) {
    const what = answer instanceof Error ? "fails" : `answers "${answer}"`;
    it(`stop() during a beat in flight: the beat ${what}, and nothing follows`, async () => {
      const clock = new FakeClock();
      const calls: number[] = [];
      const ended: string[] = [];
      const warnings: string[] = [];
      let settle: () => void = () => {};
      const handle = startLeaseKeeper({
        extend: () => {
          calls.push(clock.nowMs);
          return new Promise<LeaseStatus>((resolve, reject) => {
            settle = () => (answer instanceof Error ? reject(answer) : resolve(answer));
          });
        },
        leaseMs: 3_000,
        onEnd: (status) => ended.push(status),
        log: { warn: (_details, msg) => warnings.push(msg) },
        clock,
      });
      await clock.advance(1_000);
      assert.deepEqual(calls, [1_000], "one beat in flight");
      handle.stop();
      settle();
      await clock.advance(10_000);
      assert.deepEqual(calls, [1_000], "no extend after stop()");
      assert.equal(clock.pending(), 0, "no beat scheduled");
      assert.deepEqual(ended, []);
      assert.deepEqual(warnings, []);
    });
  }

  it("logs a failed beat with its error and the period", async () => {
    const clock = new FakeClock();
    const logged: object[] = [];
    const err = new Error("backend unreachable");
    const handle = startLeaseKeeper({
      extend: () => Promise.reject(err),
      leaseMs: 3_000,
      onEnd: () => {},
      log: { warn: (details) => logged.push(details) },
      clock,
    });
    await clock.advance(1_000);
    handle.stop();
    assert.deepEqual(logged, [{ err, periodMs: 1_000 }]);
  });

  it("the real clock runs a beat after its delay, and a cancelled one never", async () => {
    const fired: string[] = [];
    realClock.schedule(() => fired.push("kept"), 5);
    const cancel = realClock.schedule(() => fired.push("cancelled"), 5);
    cancel();
    await sleep(50);
    assert.deepEqual(fired, ["kept"]);
  });

  it("beats at least every millisecond for tiny leases, never zero", () => {
    assert.equal(heartbeatMs(2), 1);
    assert.equal(heartbeatMs(30_000), 10_000);
  });
});
