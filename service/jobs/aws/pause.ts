/** A wait that an abort ends early and quietly (timers/promises would reject with an AbortError). */
import { setTimeout as delay } from "node:timers/promises";

export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {});
}
