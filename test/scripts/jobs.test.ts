/**
 * `npm run jobs`: the argument parser, each command over a real embedded backend, and the script run as
 * a child process on a temp JOBS_DB (exit codes, messages on stderr).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import { JobNotFoundError, JobStateError } from "../../service/jobs/errors";
import { UsageError } from "../../scripts/cli";
import { JobInputError, parseJobsArgs, runJobsCommand } from "../../scripts/jobs";
import { parseSchedules } from "../../service/jobs/schedules";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe("npm run jobs: arguments", () => {
  it("parses each command", () => {
    assert.deepEqual(parseJobsArgs(["dead"]), { command: "dead", limit: 20 });
    assert.deepEqual(parseJobsArgs(["--help"]), { command: "help" });
    assert.deepEqual(parseJobsArgs(["list"]), { command: "list", limit: 20 });
    assert.deepEqual(
      parseJobsArgs(["list", "--status", "failed", "--kind", "sum", "--schedule", "nightly", "--limit", "3"]),
      {
        command: "list",
        limit: 3,
        status: "failed",
        kind: "sum",
        schedule: "nightly",
      },
    );
    assert.deepEqual(parseJobsArgs(["schedules"]), { command: "schedules" });
    assert.deepEqual(parseJobsArgs(["dead", "--limit", "5"]), { command: "dead", limit: 5 });
    assert.deepEqual(parseJobsArgs(["dead", "--limit=1000"]), { command: "dead", limit: 1000 });
    assert.deepEqual(parseJobsArgs(["retry", "abc-123"]), { command: "retry", id: "abc-123" });
    assert.deepEqual(parseJobsArgs(["status", "abc_123"]), { command: "status", id: "abc_123" });
    assert.deepEqual(parseJobsArgs(["enqueue", "sum", '{"n":10}']), {
      command: "enqueue",
      kind: "sum",
      input: { n: 10 },
    });
    assert.deepEqual(parseJobsArgs(["enqueue", "sum", "{}", "--idempotency-key", "k1"]), {
      command: "enqueue",
      kind: "sum",
      input: {},
      idempotencyKey: "k1",
    });
  });

  const bad: [string[], RegExp][] = [
    [[], /give a command: one of list, schedules, dead, retry, status, enqueue/],
    [["list", "--status", "done"], /--status must be one of queued, running, succeeded, failed, canceled; got "done"/],
    [["list", "--kind", "mine"], /--kind must be one of sum, render; got "mine"/],
    [["list", "--schedule", "a b"], /--schedule must be a schedule's name/],
    [["list", "--limit", "0"], /--limit must be an integer from 1 to 1000/],
    [["schedules", "--kind", "sum"], /--kind does not apply to schedules/],
    [["purge"], /unknown command "purge"/],
    [["dead", "--limit", "0"], /--limit must be an integer from 1 to 1000/],
    [["dead", "--limit", "many"], /--limit must be an integer/],
    [["dead", "extra"], /dead takes 0 arguments/],
    [["dead", "--verbose"], /Unknown option '--verbose'/],
    [["retry"], /retry takes 1 argument/],
    [["status", "a/../b"], /cannot be a job id/],
    [["status", "x", "--limit", "3"], /--limit does not apply to status/],
    [["enqueue", "sum"], /enqueue takes 2 arguments/],
    [["enqueue", "Sum!", "{}"], /cannot be a kind/],
    [["enqueue", "sum", "{n:1}"], /the input must be JSON/],
    [["enqueue", "sum", "{}", "--idempotency-key", "has space"], /--idempotency-key must be/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      assert.throws(
        () => parseJobsArgs(argv),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});

describe("npm run jobs: commands", () => {
  let dir: string;
  let backend: SqliteJobBackend;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-jobs-cli-"));
    backend = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "r"),
      maxAttempts: 1,
    });
  });
  afterEach(async () => {
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const code = await runJobsCommand(backend, parseJobsArgs(argv), (line) => lines.push(line));
    return { code, lines };
  }

  async function failedJob(error: string): Promise<string> {
    const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
    const [lease] = await backend.claim({ max: 1, leaseMs: 60_000, waitMs: 0 });
    assert.equal(await backend.fail(lease!, error, { permanent: false, retryDelayMs: 0 }), "failed");
    return job.id;
  }

  it("list filters by status, kind and schedule", async () => {
    assert.deepEqual((await run(["list"])).lines, ["no jobs match"]);
    const failed = await failedJob("boom");
    const { job: render } = await backend.enqueue({ kind: "render", input: { width: 1, height: 1 } });
    const { job: ticked } = await backend.enqueue({
      kind: "sum",
      input: { n: 2 },
      idempotencyKey: "schedule:nightly:2026-12-03T03:00:00.000Z",
      schedule: { name: "nightly", tick: "2026-12-03T03:00:00.000Z" },
    });
    const ids = async (argv: string[]) => (await run(argv)).lines.slice(1).map((l) => l.split("  ")[0]);
    assert.deepEqual(await ids(["list"]), [ticked.id, render.id, failed]);
    assert.deepEqual(await ids(["list", "--status", "failed"]), [failed]);
    assert.deepEqual(await ids(["list", "--kind", "render"]), [render.id]);
    assert.deepEqual(await ids(["list", "--kind", "sum", "--status", "queued"]), [ticked.id]);
    const bySchedule = await run(["list", "--schedule", "nightly"]);
    assert.deepEqual(bySchedule.lines, [
      "1 job, newest first:",
      `${ticked.id}  sum  queued  created ${ticked.createdAt}  schedule nightly tick 2026-12-03T03:00:00.000Z`,
    ]);
    assert.deepEqual(await ids(["list", "--limit", "1"]), [ticked.id]);
  });

  it("schedules shows each schedule's next tick and its last (its latest job)", async () => {
    const schedules = parseSchedules(
      [
        { name: "nightly", schedule: "cron(0 3 * * ? *)", kind: "sum", input: { n: 2 } },
        { name: "hourly", schedule: "rate(1 hour)", timeZone: "Europe/Paris", kind: "sum", input: { n: 1 } },
      ],
      "test",
    );
    const { job } = await backend.enqueue({
      kind: "sum",
      input: { n: 2 },
      schedule: { name: "nightly", tick: "2026-12-03T03:00:00.000Z" },
    });
    const lines: string[] = [];
    const now = () => Date.parse("2026-12-03T10:30:00Z");
    assert.equal(await runJobsCommand(backend, { command: "schedules" }, (l) => lines.push(l), { schedules, now }), 0);
    assert.deepEqual(lines, [
      `nightly  cron(0 3 * * ? *) UTC  sum  next 2026-12-04T03:00:00.000Z  last 2026-12-03T03:00:00.000Z (job ${job.id}, queued)`,
      "hourly  rate(1 hour) Europe/Paris  sum  next 2026-12-03T11:00:00.000Z  last none kept",
    ]);
    const none: string[] = [];
    await runJobsCommand(backend, { command: "schedules" }, (l) => none.push(l), {});
    assert.deepEqual(none, ["no schedules (JOBS_SCHEDULES names none)"]);
  });

  it("dead lists the failed jobs with their errors; retry queues one again", async () => {
    assert.deepEqual((await run(["dead"])).lines, ["no failed jobs"]);
    const id = await failedJob("boom\nat line 2");
    const dead = await run(["dead"]);
    assert.equal(dead.code, 0);
    assert.equal(dead.lines[0], "1 failed job, newest first:");
    assert.match(dead.lines[1]!, new RegExp(`^${id}  sum  attempts 1  failed \\S+Z  boom at line 2$`));

    const retry = await run(["retry", id]);
    assert.match(retry.lines[0]!, new RegExp(`^job ${id} is queued again`));
    assert.equal((await backend.get(id))?.status, "queued");
    assert.deepEqual((await run(["dead"])).lines, ["no failed jobs"]);
    await assert.rejects(run(["retry", id]), JobStateError);
  });

  it("dead --limit 1 with two failed jobs says 1 of 2", async () => {
    await failedJob("first");
    const newest = await failedJob("second");
    const dead = await run(["dead", "--limit", "1"]);
    assert.equal(dead.lines[0], "1 of 2 failed jobs, newest first (--limit 2 shows them all):");
    assert.equal(dead.lines.length, 2);
    assert.match(dead.lines[1]!, new RegExp(`^${newest} `));
    assert.equal((await run(["dead", "--limit", "2"])).lines[0], "2 failed jobs, newest first:");
  });

  it("status prints the job as the API shows it; an unknown id is an error", async () => {
    const { job } = await backend.enqueue({ kind: "sum", input: { n: 7 } });
    const status = await run(["status", job.id]);
    assert.deepEqual(JSON.parse(status.lines.join("\n")), job);
    await assert.rejects(run(["status", "nope"]), JobNotFoundError);
  });

  it("enqueue stores a job, once per idempotency key", async () => {
    const first = await run(["enqueue", "sum", '{"n":3}', "--idempotency-key", "k"]);
    const id = /^enqueued (\S+)$/.exec(first.lines[0]!)?.[1];
    assert.ok(id, first.lines[0]);
    assert.deepEqual((await backend.get(id))?.input, { n: 3 });
    assert.deepEqual((await run(["enqueue", "sum", '{"n":3}', "--idempotency-key", "k"])).lines, [
      `already enqueued under that key: ${id}`,
    ]);
    assert.equal(await backend.backlog(), 1);
  });

  it("enqueue refuses an input the API would refuse, with the API's message, and stores nothing", async () => {
    // The case: once accepted, it was retried three times and dead-lettered with a NaN size.
    await assert.rejects(
      run(["enqueue", "render", '{"width":0}']),
      (err: unknown) => err instanceof JobInputError && err.kind === "render",
    );
    await assert.rejects(run(["enqueue", "render", '{"width":0,"height":64}']), /input\/width must be >= \d+/);
    await assert.rejects(run(["enqueue", "nope", "{}"]), /must be equal to one of the allowed values/);
    await assert.rejects(run(["enqueue", "sum", '{"n":1,"extra":2}']), /input property name must be valid/);
    assert.equal(await backend.backlog(), 0);
    assert.match((await run(["enqueue", "render", '{"width":64,"height":48}'])).lines[0]!, /^enqueued /);
  });
});

describe("npm run jobs (child process)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-jobs-cli-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function jobs(args: string[], env: Record<string, string> = {}) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [TSX, path.join(ROOT, "scripts/jobs.ts"), ...args],
        {
          cwd: ROOT,
          timeout: 15_000,
          env: { ...process.env, JOBS_DB: path.join(dir, "jobs.db"), JOBS_RESULTS_DIR: path.join(dir, "r"), ...env },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  it("enqueues and shows a job in the file JOBS_DB names", async () => {
    const enq = await jobs(["enqueue", "sum", '{"n":4}']);
    assert.equal(enq.code, 0, enq.stderr);
    const id = /^enqueued (\S+)\n$/.exec(enq.stdout)?.[1];
    assert.ok(id, enq.stdout);
    assert.ok(fs.existsSync(path.join(dir, "jobs.db")));
    const status = await jobs(["status", id]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status, "queued");
  });

  it("exits 1 with one line for an unknown job, a bad setting, or bad arguments", async () => {
    const missing = await jobs(["status", "nope"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), "jobs: no job nope");
    const setting = await jobs(["dead"], { JOBS_BACKEND: "kafka" });
    assert.equal(setting.code, 1);
    assert.match(setting.stderr.trim(), /^jobs: JOBS_BACKEND="kafka" is invalid: expected one of sqlite, aws$/);
    const usage = await jobs(["dead", "--limit", "x"]);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^jobs: --limit must be .*\nusage: npm run jobs/);
  });

  it("exits 1 naming the schedule and the field for a bad JOBS_SCHEDULES", async () => {
    const schedules = path.join(dir, "schedules.json");
    fs.writeFileSync(schedules, JSON.stringify([{ name: "x", schedule: "rate(5 minute)", kind: "sum", input: {} }]));
    const badSchedule = await jobs(["schedules"], { JOBS_SCHEDULES: schedules });
    assert.equal(badSchedule.code, 1);
    assert.match(
      badSchedule.stderr.trim(),
      /^jobs: JOBS_SCHEDULES\[0\] \("x"\)\.schedule: "rate\(5 minute\)": .*plural unit/,
    );
  });
});
