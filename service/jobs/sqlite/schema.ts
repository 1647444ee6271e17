/**
 * The embedded backend's schema, and its migrations in one place. `PRAGMA user_version` records how far a
 * file has been migrated; opening a file runs the missing steps in one write transaction, so two worker
 * processes that open a fresh file at the same time do not both create it. A file from a newer fleet is
 * refused rather than written with an older idea of its rows.
 */
import type { DatabaseSync } from "node:sqlite";

/**
 * `due_at` is the one time a claim looks at: for a queued job, when it may run (now, or after its retry
 * delay); for a running one, when its lease runs out. Each of the two kinds of claimable row has a partial
 * index on it (schema 3: jobs_queued, jobs_leased), so a claim is a range `due_at <= now` at the front of
 * one small index, never an OR over two columns, which sorted the whole backlog on every claim (560 jobs/s,
 * design.md). Times are ms since the epoch.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     input TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     progress REAL NOT NULL DEFAULT 0,
     result TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     due_at INTEGER,
     lease_token TEXT
   );
   CREATE INDEX jobs_claimable ON jobs (due_at) WHERE status IN ('queued', 'running');
   CREATE INDEX jobs_dead ON jobs (finished_at) WHERE status = 'failed';
   CREATE TABLE idempotency_keys (
     key TEXT PRIMARY KEY,
     job_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // 2: finding the expired leases of last attempts ranged over jobs_claimable, where every queued job is
  // also due: one scan of the whole backlog per claim (300 µs of CPU per claim at a 5,000-job backlog,
  // 140 µs with this index).
  `CREATE INDEX jobs_leased ON jobs (due_at) WHERE status = 'running';`,
  // 3: one index over both queued and running rows moved a job's entry on every claim (its due_at becomes
  // the lease expiry) besides adding it to jobs_leased: one more B-tree page written per claim and per
  // completion. Queued rows alone, A/B in alternating runs: 150-200 µs of CPU per job claimed and completed
  // one at a time instead of 200-225, 55 µs instead of 60-100 claiming 16 at a time.
  `DROP INDEX jobs_claimable;
   CREATE INDEX jobs_queued ON jobs (due_at) WHERE status = 'queued';`,
  // 4: retention (JOBS_RETENTION_S). Finished jobs are purged oldest first through their own partial
  // index, and keys expire (idempotencyKeyTtlS) by their creation time; keys from before this step count
  // from the migration.
  `CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed', 'canceled');
   ALTER TABLE idempotency_keys ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
   UPDATE idempotency_keys SET created_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
   CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);`,
  // 5: periodic jobs (schedules.ts): the schedule and tick that enqueued a job, for `jobs list --schedule`
  // and a schedule's last tick.
  `ALTER TABLE jobs ADD COLUMN schedule TEXT;
   ALTER TABLE jobs ADD COLUMN tick_at INTEGER;
   CREATE INDEX jobs_schedule ON jobs (schedule, tick_at) WHERE schedule IS NOT NULL;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  override name = "SchemaVersionError";
  constructor(
    readonly file: string,
    readonly version: number,
  ) {
    super(
      `${file} has jobs schema version ${version}, newer than this fleet's ${SCHEMA_VERSION}: ` +
        `run the fleet version that wrote it, or point JOBS_DB at another file`,
    );
  }
}

export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/** Brings the file to SCHEMA_VERSION; returns the version it found. Call inside a write transaction. */
export function migrate(db: DatabaseSync, file: string): number {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) throw new SchemaVersionError(file, from);
  for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
  // PRAGMA takes no bound parameters; SCHEMA_VERSION is our own integer.
  if (from !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  return from;
}
