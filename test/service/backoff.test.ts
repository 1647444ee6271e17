import assert from "node:assert/strict";
import { backoffDelay } from "../../service/cluster";

describe("respawn backoff", () => {
  it("doubles with each recent crash and never passes the cap, whatever the jitter", () => {
    for (const random of [() => 0, () => 0.5, () => 0.999999]) {
      const delays = [1, 2, 3, 4, 5, 10, 20].map((crashes) => backoffDelay(crashes, 100, 10_000, random));
      for (const [i, crashes] of [1, 2, 3, 4, 5].entries()) {
        const ceiling = 100 * 2 ** (crashes - 1);
        assert.ok(delays[i]! >= ceiling / 2 && delays[i]! <= ceiling, `crash ${crashes}: ${delays[i]} ms`);
      }
      assert.ok(
        delays.every((d) => d <= 10_000),
        `capped: ${delays.join(", ")}`,
      );
      assert.ok(delays[6]! >= 5_000, "a long crash streak waits at least half the cap");
    }
  });

  it("jitter spreads the respawns of workers that crashed together", () => {
    assert.notEqual(
      backoffDelay(3, 100, 10_000, () => 0),
      backoffDelay(3, 100, 10_000, () => 0.9),
    );
  });
});
