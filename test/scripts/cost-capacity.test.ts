/** `npm run capacity --instance-type T`: the monthly EC2 cost of its min / desired / max, and its flags. */
import assert from "node:assert/strict";
import { capacityCostLines } from "../../scripts/cost/capacity-cost";
import { parseCapacityArgs } from "../../scripts/capacity";
import { UsageError } from "../../scripts/cli";
import { testTable } from "./cost-fixtures";

describe("capacity: the cost of what it recommends", () => {
  const sizes = { minSize: 2, desiredCapacity: 10, maxSize: 14 };

  it("prices min / desired / max × the type's hourly price × 730 h", () => {
    const lines = capacityCostLines(sizes, "c7i.large", "eu-central-1", testTable()).join("\n");
    // test price $0.10/h: 2 × 0.1 × 730 = 146; 10 × 73 = 730; 14 × 73 = 1,022
    assert.match(lines, /min 2 → \$146\.00 \/ desired 10 → \$730\.00 \/ max 14 → \$1022\.00 a month/);
    assert.match(lines, /730 h/);
  });

  it("a price on the command line wins, and prices a type the table lacks or a region without a table", () => {
    assert.match(
      capacityCostLines(sizes, "m7i.large", "us-east-1", undefined, 0.2).join("\n"),
      /desired 10 → \$1460\.00/,
    );
    assert.match(capacityCostLines(sizes, "c7i.large", "eu-central-1", testTable(), 0.2).join("\n"), /command line/);
  });

  it("says so, and how to fix it, when it has no price", () => {
    assert.match(
      capacityCostLines(sizes, "m7i.large", "eu-central-1", testTable()).join("\n"),
      /no on-demand price for m7i\.large in scripts\/prices\/eu-central-1\.json; give one with --instance-price/,
    );
  });

  it("takes --region and --instance-price only with --instance-type", () => {
    const base = ["--peak-rps", "4000", "--per-instance-rps", "900"];
    const a = parseCapacityArgs([...base, "--instance-type", "c7i.large", "--instance-price", "0.1"]);
    assert.equal(a.region, "eu-central-1");
    assert.equal(a.instancePrice, 0.1);
    assert.throws(() => parseCapacityArgs([...base, "--region", "us-east-1"]), /only applies with --instance-type/);
    assert.throws(() => parseCapacityArgs([...base, "--instance-type", "c7i.large", "--region", "mars"]), UsageError);
    assert.throws(
      () => parseCapacityArgs([...base, "--instance-type", "c7i.large", "--instance-price", "0"]),
      /--instance-price must be/,
    );
  });
});
