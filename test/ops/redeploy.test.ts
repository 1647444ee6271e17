import assert from "node:assert/strict";
import { parseArgs, redeploy, RedeployError, type Io, type RedeployOptions } from "../../scripts/redeploy";

const OUTPUTS = JSON.stringify({
  imagePipelineArn: "arn:aws:imagebuilder:eu-central-1:1:image-pipeline/fleet-prod",
  asgName: "fleet-prod-asg",
});

/** A fake shell: answers each command from a script of (matcher, answer) in order, and records the calls. */
function scripted(answers: Array<[RegExp, string]>, outputs = OUTPUTS) {
  const calls: string[] = [];
  const log: string[] = [];
  let clock = 0;
  const io: Io = {
    async run(command, args) {
      const line = `${command} ${args.join(" ")}`;
      calls.push(line);
      if (line.startsWith("pulumi stack output")) return outputs;
      if (line.startsWith("pulumi config get aws:region")) return "eu-central-1\n";
      const next = answers.shift();
      assert.ok(next, `unexpected command: ${line}`);
      assert.match(line, next[0]);
      return next[1];
    },
    log: (line) => log.push(line),
    sleep: async (ms) => (clock += ms),
    now: () => clock,
  };
  return { io, calls, log };
}

const options = (extra: Partial<RedeployOptions> = {}): RedeployOptions => ({
  stack: "prod",
  skipBake: false,
  wait: false,
  dryRun: false,
  timeoutMinutes: 120,
  ...extra,
});

describe("scripts/redeploy", () => {
  it("bakes with the stack's pipeline, waits for the image, then starts an instance refresh, in the stack's region", async () => {
    const { io, calls } = scripted([
      [
        /^aws imagebuilder start-image-pipeline-execution --image-pipeline-arn arn:aws:imagebuilder:eu-central-1:1:image-pipeline\/fleet-prod .*--region eu-central-1/,
        "arn:build/1\n",
      ],
      [/^aws imagebuilder get-image --image-build-version-arn arn:build\/1 /, "BUILDING\n"],
      [/^aws imagebuilder get-image/, "TESTING\n"],
      [/^aws imagebuilder get-image/, "AVAILABLE\n"],
      [
        // Launch before terminating, never below 100 % (AWS's defaults would take a group of one down),
        // and a pair AWS accepts (max − min ≤ 100).
        /^aws autoscaling start-instance-refresh --auto-scaling-group-name fleet-prod-asg --preferences \{"MinHealthyPercentage":100,"MaxHealthyPercentage":200,"SkipMatching":false\} .*--region eu-central-1/,
        "refresh-1\n",
      ],
    ]);
    await redeploy(options(), io);
    assert.equal(calls.filter((c) => c.startsWith("aws")).length, 5);
  });

  it("stops before touching the group when the image build fails", async () => {
    const { io, calls } = scripted([
      [/start-image-pipeline-execution/, "arn:build/2"],
      [/get-image/, "FAILED"],
    ]);
    await assert.rejects(
      redeploy(options(), io),
      (err: unknown) => err instanceof RedeployError && /ended FAILED/.test(err.message),
    );
    assert.ok(!calls.some((c) => c.includes("start-instance-refresh")));
  });

  it("gives up at the deadline instead of polling forever", async () => {
    const { io } = scripted([
      [/start-image-pipeline-execution/, "arn:build/3"],
      ...Array.from({ length: 10 }, (): [RegExp, string] => [/get-image/, "BUILDING"]),
    ]);
    await assert.rejects(
      redeploy(options({ timeoutMinutes: 1 }), io),
      /did not finish before the --timeout-minutes deadline \(last status BUILDING\)/,
    );
  });

  it("--skip-bake --wait rolls onto the current AMI and follows the refresh to Successful", async () => {
    const { io } = scripted([
      [/start-instance-refresh/, "refresh-2"],
      [/describe-instance-refreshes .*--instance-refresh-ids refresh-2/, "InProgress"],
      [/describe-instance-refreshes/, "Successful"],
    ]);
    await redeploy(options({ skipBake: true, wait: true }), io);
  });

  it("--dry-run reads the stack and prints the commands without running any", async () => {
    const { io, calls, log } = scripted([]);
    await redeploy(options({ dryRun: true }), io);
    assert.ok(calls.every((c) => c.startsWith("pulumi")));
    assert.ok(log.some((l) => l.startsWith("would run: aws imagebuilder start-image-pipeline-execution")));
    assert.ok(
      log.some((l) =>
        l.startsWith("would run: aws autoscaling start-instance-refresh --auto-scaling-group-name fleet-prod-asg"),
      ),
    );
  });

  it("names the missing output when the stack was never deployed", async () => {
    const { io } = scripted([], JSON.stringify({ url: "http://x" }));
    await assert.rejects(
      redeploy(options(), io),
      /stack "prod" has no output "imagePipelineArn": run `pulumi up --stack prod` first/,
    );
  });

  it("parses its flags and refuses bad ones with the usage", () => {
    assert.deepEqual(parseArgs(["--stack", "dev", "--wait", "--timeout-minutes", "30"]), {
      stack: "dev",
      skipBake: false,
      wait: true,
      dryRun: false,
      timeoutMinutes: 30,
    });
    assert.throws(() => parseArgs([]), /--stack is required/);
    assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
    assert.throws(
      () => parseArgs(["--stack", "dev", "--timeout-minutes", "0"]),
      /--timeout-minutes must be a whole number/,
    );
    assert.throws(() => parseArgs(["--stack", "dev", "--force"]), /unknown argument "--force"/);
  });
});
