/**
 * Every "AWS accepts" rule over the whole dev and prod plans: nothing AWS would refuse; the rule that caught
 * the ALB egress rule's apostrophe still catches it with field, value and page; and the catalogue in
 * docs/aws-rules.md lists every rule with its source.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluatePolicies } from "../../../policy/evaluate";
import { AWS_ACCEPTS_POLICIES } from "../../../policy/rules/accepts";
import { ALL_POLICIES } from "../../../policy/policies";
import { loadPlans, plan } from "./helpers";

describe("AWS-accepts rules over the dev and prod plans", function () {
  this.timeout(120_000);
  before(loadPlans);

  for (const stack of ["dev", "prod"] as const) {
    it(`finds nothing AWS would refuse in the ${stack} plan`, async () => {
      const found = await evaluatePolicies(stack, plan(stack), AWS_ACCEPTS_POLICIES);
      assert.deepEqual(
        found.map((v) => `[${v.policy}] ${v.resource}: ${v.message}`),
        [],
      );
    });
  }

  it("catches an apostrophe in the web fleet's egress rule description (what AWS rejected), naming field, value and page", async () => {
    const broken = plan("prod").map((r) =>
      r.name === "fleet-alb-to-instances"
        ? { ...r, inputs: { ...r.inputs, description: "ALB to the instances' service port (3000)" } }
        : r,
    );
    const found = await evaluatePolicies("prod", broken, AWS_ACCEPTS_POLICIES);
    const egress = found.find((v) => v.resource.endsWith("::fleet-alb-to-instances"));
    assert.ok(egress, "the apostrophe is caught");
    assert.match(
      egress.message,
      /^description: has "'", outside .* \(got "ALB to the instances' service port .*"\) — source: https:\/\/docs\.aws\.amazon\.com\/AWSEC2\/latest\/APIReference\/API_UserIdGroupPair\.html$/,
    );
  });

  it("is part of the pack: ALL_POLICIES holds every AWS-accepts rule", () => {
    const all = new Set(ALL_POLICIES.map((p) => p.name));
    assert.deepEqual(
      AWS_ACCEPTS_POLICIES.map((p) => p.name).filter((n) => !all.has(n)),
      [],
    );
  });

  it("docs/aws-rules.md lists every rule with its resource types, field and source", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../../docs/aws-rules.md"), "utf8");
    for (const p of AWS_ACCEPTS_POLICIES) {
      const row = doc.split("\n").find((l) => new RegExp(`^\\|\\s*\`${p.name}\`\\s*\\|`).test(l));
      assert.ok(row, `docs/aws-rules.md has no row for ${p.name}`);
      assert.ok(row.includes(p.accepts.source), `${p.name}'s row cites ${p.accepts.source}`);
      for (const t of p.accepts.types) assert.ok(row.includes(t === "*" ? "every" : t), `${p.name}'s row names ${t}`);
    }
  });
});
