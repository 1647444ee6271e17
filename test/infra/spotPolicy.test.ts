/**
 * The worker group's purchase plan (infra/jobs/spotPolicy.ts) and its stack keys (`fleet:workerInstanceTypes`,
 * `fleet:workerOnDemandBase`, `fleet:workerOnDemandPercent`): which types the group may buy, what AWS would
 * refuse, and the policy in the API's own names (what the release sends).
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { architectureOf, FleetConfigError, parseFleetConfig } from "../../infra/shared/config";
import { vcpusOf } from "../../infra/jobs/jobsConfig";
import {
  instancesDistribution,
  instanceTypesProblems,
  MAX_INSTANCE_TYPES,
  mixedInstancesPolicyApi,
  spotInstanceTypes,
} from "../../infra/jobs/spotPolicy";

const NOW = new Date("2026-12-03T12:00:00Z");
const parse = (values: Record<string, string>) =>
  parseFleetConfig((k) => (k === "originSecret" ? "a".repeat(64) : values[k]), NOW).jobs;

describe("worker Spot: instance types of the configured size", () => {
  it("offers the same size of the sibling families, the configured type first", () => {
    assert.deepEqual(spotInstanceTypes("t3.small"), ["t3.small", "t3a.small"]);
    assert.deepEqual(spotInstanceTypes("c7i.xlarge"), [
      "c7i.xlarge",
      "c6i.xlarge",
      "c6a.xlarge",
      "c7a.xlarge",
      "c5.xlarge",
      "c5a.xlarge",
    ]);
    assert.deepEqual(spotInstanceTypes("m7g.medium"), ["m7g.medium", "m6g.medium", "m8g.medium"]);
  });

  it("offers only the configured type where the table does not know the family or the size", () => {
    assert.deepEqual(spotInstanceTypes("c6i.8xlarge"), ["c6i.8xlarge"], "8xlarge is not in every c family");
    assert.deepEqual(spotInstanceTypes("x2idn.large"), ["x2idn.large"]);
    assert.deepEqual(spotInstanceTypes("c7i.metal-24xl"), ["c7i.metal-24xl"]);
  });

  it("every type it offers has the configured type's vCPUs and architecture, and AWS's limit holds", () => {
    const known = ["t3", "t3a", "c7i", "c6a", "m5", "r7a", "c7g", "m6g", "r8g", "t4g"];
    const sizes = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge"];
    fc.assert(
      fc.property(fc.constantFrom(...known), fc.constantFrom(...sizes), (family, size) => {
        const type = `${family}.${size}`;
        const types = spotInstanceTypes(type);
        assert.equal(types[0], type);
        assert.ok(
          types.every((t) => architectureOf(t) === architectureOf(type)),
          types.join(),
        );
        if (types.length > 1) assert.deepEqual(instanceTypesProblems(types, type, vcpusOf), []);
        assert.ok(types.length <= MAX_INSTANCE_TYPES);
      }),
    );
  });

  it("names what AWS or the worker would refuse in a list", () => {
    const many = Array.from({ length: 41 }, (_, i) => `c${i}.large`);
    assert.match(instanceTypesProblems(many, "c7i.large", () => 2).join(), /41 types, AWS allows at most 40/);
    assert.match(instanceTypesProblems(["c7i.large", "c7i.large"], "c7i.large", vcpusOf).join(), /twice: c7i.large/);
    assert.match(
      instanceTypesProblems(["c7i.large", "c7i.xlarge"], "c7i.large", vcpusOf).join(),
      /c7i.xlarge has not the 2 vCPUs/,
    );
  });
});

describe("worker Spot: stack keys", () => {
  it("defaults to all Spot from the table's types with no On-Demand base", () => {
    assert.deepEqual(parse({ instanceType: "t3.small" }).purchase, {
      instanceTypes: ["t3.small", "t3a.small"],
      onDemandBase: 0,
      onDemandPercentAboveBase: 0,
    });
  });

  it("takes a stack's own list, base and percentage", () => {
    const p = parse({
      instanceType: "c7i.large",
      workerMaxSize: "10",
      workerInstanceTypes: " c7i.large, m7i.large ",
      workerOnDemandBase: "2",
      workerOnDemandPercent: "25",
    }).purchase;
    assert.deepEqual(p, { instanceTypes: ["c7i.large", "m7i.large"], onDemandBase: 2, onDemandPercentAboveBase: 25 });
  });

  for (const [what, values, key, pattern] of [
    [
      "a type of another architecture",
      { workerInstanceTypes: "c7i.large,c7g.large" },
      "workerInstanceTypes",
      /c7g.large: not x86_64/,
    ],
    ["a type of another size", { workerInstanceTypes: "c7i.large,c7i.xlarge" }, "workerInstanceTypes", /2 vCPUs/],
    ["a word that is no type", { workerInstanceTypes: "c7i.large,big" }, "workerInstanceTypes", /big: not x86_64/],
    ["a base above the group's max", { workerOnDemandBase: "3" }, "workerOnDemandBase", /out of range 0..2/],
    ["a percentage above 100", { workerOnDemandPercent: "101" }, "workerOnDemandPercent", /out of range 0..100/],
  ] as const) {
    it(`rejects ${what} naming fleet:${key}`, () => {
      assert.throws(
        () => parse({ instanceType: "c7i.large", ...values }),
        (e: unknown) => e instanceof FleetConfigError && e.key === key && pattern.test(e.message),
      );
    });
  }
});

describe("worker Spot: the policy", () => {
  const p = { instanceTypes: ["c7i.large", "c6i.large"], onDemandBase: 1, onDemandPercentAboveBase: 20 };

  it("writes the API's MixedInstancesPolicy with AWS's accepted values", () => {
    assert.deepEqual(mixedInstancesPolicyApi(p, "lt-1", { "Version.$": "$.v" }), {
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: "lt-1", "Version.$": "$.v" },
        Overrides: [{ InstanceType: "c7i.large" }, { InstanceType: "c6i.large" }],
      },
      InstancesDistribution: {
        OnDemandAllocationStrategy: "prioritized",
        OnDemandBaseCapacity: 1,
        OnDemandPercentageAboveBaseCapacity: 20,
        SpotAllocationStrategy: "price-capacity-optimized",
      },
    });
    const d = instancesDistribution(p);
    assert.ok(
      ["lowest-price", "capacity-optimized", "capacity-optimized-prioritized", "price-capacity-optimized"].includes(
        d.SpotAllocationStrategy,
      ),
    );
    assert.ok(["prioritized", "lowest-price"].includes(d.OnDemandAllocationStrategy));
  });
});
