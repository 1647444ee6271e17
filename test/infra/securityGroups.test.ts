/**
 * Every security group and security group rule description in the dev and prod plans uses only the
 * characters EC2 accepts. The provider does not check them; `pulumi up` fails on the first one with
 * `InvalidParameterValue: Invalid rule description`. EC2 API reference, `Description` of IpRange /
 * UserIdGroupPair and `GroupDescription` of CreateSecurityGroup: up to 255 characters of
 * a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html,
 *  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
 */
import * as assert from "node:assert/strict";
import { stackPlan, T } from "./helpers";

const EC2_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

/** Every description a plan sends to EC2 for security groups: the groups', their inline rules', and rule resources'. */
function descriptions(resources: Array<{ type: string; name: string; inputs: Record<string, any> }>): string[][] {
  const out: string[][] = [];
  for (const r of resources) {
    if (r.type === T.sg || r.type === T.defaultSg) {
      if (r.inputs.description !== undefined) out.push([`${r.name} (group)`, r.inputs.description]);
      for (const dir of ["ingress", "egress"])
        for (const rule of (r.inputs[dir] ?? []) as Array<{ description?: string }>)
          if (rule.description !== undefined) out.push([`${r.name} (${dir})`, rule.description]);
    }
    if ((r.type === T.ingress || r.type === T.egress) && r.inputs.description !== undefined)
      out.push([r.name, r.inputs.description]);
  }
  return out;
}

describe("security group descriptions: what EC2 accepts", () => {
  it("the pattern rejects what EC2 rejects (an apostrophe, a non-ASCII letter, 256 characters)", () => {
    assert.doesNotMatch("ALB to the instances' service port", EC2_DESCRIPTION);
    assert.doesNotMatch("vers le répartiteur", EC2_DESCRIPTION);
    assert.doesNotMatch("x".repeat(256), EC2_DESCRIPTION);
    assert.match("HTTPS (SSM, S3, nodejs.org, npm)", EC2_DESCRIPTION);
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: every group and rule description is one EC2 accepts`, async () => {
      const found = descriptions((await stackPlan(stack)).resources);
      assert.ok(found.length >= 8, `descriptions found: ${found.length}`);
      const bad = found.filter(([, d]) => !EC2_DESCRIPTION.test(d!));
      assert.deepEqual(bad, [], "descriptions EC2 would reject");
    });
  }
});
