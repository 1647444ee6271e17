/** What the whole machine's CPUs did, from /proc/stat (Linux): to tell our own load from everyone else's. */
import fs from "node:fs";

/** Jiffies (1/100 s on Linux) all CPUs spent busy, and in total, since boot. */
export function cpuTimes(): { busy: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Measures, around `fn`, the share of the machine's CPU time used by other processes (busy time of all
 * CPUs minus this process's own user + system time, over all CPUs' time), 0..1; NaN where /proc/stat is
 * missing.
 */
export async function othersCpuShare<T>(fn: () => Promise<T> | T): Promise<{ value: T; othersShare: number }> {
  let before: ReturnType<typeof cpuTimes> | undefined;
  try {
    before = cpuTimes();
  } catch {
    before = undefined;
  }
  const own0 = process.cpuUsage();
  const value = await fn();
  const own = process.cpuUsage(own0);
  if (!before) return { value, othersShare: NaN };
  const after = cpuTimes();
  const total = after.total - before.total;
  const ownJiffies = (own.user + own.system) / 10_000; // µs → 1/100 s
  const othersShare = total > 0 ? Math.max(0, (after.busy - before.busy - ownJiffies) / total) : NaN;
  return { value, othersShare };
}
