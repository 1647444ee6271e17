/**
 * The embedded job backend: jobs, queue and idempotency keys in one SQLite file (JOBS_DB) through
 * `node:sqlite`, shared safely by several worker processes on one machine.
 *
 * - WAL with synchronous=NORMAL: a commit survives a process crash (the WAL is on disk); a power cut may
 *   lose the last commits, never corrupt the file. FULL costs 2–5× (one flush per commit, design.md).
 * - Every change is one write transaction (BEGIN IMMEDIATE takes the write lock up front, so two
 *   processes never deadlock upgrading a read); SQLITE_BUSY is retried with backoff, never fatal.
 * - A claim is a guarded UPDATE over the claimable rows (expired leases, then queued jobs that are due,
 *   each through its partial index: schema.ts), in one transaction, and gives each job a fresh random
 *   lease token; every later write names it (`lease_token = ?`), so a worker whose lease ran out and was
 *   taken by another cannot overwrite the newer state.
 * - Retention (JOBS_RETENTION_S): a finished job is invisible once its retention is over and is deleted,
 *   with its result directory (`jobs/<id>/` in the result store, the worker's key layout), by the claims:
 *   one batch of PURGE_BATCH rows per claim while there is a backlog of expired rows, else one every
 *   PURGE_INTERVAL_MS, each its own short transaction, so a purge never holds the write lock long.
 *   Idempotency keys expire after idempotencyKeyTtlS, as on AWS.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  BackendCapabilities,
  ClaimOptions,
  FailOptions,
  JobBackend,
  JobFilter,
  JobRecord,
  JobState,
  Lease,
  LeaseStatus,
  NewJob,
} from "../backend";
import { IdempotencyConflictError, JobNotFoundError, JobStateError } from "../errors";
import { ensureDataDirs } from "../config";
import { DEFAULT_JOBS_RETENTION_S, DEFAULT_MAX_ATTEMPTS, idempotencyKeyTtlS } from "../timing";
import { DirectoryResultStore } from "./results";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema";
import { WAL_RECHECK_MS, Waker } from "./wake";

export interface SqliteBackendOptions {
  /** The database file (JOBS_DB); its directory is created. */
  file: string;
  /** The result directory (JOBS_RESULTS_DIR); created. */
  resultsDir: string;
  /** Attempts before a job ends failed (JOBS_MAX_ATTEMPTS); recorded on each job when it is enqueued. */
  maxAttempts?: number;
  /** The clock, ms since the epoch; tests move it. */
  now?: () => number;
  /** A waiting claim looks at least this often even without a notification, ms. */
  fallbackPollMs?: number;
  /** JOBS_RETENTION_S: finished jobs, their keys and result files are purged this long after they finish. */
  retentionS?: number;
}

/** Rows one purge transaction deletes: a few ms of write lock, so claims never wait on it for long. */
export const PURGE_BATCH = 500;
/** With nothing left to purge, the next look is this much later. */
export const PURGE_INTERVAL_MS = 10_000;

export const SQLITE_CAPABILITIES: BackendCapabilities = {
  name: "sqlite",
  // Among the jobs due now, the one due longest ago is claimed first: enqueue order for fresh jobs.
  fifo: true,
  // A row holds far more, but the input rides every claim's RETURNING; past this it belongs in a result store.
  maxInputBytes: 1024 * 1024,
  leaseGranularityMs: 1,
};

/**
 * SQLite's own busy handler waits this long for the write lock before it returns SQLITE_BUSY. Short,
 * because node:sqlite is synchronous: a long wait would block the event loop that heartbeats the jobs.
 * The async retry below does the rest of the waiting.
 */
const BUSY_TIMEOUT_MS = 50;
/** A writer that has not had the lock for this long gives up with the error (a wedged file, not load). */
const BUSY_GIVE_UP_MS = 60_000;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

interface JobRow {
  id: string;
  kind: string;
  input: string;
  status: JobState;
  attempts: number;
  max_attempts: number;
  progress: number;
  result: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_token: string | null;
  schedule: string | null;
  tick_at: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function toRecord(row: JobRow): JobRecord {
  const job: JobRecord = {
    id: row.id,
    kind: row.kind,
    input: JSON.parse(row.input),
    status: row.status,
    attempts: row.attempts,
    progress: row.progress,
    createdAt: iso(row.created_at),
  };
  if (row.result !== null) job.result = JSON.parse(row.result);
  if (row.error !== null) job.error = row.error;
  if (row.started_at !== null) job.startedAt = iso(row.started_at);
  if (row.finished_at !== null) job.finishedAt = iso(row.finished_at);
  if (row.schedule !== null && row.tick_at !== null) job.schedule = { name: row.schedule, tick: iso(row.tick_at) };
  return job;
}

function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === "number" && ((code & 0xff) === SQLITE_BUSY || (code & 0xff) === SQLITE_LOCKED);
}

const COLUMNS =
  "id, kind, input, status, attempts, max_attempts, progress, result, error, created_at, started_at, finished_at, lease_token, schedule, tick_at";

export class SqliteJobBackend implements JobBackend {
  readonly capabilities = SQLITE_CAPABILITIES;
  readonly results: DirectoryResultStore;
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private readonly waker: Waker;
  private readonly sql: Record<string, StatementSync>;
  private readonly retentionMs: number;
  private readonly keyTtlMs: number;
  private nextPurgeMs = 0;
  /** Result directories being removed: awaited by close(). */
  private removing = new Set<Promise<void>>();
  private closed = false;

  /** Use openSqliteBackend(): opening may wait for another process that holds the write lock. */
  private constructor(db: DatabaseSync, file: string, options: SqliteBackendOptions, maxAttempts: number) {
    this.db = db;
    this.file = file;
    this.maxAttempts = maxAttempts;
    this.now = options.now ?? Date.now;
    this.results = new DirectoryResultStore(options.resultsDir);
    const retentionS = options.retentionS ?? DEFAULT_JOBS_RETENTION_S;
    this.retentionMs = retentionS * 1000;
    this.keyTtlMs = idempotencyKeyTtlS(retentionS) * 1000;
    this.sql = this.prepare();
    this.waker = new Waker(this.file, options.fallbackPollMs);
  }

  static async open(options: SqliteBackendOptions): Promise<SqliteJobBackend> {
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) {
      throw new RangeError(`maxAttempts must be an integer ≥ 1, got ${maxAttempts}`);
    }
    const file = path.resolve(options.file);
    ensureDataDirs({ dbFile: file, resultsDir: options.resultsDir });
    const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      await retryBusy(() => {
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("PRAGMA synchronous = NORMAL");
      });
      // Read first: an up-to-date file (the usual case) is opened without taking the write lock.
      if (schemaVersion(db) !== SCHEMA_VERSION) await retryBusy(() => transaction(db, () => migrate(db, file)));
      return new SqliteJobBackend(db, file, options, maxAttempts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private prepare(): Record<string, StatementSync> {
    const p = (text: string) => this.db.prepare(text);
    return {
      get: p(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`),
      purgeJobs: p(
        `DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE status IN ('succeeded', 'failed', 'canceled')
           AND finished_at <= ? ORDER BY finished_at LIMIT ?) RETURNING id`,
      ),
      purgeKeys: p(
        `DELETE FROM idempotency_keys WHERE key IN
           (SELECT key FROM idempotency_keys WHERE created_at <= ? ORDER BY created_at LIMIT ?)`,
      ),
      keyDelete: p("DELETE FROM idempotency_keys WHERE key = ?"),
      insert: p(
        `INSERT INTO jobs (id, kind, input, status, max_attempts, created_at, due_at, schedule, tick_at)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      ),
      keyGet: p("SELECT job_id, fingerprint, created_at FROM idempotency_keys WHERE key = ?"),
      keyInsert: p("INSERT INTO idempotency_keys (key, job_id, fingerprint, created_at) VALUES (?, ?, ?, ?)"),
      // The same range as the claim, read-only: an idle waiter does not take the write lock to find nothing.
      nextDue: p(
        `SELECT (SELECT min(due_at) FROM jobs WHERE status = 'queued') AS queued,
                (SELECT min(due_at) FROM jobs WHERE status = 'running') AS leased`,
      ),
      expireLast: p(
        `UPDATE jobs SET status = 'failed', finished_at = :now, due_at = NULL,
           error = 'lease expired on attempt ' || attempts || ' of ' || max_attempts ||
                   ': the worker stopped heartbeating (killed, lost, or its lease shorter than a heartbeat)'
         WHERE status = 'running' AND due_at <= :now AND attempts >= max_attempts`,
      ),
      // Expired leases first: those jobs have waited longest. Then queued jobs, oldest due first.
      reclaim: p(
        `UPDATE jobs SET attempts = attempts + 1, progress = 0, started_at = :now,
           due_at = :now + :leaseMs, lease_token = lower(hex(randomblob(16)))
         WHERE seq IN (SELECT seq FROM jobs WHERE status = 'running' AND due_at <= :now
                       ORDER BY due_at, seq LIMIT :max)
         RETURNING ${COLUMNS}`,
      ),
      claim: p(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, progress = 0, started_at = :now,
           due_at = :now + :leaseMs, lease_token = lower(hex(randomblob(16)))
         WHERE seq IN (SELECT seq FROM jobs WHERE status = 'queued' AND due_at <= :now
                       ORDER BY due_at, seq LIMIT :max)
         RETURNING ${COLUMNS}`,
      ),
      extend: p(`UPDATE jobs SET due_at = ? WHERE id = ? AND lease_token = ? AND status = 'running'`),
      progress: p(`UPDATE jobs SET progress = ? WHERE id = ? AND lease_token = ? AND status = 'running'`),
      leaseStatus: p("SELECT status FROM jobs WHERE id = ? AND lease_token = ?"),
      complete: p(
        `UPDATE jobs SET status = 'succeeded', result = ?, progress = 1, finished_at = ?, due_at = NULL, error = NULL
         WHERE id = ? AND lease_token = ? AND status = 'running'`,
      ),
      leased: p(`SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_token = ? AND status = 'running'`),
      failFinal: p(
        `UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, due_at = NULL WHERE id = ? AND lease_token = ?`,
      ),
      failRetry: p(
        `UPDATE jobs SET status = 'queued', error = ?, due_at = ?, lease_token = NULL WHERE id = ? AND lease_token = ?`,
      ),
      release: p(
        `UPDATE jobs SET status = 'queued', attempts = attempts - 1, due_at = ?, lease_token = NULL, progress = 0
         WHERE id = ? AND lease_token = ? AND status = 'running'`,
      ),
      cancel: p(
        `UPDATE jobs SET status = 'canceled', finished_at = ?, due_at = NULL
         WHERE id = ? AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
      ),
      backlog: p("SELECT count(*) AS n FROM jobs WHERE status = 'queued'"),
      dead: p(`SELECT ${COLUMNS} FROM jobs WHERE status = 'failed' ORDER BY finished_at DESC, seq DESC LIMIT ?`),
      retryDead: p(
        `UPDATE jobs SET status = 'queued', attempts = 0, progress = 0, due_at = ?, finished_at = NULL,
           lease_token = NULL, max_attempts = ?
         WHERE id = ? AND status = 'failed' RETURNING ${COLUMNS}`,
      ),
    };
  }

  async enqueue(job: NewJob, now?: Date): Promise<{ job: JobRecord; created: boolean }> {
    const input = JSON.stringify(job.input ?? null);
    if (Buffer.byteLength(input) > this.capabilities.maxInputBytes) {
      throw new RangeError(
        `job input is ${Buffer.byteLength(input)} bytes as JSON, over the ${this.capabilities.maxInputBytes} bytes this backend stores`,
      );
    }
    const at = now?.getTime() ?? this.now();
    const fingerprint = job.fingerprint ?? "";
    const out = await this.write(() => {
      if (job.idempotencyKey !== undefined) {
        const seen = this.liveKey(job.idempotencyKey, fingerprint, at);
        if (seen) return { job: seen, created: false };
        this.sql.keyDelete!.run(job.idempotencyKey); // expired, or its job purged: the key is free
      }
      const id = randomUUID();
      const tickAt = job.schedule ? Date.parse(job.schedule.tick) : null;
      this.sql.insert!.run(id, job.kind, input, this.maxAttempts, at, at, job.schedule?.name ?? null, tickAt);
      if (job.idempotencyKey !== undefined) this.sql.keyInsert!.run(job.idempotencyKey, id, fingerprint, at);
      return { job: this.row(id)!, created: true };
    });
    if (out.created) this.waker.notify();
    return { job: toRecord(out.job), created: out.created };
  }

  /** The job a live key names; throws on another fingerprint. Call inside a read or a transaction. */
  private liveKey(key: string, fingerprint: string, atMs: number): JobRow | undefined {
    const seen = this.sql.keyGet!.get(key) as { job_id: string; fingerprint: string; created_at: number } | undefined;
    if (!seen || seen.created_at <= atMs - this.keyTtlMs) return undefined;
    const row = this.row(seen.job_id);
    if (!row) return undefined;
    if (seen.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
    return row;
  }

  async findByKey(key: string, fingerprint: string, now?: Date): Promise<JobRecord | undefined> {
    const at = now?.getTime() ?? this.now();
    const row = await this.read(() => this.liveKey(key, fingerprint, at));
    return row && toRecord(row);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.read(() => this.row(id));
    return row && toRecord(row);
  }

  /**
   * Deletes up to PURGE_BATCH finished jobs past their retention (with their result directories) and up
   * to PURGE_BATCH expired keys, in one short transaction; resolves with the number of jobs deleted.
   * The claims call it (maybePurge); tests and `npm run jobs` may call it directly.
   */
  async purgeExpired(): Promise<number> {
    const now = this.now();
    const ids = await this.write(() => {
      this.sql.purgeKeys!.run(now - this.keyTtlMs, PURGE_BATCH);
      return (this.sql.purgeJobs!.all(now - this.retentionMs, PURGE_BATCH) as { id: string }[]).map((r) => r.id);
    });
    if (ids.length > 0) {
      const removal = Promise.all(
        ids.map((id) => fs.promises.rm(path.join(this.results.dir, "jobs", id), { recursive: true, force: true })),
      ).then(() => {});
      this.removing.add(removal);
      void removal.finally(() => this.removing.delete(removal)).catch(() => {});
    }
    return ids.length;
  }

  /** One purge batch when one is due: at once again after a full batch, else after PURGE_INTERVAL_MS. */
  private async maybePurge(): Promise<void> {
    const now = this.now();
    if (now < this.nextPurgeMs) return;
    this.nextPurgeMs = now + PURGE_INTERVAL_MS;
    if ((await this.purgeExpired()) >= PURGE_BATCH) this.nextPurgeMs = now;
  }

  async claim(options: ClaimOptions): Promise<Lease[]> {
    const { max, leaseMs, waitMs, signal } = options;
    if (!(Number.isSafeInteger(max) && max >= 1)) throw new RangeError(`claim max must be an integer ≥ 1, got ${max}`);
    if (!(leaseMs > 0)) throw new RangeError(`claim leaseMs must be > 0, got ${leaseMs}`);
    // A NaN wait made a deadline of NaN that never passed: an empty queue was polled until a job came.
    if (!(waitMs >= 0)) throw new RangeError(`claim waitMs must be ≥ 0 (0 returns at once), got ${waitMs}`);
    const deadline = Date.now() + Math.max(0, waitMs);
    let recheck = WAL_RECHECK_MS.length; // no WAL event seen yet: no reason to look again early
    // Bounded: every pass either returns or waits until a notification, the next due job, or the deadline.
    await this.maybePurge();
    for (;;) {
      if (this.closed || signal?.aborted) return [];
      const now = this.now();
      const next = await this.read(() => this.sql.nextDue!.get() as { queued: number | null; leased: number | null });
      const due =
        next.queued === null ? next.leased : next.leased === null ? next.queued : Math.min(next.queued, next.leased);
      if (due !== null && due <= now) {
        const leased = await this.write(() => {
          const params = { now, leaseMs: Math.ceil(leaseMs), max };
          let rows: JobRow[] = [];
          if (next.leased !== null && next.leased <= now) {
            this.sql.expireLast!.run({ now });
            rows = this.sql.reclaim!.all(params) as unknown as JobRow[];
          }
          if (rows.length < max) {
            rows = rows.concat(this.sql.claim!.all({ ...params, max: max - rows.length }) as unknown as JobRow[]);
          }
          return rows;
        });
        if (leased.length > 0) {
          return leased.map((row) => ({ job: toRecord(row), attempt: row.attempts, token: row.lease_token! }));
        }
        continue; // the due rows were last attempts that just ended failed: look again
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      const delay = Math.min(left, due === null ? Infinity : due - now, WAL_RECHECK_MS[recheck] ?? Infinity);
      // After a WAL event the commit may not be visible yet: look again shortly (wake.ts).
      recheck = (await this.waker.wait(delay, signal)) === "wal" ? 0 : recheck + 1;
    }
  }

  async extendLease(lease: Lease, leaseMs: number): Promise<LeaseStatus> {
    const changed = await this.write(
      () => this.sql.extend!.run(this.now() + Math.ceil(leaseMs), lease.job.id, lease.token).changes,
    );
    return changed === 1 ? "held" : this.lostOrCanceled(lease);
  }

  async progress(lease: Lease, fraction: number): Promise<LeaseStatus> {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`progress must be from 0 to 1, got ${fraction}`);
    const changed = await this.write(() => this.sql.progress!.run(fraction, lease.job.id, lease.token).changes);
    return changed === 1 ? "held" : this.lostOrCanceled(lease);
  }

  async complete(lease: Lease, result: unknown): Promise<boolean> {
    const json = JSON.stringify(result ?? null);
    const changed = await this.write(() => this.sql.complete!.run(json, this.now(), lease.job.id, lease.token).changes);
    return changed === 1;
  }

  async fail(lease: Lease, error: string, options: FailOptions): Promise<"retrying" | "failed" | "lost"> {
    const out = await this.write(() => {
      const row = this.sql.leased!.get(lease.job.id, lease.token) as
        { attempts: number; max_attempts: number } | undefined;
      if (!row) return "lost" as const;
      const now = this.now();
      if (options.permanent || row.attempts >= row.max_attempts) {
        this.sql.failFinal!.run(error, now, lease.job.id, lease.token);
        return "failed" as const;
      }
      this.sql.failRetry!.run(error, now + Math.max(0, options.retryDelayMs), lease.job.id, lease.token);
      return "retrying" as const;
    });
    if (out === "retrying") this.waker.notify();
    return out;
  }

  async release(lease: Lease): Promise<void> {
    const changed = await this.write(() => this.sql.release!.run(this.now(), lease.job.id, lease.token).changes);
    if (changed === 1) this.waker.notify();
  }

  async cancel(id: string, now?: Date): Promise<JobRecord> {
    const at = now?.getTime() ?? this.now();
    const row = await this.write(() => {
      const canceled = this.sql.cancel!.get(at, id) as JobRow | undefined;
      if (canceled) return canceled;
      const current = this.row(id);
      if (!current) throw new JobNotFoundError(id);
      throw new JobStateError(id, current.status, "canceled");
    });
    return toRecord(row);
  }

  async backlog(): Promise<number> {
    return this.read(() => (this.sql.backlog!.get() as { n: number }).n);
  }

  async list(filter: JobFilter): Promise<JobRecord[]> {
    if (!(Number.isSafeInteger(filter.limit) && filter.limit >= 1))
      throw new RangeError(`limit must be an integer ≥ 1, got ${filter.limit}`);
    const where = ["(finished_at IS NULL OR finished_at > :purged)"];
    const params: Record<string, string | number> = { purged: this.now() - this.retentionMs, limit: filter.limit };
    for (const field of ["status", "kind", "schedule"] as const) {
      const value = filter[field];
      if (value === undefined) continue;
      where.push(`${field} = :${field}`);
      params[field] = value;
    }
    const order = filter.schedule !== undefined ? "tick_at DESC, seq DESC" : "seq DESC";
    const text = `SELECT ${COLUMNS} FROM jobs WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT :limit`;
    return (await this.read(() => this.db.prepare(text).all(params) as unknown as JobRow[])).map(toRecord);
  }

  async listDead(limit: number): Promise<JobRecord[]> {
    if (!(Number.isSafeInteger(limit) && limit >= 1))
      throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
    return (await this.read(() => this.sql.dead!.all(limit) as unknown as JobRow[])).map(toRecord);
  }

  async retryDead(id: string): Promise<JobRecord> {
    const row = await this.write(() => {
      const queued = this.sql.retryDead!.get(this.now(), this.maxAttempts, id) as JobRow | undefined;
      if (queued) return queued;
      const current = this.row(id);
      if (!current) throw new JobNotFoundError(id);
      throw new JobStateError(id, current.status, "retried (only a failed job can be)");
    });
    this.waker.notify();
    return toRecord(row);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    await Promise.all(this.removing);
    this.db.close();
  }

  /** The job, unless it finished longer ago than the retention (a purge may not have reached it yet). */
  private row(id: string): JobRow | undefined {
    const row = this.sql.get!.get(id) as JobRow | undefined;
    if (row && row.finished_at !== null && row.finished_at <= this.now() - this.retentionMs) return undefined;
    return row;
  }

  private lostOrCanceled(lease: Lease): LeaseStatus {
    const row = this.sql.leaseStatus!.get(lease.job.id, lease.token) as { status: JobState } | undefined;
    return row?.status === "canceled" ? "canceled" : "lost";
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the jobs backend on ${this.file} is closed`);
  }

  /** A read. WAL readers do not wait for writers, but may see SQLITE_BUSY while a crashed writer's WAL is recovered. */
  private read<T>(fn: () => T): Promise<T> {
    return retryBusy(() => {
      this.assertOpen();
      return fn();
    });
  }

  /** One write transaction; SQLITE_BUSY (another process holds the lock) is waited out, not thrown. */
  private write<T>(fn: () => T): Promise<T> {
    return retryBusy(() => {
      this.assertOpen();
      return transaction(this.db, fn);
    });
  }
}

function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

async function retryBusy<T>(fn: () => T): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() - started > BUSY_GIVE_UP_MS) throw err;
      // Jittered and growing to 50 ms: two processes that collided do not collide again in step.
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }
}

export function openSqliteBackend(options: SqliteBackendOptions): Promise<SqliteJobBackend> {
  return SqliteJobBackend.open(options);
}
