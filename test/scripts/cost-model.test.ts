/**
 * The cost model against hand calculations (test prices from ./cost-fixtures.ts, not AWS's), the total as
 * the sum of its parts for any usage, and the rule that a missing price is reported, never guessed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  albLcus,
  costReport,
  DEFAULT_ASSUMPTIONS,
  spotShareOf,
  type Assumptions,
  type CostReport,
} from "../../scripts/cost/model";
import { alarmMetricCount, cronMinuteOfDay, drainedHours, stackFacts } from "../../scripts/cost/plan";
import type { SynthResult } from "../../scripts/synth";
import { testFacts, testTable } from "./cost-fixtures";

const DAYS = 730 / 24; // 30.416… days in a 730-hour month
const near = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what} is priced`);
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, expected), `${what}: ${actual} ≠ ${expected}`);
};
const usdOf = (r: CostReport, c: string) => r.lines.find((l) => l.component === c)!.usd;

describe("cost model: each component against a hand calculation", () => {
  const a: Assumptions = { ...DEFAULT_ASSUMPTIONS, instancePrices: {} };
  const r = costReport(testFacts(), testTable({ sqsMillionRequests: 0.4 }), a);

  it("EC2 web: 2 instances × 730 h less the drained half hour a night, at $0.10/h", () => {
    // 2 × 730 = 1,460 h; drained 2 × 0.5 h × 30.4167 d = 30.4167 h; 1,429.583 h × 0.10
    near(usdOf(r, "EC2 web"), (2 * 730 - 2 * 0.5 * DAYS) * 0.1, "EC2 web");
  });

  it("EC2 workers: the minimum of 1 all month (jobs need less) less its drained hours, at $0.20/h", () => {
    // jobs: 10,000 × 36 s = 100 h of work over 4 vCPUs = 25 h < 730 h, so the minimum decides
    near(usdOf(r, "EC2 workers"), (730 - 0.5 * DAYS) * 0.2, "EC2 workers");
  });

  it("EC2 workers: more job hours than the minimum covers are paid for, up to the maximum", () => {
    const busy = costReport(testFacts(), testTable(), { ...a, jobsPerMonth: 1_000_000 });
    // 1,000,000 × 36 s / 3600 / 4 = 2,500 h > 730 h, < 4 × 730; then less the drained 0.5 × 30.4167 h
    near(usdOf(busy, "EC2 workers"), (2500 - 0.5 * DAYS) * 0.2, "busy workers");
    const flooded = costReport(testFacts(), testTable(), { ...a, jobsPerMonth: 100_000_000 });
    near(usdOf(flooded, "EC2 workers"), (4 * 730 - 0.5 * DAYS) * 0.2, "workers at max");
  });

  it("EBS: 8 GB per instance for every instance-hour, as GB-months at $1", () => {
    const hours = 2 * 730 - 2 * 0.5 * DAYS + (730 - 0.5 * DAYS);
    near(usdOf(r, "EBS"), (hours * 8) / 730, "EBS");
  });

  it("ALB: 730 h plus the LCUs of 5 req/s × 20 KB (0.36 GB/h, the largest dimension)", () => {
    assert.equal(albLcus(a), 0.36); // new 0.5/s ÷ 25 = 0.02; active 30 ÷ 3000 = 0.01; 5 × 3600 × 20 KB = 0.36 GB/h
    near(usdOf(r, "ALB"), 730 * 1 + 730 * 0.36 * 1, "ALB");
  });

  it("NAT: 2 gateways × 730 h plus 20 GB", () => near(usdOf(r, "NAT gateways"), 2 * 730 + 20, "NAT"));

  it("CloudFront: 10 GB out plus 100,000 requests in tens of thousands", () =>
    near(usdOf(r, "CloudFront"), 10 + 10, "CloudFront"));

  it("SQS: 5 requests a job plus 180 empty polls per worker instance-hour, per million at $0.40", () => {
    const workerHours = 730 - 0.5 * DAYS;
    near(usdOf(r, "SQS"), ((10_000 * 5 + workerHours * 180) / 1e6) * 0.4, "SQS");
  });

  it("DynamoDB: 40,000 writes, 100,000 reads and 1 GB", () => near(usdOf(r, "DynamoDB"), 0.04 + 0.1 + 1, "DynamoDB"));

  it("S3: 5 GB, 10,000 PUTs and 10,000 GETs (per thousand)", () => near(usdOf(r, "S3"), 5 + 10 + 10, "S3"));

  it("CloudWatch: 12 alarm metrics and 1 dashboard", () =>
    near(usdOf(r, "CloudWatch alarms and dashboards"), 12 + 1, "CloudWatch"));

  it("Logs: 0.05 GB per instance-day ingested, and 30 days of it stored", () => {
    const instanceDays = (2 * 730 - 2 * 0.5 * DAYS + (730 - 0.5 * DAYS)) / 24;
    const ingest = instanceDays * 0.05;
    near(usdOf(r, "CloudWatch Logs (instances)"), ingest + (ingest / DAYS) * 30, "logs");
  });

  it("flow logs: 2 GB vended and 60 days of them stored", () =>
    near(usdOf(r, "VPC flow logs"), 2 + (2 / DAYS) * 60, "flow logs"));

  it("Image Builder: 1.5 h a night of the build type", () =>
    near(usdOf(r, "Image Builder build instance"), 1.5 * DAYS * 0.1, "build"));

  it("KMS, Step Functions, Scheduler: 1 key; 1,000 transitions; 2 schedules a night within the free tier", () => {
    near(usdOf(r, "KMS"), 1, "KMS");
    near(usdOf(r, "Step Functions"), 1, "Step Functions");
    near(usdOf(r, "EventBridge Scheduler"), 0, "Scheduler");
  });

  it("WAF: none in this stack; an edge ACL with 1 rule and a regional one pay per ACL, per rule and per request", () => {
    near(usdOf(r, "WAF"), 0, "no web ACL");
    const edge = costReport(
      testFacts({
        webAcls: [
          { rules: 1, scope: "CLOUDFRONT" },
          { rules: 1, scope: "REGIONAL" },
        ],
      }),
      testTable(),
      DEFAULT_ASSUMPTIONS,
    );
    // 2 ACLs + 2 rules at $1, and the edge ACL inspects every API request (5 req/s all month) and the CDN's 100,000.
    const inspected = DEFAULT_ASSUMPTIONS.requestsPerSecond * 730 * 3600 + DEFAULT_ASSUMPTIONS.cdnRequests;
    near(usdOf(edge, "WAF"), 2 + 2 + inspected / 1e6, "WAF");
  });

  it("the drain saves (web desired + worker min) × drained hours; Spot saves the discount of the workers' bill", () => {
    near(r.drainSavingsUsd, 2 * 0.5 * DAYS * 0.1 + 1 * 0.5 * DAYS * 0.2, "drain savings");
    near(r.spotSavingsUsd, (730 - 0.5 * DAYS) * 0.2 * 0.5, "Spot savings");
  });

  it("refresh mode: no drained hours, the replacements' extra hours cost", () => {
    const refresh = costReport(testFacts({ nightly: "refresh", drainedHoursPerDay: 0 }), testTable(), a);
    near(refresh.refreshExtraUsd, 2 * 0.25 * DAYS * 0.1 + 1 * 0.25 * DAYS * 0.2, "refresh extra");
    near(usdOf(refresh, "EC2 web"), (2 * 730 + 2 * 0.25 * DAYS) * 0.1, "refresh web");
    assert.equal(refresh.drainSavingsUsd, 0);
  });
});

describe("cost model: totals and missing prices", () => {
  const usage = fc.record({
    requestsPerSecond: fc.double({ min: 0, max: 10_000, noNaN: true }),
    kbPerRequest: fc.double({ min: 0, max: 1_000, noNaN: true }),
    requestsPerConnection: fc.double({ min: 1, max: 1_000, noNaN: true }),
    jobsPerMonth: fc.integer({ min: 0, max: 100_000_000 }),
    natGb: fc.double({ min: 0, max: 100_000, noNaN: true }),
    cdnGbOut: fc.double({ min: 0, max: 100_000, noNaN: true }),
    logGbPerInstanceDay: fc.double({ min: 0, max: 10, noNaN: true }),
    flowLogGb: fc.double({ min: 0, max: 1_000, noNaN: true }),
    webAverageInstances: fc.double({ min: 0, max: 50, noNaN: true }),
  });

  it("the total is the sum of the priced lines, for any usage", () => {
    fc.assert(
      fc.property(
        usage,
        fc.constantFrom("drain", "refresh", "none") as fc.Arbitrary<"drain" | "refresh" | "none">,
        (u, nightly) => {
          const r = costReport(testFacts({ nightly }), testTable(), {
            ...DEFAULT_ASSUMPTIONS,
            ...u,
            instancePrices: {},
          });
          const sum = r.lines.reduce((s, l) => s + (l.usd ?? 0), 0);
          assert.ok(Math.abs(r.totalUsd - sum) <= 1e-9 * Math.max(1, sum));
          for (const l of r.lines) assert.ok(l.usd === null || l.usd >= 0, `${l.component} is not negative`);
        },
      ),
    );
  });

  it("a missing price makes its line unpriced, named, and out of the total: never a guessed zero", () => {
    const r = costReport(testFacts(), testTable({ vendedLogsGb: null }, { "t3.small": 0.02 }), {
      ...DEFAULT_ASSUMPTIONS,
      instancePrices: {},
    });
    assert.deepEqual(r.unpriced, ["EC2 web", "EC2 workers", "VPC flow logs", "Image Builder build instance"]);
    assert.deepEqual(r.lines.find((l) => l.component === "VPC flow logs")!.missing, ["vendedLogsGb"]);
    assert.equal(r.spotSavingsUsd, null);
    assert.equal(
      r.totalUsd,
      r.lines.reduce((s, l) => s + (l.usd ?? 0), 0),
    );
  });

  it("a price given on the command line fills the table's gap", () => {
    const r = costReport(testFacts(), testTable({}, {}), {
      ...DEFAULT_ASSUMPTIONS,
      instancePrices: { "c7i.large": 0.1, "c7i.xlarge": 0.2 },
    });
    assert.deepEqual(r.unpriced, []);
    near(usdOf(r, "EC2 web"), (2 * 730 - 2 * 0.5 * DAYS) * 0.1, "EC2 web");
  });
});

describe("cost plan helpers", () => {
  it("reads the drained hours from the drain and restore crons, across midnight too", () => {
    assert.equal(cronMinuteOfDay("10 3 * * *"), 190);
    assert.equal(drainedHours("0 3 * * *", "10 3 * * *"), 10 / 60);
    assert.equal(drainedHours("30 23 * * *", "30 0 * * *"), 1);
    assert.throws(() => cronMinuteOfDay("*/5 * * * *"), /fixed time of day/);
  });

  it("bills a metric-math alarm per metric it reads, not per expression", () => {
    assert.equal(alarmMetricCount({ metricName: "CPUUtilization" }), 1);
    assert.equal(alarmMetricCount({ metricQueries: [{ metric: {} }, { metric: {} }, { expression: "m1/m2" }] }), 2);
  });
});

describe("cost model: a worker group that already buys Spot", () => {
  const workers = testFacts().workers!;

  it("Spot's share follows the mixed instances policy: base on demand, then the percentage above it", () => {
    const g = { ...workers, purchase: { onDemandBase: 1, onDemandPercentAbove: 25 } };
    // 4 instances: 1 base on demand, 3 above it of which 75 % Spot = 2.25 of 4
    assert.equal(spotShareOf(g, 4), 2.25 / 4);
    assert.equal(spotShareOf(g, 1), 0);
    assert.equal(spotShareOf(workers, 4), 0); // no policy: all on demand
  });

  it("prices the Spot share at the discount; the Spot line stays all-Spot against all on-demand", () => {
    const f = testFacts({
      nightly: "none",
      drainedHoursPerDay: 0,
      workers: { ...workers, purchase: { onDemandBase: 0, onDemandPercentAbove: 0 } },
    });
    const r = costReport(f, testTable(), { ...DEFAULT_ASSUMPTIONS, instancePrices: {} });
    // 730 h all on Spot at a 0.5 discount of $0.20/h
    near(usdOf(r, "EC2 workers"), 730 * 0.2 * 0.5, "Spot workers");
    near(r.spotSavingsUsd, 730 * 0.2 * 0.5, "all-Spot saving");
    near(r.planSpotSavingsUsd, 730 * 0.2 * 0.5, "the policy's saving: all of it");
    assert.equal(r.workerSpotShare, 1);
  });

  it("the policy's saving is its Spot share of the on-demand bill at the discount (by hand)", () => {
    const f = testFacts({
      nightly: "none",
      drainedHoursPerDay: 0,
      workers: { ...workers, minSize: 4, desiredCapacity: 4, purchase: { onDemandBase: 1, onDemandPercentAbove: 0 } },
    });
    const r = costReport(f, testTable(), { ...DEFAULT_ASSUMPTIONS, instancePrices: {} });
    const hours = r.lines.find((l) => l.component === "EC2 workers")!;
    assert.ok(hours.usd !== null);
    // 4 instances, 1 on demand: 3/4 on Spot; on-demand bill 4 × 730 h × $0.20, saving 3/4 × 0.5 of it.
    assert.equal(r.workerSpotShare, 0.75);
    near(r.planSpotSavingsUsd, 4 * 730 * 0.2 * 0.75 * 0.5, "policy saving");
    near(hours.usd, 4 * 730 * 0.2 - r.planSpotSavingsUsd!, "the workers' line is the on-demand bill less the saving");
    const off = costReport({ ...f, workers: { ...f.workers!, purchase: undefined } }, testTable(), {
      ...DEFAULT_ASSUMPTIONS,
      instancePrices: {},
    });
    assert.equal(off.planSpotSavingsUsd, 0, "no policy, no saving");
  });

  it("reads the type and the split from a mixed instances policy in the plan", () => {
    const lt = (name: string, instanceType: string) => ({
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      name,
      custom: true,
      id: `${name}-id`,
      outputs: {},
      options: {},
      inputs: { instanceType, blockDeviceMappings: [{ ebs: { volumeSize: 8 } }] },
    });
    const asg = (name: string, inputs: Record<string, unknown>) => ({
      type: "aws:autoscaling/group:Group",
      name,
      custom: true,
      id: `${name}-id`,
      outputs: {},
      options: {},
      inputs,
    });
    const plan: SynthResult = {
      stack: "t",
      outputs: {},
      resources: [
        lt("web-lt", "c7i.large"),
        lt("worker-lt", "c7i.xlarge"),
        asg("web", { minSize: 2, maxSize: 4, targetGroupArns: ["tg"], launchTemplate: { id: "web-lt-id" } }),
        asg("worker", {
          minSize: 0,
          maxSize: 4,
          mixedInstancesPolicy: {
            instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0 },
            launchTemplate: {
              launchTemplateSpecification: { launchTemplateId: "worker-lt-id" },
              overrides: [{ instanceType: "c7a.xlarge" }, { instanceType: "c7i.xlarge" }],
            },
          },
        }),
      ],
    };
    const f = stackFacts(plan, { "aws:region": "eu-central-1" });
    assert.equal(f.web.instanceType, "c7i.large");
    assert.equal(f.workers!.instanceType, "c7a.xlarge");
    assert.deepEqual(f.workers!.purchase, { onDemandBase: 1, onDemandPercentAbove: 0 });
    assert.equal(f.web.purchase, undefined);
  });
});
