/**
 * The termination lifecycle hook, from the worker's side: Auto Scaling marks an instance it is about to
 * terminate by moving its IMDS `autoscaling/target-lifecycle-state` to `Terminated` and holds it in
 * Terminating:Wait until the hook is completed or times out (LIFECYCLE_HOOK_TIMEOUT_S). The watcher polls
 * that state; on `Terminated` it drains the worker (running jobs finish or are given back) and then
 * completes the hook with CONTINUE, so the instance goes at once instead of at the timeout.
 */
import { pause } from "./pause";

export const TERMINATED_STATE = "Terminated";

/** IMDS polls are free and local; a few seconds is nothing against the hook's minutes. */
export const DEFAULT_TERMINATION_POLL_MS = 5_000;

export interface TerminationWatchOptions {
  /** The current target lifecycle state; undefined when IMDS has none (not in an Auto Scaling group). */
  readState(): Promise<string | undefined>;
  /** Stops the worker and resolves once its jobs are finished or given back. */
  drain(): Promise<void>;
  /** CompleteLifecycleAction(CONTINUE) for this instance. */
  complete(): Promise<void>;
  pollMs: number;
  signal: AbortSignal;
  warn(err: unknown, msg: string): void;
}

export type TerminationOutcome = "completed" | "not-in-group" | "stopped";

/** Resolves when the hook was completed after a drain, the instance has no lifecycle state, or `signal` ends it. */
export async function watchTermination(options: TerminationWatchOptions): Promise<TerminationOutcome> {
  const { signal } = options;
  while (!signal.aborted) {
    let state: string | undefined;
    try {
      state = await options.readState();
    } catch (err) {
      options.warn(err, "could not read the lifecycle state from IMDS; trying again");
      await pause(options.pollMs, signal);
      continue;
    }
    if (state === undefined) return "not-in-group";
    if (state === TERMINATED_STATE) {
      await options.drain();
      // Without this the instance waits out the hook's timeout; retry a few times, the hook is patient.
      for (let attempt = 1; ; attempt++) {
        try {
          await options.complete();
          return "completed";
        } catch (err) {
          options.warn(err, "could not complete the lifecycle action");
          if (attempt >= 3) throw err;
          await pause(options.pollMs, signal);
        }
      }
    }
    await pause(options.pollMs, signal);
  }
  return "stopped";
}
