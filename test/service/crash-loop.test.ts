/**
 * The crash-loop breaker's decision (crashVerdict, shared by the web cluster's primary and the job-worker
 * supervisor): which crashes count and when they are a crash loop, at the exact edges of the window and
 * of the limit, and against a plain model over random crash histories.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { crashVerdict } from "../../service/cluster";

const limits = { maxCrashes: 5, crashWindowMs: 60_000 };

describe("crash-loop breaker (crashVerdict)", () => {
  it("a first crash counts alone and is no loop", () => {
    assert.deepEqual(crashVerdict([], 1_000, limits), { recentMs: [1_000], crashLoop: false });
  });

  it("maxCrashes crashes in the window are tolerated; one more is a crash loop", () => {
    const four = [1_000, 2_000, 3_000, 4_000];
    assert.deepEqual(crashVerdict(four, 5_000, limits), { recentMs: [...four, 5_000], crashLoop: false });
    const five = [...four, 5_000];
    assert.deepEqual(crashVerdict(five, 6_000, limits), { recentMs: [...five, 6_000], crashLoop: true });
  });

  it("a crash exactly crashWindowMs ago has left the window; one a millisecond younger still counts", () => {
    const five = [10_000, 20_000, 30_000, 40_000, 50_000];
    // now − 10,000 = 60,000 exactly: the first crash drops out, five remain, no loop.
    assert.deepEqual(crashVerdict(five, 70_000, limits), {
      recentMs: [20_000, 30_000, 40_000, 50_000, 70_000],
      crashLoop: false,
    });
    // One millisecond earlier it is 59,999 ms old: six count, a loop.
    assert.deepEqual(crashVerdict(five, 69_999, limits), { recentMs: [...five, 69_999], crashLoop: true });
  });

  it("drops every old crash, not only the oldest", () => {
    assert.deepEqual(crashVerdict([1, 2, 3, 100_000], 200_000, limits), { recentMs: [200_000], crashLoop: false });
  });

  it("maxCrashes 0 gives up at the first crash", () => {
    assert.equal(crashVerdict([], 1, { maxCrashes: 0, crashWindowMs: 60_000 }).crashLoop, true);
  });

  it("a window of 0 ms counts nothing, not even this crash, so it never gives up", () => {
    assert.deepEqual(crashVerdict([1, 2], 2, { maxCrashes: 0, crashWindowMs: 0 }), { recentMs: [], crashLoop: false });
  });

  it("a clock that stepped back keeps the crashes after the first recent one, in order", () => {
    // 90,000 is recent at now = 100,000; the later 5,000 (the clock stepped back) stays behind it.
    assert.deepEqual(crashVerdict([1_000, 90_000, 5_000], 100_000, limits).recentMs, [90_000, 5_000, 100_000]);
  });

  it("does not change the list it is given", () => {
    const earlier = [1_000, 2_000];
    crashVerdict(earlier, 100_000, limits);
    assert.deepEqual(earlier, [1_000, 2_000]);
  });

  it("over any history of crashes in time order, counts exactly those less than the window old", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 20_000 }),
        (gapsMs, maxCrashes, crashWindowMs) => {
          let t = 0;
          const times = gapsMs.map((gap) => (t += gap));
          let kept: number[] = [];
          for (const [i, now] of times.entries()) {
            const verdict = crashVerdict(kept, now, { maxCrashes, crashWindowMs });
            const model = times.slice(0, i + 1).filter((c) => now - c < crashWindowMs);
            assert.deepEqual(verdict.recentMs, model);
            assert.equal(verdict.crashLoop, model.length > maxCrashes);
            kept = verdict.recentMs;
          }
        },
      ),
    );
  });
});
