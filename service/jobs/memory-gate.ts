/**
 * The job worker's memory gate: a run reserves the bytes its kind says it holds at its peak (an 8192²
 * render, hundreds of MB) before it starts, and waits while the reservations in flight would pass the
 * worker's budget, so WORKER_CONCURRENCY big renders cannot together exceed the unit's MemoryMax and get
 * the process killed. A run bigger than the whole budget still runs, alone. Waiters start in arrival
 * order (a big run is not starved by small ones that keep fitting).
 */

/** Share of the process's memory limit the gate hands out to runs: the rest is Node, the threads, sockets. */
export const RUN_MEMORY_SHARE = 0.75;

/** Measured: the worker process with its threads up and idle holds about this much (docs/security.md). */
export const WORKER_BASELINE_BYTES = 160 * 1024 * 1024;

/**
 * The budget runs may hold at once, from the memory this process may use: its cgroup limit (systemd's
 * MemoryMax=, which process.constrainedMemory() reads) or, without one, the machine's memory.
 */
export function runMemoryBudget(limitBytes: number): number {
  return Math.max(0, Math.floor(limitBytes * RUN_MEMORY_SHARE) - WORKER_BASELINE_BYTES);
}

/** This process's memory limit: the cgroup's when set (0 or absurdly large means none), else total memory. */
export function processMemoryLimit(constrained: number, total: number): number {
  return constrained > 0 && constrained < total ? constrained : total;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class MemoryGate {
  #inUse = 0;
  #running = 0;
  readonly #queue: Waiter[] = [];

  constructor(readonly budgetBytes: number) {
    if (!(budgetBytes >= 0)) throw new RangeError(`budgetBytes must be at least 0; got ${budgetBytes}`);
  }

  get inUseBytes(): number {
    return this.#inUse;
  }

  /** Resolves with a release function once `bytes` fit; rejects with the signal's reason if it aborts first. */
  acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          this.#inUse += bytes;
          this.#running++;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.#inUse -= bytes;
            this.#running--;
            this.#pump();
          });
        },
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(signal!.reason);
        this.#pump();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  #fits(bytes: number): boolean {
    return this.#running === 0 || this.#inUse + bytes <= this.budgetBytes;
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#fits(this.#queue[0]!.bytes)) this.#queue.shift()!.grant();
  }
}
