/**
 * The pure checks behind the "AWS accepts" rules, over generated values: every value built from what AWS
 * allows passes, and one character or unit past it fails, at the exact boundaries.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { ec2DescriptionProblem, userDataProblem, USER_DATA_MAX_BYTES } from "../../../policy/rules/accepts/ec2";
import { elbNameProblem } from "../../../policy/rules/accepts/elb";
import { s3BucketNameProblem } from "../../../policy/rules/accepts/storage";
import { ssmParameterNameProblem } from "../../../policy/rules/accepts/ssm";
import { semanticVersionProblem, SEMVER_NODE_MAX } from "../../../policy/rules/accepts/imagebuilder";
import { evaluationWindowProblem } from "../../../policy/rules/accepts/cloudwatch";
import { recurrenceProblem } from "../../../policy/rules/accepts/autoscaling";
import { cronFieldsProblem, scheduleExpressionProblem } from "../../../policy/rules/accepts/scheduler";
import { policySize } from "../../../policy/rules/accepts/iam";
import { summarize, formatFinding } from "../../../policy/rules/accepts/rule";

const EC2_ALLOWED = [..."abcxyzABCXYZ0189 ._-:/()#,@[]+=&;{}!$*"];
const ec2Text = (max: number) => fc.array(fc.constantFrom(...EC2_ALLOWED), { maxLength: max }).map((a) => a.join(""));

describe("AWS-accepts pure checks", () => {
  it("ec2DescriptionProblem accepts any text of EC2's set up to 255 characters", () => {
    fc.assert(fc.property(ec2Text(255), (s) => ec2DescriptionProblem(s) === undefined));
  });

  it("ec2DescriptionProblem refuses any character outside the set, wherever it sits, naming it", () => {
    const outside = fc.constantFrom(..."'\"`~%^|\\<>?\u00e9\t\n");
    fc.assert(
      fc.property(ec2Text(100), outside, ec2Text(100), (a, c, b) => {
        const problem = ec2DescriptionProblem(a + c + b);
        return problem !== undefined && problem.includes(JSON.stringify(c));
      }),
    );
  });

  it("ec2DescriptionProblem: 255 characters pass, 256 fail; & only where no group is referenced", () => {
    assert.equal(ec2DescriptionProblem("a".repeat(255)), undefined);
    assert.match(ec2DescriptionProblem("a".repeat(256))!, /at most 255/);
    assert.equal(ec2DescriptionProblem("A & B"), undefined);
    assert.match(ec2DescriptionProblem("A & B", true)!, /"&"/);
  });

  it("elbNameProblem accepts 1-32 alphanumerics and inner hyphens, and refuses 33", () => {
    const alnum = fc.constantFrom(..."abzAZ09");
    const name = fc
      .tuple(alnum, fc.array(fc.constantFrom(..."abzAZ09-"), { maxLength: 30 }), alnum)
      .map(([a, mid, b]) => a + mid.join("") + b)
      .filter((n) => !n.startsWith("internal-"));
    fc.assert(fc.property(name, (n) => elbNameProblem(n) === undefined));
    assert.match(elbNameProblem("a".repeat(33))!, /at most 32/);
    assert.match(elbNameProblem("internal-web")!, /internal-/);
    assert.equal(elbNameProblem("internal-web", false), undefined, "target groups may start internal-");
  });

  it("s3BucketNameProblem: DNS-style names pass; capitals, .., IPs and reserved affixes fail", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const bucket = fc
      .array(label, { minLength: 1, maxLength: 5 })
      .map((ls) => ls.join("."))
      .filter((n) => n.length >= 3 && n.length <= 63 && !/^\d+\.\d+\.\d+\.\d+$/.test(n) && !n.startsWith("xn--"))
      .filter((n) => !n.startsWith("sthree-") && !n.startsWith("amzn-s3-demo-") && !n.endsWith("-s3alias"));
    fc.assert(fc.property(bucket, (n) => s3BucketNameProblem(n) === undefined));
    for (const bad of ["Fleet", "a..b", "192.168.5.4", "xn--abc", "ab", "-ab", "bucket-s3alias", "a".repeat(64)])
      assert.ok(s3BucketNameProblem(bad), bad);
  });

  it("ssmParameterNameProblem: 15 levels pass, 16 fail; aws/ssm prefixes fail in any case", () => {
    assert.equal(ssmParameterNameProblem("/" + Array(15).fill("a").join("/")), undefined);
    assert.match(ssmParameterNameProblem("/" + Array(16).fill("a").join("/"))!, /15 levels/);
    for (const bad of ["/AWS/x", "awsx", "/Ssm/x", "ssm"]) assert.match(ssmParameterNameProblem(bad)!, /aws" or "ssm/);
    assert.equal(ssmParameterNameProblem("/imagebuilder/fleet/prod/ami"), undefined);
    assert.match(ssmParameterNameProblem("/a/" + "b".repeat(1011), 40)!, /1011/);
  });

  it("userDataProblem: 16,384 bytes pass, 16,385 fail (counted before base64)", () => {
    const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");
    assert.equal(userDataProblem(b64(USER_DATA_MAX_BYTES)), undefined);
    assert.match(userDataProblem(b64(USER_DATA_MAX_BYTES + 1))!, /16384 bytes.*is 16385/);
  });

  it("semanticVersionProblem: x.y.z of 0..2^30-1 only", () => {
    const node = fc.integer({ min: 0, max: SEMVER_NODE_MAX });
    fc.assert(fc.property(node, node, node, (a, b, c) => semanticVersionProblem(`${a}.${b}.${c}`) === undefined));
    for (const bad of ["1.0", "1.0.0.1", "1.0.x", `0.0.${SEMVER_NODE_MAX + 1}`, "v1.0.0"])
      assert.ok(semanticVersionProblem(bad), bad);
  });

  it("evaluationWindowProblem: one day under 1 h periods, seven days from 1 h", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 1, max: 2000 }), (minutes, n) => {
        const ok = minutes * 60 * n <= 86_400;
        return (evaluationWindowProblem(minutes * 60, n) === undefined) === ok;
      }),
    );
    assert.equal(evaluationWindowProblem(3600, 168), undefined);
    assert.match(evaluationWindowProblem(3600, 169)!, /604800/);
  });

  it("recurrenceProblem and scheduleExpressionProblem keep Auto Scaling's and Scheduler's crons apart", () => {
    assert.equal(recurrenceProblem("0 3 * * *"), undefined);
    assert.ok(recurrenceProblem("cron(0 3 * * ? *)"));
    assert.equal(scheduleExpressionProblem("cron(0 3 * * ? *)"), undefined);
    assert.ok(scheduleExpressionProblem("0 3 * * *"));
    assert.equal(cronFieldsProblem(["0", "3", "*", "*", "?", "*"]), undefined);
    assert.ok(cronFieldsProblem(["0", "3", "?", "*", "*", "2200"]));
  });

  it("policySize counts what IAM counts: no white space", () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    assert.equal(policySize(JSON.stringify(doc, null, 4)), JSON.stringify(doc).length);
  });

  it("a finding reads `<field>: <problem> (got <value>) — source: <url>`, long values cut with their length", () => {
    assert.equal(
      formatFinding({ field: "name", problem: "too long", value: "x".repeat(100) }, "https://docs.aws.amazon.com/x"),
      `name: too long (got "${"x".repeat(80)}"… (100 characters)) — source: https://docs.aws.amazon.com/x`,
    );
    assert.equal(summarize(7), "7");
  });
});
