/** Instance refresh preferences against AWS's rule, which the provider does not check (issue 10, defect 1). */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { INSTANCE_REFRESH_PREFERENCES, refreshPreferenceProblems } from "../../infra/night/refresh";

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
});
