/** `npm run capacity` in jobs mode: the worker-fleet arithmetic, its flags, and the printed report. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import fc from "fast-check";
import { backlogPerInstanceTarget } from "../../service/jobs/capacity";
import {
  jobsPulumiConfigLines,
  planJobCapacity,
  SPOT_DRAIN_BUDGET_S,
  SPOT_RELAUNCH_S,
  spotOverhead,
  WORKER_COLD_START_S,
} from "../../scripts/capacity-math";
import { SPOT_MARGIN_MS, SPOT_NOTICE_MS } from "../../service/jobs/aws/spot";
import { WORKER_WARMUP_S } from "../../infra/jobs/workerFleet";
import { DEFAULT_JOB_TIMEOUT_S } from "../../service/jobs/timing";
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

describe("capacity math for jobs: edges and the printed explanation", () => {
  const ok = { jobsPerMinute: 1, jobSeconds: 1, maxWaitSeconds: 1, jobsPerInstance: 1, targetUtilisationPercent: 70 };

  for (const name of ["jobsPerMinute", "jobSeconds", "maxWaitSeconds", "jobsPerInstance"] as const) {
    for (const value of [0, -1, NaN, Infinity]) {
      it(`refuses ${name} ${value} by name`, () => {
        assert.throws(() => planJobCapacity({ ...ok, [name]: value }), {
          name: "RangeError",
          message: `${name} must be a number > 0, got ${value}`,
        });
      });
    }
  }

  it("refuses a fractional jobsPerInstance and a utilisation outside 1..100 with the value; accepts the edges", () => {
    assert.throws(() => planJobCapacity({ ...ok, jobsPerInstance: 1.5 }), {
      message: "jobsPerInstance must be an integer, got 1.5",
    });
    for (const pct of [0.5, 100.5, NaN]) {
      assert.throws(() => planJobCapacity({ ...ok, targetUtilisationPercent: pct }), {
        message: `target utilisation must be a percentage from 1 to 100, got ${pct}`,
      });
    }
    assert.equal(planJobCapacity({ ...ok, jobsPerMinute: 600, targetUtilisationPercent: 100 }).atTarget, 10);
    assert.equal(planJobCapacity({ ...ok, jobsPerMinute: 60, targetUtilisationPercent: 1 }).atTarget, 100);
  });

  it("explains the worked example line by line", () => {
    const plan = planJobCapacity({
      jobsPerMinute: 120,
      jobSeconds: 30,
      maxWaitSeconds: 60,
      jobsPerInstance: 2,
      targetUtilisationPercent: 70,
    });
    assert.deepEqual(plan.steps, [
      "arrival rate     λ = 120 jobs/min / 60 = 2 jobs/s",
      "busy slots       L = λ × job time = 2 × 30 s = 60 (Little's law: slots busy on average)",
      "at 100 %         ⌈60 / 2 jobs per instance⌉ = 30 instance(s)",
      "at the target    ⌈60 / (2 × 0.7)⌉ = ⌈42.86⌉ = 43 instance(s)",
      "backlog target   max wait × jobs per instance / job time = 60 × 2 / 30 = 4 queued jobs per instance" +
        " (what the scaling policy holds: each instance clears 2 / 30 = 0.07 jobs/s, so that backlog waits ≤ 60 s)",
      "min              1: a 60 s wait is shorter than a cold start from zero (~180 s: alarm + launch + boot)",
      "max              43: the peak at the target utilisation; raise it to work off bursts faster",
    ]);
    assert.deepEqual(plan.notes, []);
    assert.deepEqual(
      jobsPulumiConfigLines(plan, { ...ok, jobSeconds: 30, maxWaitSeconds: 60, jobsPerInstance: 2 }, "prod"),
      [
        "pulumi config set --stack prod fleet:jobSeconds 30",
        "pulumi config set --stack prod fleet:jobMaxWaitSeconds 60",
        "pulumi config set --stack prod fleet:workerConcurrency 2",
        "pulumi config set --stack prod fleet:workerMinSize 1",
        "pulumi config set --stack prod fleet:workerMaxSize 43",
      ],
    );
  });

  it("explains long jobs: min 0, and notes the job outlasting the wait and the job timeout", () => {
    const plan = planJobCapacity({
      jobsPerMinute: 1,
      jobSeconds: 950,
      maxWaitSeconds: 300,
      jobsPerInstance: 3,
      targetUtilisationPercent: 70,
    });
    assert.deepEqual(plan.steps.slice(0, 4), [
      "arrival rate     λ = 1 jobs/min / 60 = 0.02 jobs/s",
      "busy slots       L = λ × job time = 0.02 × 950 s = 15.83 (Little's law: slots busy on average)",
      "at 100 %         ⌈15.83 / 3 jobs per instance⌉ = 6 instance(s)",
      "at the target    ⌈15.83 / (3 × 0.7)⌉ = ⌈7.54⌉ = 8 instance(s)",
    ]);
    assert.equal(
      plan.steps[5],
      "min              0: nothing runs while the queue is empty; the first job waits a cold start (~180 s) ≤ 300 s",
    );
    assert.deepEqual(plan.notes, [
      "a job (950 s) outlasts the acceptable wait (300 s): the target is below 3 queued jobs per instance," +
        " so the group grows as soon as every slot is taken.",
      "jobs of 950 s run past JOBS_TIMEOUT_S's default (900 s), and the infra accepts fleet:jobSeconds up to 900.",
    ]);
  });

  it("notes an idle fleet under one busy slot on average, not at exactly one", () => {
    const idle = planJobCapacity({ ...ok, jobsPerMinute: 1, jobSeconds: 20, maxWaitSeconds: 600, jobsPerInstance: 4 });
    assert.deepEqual(idle.notes, [
      "less than one slot busy on average: the fleet idles most of the time; min 0 saves what it costs.",
    ]);
    const one = planJobCapacity({ ...ok, jobsPerMinute: 60, jobSeconds: 1, maxWaitSeconds: 600 });
    assert.equal(one.busySlots, 1);
    assert.deepEqual(one.notes, []);
  });

  it("puts each note's edge where it says: a cold start, a job as long as the wait, the job timeout", () => {
    const at = (over: Partial<typeof ok>) => planJobCapacity({ ...ok, jobsPerMinute: 600, ...over });
    assert.equal(at({ maxWaitSeconds: WORKER_COLD_START_S }).workerMinSize, 0, "a wait of exactly a cold start");
    assert.equal(at({ maxWaitSeconds: WORKER_COLD_START_S - 0.5 }).workerMinSize, 1);
    assert.deepEqual(at({ jobSeconds: 60, maxWaitSeconds: 60 }).notes, [], "a job exactly as long as the wait");
    assert.equal(at({ jobSeconds: 60.5, maxWaitSeconds: 60 }).notes.length, 1);
    assert.deepEqual(at({ jobSeconds: DEFAULT_JOB_TIMEOUT_S, maxWaitSeconds: 3600 }).notes, []);
    assert.match(at({ jobSeconds: DEFAULT_JOB_TIMEOUT_S + 0.5, maxWaitSeconds: 3600 }).notes.join(), /JOBS_TIMEOUT_S/);
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
    [[...base, "--spot-interruption-percent", "101"], /--spot-interruption-percent must be a number from 0 to 100/],
    [[...base, "--spot-interruption-percent=-1"], /--spot-interruption-percent must be a number from 0 to 100/],
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

describe("capacity math for jobs on Spot", () => {
  it("uses the worker's own notice budget and the group's warm-up", () => {
    assert.equal(SPOT_DRAIN_BUDGET_S * 1000, SPOT_NOTICE_MS - SPOT_MARGIN_MS);
    assert.equal(SPOT_RELAUNCH_S, WORKER_WARMUP_S);
  });

  it("counts the work redone and the slots missing, by hand", () => {
    // 2 slots, half busy, 300 s jobs: (300 − 100)² / 600 = 66.67 s per busy slot → 2 × 0.5 × 66.67 = 66.67
    // slot-s redone; 2 × 120 = 240 slot-s missing; 30 instances at 73 % a month = 30 × 0.73 / 730 = 0.03 an
    // hour; 0.03 / 3600 × 306.67 = 0.002556 slots on average.
    const o = spotOverhead({
      interruptionPercent: 73,
      spotInstances: 30,
      jobsPerInstance: 2,
      jobSeconds: 300,
      utilisation: 0.5,
    });
    assert.ok(Math.abs(o.redoneSlotS - 66.6667) < 1e-3, `${o.redoneSlotS}`);
    assert.equal(o.missingSlotS, 240);
    assert.ok(Math.abs(o.interruptionsPerHour - 0.03) < 1e-12);
    assert.ok(Math.abs(o.extraSlots - 0.0025556) < 1e-6, `${o.extraSlots}`);
  });

  it("redoes nothing when every job fits in the notice", () => {
    const o = spotOverhead({
      interruptionPercent: 10,
      spotInstances: 4,
      jobsPerInstance: 2,
      jobSeconds: 100,
      utilisation: 0.7,
    });
    assert.equal(o.redoneSlotS, 0);
    assert.equal(o.perInterruptionSlotS, 2 * SPOT_RELAUNCH_S);
  });

  it("sizes the fleet for the overhead, and says so line by line", () => {
    const input = {
      jobsPerMinute: 6,
      jobSeconds: 300,
      maxWaitSeconds: 600,
      jobsPerInstance: 2,
      targetUtilisationPercent: 50,
    };
    const plain = planJobCapacity(input);
    const spot = planJobCapacity({ ...input, spotInterruptionPercent: 73 });
    // L = 0.1 × 300 = 30 slots: 30 instances at 50 %; with Spot 30.0026 slots: one more instance.
    assert.deepEqual([plain.busySlots, plain.atTarget, plain.spotExtraSlots], [30, 30, 0]);
    assert.ok(Math.abs(spot.spotExtraSlots - 0.0025556) < 1e-6);
    assert.equal(spot.atTarget, 31);
    const text = spot.steps.join("\n");
    assert.match(
      text,
      /spot, redone .*2 slots × 0.5 busy × \(300 − 100\)² \/ \(2 × 300\) = 66.67 slot-s per interruption/,
    );
    assert.match(text, /spot, missing +2 slots × 120 s until a replacement runs = 240 slot-s/);
    assert.match(text, /73 % of Spot instances a month: 0.0300 interruptions an hour/);
    assert.match(text, /L with Spot = 30 \+ 0.00256 = 30/);
    assert.equal(
      planJobCapacity({ ...input, spotInterruptionPercent: 0 }).atTarget,
      30,
      "no interruptions, no overhead",
    );
    assert.throws(() => planJobCapacity({ ...input, spotInterruptionPercent: 120 }), /0 to 100 a month, got 120/);
  });

  it("parses the rate, 0 included", () => {
    const base = ["--jobs-per-minute", "1", "--job-seconds", "1", "--max-wait-seconds", "600"];
    assert.equal(parseJobsCapacityArgs([...base, "--spot-interruption-percent", "0"]).spotInterruptionPercent, 0);
    assert.equal(parseJobsCapacityArgs([...base, "--spot-interruption-percent=12.5"]).spotInterruptionPercent, 12.5);
    assert.equal(parseJobsCapacityArgs(base).spotInterruptionPercent, undefined);
  });
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
