/**
 * Test fixtures for the cost model: a price table whose every price is a round test number (NOT a real
 * AWS price; the real ones live in scripts/prices/) and the facts of a small stack, so each component's
 * hand calculation in the tests is easy to follow.
 */
import { parsePriceTable, PRICE_KEYS, type PriceTable } from "../../scripts/cost/prices";
import type { StackFacts } from "../../scripts/cost/plan";

const entry = (usd: number | null) => ({
  usd,
  unit: "test unit",
  source: "https://example.com/test-fixture",
  readFrom: null,
  readOn: "2026-12-03",
  confidence: usd === null ? "missing" : "exact",
});

/** Test prices: every key 1 USD unless overridden; instance types as given. */
export function testTable(
  overrides: Partial<Record<(typeof PRICE_KEYS)[number], number | null>> = {},
  instances: Record<string, number | null> = { "t3.small": 0.02, "c7i.large": 0.1, "c7i.xlarge": 0.2 },
): PriceTable {
  return parsePriceTable(
    {
      region: "eu-central-1",
      currency: "USD",
      readOn: "2026-12-03",
      ec2OnDemandPerHour: Object.fromEntries(Object.entries(instances).map(([t, usd]) => [t, entry(usd)])),
      prices: Object.fromEntries(PRICE_KEYS.map((k) => [k, entry(k in overrides ? overrides[k]! : 1)])),
      freeTier: { schedulerInvocationsMonth: { count: 14_000_000 } },
      spotDiscount: { fraction: 0.5, source: "https://example.com/test-fixture", confidence: "third-party" },
    },
    "test-table.json",
  );
}

export function testFacts(over: Partial<StackFacts> = {}): StackFacts {
  return {
    stack: "test",
    region: "eu-central-1",
    web: { name: "web", instanceType: "c7i.large", minSize: 2, desiredCapacity: 2, maxSize: 6, volumeGb: 8, vcpus: 2 },
    workers: {
      name: "workers",
      instanceType: "c7i.xlarge",
      minSize: 1,
      desiredCapacity: 1,
      maxSize: 4,
      volumeGb: 8,
      vcpus: 4,
    },
    nightly: "drain",
    drainedHoursPerDay: 0.5,
    natGateways: 2,
    availabilityZones: 2,
    alarmMetrics: 12,
    dashboards: 1,
    logGroups: [
      { name: "/fleet/test/instances", retentionDays: 30, kind: "instances" },
      { name: "/fleet/test/vpc-flow-logs", retentionDays: 60, kind: "flow-logs" },
    ],
    queues: 2,
    tables: 1,
    buckets: 3,
    distributions: 1,
    kmsKeys: 1,
    stateMachines: 1,
    schedules: 2,
    webAcls: [],
    buildInstanceType: "c7i.large",
    jobSeconds: 36,
    ...over,
  };
}
