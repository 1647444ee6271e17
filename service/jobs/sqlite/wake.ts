/**
 * Wakes a worker waiting in claim() when a job may have become claimable, without polling fast:
 * - in this process, every write that makes a job claimable rings a bell shared by every backend open on
 *   the same file;
 * - across processes, a commit appends to the `-wal` file, so an fs.watch on it fires (inotify); design.md
 *   measured p50 0.5 ms enqueue → start this way against 2.9 ms polling every 5 ms;
 * - and a slow poll backs both up (a watch that failed, a file system without notifications), as does a
 *   timer for the next retry or lease expiry the waiter already knows of.
 * A WAL event can come a moment early: a commit writes its frames to the `-wal` file (the event) and only
 * then publishes them in the shared-memory index, which no watch sees. So a waiter woken by the WAL that
 * finds nothing looks again a few times within a few ms (WAL_RECHECK_MS) before it sleeps; without this,
 * about one wake-up in a hundred waited for the fallback poll (p99 1 s in bench/jobs.ts).
 */
import { EventEmitter } from "node:events";
import fs from "node:fs";

/** Without any notification, a waiting claim still looks this often: slow, it is only the safety net. */
export const FALLBACK_POLL_MS = 1_000;

/** After a WAL event that showed nothing new, look again after these delays (ms) before sleeping. */
export const WAL_RECHECK_MS: readonly number[] = [0.5, 1, 2, 4, 8, 16];

/** What ended a wait. */
export type WakeReason = "bell" | "wal" | "timer" | "abort" | "closed";

const bells = new Map<string, { emitter: EventEmitter; users: number }>();

export class Waker {
  private readonly waiters = new Set<(reason: WakeReason) => void>();
  private readonly bell: EventEmitter;
  private watcher?: fs.FSWatcher;
  private closed = false;
  private readonly ring = () => this.wakeAll("bell");
  private readonly walChanged = () => this.wakeAll("wal");

  constructor(
    private readonly file: string,
    private readonly pollMs = FALLBACK_POLL_MS,
  ) {
    let entry = bells.get(file);
    if (!entry) bells.set(file, (entry = { emitter: new EventEmitter(), users: 0 }));
    entry.users++;
    entry.emitter.setMaxListeners(0);
    entry.emitter.on("ready", this.ring);
    this.bell = entry.emitter;
  }

  /** Tells every waiter on this file, in this process, that a job may be claimable. */
  notify(): void {
    this.bell.emit("ready");
  }

  /**
   * Resolves at the first of: a notification, a change to the WAL, `delayMs`, the fallback poll, an
   * abort. The caller looks again either way.
   */
  wait(delayMs: number, signal?: AbortSignal): Promise<WakeReason> {
    if (this.closed) return Promise.resolve("closed");
    if (signal?.aborted) return Promise.resolve("abort");
    this.watchWal();
    return new Promise((resolve) => {
      const done = (reason: WakeReason) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(done);
        resolve(reason);
      };
      const onAbort = () => done("abort");
      const timer = setTimeout(() => done("timer"), Math.max(0, Math.min(delayMs, this.pollMs)));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.bell.off("ready", this.ring);
    const entry = bells.get(this.file);
    if (entry && --entry.users === 0) bells.delete(this.file);
    this.wakeAll("closed");
  }

  private wakeAll(reason: WakeReason): void {
    for (const done of [...this.waiters]) done(reason);
  }

  /** Watches `<file>-wal` while anyone waits; if it cannot (no such file yet), the poll covers it. */
  private watchWal(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = fs.watch(`${this.file}-wal`, { persistent: false }, this.walChanged);
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }
}
