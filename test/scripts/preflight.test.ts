/**
 * `npm run preflight`: its arguments, the problem lines it prints, and its exit code on a clean stack and on
 * broken ones (a policy violation in the plan, a config error, an unreadable stack). The units' start itself
 * is tested in unit-start.test.ts; here it is skipped (--no-unit-start) or read from the plan.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderServiceUnit, renderWorkerUnit, LAYOUT } from "../../infra/image/serviceUnit";
import { ALL_POLICIES } from "../../policy/policies";
import { UsageError } from "../../scripts/cli";
import {
  formatProblem,
  main,
  parsePreflightArgs,
  problemOfViolation,
  unitsOfPlan,
  type Io,
} from "../../scripts/preflight";
import { ROOT } from "../../scripts/synth";
import { stackPlan } from "../infra/helpers";

/** `main` with its output captured and a build that must not be called. */
async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const io: Io = {
    out: (line) => lines.push(...line.split("\n")),
    build: () => assert.fail("--no-build / --no-unit-start: nothing may be built"),
  };
  return { code: await main(argv, io), lines };
}

/** A scratch directory holding Pulumi.<stack>.yaml: dev's file with `edit` applied. */
function stackDir(stack: string, edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-preflight-"));
  fs.writeFileSync(
    path.join(dir, `Pulumi.${stack}.yaml`),
    edit(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")),
  );
  return dir;
}

describe("preflight: arguments", () => {
  it("takes one or more stacks and the flags", () => {
    assert.deepEqual(parsePreflightArgs(["dev"]), { stacks: ["dev"], dir: ROOT, build: true, unitStart: true });
    assert.deepEqual(parsePreflightArgs(["dev", "prod", "dev", "--no-build", "--no-unit-start", "--dir", "/tmp"]), {
      stacks: ["dev", "prod"],
      dir: "/tmp",
      build: false,
      unitStart: false,
    });
  });

  for (const [argv, why] of [
    [[], /give at least one stack, e.g\. dev/],
    [["dev", "--json"], /Unknown option '--json'/],
    [["dev", "--dir"], /--dir/],
    [["dev", "--dir", ""], /--dir needs a directory/],
    [["../etc/passwd"], /stack "\.\.\/etc\/passwd" is not a stack name/],
  ] as const) {
    it(`refuses ${JSON.stringify(argv)} with a usage error`, async () => {
      assert.throws(
        () => parsePreflightArgs([...argv]),
        (e: Error) => e instanceof UsageError && why.test(e.message),
      );
      const { code, lines } = await run([...argv]);
      assert.equal(code, 1);
      assert.match(lines[0]!, /^preflight: /);
      assert.ok(lines.some((l) => l.startsWith("usage: npm run preflight -- <stack>...")));
    });
  }
});

describe("preflight: problem lines", () => {
  it("splits an AWS-accepts message into field, problem and source", () => {
    const p = problemOfViolation(
      "prod",
      {
        policy: "ec2-description-charset",
        resource: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::fleet-alb-to-instances",
        message:
          'description: contains "\'", which EC2 rejects — source: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html',
      },
      ALL_POLICIES,
    );
    assert.equal(
      formatProblem(p),
      "prod  aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::fleet-alb-to-instances  description  " +
        '[ec2-description-charset]  contains "\'", which EC2 rejects  ' +
        "(source: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html)",
    );
  });

  it("keeps a message without a field whole and cites the pack's rule", () => {
    const p = problemOfViolation(
      "qa",
      { policy: "vpc-flow-logs", resource: "stack", message: "VPC fleet has no flow log of ALL traffic" },
      ALL_POLICIES,
    );
    assert.equal(p.field, undefined);
    assert.match(
      formatProblem(p),
      /^qa {2}stack {2}- {2}\[vpc-flow-logs\] {2}VPC fleet has no flow log of ALL traffic {2}\(source: policy\/rules \(vpc-flow-logs: EC2\.6/,
    );
  });

  it("reads the units the plan's image installs, byte for byte the rendered ones", async () => {
    const units = unitsOfPlan(await stackPlan("dev"));
    assert.equal(units.get(LAYOUT.unitName)?.trim(), renderServiceUnit().trim());
    assert.equal(units.get(LAYOUT.workerUnitName)?.trim(), renderWorkerUnit().trim());
  });
});

describe("preflight: exit codes", function () {
  this.timeout(60_000);

  it("exits 0 with one summary line when the stack has no problem", async () => {
    const { code, lines } = await run(["dev", "--no-unit-start"]);
    assert.deepEqual(lines.length, 1, lines.join("\n"));
    assert.equal(code, 0);
    assert.match(
      lines[0]!,
      /^preflight dev: 0 problem\(s\); \d+ resources, \d+ policies, 0 unit\(s\) started \(sandbox skipped\) in \d+ s$/,
    );
  });

  it("exits 1 on a broken plan, one line per problem naming stack, resource, field, rule and source", async () => {
    // dev's config as a stack "qa": dev's exception for deletion protection does not hold for qa.
    const dir = stackDir("qa", (t) => t);
    try {
      const { code, lines } = await run(["qa", "--dir", dir, "--no-unit-start"]);
      assert.equal(code, 1);
      const problem = lines.find((l) => l.includes("[alb-deletion-protection]"));
      assert.ok(problem, lines.join("\n"));
      assert.match(
        problem,
        /^qa {2}aws:lb\/loadBalancer:LoadBalancer::\S+ {2}- {2}\[alb-deletion-protection\] {2}enableDeletionProtection is not true: set fleet:deletionProtection {2}\(source: policy\/rules \(alb-deletion-protection/,
      );
      assert.match(lines.at(-1)!, /^preflight qa: [1-9]\d* problem\(s\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 on a config error, naming the key, before anything is synthesized", async () => {
    const dir = stackDir("qa", (t) => t.replace(/fleet:minSize: "1"/, 'fleet:minSize: "-3"'));
    try {
      const { code, lines } = await run(["qa", "--dir", dir, "--no-unit-start"]);
      assert.equal(code, 1);
      assert.match(lines[0]!, /^qa {2}config {2}fleet:minSize {2}\[config\] {2}fleet:minSize = "-3" is invalid/);
      assert.match(lines.at(-1)!, /^preflight qa: 1 problem\(s\); 0 resources/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 naming the stack file when it does not exist", async () => {
    const { code, lines } = await run(["nosuchstack", "--no-unit-start"]);
    assert.equal(code, 1);
    assert.match(
      lines[0]!,
      /^nosuchstack {2}config {2}- {2}\[stack-file\] {2}stack file \S*Pulumi\.nosuchstack\.yaml not found/,
    );
  });
});
