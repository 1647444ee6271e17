/**
 * `npm run cost`: its arguments, its errors, the facts it reads from the real dev and prod plans, and that
 * a stack config change moves the total the right way, through the real synth of modified config maps
 * (test prices from ./cost-fixtures.ts, so only the plan varies).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { costOfConfig, formatReport, parseCostArgs } from "../../scripts/cost";
import { UsageError } from "../../scripts/cli";
import { stackFacts } from "../../scripts/cost/plan";
import { loadPriceTable, PriceTableError } from "../../scripts/cost/prices";
import { costReport, DEFAULT_ASSUMPTIONS } from "../../scripts/cost/model";
import { readStackConfig } from "../../scripts/synth";
import { stackPlan } from "../infra/helpers";
import { testTable } from "./cost-fixtures";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe("npm run cost: arguments", () => {
  it("reads the stack, --json, assumption flags and repeated --instance-price", () => {
    const a = parseCostArgs([
      "prod",
      "--json",
      "--rps",
      "120",
      "--spot-discount=0.6",
      "--instance-price",
      "c7i.large=0.1",
      "--instance-price",
      "c7i.xlarge=0.2",
    ]);
    assert.equal(a.stack, "prod");
    assert.equal(a.json, true);
    assert.equal(a.assumptions.requestsPerSecond, 120);
    assert.equal(a.assumptions.spotDiscount, 0.6);
    assert.deepEqual(a.assumptions.instancePrices, { "c7i.large": 0.1, "c7i.xlarge": 0.2 });
    assert.equal(a.assumptions.jobsPerMonth, DEFAULT_ASSUMPTIONS.jobsPerMonth);
  });

  it("refuses what it cannot use, naming the flag", () => {
    assert.throws(() => parseCostArgs([]), UsageError);
    assert.throws(() => parseCostArgs(["dev", "prod"]), /exactly one stack/);
    assert.throws(() => parseCostArgs(["dev", "--rps", "-3"]), UsageError);
    assert.throws(() => parseCostArgs(["dev", "--rps", "lots"]), /--rps must be a number/);
    assert.throws(() => parseCostArgs(["dev", "--spot-discount", "1"]), /--spot-discount/);
    assert.throws(() => parseCostArgs(["dev", "--instance-price", "c7i.large"]), /TYPE=USD/);
    assert.throws(() => parseCostArgs(["dev", "--bogus", "1"]), UsageError);
  });

  it("exits 1 naming the stack file it looked for", function (done) {
    this.timeout(60_000);
    execFile(process.execPath, [TSX, "scripts/cost.ts", "nosuchstack"], { cwd: ROOT }, (err, _out, stderr) => {
      assert.equal((err as { code?: number } | null)?.code, 1);
      assert.match(stderr, /Pulumi\.nosuchstack\.yaml not found/);
      done();
    });
  });

  it("names the price file it looked for when a region has none", () => {
    assert.throws(
      () => loadPriceTable("ap-south-2"),
      (err: unknown) =>
        err instanceof PriceTableError && /scripts\/prices\/ap-south-2\.json not found/.test(err.message),
    );
  });
});

describe("npm run cost: the real plans", function () {
  this.timeout(120_000);

  it("dev: t3.small 1/1/2 with 8 GB, one NAT gateway, a 10-minute drain, alarms and a dashboard", async () => {
    const f = stackFacts(await stackPlan("dev"), readStackConfig("dev"));
    assert.deepEqual(
      { type: f.web.instanceType, min: f.web.minSize, desired: f.web.desiredCapacity, max: f.web.maxSize },
      { type: "t3.small", min: 1, desired: 1, max: 2 },
    );
    assert.equal(f.web.volumeGb, 8);
    assert.equal(f.workers?.minSize, 0);
    assert.equal(f.natGateways, 1);
    assert.equal(f.nightly, "drain");
    assert.equal(f.drainedHoursPerDay, 10 / 60);
    assert.ok(f.alarmMetrics >= 7 && f.dashboards === 1 && f.kmsKeys === 1);
    assert.equal(f.buildInstanceType, "t3.small");
    assert.deepEqual(f.logGroups.map((g) => g.kind).sort(), ["flow-logs", "instances"]);
  });

  it("prod: c7i.large web 3/3/12, c7i.xlarge workers, three NAT gateways, nightly refresh, 90-day logs", async () => {
    const f = stackFacts(await stackPlan("prod"), readStackConfig("prod"));
    assert.equal(f.web.instanceType, "c7i.large");
    assert.equal(f.workers?.instanceType, "c7i.xlarge");
    assert.equal(f.natGateways, 3);
    assert.equal(f.nightly, "refresh");
    assert.equal(f.logGroups.find((g) => g.kind === "instances")?.retentionDays, 90);
    // every unpriced line names what it lacks, each a null price in the real table, and the report says so
    const table = loadPriceTable("eu-central-1");
    const r = costReport(f, table, DEFAULT_ASSUMPTIONS);
    // prod's web ACL (fleet:waf) is billed: $5 for the ACL and $1 for its rate rule, before requests.
    assert.ok((r.lines.find((l) => l.component === "WAF")?.usd ?? 0) >= 6, "prod pays for its web ACL");
    for (const l of r.lines.filter((x) => x.usd === null)) {
      assert.ok(l.missing.length > 0, l.component);
      for (const k of l.missing)
        assert.equal(
          (table.prices as Record<string, { usd: number | null }>)[k]?.usd ?? table.ec2OnDemandPerHour[k]?.usd ?? null,
          null,
          k,
        );
    }
    if (r.unpriced.length) assert.match(formatReport(r), new RegExp(`unpriced: ${r.unpriced[0]}`));
  });
});

describe("npm run cost: a config change moves the total the right way", function () {
  this.timeout(300_000);
  const prices = testTable({}, { "t3.small": 0.02, "t3.medium": 0.04 });
  const dev = readStackConfig("dev");
  const total = async (over: Record<string, string>) =>
    (await costOfConfig("dev", { ...dev, ...over }, DEFAULT_ASSUMPTIONS, prices)).totalUsd;
  let base: number;

  before(async () => {
    base = await total({});
  });

  it("a bigger instance type costs more", async () => {
    assert.ok((await total({ "fleet:instanceType": "t3.medium" })) > base);
  });

  it("a drain costs less than a refresh for the same sizes", async () => {
    assert.ok((await total({ "fleet:nightly": "refresh" })) > base);
  });

  it("a longer drain costs less", async () => {
    assert.ok((await total({ "fleet:restoreCron": "40 3 * * *" })) < base);
  });

  it("more NAT gateways cost more", async () => {
    assert.ok((await total({ "fleet:natGateways": "OnePerAz" })) > base);
  });
});
