import assert from "node:assert/strict";
import {
  ceilDiv,
  infraCaveats,
  planCapacity,
  pulumiConfigLines,
  requestsPerTargetPerMinute,
  roundUpToMultiple,
} from "../../scripts/capacity-math";
import { parseCapacityArgs } from "../../scripts/capacity";

describe("capacity math", () => {
  it("rounds up to a multiple and divides without float noise", () => {
    assert.equal(roundUpToMultiple(7, 2), 8);
    assert.equal(roundUpToMultiple(8, 2), 8);
    assert.equal(roundUpToMultiple(1, 3), 3);
    assert.equal(roundUpToMultiple(0, 3), 0);
    assert.equal(ceilDiv(4000, 800 * 0.5), 10); // 4000 / 400.00000000000006 would ceil to 11 naively... or 10
    assert.equal(ceilDiv(3000, 1000 * 0.3), 10);
    assert.equal(ceilDiv(10, 3), 4);
    assert.throws(() => roundUpToMultiple(5, 0), RangeError);
  });

  it("sizes the worked example: 4000 req/s peak, 900 per instance, 70 % CPU, 2 AZs", () => {
    const plan = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 2 });
    assert.equal(plan.atTarget, 7); // ⌈4000 / 630⌉
    assert.equal(plan.at100, 5); // ⌈4000 / 900⌉
    assert.equal(plan.minSize, 2);
    assert.equal(plan.desiredCapacity, 10); // 2 AZs × ⌈5 / 1⌉: one AZ alone carries the peak at ≤ 100 %
    assert.equal(plan.maxSize, 14); // 2 × ⌈7 / 1⌉
    assert.ok(
      plan.notes.some((n) => n.includes("≤ 50 %")),
      "warns that 70 % > (azs−1)/azs",
    );
  });

  it("applies the AZ-loss rule: after losing any one AZ the rest carry the peak at ≤ 100 % CPU", () => {
    for (const peakRps of [100, 999, 4000, 12345, 100000]) {
      for (const perInstanceRps of [250, 900, 3000]) {
        for (const targetCpuPercent of [40, 70, 100]) {
          for (const azs of [2, 3, 4, 6]) {
            const p = planCapacity({ peakRps, perInstanceRps, targetCpuPercent, azs });
            const ctx = JSON.stringify({
              peakRps,
              perInstanceRps,
              targetCpuPercent,
              azs,
              p: [p.minSize, p.desiredCapacity, p.maxSize],
            });
            assert.equal(p.desiredCapacity % azs, 0, `desired is a multiple of azs ${ctx}`);
            assert.equal(p.maxSize % azs, 0, `max is a multiple of azs ${ctx}`);
            assert.ok(p.minSize === azs && p.minSize <= p.desiredCapacity && p.desiredCapacity <= p.maxSize, ctx);
            const survivors = (p.desiredCapacity / azs) * (azs - 1);
            assert.ok(survivors * perInstanceRps >= peakRps, `desired survives an AZ loss ${ctx}`);
            assert.ok(
              p.desiredCapacity * perInstanceRps * (targetCpuPercent / 100) >= peakRps - 1e-9,
              `desired holds the peak at target ${ctx}`,
            );
            const maxSurvivors = (p.maxSize / azs) * (azs - 1);
            assert.ok(
              maxSurvivors * perInstanceRps * (targetCpuPercent / 100) >= peakRps - 1e-9,
              `max lets survivors reach the target ${ctx}`,
            );
            // Minimal: one instance fewer per AZ would not survive the AZ loss or the target (whichever binds).
            const fewer = p.desiredCapacity / azs - 1;
            const fewerOk =
              fewer * (azs - 1) * perInstanceRps >= peakRps &&
              fewer * azs * perInstanceRps * (targetCpuPercent / 100) >= peakRps;
            assert.ok(p.desiredCapacity === azs || !fewerOk, `desired is the least that works ${ctx}`);
          }
        }
      }
    }
  });

  it("sizes 3 AZs: 6000 req/s, 1000 per instance, 60 %", () => {
    const p = planCapacity({ peakRps: 6000, perInstanceRps: 1000, targetCpuPercent: 60, azs: 3 });
    assert.equal(p.atTarget, 10);
    assert.equal(p.at100, 6);
    // desired = max(12, 3 × ⌈6 / 2⌉ = 9) = 12; max = max(12, 3 × ⌈10 / 2⌉ = 15) = 15
    assert.deepEqual([p.minSize, p.desiredCapacity, p.maxSize], [3, 12, 15]);
    assert.equal(p.notes.length, 0, "60 % ≤ 2/3: no warning");
  });

  it("keeps one instance per AZ for a tiny load", () => {
    const p = planCapacity({ peakRps: 10, perInstanceRps: 1000, targetCpuPercent: 70, azs: 3 });
    assert.deepEqual([p.minSize, p.desiredCapacity, p.maxSize], [3, 3, 3]);
  });

  it("with one AZ: N+1, and says an AZ loss cannot be survived", () => {
    const p = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 1 });
    assert.deepEqual([p.minSize, p.desiredCapacity, p.maxSize], [1, 7, 8]);
    assert.ok(p.notes.some((n) => n.includes("single AZ")));
  });

  it("rejects impossible inputs", () => {
    const ok = { peakRps: 1, perInstanceRps: 1, targetCpuPercent: 50, azs: 2 };
    assert.throws(() => planCapacity({ ...ok, peakRps: 0 }), /peak/);
    assert.throws(() => planCapacity({ ...ok, perInstanceRps: NaN }), /per-instance/);
    assert.throws(() => planCapacity({ ...ok, targetCpuPercent: 0 }), /target CPU/);
    assert.throws(() => planCapacity({ ...ok, targetCpuPercent: 101 }), /target CPU/);
    assert.throws(() => planCapacity({ ...ok, azs: 1.5 }), /azs/);
  });

  it("prints the pulumi config lines with the infra's key names", () => {
    const p = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 2 });
    assert.deepEqual(pulumiConfigLines(p, "prod", 70, "c7i.large"), [
      "pulumi config set --stack prod fleet:minSize 2",
      "pulumi config set --stack prod fleet:desiredCapacity 10",
      "pulumi config set --stack prod fleet:maxSize 14",
      "pulumi config set --stack prod fleet:cpuTargetPercent 70",
      "pulumi config set --stack prod fleet:instanceType c7i.large",
    ]);
  });

  it("derives the request-count target and flags what the infra would refuse", () => {
    assert.equal(requestsPerTargetPerMinute(900, 70), 37800); // 900 × 0.7 × 60
    assert.deepEqual(infraCaveats(70, 2), []);
    assert.equal(infraCaveats(5, 2).length, 1);
    assert.equal(infraCaveats(70, 1).length, 1);
    assert.equal(infraCaveats(99, 7).length, 2);
  });
});

describe("capacity math: edges and the printed explanation", () => {
  it("ceilDiv forgives float noise only: 4900 / (700 × 0.7) is 10 instances, not 11", () => {
    assert.equal(4900 / (700 * 0.7), 10.000000000000002);
    assert.equal(ceilDiv(4900, 700 * 0.7), 10);
    assert.equal(planCapacity({ peakRps: 4900, perInstanceRps: 700, targetCpuPercent: 70, azs: 1 }).atTarget, 10);
    assert.equal(ceilDiv(10.000001, 1), 11, "a real excess of a millionth still needs the next instance");
    assert.equal(ceilDiv(9.999999, 1), 10);
    assert.equal(ceilDiv(1e-9, 1), 1, "the tolerance is strictly under a billionth");
    assert.equal(ceilDiv(0.9e-9, 1), 0);
  });

  it("rounds to a multiple of 1 as itself and names a bad multiple", () => {
    assert.equal(roundUpToMultiple(7, 1), 7);
    assert.throws(() => roundUpToMultiple(5, 0), {
      name: "RangeError",
      message: "multiple must be an integer ≥ 1, got 0",
    });
    assert.throws(() => roundUpToMultiple(5, 1.5), /got 1\.5/);
  });

  it("refuses each bad input by name, with its value, and accepts the edges of the CPU target", () => {
    const ok = { peakRps: 1, perInstanceRps: 1, targetCpuPercent: 50, azs: 2 };
    const refuses = (input: object, message: string) =>
      assert.throws(() => planCapacity({ ...ok, ...input }), { name: "RangeError", message });
    refuses({ peakRps: -5 }, "peak req/s must be a number > 0, got -5");
    refuses({ peakRps: Infinity }, "peak req/s must be a number > 0, got Infinity");
    refuses({ perInstanceRps: 0 }, "per-instance req/s must be a number > 0, got 0");
    refuses({ perInstanceRps: -1 }, "per-instance req/s must be a number > 0, got -1");
    refuses({ targetCpuPercent: 0.5 }, "target CPU must be a percentage from 1 to 100, got 0.5");
    refuses({ targetCpuPercent: NaN }, "target CPU must be a percentage from 1 to 100, got NaN");
    refuses({ azs: 0 }, "azs must be an integer ≥ 1, got 0");
    assert.equal(planCapacity({ ...ok, targetCpuPercent: 1 }).atTarget, 100, "1 % is a (silly) target");
    assert.equal(planCapacity({ ...ok, targetCpuPercent: 100 }).atTarget, 1);
  });

  it("explains the 2-AZ worked example line by line", () => {
    const p = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 2 });
    assert.deepEqual(p.steps, [
      "at the CPU target: ⌈4000 / (900 × 0.7)⌉ = ⌈6.35⌉ = 7 instance(s)",
      "at 100 % CPU:      ⌈4000 / 900⌉ = ⌈4.44⌉ = 5 instance(s)",
      "min     = one instance per AZ = 2",
      "desired = max(at target 7 rounded up to a multiple of 2 = 8, AZ loss: 2 AZs × ⌈5 / 1⌉ = 2 × 5 = 10) = 10" +
        " — if one AZ fails, 1 × 5 = 5 instance(s) carry 4000 req/s at 88.89 % CPU",
      "max     = max(desired 10, 2 AZs × ⌈7 / 1⌉ = 2 × 7 = 14) = 14" +
        " — room for the surviving 1 AZ(s) to hold 7 instance(s), the peak back at the CPU target",
    ]);
    assert.deepEqual(p.notes, [
      "a target-tracking policy at 70 % CPU scales in below the AZ-loss count when load is steady; to keep the" +
        " AZ-loss headroom at all times, use a CPU target ≤ 50 % (= (azs − 1) / azs) or set minSize to 10.",
    ]);
  });

  // At 2 AZs (azs − 1) / azs is 50 % and azs − 1 is 1, where many wrong formulas agree: 3 AZs tell them apart.
  it("explains a 3-AZ plan, and warns about scale-in just above (azs − 1) / azs = 66.67 %", () => {
    const p = planCapacity({ peakRps: 10_100, perInstanceRps: 1000, targetCpuPercent: 68, azs: 3 });
    assert.deepEqual(p.steps, [
      "at the CPU target: ⌈10100 / (1000 × 0.68)⌉ = ⌈14.85⌉ = 15 instance(s)",
      "at 100 % CPU:      ⌈10100 / 1000⌉ = ⌈10.1⌉ = 11 instance(s)",
      "min     = one instance per AZ = 3",
      "desired = max(at target 15 rounded up to a multiple of 3 = 15, AZ loss: 3 AZs × ⌈11 / 2⌉ = 3 × 6 = 18) = 18" +
        " — if one AZ fails, 2 × 6 = 12 instance(s) carry 10100 req/s at 84.17 % CPU",
      "max     = max(desired 18, 3 AZs × ⌈15 / 2⌉ = 3 × 8 = 24) = 24" +
        " — room for the surviving 2 AZ(s) to hold 15 instance(s), the peak back at the CPU target",
    ]);
    assert.deepEqual(p.notes, [
      "a target-tracking policy at 68 % CPU scales in below the AZ-loss count when load is steady; to keep the" +
        " AZ-loss headroom at all times, use a CPU target ≤ 66.67 % (= (azs − 1) / azs) or set minSize to 18.",
    ]);
    const at66 = planCapacity({ peakRps: 10_100, perInstanceRps: 1000, targetCpuPercent: 66, azs: 3 });
    assert.deepEqual(at66.notes, [], "at 66 % the target's own count (18) already holds the AZ loss");
    const even = planCapacity({ peakRps: 6000, perInstanceRps: 1000, targetCpuPercent: 70, azs: 3 });
    assert.equal(even.desiredCapacity, 9);
    assert.deepEqual(
      even.notes,
      [],
      "70 % > 66.67 %, but the target's count equals the AZ-loss count: no scale-in below it",
    );
  });

  it("explains the 1-AZ plan and says why it cannot survive an AZ loss", () => {
    const p = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 1 });
    assert.deepEqual(p.steps, [
      "at the CPU target: ⌈4000 / (900 × 0.7)⌉ = ⌈6.35⌉ = 7 instance(s)",
      "at 100 % CPU:      ⌈4000 / 900⌉ = ⌈4.44⌉ = 5 instance(s)",
      "min     = one instance per AZ = 1",
      "desired = max(min 1, at target 7) = 7 (one AZ: no AZ-loss headroom possible)",
      "max     = desired + 1 (N+1: one instance of headroom) = 8",
    ]);
    assert.deepEqual(p.notes, [
      "with a single AZ the fleet cannot survive an AZ outage; use --azs 2 or more for that.",
    ]);
  });

  it("prints no instanceType line when none is given", () => {
    const p = planCapacity({ peakRps: 4000, perInstanceRps: 900, targetCpuPercent: 70, azs: 2 });
    assert.deepEqual(pulumiConfigLines(p, "dev", 70), [
      "pulumi config set --stack dev fleet:minSize 2",
      "pulumi config set --stack dev fleet:desiredCapacity 10",
      "pulumi config set --stack dev fleet:maxSize 14",
      "pulumi config set --stack dev fleet:cpuTargetPercent 70",
    ]);
  });

  it("flags exactly what the infra refuses: CPU target 10..95, 2..6 AZs, edges accepted", () => {
    for (const cpu of [10, 95]) assert.deepEqual(infraCaveats(cpu, 2), [], `cpu ${cpu}`);
    for (const azs of [2, 6]) assert.deepEqual(infraCaveats(70, azs), [], `azs ${azs}`);
    assert.deepEqual(infraCaveats(9, 1), [
      "the infra accepts fleet:cpuTargetPercent from 10 to 95, not 9.",
      "the infra's VPC spans 2 to 6 AZs (fleet:availabilityZones), not 1.",
    ]);
    assert.deepEqual(infraCaveats(96, 7), [
      "the infra accepts fleet:cpuTargetPercent from 10 to 95, not 96.",
      "the infra's VPC spans 2 to 6 AZs (fleet:availabilityZones), not 7.",
    ]);
  });

  it("rounds the request-count target down to whole requests", () => {
    assert.equal(requestsPerTargetPerMinute(1, 33), 19); // 19.8 per minute
  });
});

describe("capacity flags", () => {
  it("parses a full command line with defaults", () => {
    const a = parseCapacityArgs(["--peak-rps", "4000", "--per-instance-rps=900"]);
    assert.equal(a.peakRps, 4000);
    assert.equal(a.perInstanceRps, 900);
    assert.equal(a.targetCpu, 70);
    assert.equal(a.azs, 2);
    assert.equal(a.stack, "dev");
    assert.equal(a.instanceVcpus, 2);
    assert.equal(parseCapacityArgs(["--peak-rps", "10", "--measure", "--instance-vcpus", "4"]).measure, true);
  });

  const bad: [string[], RegExp][] = [
    [["--per-instance-rps", "900"], /--peak-rps is required/],
    [["--peak-rps", "4000"], /--per-instance-rps N .* or --measure/],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--measure"], /not both/],
    [["--peak-rps", "lots", "--per-instance-rps", "900"], /--peak-rps must be a number/],
    [
      ["--peak-rps", "4000", "--per-instance-rps", "900", "--target-cpu", "0"],
      /--target-cpu must be a number from 1 to 100/,
    ],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--target-cpu", "101"], /--target-cpu/],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--azs", "0"], /--azs must be an integer ≥ 1/],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--azs", "1.5"], /--azs/],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--zones", "2"], /unknown flag --zones/],
    [["--peak-rps", "4000", "--per-instance-rps"], /--per-instance-rps needs a value/],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--seconds", "3"], /--seconds only applies with --measure/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(" ")}`, () => {
      assert.throws(() => parseCapacityArgs(argv), message);
    });
  }
});
