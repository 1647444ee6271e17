/**
 * The embedded backend: the contract suite over SQLite in a temp dir, and what only SQLite has: several
 * backends (processes) on one file, a clock that tests move, migrations, the `-wal` watch that wakes a
 * waiting claim, and SQLITE_BUSY waited out.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { openSqliteBackend, PURGE_BATCH, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";
import { MIGRATIONS, SCHEMA_VERSION, SchemaVersionError } from "../../service/jobs/sqlite/schema";
import { describeBackendContract } from "./backend-contract";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "fleet-jobs-"));
}

describe("sqlite job backend", () => {
  const dirs: string[] = [];
  const open: SqliteJobBackend[] = [];
  after(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  function newDir(): string {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  }

  async function at(
    dir: string,
    options: { maxAttempts?: number; now?: () => number; fallbackPollMs?: number; retentionS?: number } = {},
  ) {
    const b = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      ...options,
    });
    open.push(b);
    return b;
  }

  describeBackendContract("sqlite", async ({ maxAttempts, clock, retentionS }) => {
    const dir = newDir();
    return openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      maxAttempts,
      now: clock,
      retentionS,
    });
  });

  describe("several backends on one file (several worker processes)", () => {
    it("sees each other's jobs, and never hands one job to two of them", async () => {
      const dir = newDir();
      const [a, b] = [await at(dir), await at(dir)];
      const ids = new Set<string>();
      for (let i = 0; i < 200; i++) ids.add((await a.enqueue({ kind: "sum", input: { n: i } })).job.id);
      assert.equal(await b.backlog(), 200);
      const taken: string[] = [];
      const drain = async (backend: SqliteJobBackend) => {
        for (let pass = 0; pass < 1_000; pass++) {
          const leases = await backend.claim({ max: 7, leaseMs: 60_000, waitMs: 0 });
          if (leases.length === 0) return;
          for (const lease of leases) {
            taken.push(lease.job.id);
            assert.equal(await backend.complete(lease, { n: lease.job.input }), true);
          }
        }
      };
      await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
      assert.equal(taken.length, 200, "a job was claimed twice or not at all");
      assert.deepEqual(new Set(taken), ids);
      assert.equal(await a.backlog(), 0);
    });

    it("lets three worker processes drain one file: every job completed once, none twice", async function () {
      this.timeout(60_000);
      const dir = newDir();
      const b = await at(dir);
      const ids = new Set<string>();
      // Enough jobs that the drain outlasts the workers' 5 ms polls for "go": with 300 the first worker to
      // see it finished them all (about 25 ms of claims) before the others began, once in CI.
      const JOBS = 3_000;
      for (let i = 0; i < JOBS; i++) ids.add((await b.enqueue({ kind: "sum", input: { n: i } })).job.id);
      const worker = path.join(__dirname, "fixtures/drain-worker.ts");
      const barrier = path.join(dir, "barrier");
      fs.mkdirSync(barrier);
      const runs = Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<string[]>((resolve, reject) =>
              execFile(
                process.execPath,
                ["--import", "tsx", worker, path.join(dir, "jobs.db"), path.join(dir, "results"), barrier],
                { cwd: path.resolve(__dirname, "../.."), timeout: 50_000 },
                (err, stdout, stderr) =>
                  err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
              ),
            ),
        ),
      );
      let crashed: unknown;
      runs.catch((err: unknown) => (crashed = err)); // a worker that dies before the barrier ends the wait
      // All three start claiming at once, so their transactions really interleave.
      for (let i = 0; fs.readdirSync(barrier).length < 3; i++) {
        if (crashed) throw crashed;
        if (i > 800) assert.fail("the workers did not all open the file within 40 s");
        await sleep(50);
      }
      fs.writeFileSync(path.join(barrier, "go"), "");
      const all = (await runs).flat();
      assert.equal(all.length, JOBS, `completed ${all.length} times for ${JOBS} jobs`);
      assert.deepEqual(new Set(all), ids);
      assert.equal(await b.backlog(), 0);
      const pids = new Set<number>();
      for (const id of ids) {
        const job = await b.get(id);
        assert.equal(job?.status, "succeeded");
        assert.equal(job?.attempts, 1);
        pids.add((job?.result as { pid: number }).pid);
      }
      assert.ok(pids.size >= 2, `only ${pids.size} of the 3 processes completed jobs: they did not run side by side`);
    });

    it("waits out a write lock held by another connection (SQLITE_BUSY is not fatal)", async () => {
      const dir = newDir();
      const b = await at(dir);
      const other = new DatabaseSync(path.join(dir, "jobs.db"));
      try {
        other.exec("BEGIN IMMEDIATE");
        const enqueuing = b.enqueue({ kind: "sum", input: { n: 1 } });
        await sleep(300); // several times the busy timeout: the backend must retry, not throw
        other.exec("COMMIT");
        const { job } = await enqueuing;
        assert.equal((await b.get(job.id))?.status, "queued");
      } finally {
        if (other.isTransaction) other.exec("ROLLBACK");
        other.close();
      }
    });
  });

  describe("leases on a clock the test moves", () => {
    it("lets a stale claim after expiry write nothing, and the last attempt's expiry end failed", async () => {
      let nowMs = Date.parse("2026-01-01T00:00:00Z");
      const b = await at(newDir(), { maxAttempts: 2, now: () => nowMs });
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [first] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 });
      nowMs += 29_999;
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 }), [], "claimed before the lease ran out");
      nowMs += 2;
      const [second] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 });
      assert.equal(second?.attempt, 2);
      assert.equal(await b.progress(first!, 0.5), "lost");
      assert.equal(await b.complete(first!, "stale"), false);
      assert.equal((await b.get(job.id))?.status, "running");
      assert.equal((await b.get(job.id))?.startedAt, new Date(nowMs).toISOString());

      nowMs += 30_001;
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 }), []);
      const failed = await b.get(job.id);
      assert.equal(failed?.status, "failed");
      assert.equal(failed?.finishedAt, new Date(nowMs).toISOString());
      assert.equal(
        failed?.error,
        "lease expired on attempt 2 of 2: the worker stopped heartbeating (killed, lost, or its lease shorter than a heartbeat)",
      );
      assert.equal(await b.complete(second!, "late"), false);
    });

    it("keeps a retry's delay on the clock", async () => {
      let nowMs = 1_000_000;
      const b = await at(newDir(), { now: () => nowMs });
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 });
      assert.equal(await b.fail(lease!, "boom", { permanent: false, retryDelayMs: 5_000 }), "retrying");
      nowMs += 4_999;
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 }), []);
      nowMs += 1;
      assert.equal((await b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 }))[0]?.attempt, 2);
    });
  });

  describe("schema", () => {
    it("creates a fresh file at the current version, and reopens it with its jobs", async () => {
      const dir = newDir();
      const b = await at(dir);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 9 } });
      await b.close();
      const raw = new DatabaseSync(path.join(dir, "jobs.db"));
      const { user_version } = raw.prepare("PRAGMA user_version").get() as { user_version: number };
      const { journal_mode } = raw.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      raw.close();
      assert.equal(user_version, SCHEMA_VERSION);
      assert.equal(journal_mode, "wal");
      const again = await at(dir);
      assert.deepEqual(await again.get(job.id), job);
    });

    it("migrates a file of an older version in place, keeping its jobs", async () => {
      const dir = newDir();
      const file = path.join(dir, "jobs.db");
      const raw = new DatabaseSync(file);
      raw.exec(MIGRATIONS[0]!);
      raw.exec("PRAGMA user_version = 1");
      raw
        .prepare(
          `INSERT INTO jobs (id, kind, input, status, max_attempts, created_at, due_at)
           VALUES ('old-job', 'sum', '{"n":2}', 'queued', 3, 1000, 1000)`,
        )
        .run();
      raw.close();
      const b = await at(dir);
      assert.equal((await b.get("old-job"))?.status, "queued");
      assert.equal((await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 }))[0]?.job.id, "old-job");
      const check = new DatabaseSync(file);
      const version = (check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      const indexes = check
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'jobs_%' ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name);
      check.close();
      assert.equal(version, SCHEMA_VERSION);
      assert.deepEqual(indexes, ["jobs_dead", "jobs_finished", "jobs_leased", "jobs_queued", "jobs_schedule"]);
    });

    it("refuses a file from a newer fleet, naming the file and the fix", async () => {
      const dir = newDir();
      const file = path.join(dir, "jobs.db");
      const raw = new DatabaseSync(file);
      raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      await assert.rejects(
        openSqliteBackend({ file, resultsDir: path.join(dir, "results") }),
        (err: unknown) =>
          err instanceof SchemaVersionError && err.message.includes(file) && err.message.includes("JOBS_DB"),
      );
    });

    it("claims through the partial index on the claimable rows, not a scan of every job", async () => {
      const dir = newDir();
      await at(dir);
      const raw = new DatabaseSync(path.join(dir, "jobs.db"));
      const plan = raw
        .prepare(
          "EXPLAIN QUERY PLAN SELECT seq FROM jobs WHERE status = 'queued' AND due_at <= 1 ORDER BY due_at, seq LIMIT 16",
        )
        .all()
        .map((r) => String((r as { detail: unknown }).detail));
      const expirePlan = raw
        .prepare(
          "EXPLAIN QUERY PLAN SELECT seq FROM jobs WHERE status = 'running' AND due_at <= 1 AND attempts >= max_attempts",
        )
        .all()
        .map((r) => String((r as { detail: unknown }).detail));
      raw.close();
      assert.equal(plan.length, 1, plan.join("; "));
      assert.match(plan[0]!, /^SEARCH jobs USING (COVERING )?INDEX jobs_queued \(due_at<\?\)$/);
      // Expired last attempts are found among the leased jobs only, not by ranging over the whole backlog.
      assert.deepEqual(expirePlan, ["SEARCH jobs USING INDEX jobs_leased (due_at<?)"]);
    });
  });

  describe("retention (JOBS_RETENTION_S)", () => {
    it("deletes finished jobs, their keys and their result files after the retention, in batches, from the claims", async () => {
      const dir = newDir();
      let nowMs = Date.parse("2026-12-01T00:00:00Z");
      const b = await at(dir, { now: () => nowMs, retentionS: 3600 });
      const count = PURGE_BATCH + 20;
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push((await b.enqueue({ kind: "sum", input: { i }, idempotencyKey: `k-${i}`, fingerprint: "f" })).job.id);
      }
      const leases = await b.claim({ max: count, leaseMs: 60_000, waitMs: 0 });
      assert.equal(leases.length, count);
      for (const lease of leases) {
        await b.results.put(`jobs/${lease.job.id}/result.txt`, Buffer.from("r"), "text/plain");
        assert.equal(await b.complete(lease, {}), true);
      }
      const live = (await b.enqueue({ kind: "sum", input: { live: true } })).job;
      const rows = () => {
        const db = new DatabaseSync(path.join(dir, "jobs.db"));
        try {
          const jobs = (db.prepare("SELECT count(*) AS n FROM jobs").get() as { n: number }).n;
          const keys = (db.prepare("SELECT count(*) AS n FROM idempotency_keys").get() as { n: number }).n;
          return { jobs, keys };
        } finally {
          db.close();
        }
      };
      nowMs += 3599_000;
      await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 }).then((l) => Promise.all(l.map((x) => b.release(x))));
      assert.deepEqual(rows(), { jobs: count + 1, keys: count }, "purged before the retention");
      nowMs += 11_000; // past the retention, and past PURGE_INTERVAL_MS since the last (empty) purge
      // A claim purges one batch; with a full batch the next claim purges again at once.
      await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 }).then((l) => Promise.all(l.map((x) => b.release(x))));
      assert.equal(rows().jobs, count + 1 - PURGE_BATCH, "one batch per claim");
      await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 }).then((l) => Promise.all(l.map((x) => b.release(x))));
      await b.close();
      assert.deepEqual(rows(), { jobs: 1, keys: 0 });
      assert.deepEqual(fs.readdirSync(path.join(dir, "results", "jobs")), [], "result files kept");
      const again = await at(dir, { now: () => nowMs, retentionS: 3600 });
      assert.equal((await again.get(live.id))?.status, "queued", "a queued job was purged");
      assert.equal(await again.get(ids[0]!), undefined);
    });
  });

  describe("waking a waiting claim", () => {
    it("wakes on a commit by another connection through the -wal watch, not the poll", async () => {
      const dir = newDir();
      // A poll this slow cannot be what wakes the claim within the assertion below.
      const b = await at(dir, { fallbackPollMs: 60_000 });
      const started = Date.now();
      const claiming = b.claim({ max: 1, leaseMs: 60_000, waitMs: 30_000 });
      await sleep(100);
      const other = new DatabaseSync(path.join(dir, "jobs.db"));
      const id = randomUUID();
      other
        .prepare(
          `INSERT INTO jobs (id, kind, input, status, max_attempts, created_at, due_at)
           VALUES (?, 'sum', '{"n":1}', 'queued', 3, ?, ?)`,
        )
        .run(id, Date.now(), Date.now());
      other.close();
      const leases = await claiming;
      assert.deepEqual(
        leases.map((l) => l.job.id),
        [id],
      );
      assert.ok(Date.now() - started < 15_000, `woke after ${Date.now() - started} ms`);
    });

    it("wakes for a retry that becomes due, without a notification", async () => {
      const b = await at(newDir(), { fallbackPollMs: 60_000 });
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 });
      await b.fail(lease!, "boom", { permanent: false, retryDelayMs: 300 });
      const started = Date.now();
      const [again] = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 30_000 });
      assert.equal(again?.attempt, 2);
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 15_000, `waited ${waited} ms for a 300 ms retry delay`);
    });
  });

  describe("the result directory", () => {
    it("writes atomically under the key, leaves no temp file, and serves it under /results/", async () => {
      const dir = newDir();
      const b = await at(dir);
      await b.results.put("jobs/abc/out.png", Buffer.from("first"), "image/png");
      await b.results.put("jobs/abc/out.png", Buffer.from("second"), "image/png");
      assert.equal(fs.readFileSync(path.join(dir, "results/jobs/abc/out.png"), "utf8"), "second");
      assert.deepEqual(fs.readdirSync(path.join(dir, "results/jobs/abc")), ["out.png"]);
      assert.equal(b.results.url("jobs/abc/out.png"), "/results/jobs/abc/out.png");
      assert.throws(() => b.results.url("../x"), /result key/);
      await assert.rejects(b.results.put(".hidden", Buffer.from("x"), "text/plain"), /result key/);
      assert.ok(!fs.existsSync(path.join(dir, "x")));
    });
  });
});
