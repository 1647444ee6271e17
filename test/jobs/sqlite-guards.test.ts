/**
 * The embedded backend's edges that the contract suite leaves loose: each input guard (a claim of 0 jobs,
 * a lease of 0 ms, progress past 1), close() (refuses work, ends a waiting claim, lets go of the database
 * and the `-wal` watch), and the in-process wake-up measured against the poll it must beat: the file
 * system's notifications are switched off here, so only the backend's own notify can wake a claim early.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { openSqliteBackend, type SqliteJobBackend } from "../../service/jobs/sqlite/backend";

describe("sqlite job backend: guards, close() and the in-process wake-up", function () {
  this.timeout(20_000);
  const dirs: string[] = [];
  const open: SqliteJobBackend[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function backend(options: { fallbackPollMs?: number; maxAttempts?: number } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-jobs-guards-"));
    dirs.push(dir);
    const b = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      ...options,
    });
    open.push(b);
    return b;
  }

  async function leased(b: SqliteJobBackend) {
    await b.enqueue({ kind: "sum", input: { n: 1 } });
    const [lease] = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 0 });
    assert.ok(lease);
    return lease;
  }

  describe("input guards", () => {
    // Without them: max 0 never leases and never waits (a worker loop spins), a lease of 0 ms has expired
    // when it is granted (the next claim takes the same job again), and a NaN wait never ends.
    const claims: [string, { max: number; leaseMs: number; waitMs: number }, string][] = [
      ["max 0", { max: 0, leaseMs: 1_000, waitMs: 0 }, "claim max must be an integer ≥ 1, got 0"],
      ["max -1", { max: -1, leaseMs: 1_000, waitMs: 0 }, "claim max must be an integer ≥ 1, got -1"],
      ["max 1.5", { max: 1.5, leaseMs: 1_000, waitMs: 0 }, "claim max must be an integer ≥ 1, got 1.5"],
      ["leaseMs 0", { max: 1, leaseMs: 0, waitMs: 0 }, "claim leaseMs must be > 0, got 0"],
      ["leaseMs NaN", { max: 1, leaseMs: NaN, waitMs: 0 }, "claim leaseMs must be > 0, got NaN"],
      ["waitMs NaN", { max: 1, leaseMs: 1_000, waitMs: NaN }, "claim waitMs must be ≥ 0 (0 returns at once), got NaN"],
      ["waitMs -1", { max: 1, leaseMs: 1_000, waitMs: -1 }, "claim waitMs must be ≥ 0 (0 returns at once), got -1"],
    ];
    for (const [what, options, message] of claims) {
      it(`claim refuses ${what} by name, before touching a job`, async function () {
        this.timeout(3_000); // the old code waited forever on a NaN wait
        const b = await backend();
        await b.enqueue({ kind: "sum", input: { n: 1 } });
        await assert.rejects(b.claim(options), { name: "RangeError", message });
        assert.equal(await b.backlog(), 1, "the job is still queued");
      });
    }

    it("claim accepts the smallest values: max 1, a lease under 1 ms (rounded up), no wait", async () => {
      const b = await backend();
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      await b.enqueue({ kind: "sum", input: { n: 2 } });
      const leases = await b.claim({ max: 1, leaseMs: 0.5, waitMs: 0 });
      assert.equal(leases.length, 1);
    });

    for (const fraction of [-0.01, 1.5, NaN]) {
      it(`progress refuses ${fraction} by name and stores nothing`, async () => {
        const b = await backend();
        const lease = await leased(b);
        await assert.rejects(b.progress(lease, fraction), {
          name: "RangeError",
          message: `progress must be from 0 to 1, got ${fraction}`,
        });
        assert.equal((await b.get(lease.job.id))?.progress, 0);
      });
    }

    it("progress accepts both ends, 0 and 1", async () => {
      const b = await backend();
      const lease = await leased(b);
      assert.equal(await b.progress(lease, 1), "held");
      assert.equal((await b.get(lease.job.id))?.progress, 1);
      assert.equal(await b.progress(lease, 0), "held");
      assert.equal((await b.get(lease.job.id))?.progress, 0);
    });

    it("listDead refuses a limit that is not an integer ≥ 1, and takes 1", async () => {
      const b = await backend();
      for (const limit of [0, 1.5]) {
        await assert.rejects(b.listDead(limit), {
          name: "RangeError",
          message: `limit must be an integer ≥ 1, got ${limit}`,
        });
      }
      assert.deepEqual(await b.listDead(1), []);
    });

    it("open refuses maxAttempts that is not an integer ≥ 1, and takes 1", async () => {
      for (const maxAttempts of [0, 2.5]) {
        await assert.rejects(backend({ maxAttempts }), {
          name: "RangeError",
          message: `maxAttempts must be an integer ≥ 1, got ${maxAttempts}`,
        });
      }
      const b = await backend({ maxAttempts: 1 });
      const lease = await leased(b);
      assert.equal(await b.fail(lease, "boom", { permanent: false, retryDelayMs: 0 }), "failed");
    });
  });

  describe("what it stores and says", () => {
    it("states its capabilities: SQLite, FIFO, 1 MiB of input, leases to the millisecond", async () => {
      const b = await backend();
      assert.deepEqual(b.capabilities, {
        name: "sqlite",
        fifo: true,
        maxInputBytes: 1024 * 1024,
        leaseGranularityMs: 1,
      });
    });

    it("stores an input of exactly maxInputBytes as JSON and refuses one byte more, saying both sizes", async () => {
      const b = await backend();
      const limit = b.capabilities.maxInputBytes;
      const exact = "x".repeat(limit - 2); // JSON adds the two quotes
      await b.enqueue({ kind: "sum", input: exact });
      await assert.rejects(b.enqueue({ kind: "sum", input: `${exact}x` }), {
        name: "RangeError",
        message: `job input is ${limit + 1} bytes as JSON, over the ${limit} bytes this backend stores`,
      });
    });

    it("a job without an error has no error field (not null)", async () => {
      const b = await backend();
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      assert.equal("error" in job, false);
      assert.equal("error" in (await b.get(job.id))!, false);
    });

    it("names the job, its state and the refused operation when cancel or retryDead cannot apply", async () => {
      const b = await backend();
      const lease = await leased(b);
      await b.complete(lease, { ok: true });
      const id = lease.job.id;
      await assert.rejects(b.cancel(id), {
        name: "JobStateError",
        message: `job ${id} is succeeded: it cannot be canceled`,
      });
      await assert.rejects(b.retryDead(id), {
        name: "JobStateError",
        message: `job ${id} is succeeded: it cannot be retried (only a failed job can be)`,
      });
    });

    it("refuses a file that is not a database at once: only SQLITE_BUSY is waited out", async function () {
      this.timeout(5_000); // a retry of every SQLite error would wait a minute
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-jobs-guards-"));
      dirs.push(dir);
      fs.writeFileSync(path.join(dir, "jobs.db"), "not a database, and long enough to have a header ".repeat(20));
      const started = Date.now();
      await assert.rejects(
        openSqliteBackend({ file: path.join(dir, "jobs.db"), resultsDir: path.join(dir, "results") }),
        /not a database/,
      );
      assert.ok(Date.now() - started < 2_000, `gave up after ${Date.now() - started} ms`);
      // The failed open let go of the file: no descriptor of this process points at it.
      const file = fs.realpathSync(path.join(dir, "jobs.db"));
      const fds = fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      });
      assert.deepEqual(fds, [], "a descriptor of the refused file is still open");
    });
  });

  describe("a claim's wait", () => {
    it("waits out waitMs on an empty queue before it returns nothing", async () => {
      const b = await backend();
      const started = Date.now();
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 1_000, waitMs: 300 }), []);
      const waited = Date.now() - started;
      assert.ok(waited >= 280, `returned after ${waited} ms of a 300 ms wait`);
    });

    it("keeps waiting after ending an expired last attempt, instead of returning at once", async () => {
      const b = await backend({ maxAttempts: 1 });
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 50, waitMs: 0 });
      await sleep(100);
      const started = Date.now();
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 1_000, waitMs: 300 }), []);
      assert.ok(Date.now() - started >= 280, `returned after ${Date.now() - started} ms of a 300 ms wait`);
      assert.equal((await b.get(lease!.job.id))?.status, "failed");
    });

    it("reclaims an expired lease at once while a retry waits in the queue for later", async () => {
      const b = await backend();
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      await b.enqueue({ kind: "sum", input: { n: 2 } });
      const [first, second] = await b.claim({ max: 2, leaseMs: 60_000, waitMs: 0 });
      await b.fail(second!, "boom", { permanent: false, retryDelayMs: 60_000 }); // queued, due in a minute
      await b.extendLease(first!, 1); // expires now
      await sleep(20);
      const started = Date.now();
      const leases = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 2_000 });
      assert.deepEqual(
        leases.map((l) => [l.job.id, l.attempt]),
        [[first!.job.id, 2]],
      );
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    });

    it("reclaims a lease that expires exactly now (due_at <= now)", async () => {
      let nowMs = 1_000_000;
      const b = await backend();
      const clocked = await openSqliteBackend({
        file: b.file,
        resultsDir: path.join(path.dirname(b.file), "results"),
        now: () => nowMs,
      });
      open.push(clocked);
      await clocked.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await clocked.claim({ max: 1, leaseMs: 1_000, waitMs: 0 });
      nowMs += 1_000;
      const [again] = await clocked.claim({ max: 1, leaseMs: 1_000, waitMs: 0 });
      assert.equal(again?.job.id, lease!.job.id);
      assert.equal(again?.attempt, 2);
    });
  });

  describe("close()", () => {
    it("ends a waiting claim at once, with nothing", async () => {
      const b = await backend({ fallbackPollMs: 60_000 });
      const started = Date.now();
      const claiming = b.claim({ max: 1, leaseMs: 1_000, waitMs: 30_000 });
      await sleep(50);
      await b.close();
      assert.deepEqual(await claiming, []);
      assert.ok(Date.now() - started < 5_000, `the claim ended ${Date.now() - started} ms after it began`);
    });

    it("refuses work afterwards, naming the file; a claim returns nothing; a second close() is harmless", async () => {
      const b = await backend();
      const lease = await leased(b);
      await b.close();
      await b.close();
      const closed = new RegExp(`the jobs backend on ${b.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is closed`);
      await assert.rejects(b.enqueue({ kind: "sum", input: { n: 2 } }), closed);
      await assert.rejects(b.get(lease.job.id), closed);
      await assert.rejects(b.extendLease(lease, 1_000), closed);
      await assert.rejects(b.backlog(), closed);
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 1_000, waitMs: 5_000 }), []);
    });

    it("closes its database: the last connection's close checkpoints and removes the -wal file", async () => {
      const b = await backend();
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      assert.ok(fs.existsSync(`${b.file}-wal`), "a WAL while the backend is open");
      await b.close();
      assert.equal(fs.existsSync(`${b.file}-wal`), false, "the -wal file outlived close(): the database is still open");
    });
  });

  describe("waking a waiting claim in this process", () => {
    const realWatch = fs.watch;
    const watchers: { closed: boolean }[] = [];
    let fsNotifies = true;
    beforeEach(() => {
      watchers.length = 0;
      fsNotifies = true;
      // fs.watch as the backend sees it: recorded, or failing as on a file system without notifications.
      (fs as { watch: unknown }).watch = (...args: Parameters<typeof fs.watch>) => {
        if (!fsNotifies) throw Object.assign(new Error("no inotify here"), { code: "ENOSYS" });
        const watcher = realWatch(...args);
        const record = { closed: false };
        watchers.push(record);
        const close = watcher.close.bind(watcher);
        watcher.close = () => ((record.closed = true), close());
        return watcher;
      };
    });
    afterEach(() => {
      (fs as { watch: unknown }).watch = realWatch;
    });

    it("an idle claim sleeps through its wait: it looks a few times, not in a loop", async () => {
      fsNotifies = false;
      let looks = 0;
      const failing = fs.watch;
      (fs as { watch: unknown }).watch = (...args: Parameters<typeof fs.watch>) => (looks++, failing(...args));
      // A 50 ms poll: six looks in 300 ms, and no quick rechecks, which only a WAL event calls for.
      const b = await backend({ fallbackPollMs: 50 });
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 1_000, waitMs: 300 }), []);
      assert.ok(looks <= 8, `the claim looked ${looks} times in 300 ms`);
    });

    it("close() releases the -wal watch a waiting claim started", async () => {
      const b = await backend({ fallbackPollMs: 60_000 });
      const claiming = b.claim({ max: 1, leaseMs: 1_000, waitMs: 30_000 });
      await sleep(50);
      assert.equal(watchers.length, 1, "a waiting claim watches the -wal file");
      await b.close();
      await claiming;
      assert.deepEqual(watchers, [{ closed: true }]);
    });

    const POLL_MS = 3_000;
    /** Starts a claim that waits, runs `act` while it waits, and resolves how long the claim took. */
    async function wokenBy(b: SqliteJobBackend, act: () => Promise<unknown>): Promise<number> {
      const claiming = b.claim({ max: 1, leaseMs: 60_000, waitMs: 15_000 });
      await sleep(50);
      const started = Date.now();
      await act();
      const leases = await claiming;
      assert.equal(leases.length, 1, "the claim took the job");
      return Date.now() - started;
    }

    it("without a notify, only the poll wakes it (the file system's notifications are off)", async () => {
      fsNotifies = false;
      const b = await backend({ fallbackPollMs: 1_000 });
      const waited = await wokenBy(b, async () => {
        const raw = new DatabaseSync(b.file);
        raw
          .prepare(
            `INSERT INTO jobs (id, kind, input, status, max_attempts, created_at, due_at)
             VALUES ('raw', 'sum', '{"n":1}', 'queued', 3, ?, ?)`,
          )
          .run(Date.now(), Date.now());
        raw.close();
      });
      assert.ok(waited >= 800, `woke after ${waited} ms: something other than the 1 s poll woke it`);
    });

    const acts: [string, (b: SqliteJobBackend) => Promise<() => Promise<unknown>>][] = [
      ["enqueue", async (b) => () => b.enqueue({ kind: "sum", input: { n: 1 } })],
      [
        "a failure that will be retried at once",
        async (b) => {
          const lease = await leased(b);
          return () => b.fail(lease, "boom", { permanent: false, retryDelayMs: 0 });
        },
      ],
      [
        "release (a draining worker gives a job back)",
        async (b) => {
          const lease = await leased(b);
          return () => b.release(lease);
        },
      ],
      [
        "retryDead (an operator puts a failed job back)",
        async (b) => {
          const lease = await leased(b);
          await b.fail(lease, "boom", { permanent: true, retryDelayMs: 0 });
          return () => b.retryDead(lease.job.id);
        },
      ],
    ];
    for (const [what, prepare] of acts) {
      it(`${what} wakes a waiting claim well inside the poll interval`, async () => {
        fsNotifies = false;
        const b = await backend({ fallbackPollMs: POLL_MS });
        const act = await prepare(b);
        const waited = await wokenBy(b, act);
        assert.ok(waited < POLL_MS / 3, `woke after ${waited} ms, the poll is every ${POLL_MS} ms`);
      });
    }
  });
});
