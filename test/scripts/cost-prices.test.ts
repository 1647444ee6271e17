/** The price table: the real file loads and says where every number came from; a broken file is named. */
import assert from "node:assert/strict";
import { loadPriceTable, parsePriceTable, PriceTableError, PRICE_KEYS } from "../../scripts/cost/prices";

describe("cost prices", () => {
  it("eu-central-1: every price has a unit, an AWS page, a read date and a confidence; null only when missing", () => {
    const t = loadPriceTable("eu-central-1");
    for (const [name, e] of [...Object.entries(t.prices), ...Object.entries(t.ec2OnDemandPerHour)]) {
      assert.match(e.source, /^https:\/\/aws\.amazon\.com\//, `${name} belongs to an AWS pricing page`);
      assert.match(e.readOn, /^\d{4}-\d{2}-\d{2}$/, `${name} has a read date`);
      assert.ok(e.unit.length > 0, `${name} has a unit`);
      assert.equal(e.usd === null, e.confidence === "missing", `${name}: null price ⇔ missing`);
      if (e.usd !== null) assert.ok(e.readFrom, `${name} says which copy it was read from`);
      if (e.confidence !== "exact") assert.ok(e.note, `${name} says why it is not exact`);
    }
    for (const type of ["t3.small", "c7i.large", "c7i.xlarge"]) assert.ok(type in t.ec2OnDemandPerHour, type);
    assert.ok(t.spotDiscount.fraction > 0 && t.spotDiscount.fraction < 1);
  });

  it("a broken entry is named by file and field", () => {
    const good = loadPriceTable("eu-central-1");
    const raw = {
      region: "eu-central-1",
      currency: "USD",
      ec2OnDemandPerHour: {},
      prices: Object.fromEntries(PRICE_KEYS.map((k) => [k, good.prices[k]])),
      freeTier: { schedulerInvocationsMonth: { count: 0 } },
      spotDiscount: { fraction: 0.5 },
    };
    assert.ok(parsePriceTable(raw, "x.json"));
    const broken = { ...raw, prices: { ...raw.prices, albHour: { ...good.prices.albHour, usd: -1 } } };
    assert.throws(
      () => parsePriceTable(broken, "x.json"),
      (e: unknown) => e instanceof PriceTableError && e.file === "x.json" && e.field === "prices.albHour",
    );
    const guessed = {
      ...raw,
      prices: { ...raw.prices, s3Put1k: { ...good.prices.s3Put1k, usd: 0.005, confidence: "missing" } },
    };
    assert.throws(() => parsePriceTable(guessed, "x.json"), /null price has confidence "missing"/);
  });
});
