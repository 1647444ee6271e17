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
