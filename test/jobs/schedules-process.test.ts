/**
 * Periodic jobs in real processes (the compiled dist, as production runs it): JOBS_SCHEDULES refused at
 * start, naming the schedule and the field; and two FLEET_ROLE=worker processes on one SQLite file that
 * both catch up a missed tick at start, which is enqueued once and run once.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { latestTick, parseSchedules } from "../../service/jobs/schedules";
import { openSqliteBackend } from "../../service/jobs/sqlite/backend";
import { startFleet, stopFleet, type FleetProcess } from "../service/fleet-process";
import { tempDir } from "./helpers";

const SCHEDULE = { name: "often", schedule: "rate(1 minute)", kind: "sum", input: { n: 100 } };

describe("periodic jobs across real processes (JOBS_SCHEDULES)", function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;
  const fleets: FleetProcess[] = [];
  beforeEach(() => {
    dir = tempDir();
    env = {
      JOBS_DB: path.join(dir, "jobs.db"),
      JOBS_RESULTS_DIR: path.join(dir, "results"),
      JOBS_SCHEDULES: path.join(dir, "schedules.json"),
      WORKER_CONCURRENCY: "1",
    };
  });
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map(stopFleet));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 1 with one line naming the schedule and the field, before it opens anything", async () => {
    fs.writeFileSync(env.JOBS_SCHEDULES!, JSON.stringify([{ ...SCHEDULE, kind: "gone" }]));
    for (const role of ["worker", "all"]) {
      const fleet = await startFleet({ ...env, FLEET_ROLE: role }, false);
      fleets.push(fleet);
      assert.equal(await fleet.exited, 1);
      assert.match(fleet.stderr(), /^fleet: JOBS_SCHEDULES\[0\] \("often"\)\.kind: "gone" is not a kind/);
      assert.equal(fleet.stderr().trim().split("\n").length, 1);
      assert.equal(fs.existsSync(env.JOBS_DB!), false, "no database was created");
    }
  });

  it("two worker processes catch up a missed tick once, and it runs once", async () => {
    fs.writeFileSync(env.JOBS_SCHEDULES!, JSON.stringify([SCHEDULE]));
    const [schedule] = parseSchedules([SCHEDULE], "test");
    // The schedule ran three minutes ago; then everything was down.
    const seed = await openSqliteBackend({ file: env.JOBS_DB!, resultsDir: env.JOBS_RESULTS_DIR! });
    const lastRun = latestTick(schedule!, Date.now())! - 3 * 60_000;
    await seed.enqueue({
      kind: "sum",
      input: { n: 100 },
      idempotencyKey: `schedule:often:${new Date(lastRun).toISOString()}`,
      schedule: { name: "often", tick: new Date(lastRun).toISOString() },
    });
    await seed.close();
    const started = await Promise.all(
      [0, 1].map(async () => {
        const fleet = await startFleet({ ...env, FLEET_ROLE: "worker" }, false);
        fleets.push(fleet);
        await fleet.waitFor((l) => l.msg === "job worker ready");
        return fleet;
      }),
    );
    const check = await openSqliteBackend({ file: env.JOBS_DB!, resultsDir: env.JOBS_RESULTS_DIR! });
    try {
      const deadline = Date.now() + 30_000;
      let jobs = await check.list({ schedule: "often", limit: 100 });
      while (!jobs.slice(0, -1).every((j) => j.status === "succeeded") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        jobs = await check.list({ schedule: "often", limit: 100 });
      }
      const ticks = jobs.map((j) => j.schedule!.tick);
      assert.equal(new Set(ticks).size, ticks.length, `one job per tick: ${ticks.join(", ")}`);
      // The seed, then the latest tick at start (and one more if a minute turned while the two started).
      assert.ok(jobs.length === 2 || jobs.length === 3, `${jobs.length} jobs: ${ticks.join(", ")}`);
      assert.ok(
        ticks.every((t) => Date.parse(t) === lastRun || Date.parse(t) >= lastRun + 3 * 60_000),
        `no job for the missed ticks in between: ${ticks.join(", ")}`,
      );
      for (const job of jobs.slice(0, -1)) assert.equal(job.status, "succeeded", JSON.stringify(job));
      const enqueued = started.flatMap((f) => f.lines.filter((l) => l.msg === "schedule tick enqueued"));
      assert.equal(enqueued.length, jobs.length - 1, "each tick enqueued by one process");
    } finally {
      await check.close();
    }
  });
});
