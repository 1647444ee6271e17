import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { JobBackend } from "../../service/jobs/backend";
import { parseSchedules } from "../../service/jobs/schedules";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import { MAX_SLEEP_MS, ScheduleTicker } from "../../service/jobs/ticker";
import { buildJobsApp, tempDir } from "./helpers";

const quiet = { info() {}, warn() {} };
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Two schedulers over one SQLite file, each with its own connection, sharing a clock the test moves. */
async function twoTickers(schedules: unknown[]) {
  const dir = tempDir("fleet-ticker-");
  const clock = { ms: Date.parse("2026-12-03T10:00:30Z") };
  const open = () =>
    openSqliteBackend({ file: path.join(dir, "jobs.db"), resultsDir: path.join(dir, "results"), now: () => clock.ms });
  const backends: SqliteJobBackend[] = [await open(), await open()];
  const list = parseSchedules(schedules, "test");
  const ticker = (backend: JobBackend) =>
    new ScheduleTicker({ backend, schedules: list, log: quiet, now: () => clock.ms, catchUpWindowMs: 7 * DAY });
  return {
    clock,
    backends,
    ticker,
    async close() {
      await Promise.all(backends.map((b) => b.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const everyMinute = { name: "often", schedule: "rate(1 minute)", kind: "sum", input: { n: 10 } };

describe("the local schedule ticker (JOBS_SCHEDULES)", () => {
  it("two schedulers over one SQLite file enqueue one job per tick, keyed by the tick", async () => {
    const t = await twoTickers([everyMinute]);
    try {
      const [a, b] = [t.ticker(t.backends[0]!), t.ticker(t.backends[1]!)];
      await a.init();
      await b.init();
      for (let i = 0; i < 5; i++) {
        t.clock.ms += MINUTE;
        await Promise.all([a.runDue(), b.runDue(), a.runDue()]);
      }
      const jobs = await t.backends[0]!.list({ schedule: "often", limit: 100 });
      assert.deepEqual(
        jobs.map((j) => j.schedule?.tick),
        ["10:05", "10:04", "10:03", "10:02", "10:01"].map((hm) => `2026-12-03T${hm}:00.000Z`),
      );
      assert.ok(jobs.every((j) => j.kind === "sum" && JSON.stringify(j.input) === '{"n":10}'));
      // The key is the tick's: an API client (or a third process) enqueueing it again gets the same job.
      const again = await t.backends[1]!.findByKey("schedule:often:2026-12-03T10:03:00.000Z", "schedule:often");
      assert.equal(again?.id, jobs[2]!.id);
    } finally {
      await t.close();
    }
  });

  it("a fresh schedule waits for its next tick instead of running at once", async () => {
    const t = await twoTickers([{ ...everyMinute, schedule: "rate(1 hour)" }]);
    try {
      const a = t.ticker(t.backends[0]!);
      await a.init();
      assert.equal(await a.runDue(), MAX_SLEEP_MS, "looks again within MAX_SLEEP_MS");
      assert.equal((await t.backends[0]!.list({ limit: 10 })).length, 0);
      t.clock.ms = Date.parse("2026-12-03T11:00:00Z");
      await a.runDue();
      assert.equal((await t.backends[0]!.list({ limit: 10 })).length, 1);
    } finally {
      await t.close();
    }
  });

  it("after everything was down, runs the latest missed tick once, not once per missed tick", async () => {
    const t = await twoTickers([everyMinute]);
    try {
      const before = t.ticker(t.backends[0]!);
      await before.init();
      t.clock.ms += MINUTE;
      await before.runDue(); // 10:01
      // Down for an hour and a half; then both processes come back.
      t.clock.ms += 90 * MINUTE;
      const [a, b] = [t.ticker(t.backends[0]!), t.ticker(t.backends[1]!)];
      await Promise.all([a.init(), b.init()]);
      await Promise.all([a.runDue(), b.runDue()]);
      const ticks = (await t.backends[0]!.list({ schedule: "often", limit: 100 })).map((j) => j.schedule?.tick);
      assert.deepEqual(ticks, ["2026-12-03T11:31:00.000Z", "2026-12-03T10:01:00.000Z"]);
      // A restart right after does not run it again.
      const c = t.ticker(t.backends[1]!);
      await c.init();
      await c.runDue();
      assert.equal((await t.backends[0]!.list({ schedule: "often", limit: 100 })).length, 2);
    } finally {
      await t.close();
    }
  });

  it("does not catch up a tick older than the window (its job may be purged: nothing says it ran)", async () => {
    const t = await twoTickers([{ ...everyMinute, schedule: "rate(7 days)" }]);
    try {
      const a = t.ticker(t.backends[0]!);
      await a.init();
      t.clock.ms += 7 * DAY;
      await a.runDue();
      assert.equal((await t.backends[0]!.list({ limit: 10 })).length, 1);
      t.clock.ms += 30 * DAY;
      const b = new ScheduleTicker({
        backend: t.backends[0]!,
        schedules: parseSchedules([{ ...everyMinute, schedule: "rate(7 days)" }], "test"),
        log: quiet,
        now: () => t.clock.ms,
        catchUpWindowMs: 1 * DAY,
      });
      await b.init();
      await b.runDue();
      assert.equal((await t.backends[0]!.list({ limit: 10 })).length, 1);
    } finally {
      await t.close();
    }
  });

  it("a failed enqueue is tried again at the next pass", async () => {
    const t = await twoTickers([everyMinute]);
    try {
      const real = t.backends[0]!;
      let failures = 1;
      const flaky = Object.create(real) as JobBackend;
      flaky.enqueue = (job, now) => (failures-- > 0 ? Promise.reject(new Error("disk full")) : real.enqueue(job, now));
      const warned: string[] = [];
      const a = new ScheduleTicker({
        backend: flaky,
        schedules: parseSchedules([everyMinute], "test"),
        log: { info() {}, warn: (_o, msg) => warned.push(msg) },
        now: () => t.clock.ms,
        catchUpWindowMs: DAY,
      });
      await a.init();
      t.clock.ms += MINUTE;
      await a.runDue();
      assert.deepEqual(warned, ["could not enqueue a schedule tick; retrying"]);
      await a.runDue();
      assert.equal((await real.list({ limit: 10 })).length, 1);
    } finally {
      await t.close();
    }
  });

  it("ticks from now when the backend cannot say a schedule's last tick at start", async () => {
    const t = await twoTickers([everyMinute]);
    try {
      const real = t.backends[0]!;
      const broken = Object.create(real) as JobBackend;
      broken.list = () => Promise.reject(new Error("table unreachable"));
      const warned: string[] = [];
      const a = new ScheduleTicker({
        backend: broken,
        schedules: parseSchedules([everyMinute], "test"),
        log: { info() {}, warn: (_o, msg) => warned.push(msg) },
        now: () => t.clock.ms,
        catchUpWindowMs: DAY,
      });
      await a.init();
      assert.deepEqual(warned, ["could not read a schedule's last tick; ticking from now"]);
      await a.runDue();
      assert.equal((await real.list({ limit: 10 })).length, 0);
      t.clock.ms += MINUTE;
      await a.runDue();
      assert.equal((await real.list({ limit: 10 })).length, 1);
    } finally {
      await t.close();
    }
  });

  it("lists jobs by status, kind and schedule, newest first", async () => {
    const t = await twoTickers([everyMinute]);
    try {
      const backend = t.backends[0]!;
      await backend.enqueue({ kind: "render", input: { width: 1, height: 1 } });
      const a = t.ticker(backend);
      await a.init();
      t.clock.ms += MINUTE;
      await a.runDue();
      await backend.enqueue({ kind: "sum", input: { n: 1 } });
      const all = await backend.list({ limit: 10 });
      assert.deepEqual(
        all.map((j) => [j.kind, j.schedule?.name]),
        [
          ["sum", undefined],
          ["sum", "often"],
          ["render", undefined],
        ],
      );
      assert.equal((await backend.list({ kind: "render", limit: 10 })).length, 1);
      assert.equal((await backend.list({ schedule: "often", limit: 10 })).length, 1);
      assert.equal((await backend.list({ status: "running", limit: 10 })).length, 0);
      assert.equal((await backend.list({ status: "queued", kind: "sum", limit: 1 })).length, 1);
    } finally {
      await t.close();
    }
  });
});

describe("a periodic job in the API", () => {
  it("GET /jobs/:id shows the schedule and tick that enqueued it", async () => {
    const t = await buildJobsApp();
    try {
      const { job } = await t.backend.enqueue({
        kind: "sum",
        input: { n: 1 },
        idempotencyKey: "schedule:nightly:2026-12-03T03:00:00.000Z",
        schedule: { name: "nightly", tick: "2026-12-03T03:00:00.000Z" },
      });
      const res = await t.app.inject({ method: "GET", url: `/jobs/${job.id}` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json().schedule, { name: "nightly", tick: "2026-12-03T03:00:00.000Z" });
      const plain = (await t.backend.enqueue({ kind: "sum", input: { n: 1 } })).job;
      assert.equal((await t.app.inject({ method: "GET", url: `/jobs/${plain.id}` })).json().schedule, undefined);
    } finally {
      await t.close();
    }
  });
});
