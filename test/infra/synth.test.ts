/** `npm run synth` as a user runs it: a separate process, real stack files. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseStackYaml, StackFileError } from "../../scripts/synth";

const ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

function runSynth(...args: string[]) {
  return spawnSync(TSX, [path.join(ROOT, "scripts", "synth.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("synth (offline, under Pulumi mocks)", function () {
  this.timeout(60_000);

  for (const stack of ["dev", "prod"]) {
    it(`prints every resource and the outputs of ${stack} as JSON`, () => {
      const run = runSynth(stack, "--json");
      assert.equal(run.status, 0, run.stderr);
      const result = JSON.parse(run.stdout) as {
        stack: string;
        resources: Array<{ type: string; name: string }>;
        outputs: Record<string, string>;
      };
      assert.equal(result.stack, stack);
      const types = new Set(result.resources.map((r) => r.type));
      for (const t of [
        "awsx:ec2:Vpc",
        "aws:imagebuilder/imagePipeline:ImagePipeline",
        "aws:imagebuilder/image:Image",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:autoscaling/group:Group",
        // dev drains at night (fleet:nightly), and both stacks release nightly with a Scheduler schedule
        ...(stack === "dev" ? ["aws:autoscaling/schedule:Schedule"] : []),
        "aws:scheduler/schedule:Schedule",
        "aws:sfn/stateMachine:StateMachine",
        "aws:autoscaling/lifecycleHook:LifecycleHook",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sqs/queue:Queue",
        "aws:dynamodb/table:Table",
        "aws:cloudfront/distribution:Distribution",
      ]) {
        assert.ok(types.has(t), `${t} in synth output`);
      }
      assert.match(result.outputs.url!, /^https:\/\/.+\.cloudfront\.net$/);
      assert.equal(result.outputs.amiParameterName, `/imagebuilder/fleet/${stack}/ami`);
      assert.equal(result.outputs.jobsUrl, `${result.outputs.url}/jobs`);
      assert.match(result.outputs.resultsBaseUrl!, /^https:\/\/[^/]+\.cloudfront\.net$/);
      const names = new Set(result.resources.map((r) => r.name));
      for (const n of ["fleet-worker-asg", "fleet-worker-backlog", "fleet-worker-wake-up"]) assert.ok(names.has(n), n);
    });
  }

  it("prints a human-readable listing by default", () => {
    const run = runSynth("dev");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^stack dev: \d+ resources$/m);
    assert.match(run.stdout, /aws:autoscaling\/schedule:Schedule\s+fleet-drain/);
    assert.match(run.stdout, /^outputs:$/m);
  });

  it("prints the alarms, the dashboard and the release: its state machine and nightly schedule", () => {
    const run = runSynth("prod");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /aws:cloudwatch\/metricAlarm:MetricAlarm\s+fleet-p99-latency/);
    assert.match(run.stdout, /aws:cloudwatch\/dashboard:Dashboard\s+fleet-dashboard\n\s+dashboardName="fleet-prod"/);
    assert.match(run.stdout, /aws:sfn\/stateMachine:StateMachine\s+fleet-machine\n\s+name="fleet-prod-release"/);
    assert.match(run.stdout, /aws:scheduler\/schedule:Schedule\s+fleet-nightly/);
    assert.match(run.stdout, /arn:aws:states:eu-central-1:\d{12}:stateMachine:fleet-prod-release/);
    assert.doesNotMatch(run.stdout, /resolve:ssm:/);
  });

  it("--policy runs the policy pack over the plan: no violations, exit 0", () => {
    const run = runSynth("dev", "--policy", "--json");
    const report = JSON.parse(run.stdout) as {
      stack: string;
      resources: number;
      violations: Array<{ policy: string; resource: string }>;
    };
    assert.equal(report.stack, "dev");
    assert.ok(report.resources > 50);
    assert.deepEqual(report.violations, []);
    assert.equal(run.status, 0, run.stderr + run.stdout);
  });

  it("exits 1 naming the file for a stack without a stack file", () => {
    const run = runSynth("no-such-stack");
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Pulumi\.no-such-stack\.yaml not found/);
    assert.equal(run.stdout, "");
  });

  it("exits 1 printing the validation message for a bad config", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Pulumi.broken.yaml"),
        fs
          .readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")
          .replace(/fleet:restoreCron: .*/, 'fleet:restoreCron: "0 2 * * *"'),
      );
      const run = runSynth("broken", "--json", "--dir", dir);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /fleet:restoreCron = "0 2 \* \* \*" is invalid/);
      assert.equal(run.stdout, "");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 without arguments", () => {
    const run = runSynth();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /usage/);
  });

  it("reads the flat config map of a stack file", () => {
    const cfg = parseStackYaml(
      [
        "# comment",
        "encryptionsalt: x",
        "config:",
        "  aws:region: eu-west-1",
        '  fleet:minSize: "2"  # two',
        "  fleet:timeZone: 'Europe/Berlin'",
        "  fleet:natGateways: Single # one",
      ].join("\n"),
    );
    assert.deepEqual(cfg, {
      "aws:region": "eu-west-1",
      "fleet:minSize": "2",
      "fleet:timeZone": "Europe/Berlin",
      "fleet:natGateways": "Single",
    });
    assert.throws(() => parseStackYaml("config:\n  fleet:secret:\n    secure: abc"), StackFileError);
  });
});
