/**
 * Every "AWS accepts" rule over broken resources (a real plan resource with one value AWS would refuse:
 * the rule fires) and over the limit itself (the largest value AWS accepts passes, one more fails), and a
 * check that no rule of the list goes without a broken case. The cases live in cases/, one file per area.
 */
import * as assert from "node:assert/strict";
import { AWS_ACCEPTS_POLICIES } from "../../../policy/rules/accepts";
import { AT_THE_LIMIT, BROKEN } from "./cases";
import { loadPlans, violationsOf } from "./helpers";

describe("AWS-accepts rules: broken resources fire, the limits pass", function () {
  this.timeout(120_000);
  before(loadPlans);

  for (const [rule, what, resources, message] of BROKEN) {
    it(`${rule} fires on ${what}`, async () => {
      const found = await violationsOf(rule, resources());
      assert.ok(found.length > 0, `${rule} did not fire`);
      for (const v of found)
        assert.match(v.message, /^\S.*: .+ \(got .+\) — source: https:\/\/docs\.aws\.amazon\.com\/\S+$/, v.message);
      if (message)
        assert.ok(
          found.some((v) => message.test(v.message)),
          found.map((v) => v.message).join("\n"),
        );
    });
  }

  for (const [rule, what, resources] of AT_THE_LIMIT) {
    it(`${rule} passes ${what}`, async () => {
      assert.deepEqual(
        (await violationsOf(rule, resources())).map((v) => v.message),
        [],
      );
    });
  }

  it("every rule of the list has a broken case, and every case names a rule of the list", () => {
    const rules = AWS_ACCEPTS_POLICIES.map((p) => p.name);
    const broken = new Set(BROKEN.map(([r]) => r));
    assert.deepEqual(
      rules.filter((r) => !broken.has(r)),
      [],
    );
    assert.deepEqual(
      [...broken, ...AT_THE_LIMIT.map(([r]) => r)].filter((r) => !rules.includes(r)),
      [],
    );
  });

  it("names every rule once, in kebab-case, with a one-sentence description and an AWS source", () => {
    const names = AWS_ACCEPTS_POLICIES.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of AWS_ACCEPTS_POLICIES) {
      assert.match(p.name, /^aws-accepts-[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.match(p.description ?? "", /^[A-Z].*\.$/);
      assert.match(p.accepts.source, /^https:\/\/docs\.aws\.amazon\.com\//);
      assert.equal(p.enforcementLevel, "mandatory");
    }
  });
});
