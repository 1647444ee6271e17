/** Instance refresh preferences against AWS's rule, which the provider does not check (issue 10, defect 1). */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  apiRefreshPreferences,
  INSTANCE_REFRESH_PREFERENCES,
  refreshPreferenceProblems,
} from "../../infra/night/refresh";

const problems = (min: number, max: number) =>
  refreshPreferenceProblems({ minHealthyPercentage: min, maxHealthyPercentage: max });

describe("infra refresh preferences", () => {
  it("are accepted by AWS: both set, min 0..100, max 100..200, max − min ≤ 100", () => {
    assert.deepEqual(refreshPreferenceProblems(INSTANCE_REFRESH_PREFERENCES), []);
  });

  it("launch before terminating and keep the whole capacity in service", () => {
    assert.equal(INSTANCE_REFRESH_PREFERENCES.maxHealthyPercentage, 200);
    assert.equal(INSTANCE_REFRESH_PREFERENCES.minHealthyPercentage, 100);
  });

  it("the rule rejects what AWS rejects (the seed's 90/200 among them)", () => {
    assert.match(
      refreshPreferenceProblems({ minHealthyPercentage: 90, maxHealthyPercentage: 200 }).join(),
      /exceeds 100/,
    );
    assert.match(refreshPreferenceProblems({ minHealthyPercentage: 90 }).join(), /set together/);
    assert.match(refreshPreferenceProblems({ maxHealthyPercentage: 200 }).join(), /set together/);
    assert.match(
      refreshPreferenceProblems({ minHealthyPercentage: 100, maxHealthyPercentage: 201 }).join(),
      /100\.\.200/,
    );
    assert.match(refreshPreferenceProblems({ minHealthyPercentage: -1, maxHealthyPercentage: 99 }).join(), /0\.\.100/);
    assert.deepEqual(refreshPreferenceProblems({}), [], "neither set: AWS uses its defaults");
  });

  it("accepts exactly the pairs inside AWS's ranges whose gap is at most 100", () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 110 }), fc.integer({ min: 90, max: 210 }), (min, max) => {
        const ok = min >= 0 && min <= 100 && max >= 100 && max <= 200 && max - min <= 100;
        assert.equal(
          refreshPreferenceProblems({ minHealthyPercentage: min, maxHealthyPercentage: max }).length === 0,
          ok,
        );
      }),
    );
  });

  // The property above draws the edges only by chance: each edge, on both sides, every run.
  it("accepts each edge of AWS's ranges and refuses one past it, naming the value", () => {
    assert.deepEqual(problems(0, 100), [], "min 0 and max 100: the lowest pair");
    assert.deepEqual(problems(100, 200), []);
    assert.deepEqual(problems(100, 100), []);
    assert.deepEqual(problems(-1, 99), [
      "MinHealthyPercentage -1 is not in 0..100",
      "MaxHealthyPercentage 99 is not in 100..200",
    ]);
    assert.deepEqual(problems(101, 201), [
      "MinHealthyPercentage 101 is not in 0..100",
      "MaxHealthyPercentage 201 is not in 100..200",
    ]);
    assert.deepEqual(problems(50.5, 150), ["MinHealthyPercentage 50.5 is not in 0..100"]);
    assert.deepEqual(problems(60, 150.5), ["MaxHealthyPercentage 150.5 is not in 100..200"]);
  });

  it("allows a gap of exactly 100 and names the gap past it", () => {
    assert.deepEqual(problems(20, 120), []);
    assert.deepEqual(problems(20, 121), ["MaxHealthyPercentage − MinHealthyPercentage = 101 exceeds 100"]);
  });

  it("spells the fleet's preferences as the Auto Scaling API does, all four of them", () => {
    assert.deepEqual(apiRefreshPreferences(), {
      MinHealthyPercentage: 100,
      MaxHealthyPercentage: 200,
      SkipMatching: false,
    });
  });

  it("spells a group's own preferences, leaving out what it does not set (AWS's default then)", () => {
    assert.deepEqual(
      apiRefreshPreferences({
        minHealthyPercentage: 0,
        maxHealthyPercentage: 100,
        skipMatching: true,
        scaleInProtectedInstances: "Refresh",
      }),
      { MinHealthyPercentage: 0, MaxHealthyPercentage: 100, SkipMatching: true, ScaleInProtectedInstances: "Refresh" },
    );
    assert.deepEqual(apiRefreshPreferences({ scaleInProtectedInstances: "Ignore" }), {
      ScaleInProtectedInstances: "Ignore",
    });
    assert.deepEqual(apiRefreshPreferences({}), {});
  });
});
