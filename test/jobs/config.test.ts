import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../service/config";
import {
  DataDirError,
  DEFAULT_CLIENT_QUOTA_S,
  DEFAULT_MAX_BACKLOG_S,
  DEFAULT_MAX_WAITERS,
  ensureDataDirs,
  loadJobSchedules,
  loadJobsConfig,
} from "../../service/jobs/config";
import { openBackend } from "../../service/jobs/open-backend";
import {
  DEFAULT_JOB_TIMEOUT_S,
  DEFAULT_JOBS_RETENTION_S,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_VISIBILITY_TIMEOUT_S,
} from "../../service/jobs/timing";

describe("jobs config (JOBS_*, WORKER_CONCURRENCY)", () => {
  it("defaults to the embedded backend under .data/ of the working directory", () => {
    const config = loadJobsConfig({}, "/srv/fleet");
    assert.deepEqual(config, {
      backend: "sqlite",
      dbFile: "/srv/fleet/.data/jobs.db",
      resultsDir: "/srv/fleet/.data/results",
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      visibilityTimeoutS: DEFAULT_VISIBILITY_TIMEOUT_S,
      timeoutS: DEFAULT_JOB_TIMEOUT_S,
      maxBacklogS: DEFAULT_MAX_BACKLOG_S,
      clientQuotaS: DEFAULT_CLIENT_QUOTA_S,
      maxWaiters: DEFAULT_MAX_WAITERS,
      workerConcurrency: os.availableParallelism(),
      workerSlots: os.availableParallelism(),
      retentionS: DEFAULT_JOBS_RETENTION_S,
    });
  });

  it("keeps its state in systemd's state directory when the unit has one (STATE_DIRECTORY), not in the install directory", () => {
    const config = loadJobsConfig({ STATE_DIRECTORY: "/var/lib/fleet" }, "/opt/fleet");
    assert.equal(config.dbFile, "/var/lib/fleet/jobs.db");
    assert.equal(config.resultsDir, "/var/lib/fleet/results");
    // Several StateDirectory= entries: systemd lists them with colons; the first is the unit's own.
    assert.equal(
      loadJobsConfig({ STATE_DIRECTORY: "/var/lib/a:/var/lib/b" }, "/opt/fleet").dbFile,
      "/var/lib/a/jobs.db",
    );
    // An explicit setting still wins.
    assert.equal(
      loadJobsConfig({ STATE_DIRECTORY: "/var/lib/fleet", JOBS_DB: "/srv/q.db" }, "/opt/fleet").dbFile,
      "/srv/q.db",
    );
    assert.throws(
      () => loadJobsConfig({ STATE_DIRECTORY: "var/lib/fleet" }, "/opt/fleet"),
      (e: Error) =>
        e instanceof ConfigError && /STATE_DIRECTORY="var\/lib\/fleet" is invalid: expected absolute/.test(e.message),
    );
  });

  it("names the setting, the directory and the fix when the data directory cannot be made", () => {
    // Under a regular file: fails for root too (CI runs as root, where a read-only mode would not stop it).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fleet-data-")), "not-a-dir");
    fs.writeFileSync(file, "");
    try {
      assert.throws(
        () => ensureDataDirs({ dbFile: path.join(file, ".data", "jobs.db"), resultsDir: path.join(file, "r") }),
        (e: Error) =>
          e instanceof DataDirError &&
          e instanceof ConfigError &&
          e.variable === "JOBS_DB" &&
          e.dir === path.join(file, ".data") &&
          e.code === "ENOTDIR" &&
          e.message.startsWith(`cannot create ${path.join(file, ".data")} for JOBS_DB (ENOTDIR`) &&
          /StateDirectory=/.test(e.message),
      );
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it("reads every variable, resolving relative paths against the working directory", () => {
    const config = loadJobsConfig(
      {
        JOBS_BACKEND: "aws",
        JOBS_DB: "var/q.db",
        JOBS_RESULTS_DIR: "/data/results",
        JOBS_MAX_ATTEMPTS: "5",
        JOBS_VISIBILITY_TIMEOUT_S: "60",
        JOBS_TIMEOUT_S: "120",
        JOBS_MAX_BACKLOG_S: "50",
        JOBS_CLIENT_QUOTA_S: "20",
        JOBS_MAX_WAITERS: "7",
        WORKER_CONCURRENCY: "4",
        JOBS_WORKER_SLOTS: "40",
        JOBS_RETENTION_S: "3600",
      },
      "/srv/fleet",
    );
    assert.deepEqual(config, {
      backend: "aws",
      dbFile: "/srv/fleet/var/q.db",
      resultsDir: "/data/results",
      maxAttempts: 5,
      visibilityTimeoutS: 60,
      timeoutS: 120,
      maxBacklogS: 50,
      clientQuotaS: 20,
      maxWaiters: 7,
      workerConcurrency: 4,
      workerSlots: 40,
      retentionS: 3600,
    });
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ JOBS_BACKEND: "redis" }, /^JOBS_BACKEND="redis" is invalid: expected one of sqlite, aws$/],
    [{ JOBS_MAX_ATTEMPTS: "0" }, /^JOBS_MAX_ATTEMPTS="0" is invalid: expected an integer from 1 to 100$/],
    [{ JOBS_MAX_ATTEMPTS: "3.5" }, /^JOBS_MAX_ATTEMPTS=/],
    [{ JOBS_VISIBILITY_TIMEOUT_S: "43201" }, /^JOBS_VISIBILITY_TIMEOUT_S="43201" is invalid: .* 1 to 43200$/],
    [{ JOBS_VISIBILITY_TIMEOUT_S: "30s" }, /^JOBS_VISIBILITY_TIMEOUT_S=/],
    [{ JOBS_TIMEOUT_S: "-1" }, /^JOBS_TIMEOUT_S=/],
    [{ JOBS_MAX_BACKLOG_S: "lots" }, /^JOBS_MAX_BACKLOG_S="lots" is invalid/],
    [{ JOBS_MAX_BACKLOG: "10000" }, /^JOBS_MAX_BACKLOG="10000" is not read: .* set JOBS_MAX_BACKLOG_S instead/],
    [{ JOBS_CLIENT_QUOTA_S: "0" }, /^JOBS_CLIENT_QUOTA_S="0" is invalid: expected an integer from 1/],
    [{ JOBS_MAX_WAITERS: "many" }, /^JOBS_MAX_WAITERS="many" is invalid/],
    [{ WORKER_CONCURRENCY: "0" }, /^WORKER_CONCURRENCY="0" is invalid/],
    [{ JOBS_DB: " jobs.db" }, /^JOBS_DB=" jobs.db" is invalid: expected a file system path/],
    [{ JOBS_RESULTS_DIR: "results " }, /^JOBS_RESULTS_DIR=/],
    [{ JOBS_RETENTION_S: "59" }, /^JOBS_RETENTION_S="59" is invalid: .* 60 to /],
    [{ JOBS_RETENTION_S: "7d" }, /^JOBS_RETENTION_S=/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadJobsConfig(env, "/srv/fleet"),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes("\n"),
      );
    });
  }
});

describe("openBackend", () => {
  it("opens the embedded backend on JOBS_DB by default", async () => {
    const dir = path.join(os.tmpdir(), `fleet-open-${process.pid}-${Date.now()}`);
    const backend = await openBackend({ JOBS_DB: path.join(dir, "j.db"), JOBS_RESULTS_DIR: path.join(dir, "r") });
    try {
      assert.equal(backend.capabilities.name, "sqlite");
      const { job } = await backend.enqueue({ kind: "sum", input: { n: 1 } });
      assert.equal((await backend.get(job.id))?.status, "queued");
    } finally {
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad setting before it opens anything", async () => {
    await assert.rejects(openBackend({ JOBS_MAX_ATTEMPTS: "zero" }), ConfigError);
  });
});

describe("JOBS_SCHEDULES (periodic jobs), read at start", () => {
  const write = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-schedules-"));
    fs.writeFileSync(path.join(dir, "schedules.json"), text);
    return dir;
  };

  it("none when unset; the file's schedules when set, relative to the working directory", () => {
    assert.deepEqual(loadJobSchedules({}, "/nowhere"), []);
    const dir = write(JSON.stringify([{ name: "n", schedule: "rate(1 hour)", kind: "sum", input: { n: 1 } }]));
    assert.deepEqual(loadJobSchedules({ JOBS_SCHEDULES: "schedules.json" }, dir), [
      { name: "n", schedule: "rate(1 hour)", timeZone: "UTC", kind: "sum", input: { n: 1 } },
    ]);
  });

  it("refuses a missing file, a file that is not JSON, and a bad schedule, naming it and the field", () => {
    assert.throws(
      () => loadJobSchedules({ JOBS_SCHEDULES: "missing.json" }, "/nowhere"),
      (err: unknown) => {
        return (
          err instanceof ConfigError && /JOBS_SCHEDULES="missing.json": cannot read .* \(ENOENT\)/.test(err.message)
        );
      },
    );
    assert.throws(
      () => loadJobSchedules({ JOBS_SCHEDULES: "schedules.json" }, write("[{")),
      (err: unknown) => err instanceof ConfigError && /is not JSON/.test(err.message),
    );
    const dir = write(JSON.stringify([{ name: "n", schedule: "rate(1 hour)", kind: "sum", input: { n: 1.5 } }]));
    assert.throws(
      () => loadJobSchedules({ JOBS_SCHEDULES: "schedules.json" }, dir),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^JOBS_SCHEDULES\[0\] \("n"\)\.input: input\/n must be integer \(in /.test(err.message),
    );
  });
});
