/** `npm run capacity` in jobs mode: the worker-fleet arithmetic, its flags, and the printed report. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import fc from "fast-check";
import { backlogPerInstanceTarget } from "../../service/jobs/capacity";
import { planJobCapacity, WORKER_COLD_START_S } from "../../scripts/capacity-math";
import { isJobsMode, parseJobsCapacityArgs } from "../../scripts/capacity-jobs";
import { UsageError } from "../../scripts/cli";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe("capacity math for jobs", () => {
  it("sizes the worked example: 120 jobs/min of 30 s, 60 s wait, 2 per instance, 70 %", () => {
    const plan = planJobCapacity({
      jobsPerMinute: 120,
      jobSeconds: 30,
      maxWaitSeconds: 60,
      jobsPerInstance: 2,
      targetUtilisationPercent: 70,
    });
    assert.equal(plan.busySlots, 60); // 2 jobs/s × 30 s
    assert.equal(plan.at100, 30);
    assert.equal(plan.atTarget, 43); // ⌈60 / 1.4⌉
    assert.equal(plan.backlogPerInstance, 4); // 60 × 2 / 30
    assert.equal(plan.workerMinSize, 1); // 60 s < a cold start
    assert.equal(plan.workerMaxSize, 43);
  });

  it("holds for any load: enough slots at the target, the infra's backlog target, min 0 only when a cold start fits", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 100_000, noNaN: true }),
        fc.double({ min: 0.01, max: 900, noNaN: true }),
        fc.double({ min: 1, max: 43_200, noNaN: true }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 100 }),
        (jobsPerMinute, jobSeconds, maxWaitSeconds, jobsPerInstance, targetUtilisationPercent) => {
          const input = { jobsPerMinute, jobSeconds, maxWaitSeconds, jobsPerInstance, targetUtilisationPercent };
          const plan = planJobCapacity(input);
          const busy = (jobsPerMinute / 60) * jobSeconds;
          assert.ok(plan.atTarget * jobsPerInstance * (targetUtilisationPercent / 100) >= busy - 1e-6);
          assert.ok(plan.at100 * jobsPerInstance >= busy - 1e-6);
          assert.ok(plan.at100 <= plan.atTarget && plan.workerMaxSize >= 1);
          assert.equal(
            plan.backlogPerInstance,
            backlogPerInstanceTarget({ maxWaitSeconds, jobSeconds, jobsPerInstance }),
          );
          assert.equal(plan.workerMinSize, maxWaitSeconds < WORKER_COLD_START_S ? 1 : 0);
        },
      ),
    );
  });

  it("refuses inputs the arithmetic cannot use", () => {
    const ok = { jobsPerMinute: 1, jobSeconds: 1, maxWaitSeconds: 1, jobsPerInstance: 1, targetUtilisationPercent: 70 };
    assert.throws(() => planJobCapacity({ ...ok, jobSeconds: 0 }), /jobSeconds/);
    assert.throws(() => planJobCapacity({ ...ok, jobsPerInstance: 1.5 }), /jobsPerInstance/);
    assert.throws(() => planJobCapacity({ ...ok, targetUtilisationPercent: 0 }), /utilisation/);
  });
});

describe("capacity jobs-mode flags", () => {
  it("selects jobs mode by its flags only", () => {
    assert.equal(isJobsMode(["--jobs-per-minute", "5"]), true);
    assert.equal(isJobsMode(["--job-seconds=5"]), true);
    assert.equal(isJobsMode(["--peak-rps", "5", "--measure"]), false);
  });

  it("parses the flags with their defaults", () => {
    assert.deepEqual(
      parseJobsCapacityArgs(["--jobs-per-minute", "120", "--job-seconds=30", "--max-wait-seconds", "60"]),
      {
        jobsPerMinute: 120,
        jobSeconds: 30,
        maxWaitSeconds: 60,
        jobsPerInstance: 2,
        targetUtilisationPercent: 70,
        stack: "dev",
      },
    );
    const a = parseJobsCapacityArgs([
      "--jobs-per-minute=1.5",
      "--job-seconds=0.2",
      "--max-wait-seconds=600",
      "--instance-vcpus=8",
      "--target-utilisation=50",
      "--stack=prod",
    ]);
    assert.equal(a.jobsPerInstance, 8, "jobs per instance default to the instance's vCPUs");
    assert.equal(a.targetUtilisationPercent, 50);
  });

  const base = ["--jobs-per-minute", "120", "--job-seconds", "30", "--max-wait-seconds", "60"];
  const bad: [string[], RegExp][] = [
    [["--jobs-per-minute", "120", "--job-seconds", "30"], /--max-wait-seconds is required in jobs mode/],
    [["--job-seconds", "30", "--max-wait-seconds", "60"], /--jobs-per-minute is required/],
    [[...base.slice(0, 2), "--job-seconds", "0", ...base.slice(4)], /--job-seconds must be a number > 0/],
    [[...base, "--jobs-per-instance", "2.5"], /--jobs-per-instance must be an integer/],
    [[...base, "--target-utilisation", "120"], /--target-utilisation must be a number > 0 and ≤ 100/],
    [[...base, "--peak-rps", "4000"], /do not mix with jobs mode/],
    [[...base, "--stack", "a b"], /--stack must be a Pulumi stack name/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseJobsCapacityArgs(argv),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});

describe("npm run capacity -- --jobs-per-minute ... (child process)", () => {
  function capacity(args: string[]) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [TSX, path.join(ROOT, "scripts/capacity.ts"), ...args],
        { cwd: ROOT, timeout: 15_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  it("prints Little's law, the backlog target and the stack config lines", async () => {
    const r = await capacity([
      "--jobs-per-minute",
      "600",
      "--job-seconds",
      "20",
      "--max-wait-seconds",
      "300",
      "--jobs-per-instance",
      "4",
      "--stack",
      "prod",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /L = λ × job time = 10 × 20 s = 200 \(Little's law/);
    assert.match(r.stdout, /⌈200 \/ \(4 × 0\.7\)⌉ = ⌈71\.43⌉ = 72 instance/);
    assert.match(r.stdout, /300 × 4 \/ 20 = 60 queued jobs per instance/);
    assert.match(r.stdout, /worker fleet: min 0 \/ max 72/);
    for (const line of [
      "jobSeconds 20",
      "jobMaxWaitSeconds 300",
      "workerConcurrency 4",
      "workerMinSize 0",
      "workerMaxSize 72",
    ]) {
      assert.ok(r.stdout.includes(`pulumi config set --stack prod fleet:${line}\n`), line);
    }
  });

  it("exits 1 naming the flag that is wrong", async () => {
    const r = await capacity(["--jobs-per-minute", "600", "--job-seconds", "x", "--max-wait-seconds", "300"]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.startsWith("capacity: --job-seconds must be"), r.stderr);
  });
});
