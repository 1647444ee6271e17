import assert from "node:assert/strict";
import { chunkLength, expectedSum, sumRange } from "../../service/sum";
import { MAX_N, parallelSum, parseN, slices } from "../../scripts/parallel-sum";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

describe("parallel sum: slicing 0..n", () => {
  it("covers 0..n exactly once, in order, in near-equal contiguous slices", () => {
    const ns = [0, 1, 2, 3, 7, 10, 999, 1000, 1_000_000, 1e9, 1e9 + 1, MAX_N];
    for (const n of ns) {
      for (const parts of [1, 2, 3, 4, 7, 8, 16, 64]) {
        const s = slices(n, parts);
        assert.equal(s[0]!.from, 0, `starts at 0 (n=${n}, parts=${parts})`);
        assert.equal(s[s.length - 1]!.to, n, `ends at n (n=${n}, parts=${parts})`);
        assert.equal(s.length, Math.min(parts, n + 1));
        for (let i = 1; i < s.length; i++) assert.equal(s[i]!.from, s[i - 1]!.to + 1, "no gap, no overlap");
        const lengths = s.map((x) => x.to - x.from + 1);
        assert.ok(lengths.every((l) => l >= 1));
        assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 1, "balanced to within one");
        assert.equal(
          lengths.reduce((a, b) => a + b, 0),
          n + 1,
        );
      }
    }
  });

  it("keeps every chunk's partial sum ≤ Number.MAX_SAFE_INTEGER, for every slice of big n", () => {
    for (const n of [1e9, 5e9, MAX_N, 2 ** 40, 2 ** 52, Number.MAX_SAFE_INTEGER - 1]) {
      for (const s of slices(n, 8)) {
        const step = chunkLength(s.to);
        assert.ok(step >= 1);
        // The largest chunk sum of the slice is its top chunk: `step` integers ending at `to`.
        const hi = BigInt(s.to);
        const lo = BigInt(Math.max(s.from, s.to - step + 1));
        const topChunk = ((hi + lo) * (hi - lo + 1n)) / 2n;
        assert.ok(topChunk <= MAX_SAFE, `top chunk of ${s.from}..${s.to} sums to ${topChunk}`);
        assert.ok(BigInt(step) * hi <= MAX_SAFE, "step × max ≤ MAX_SAFE_INTEGER");
      }
    }
  });

  it("sumRange agrees with n(n+1)/2 where the total crosses 2^53", () => {
    // n(n+1)/2 passes 2^53 between n = 2^27 - 1 and 2^27 + 1.
    for (const n of [2 ** 27 - 1, 2 ** 27, 2 ** 27 + 1]) assert.equal(sumRange(0, n), expectedSum(n), `n=${n}`);
    assert.ok(expectedSum(2 ** 27 + 1) > MAX_SAFE);
  });

  it("sumRange is exact on short ranges of huge numbers (chunks near 2^53)", () => {
    const closed = (from: number, to: number): bigint => expectedSum(to) - expectedSum(from - 1);
    for (const to of [2 ** 40, 2 ** 45 + 12345, 2 ** 52, Number.MAX_SAFE_INTEGER]) {
      const from = to - 100_000;
      assert.equal(sumRange(from, to), closed(from, to), `${from}..${to}`);
    }
  });

  it("the slices' sums add up to n(n+1)/2 (in process and on worker threads)", async () => {
    for (const n of [0, 1, 12_345, 10_000_000]) {
      const total = slices(n, 3).reduce((acc, s) => acc + sumRange(s.from, s.to), 0n);
      assert.equal(total, expectedSum(n));
    }
    const run = await parallelSum(2 ** 27 + 1, 2);
    assert.equal(run.sum, expectedSum(2 ** 27 + 1));
    assert.equal(run.slices.length, 2);
  });

  it("parses n as 1e9, 1000000000 or 1_000_000_000 and rejects the rest by name", () => {
    assert.equal(parseN("1e9"), 1e9);
    assert.equal(parseN("1000000000"), 1e9);
    assert.equal(parseN("1_000_000_000"), 1e9);
    assert.equal(parseN("2.5e9"), 2.5e9);
    assert.equal(parseN("1e11"), 1e11);
    assert.equal(parseN("0"), 0);
    for (const bad of ["-1", "1.5", "NaN", "", "1e12", "0x10", "1__0", "_1", "1e9x", "Infinity", "1.5e0"]) {
      assert.throws(() => parseN(bad, "n"), /^RangeError: n must be an integer from 0 to 1e11/, bad);
    }
  });
});
