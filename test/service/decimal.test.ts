import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDecimal } from "../../service/decimal";

const MAX = 5_000_000_000;

describe("parseDecimal: the only spelling of n in /api/:n", () => {
  it("accepts every integer from 0 to the bound, spelt canonically, as itself", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX }), (n) => parseDecimal(String(n), MAX) === n));
  });

  it("refuses every string that is not the canonical spelling of an integer within the bound", () => {
    const canonical = (s: string) => /^(0|[1-9][0-9]*)$/.test(s) && Number(s) <= MAX;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme" }),
          // Near misses: numbers with whitespace, signs, exponents, prefixes, fractions and leading zeros.
          fc
            .tuple(
              fc.constantFrom("", " ", "\t", "\n", "+", "-", "0", "00", "0x", "0b", "0o", "\u00a0", "\u3000"),
              fc.integer({ min: 0, max: MAX * 2 }),
              fc.constantFrom("", " ", "e3", "E0", ".0", ".", "n", "_0", "\u0660"),
            )
            .map(([a, n, b]) => `${a}${n}${b}`),
        ),
        (s) => (parseDecimal(s, MAX) !== undefined) === canonical(s),
      ),
    );
  });

  for (const [raw, why] of [
    ["", "empty"],
    [" 7", "leading whitespace"],
    ["7 ", "trailing whitespace"],
    ["+7", "a sign"],
    ["-0", "a negative zero"],
    ["7e2", "an exponent"],
    ["0x1f", "hex"],
    ["007", "leading zeros (one URL per n)"],
    ["7.0", "a fraction"],
    ["\u0667", "a non-ASCII digit (Arabic-Indic seven)"],
    ["\uff17", "a fullwidth seven"],
    ["5000000001", "one past the bound"],
    ["9".repeat(400), "too long to be within the bound"],
  ] as const) {
    it(`refuses ${JSON.stringify(raw.length > 20 ? raw.slice(0, 20) + "…" : raw)}: ${why}`, () => {
      assert.equal(parseDecimal(raw, MAX), undefined);
    });
  }

  it("accepts 0 and the bound itself", () => {
    assert.equal(parseDecimal("0", MAX), 0);
    assert.equal(parseDecimal(String(MAX), MAX), MAX);
  });
});
