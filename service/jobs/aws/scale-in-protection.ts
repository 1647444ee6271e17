/**
 * Scale-in protection that follows the worker: protected while it runs a job, so a scale-in picks an idle
 * instance instead of killing work; unprotected once it has been idle for a while, so the group can shrink.
 * It is fed by the worker loop's `onBusyChange`.
 *
 * Calls are serialised and coalesced: only the last wanted state is applied, and nothing is called when
 * the instance already has it. Protection comes at once; it is dropped only after `releaseAfterIdleMs` of
 * idleness, because a worker taking short jobs flips between busy and idle many times a second, and
 * SetInstanceProtection is a rate-limited control-plane call.
 */

export interface ScaleInProtectionOptions {
  /** Applies the protection (SetInstanceProtection for this instance); may throw. */
  set(protect: boolean): Promise<void>;
  releaseAfterIdleMs: number;
  warn(err: unknown, msg: string): void;
}

/** Default idle time before protection is dropped: a little over a heartbeat of the default lease. */
export const DEFAULT_RELEASE_AFTER_IDLE_MS = 30_000;

export interface ScaleInProtection {
  onBusyChange(busy: boolean): Promise<void>;
  /** Drops the protection (the worker has stopped) and stops the idle timer. */
  close(): Promise<void>;
  /** The state last applied successfully. */
  readonly isProtected: boolean;
}

export function createScaleInProtection(options: ScaleInProtectionOptions): ScaleInProtection {
  let applied = false;
  let wanted = false;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  /** Brings the instance to `wanted`, one call at a time; a failure is logged and retried on the next change. */
  function sync(): Promise<void> {
    chain = chain.then(async () => {
      if (applied === wanted) return;
      const target = wanted;
      try {
        await options.set(target);
        applied = target;
      } catch (err) {
        options.warn(err, `could not ${target ? "set" : "drop"} scale-in protection`);
      }
    });
    return chain;
  }

  function clearIdleTimer() {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
  }

  return {
    get isProtected() {
      return applied;
    },
    onBusyChange(busy: boolean): Promise<void> {
      if (closed) return chain;
      clearIdleTimer();
      if (busy) {
        wanted = true;
        return sync();
      }
      idleTimer = setTimeout(() => {
        idleTimer = undefined;
        wanted = false;
        void sync();
      }, options.releaseAfterIdleMs);
      idleTimer.unref();
      return chain;
    },
    async close(): Promise<void> {
      closed = true;
      clearIdleTimer();
      wanted = false;
      await sync();
    },
  };
}
