/**
 * The heartbeat of one lease: extends it every leaseMs / HEARTBEATS_PER_LEASE, so that a live job is
 * never handed to another worker, and reports once when the lease is lost or the job canceled. A beat that
 * fails (the backend is briefly unreachable) is logged and the next one tries again: with three beats per
 * lease, one failure does not lose the job. It receives only the extend call, a logger and a clock, so a
 * test drives it with a fake of each.
 */
import type { LeaseStatus } from "./backend";
import { HEARTBEATS_PER_LEASE } from "./timing";

export interface Clock {
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const realClock: Clock = {
  schedule(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface LeaseKeeperOptions {
  extend: (leaseMs: number) => Promise<LeaseStatus>;
  leaseMs: number;
  /** Called at most once, when a beat answers "lost" or "canceled": the job must stop. */
  onEnd: (status: Exclude<LeaseStatus, "held">) => void;
  log: { warn: (details: object, msg: string) => void };
  clock?: Clock;
}

export interface LeaseKeeper {
  /** Stops the beats; a beat in flight finishes but reports nothing. */
  stop(): void;
}

export function heartbeatMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / HEARTBEATS_PER_LEASE));
}

export function startLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { extend, leaseMs, onEnd, log, clock = realClock } = options;
  const periodMs = heartbeatMs(leaseMs);
  let stopped = false;
  let cancel = clock.schedule(beat, periodMs);

  function beat(): void {
    // The next beat is scheduled only once this one has answered, so a slow backend never piles beats up.
    extend(leaseMs).then(
      (status) => {
        if (stopped) return;
        if (status !== "held") {
          // Stryker disable next-line BooleanLiteral: equivalent, no beat is scheduled after this one to read it
          stopped = true;
          onEnd(status);
          return;
        }
        cancel = clock.schedule(beat, periodMs);
      },
      (err: unknown) => {
        if (stopped) return;
        log.warn({ err, periodMs }, "heartbeat failed; trying again at the next beat");
        cancel = clock.schedule(beat, periodMs);
      },
    );
  }

  return {
    stop() {
      stopped = true;
      cancel();
    },
  };
}
