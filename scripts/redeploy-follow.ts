/**
 * Following a started release until it ends or the deadline passes: every poll reads the execution's new
 * history events and each group's instance refreshes started since the execution, and prints a line per
 * step (the pure functions of scripts/redeploy-progress.ts choose them). Reads only: on timeout the release
 * goes on in AWS, which owns the rollback; stopping it halfway would leave a refresh without its owner.
 */
import type { ReleaseAws } from "./redeploy-aws";
import { historyLine, INITIAL_HISTORY, refreshLines, type GroupNames, type RefreshSeen } from "./redeploy-progress";
import type { ReleaseGroup, WaitResult } from "./redeploy-release";

/** Between two polls. A refresh step lasts minutes (warm-up, checkpoint delay, bake time). */
export const POLL_MS = 15_000;
/** Refreshes that started this long before the execution are not its own (clocks differ a little). */
const CLOCK_SKEW_MS = 60_000;

export interface FollowIo {
  log: (line: string) => void;
  sleep: (ms: number) => Promise<unknown>;
  now: () => number;
}

export interface FollowArgs {
  executionArn: string;
  startDate: Date;
  groupNames: GroupNames;
  stack: string;
  deadlineMs: number;
}

/** Polls in a row that may fail (throttling, a dropped connection) before the script gives up following. */
export const MAX_FAILED_POLLS = 5;

export async function follow(aws: ReleaseAws, io: FollowIo, args: FollowArgs): Promise<WaitResult> {
  let history = INITIAL_HISTORY;
  let lastEventId = 0;
  let failedPolls = 0;
  const refreshes = new Map<string, RefreshSeen>();
  const since = args.startDate.getTime() - CLOCK_SKEW_MS;
  const groups = Object.entries(args.groupNames) as Array<[ReleaseGroup, string]>;
  const poll = async () => {
    // Described first: when it says finished, the history and refreshes read after it are complete.
    const d = await aws.describeExecution(args.executionArn);
    for (const event of await aws.history(args.executionArn, lastEventId)) {
      if ((event.id ?? 0) <= lastEventId) continue;
      lastEventId = event.id ?? lastEventId;
      const [next, line] = historyLine(history, event, args.groupNames);
      history = next;
      if (line) io.log(line);
    }
    for (const [group, name] of groups) {
      const mine = (await aws.instanceRefreshes(name)).filter((r) => (r.StartTime?.getTime() ?? 0) >= since);
      for (const r of mine.reverse()) {
        const id = r.InstanceRefreshId ?? "";
        const { seen, lines } = refreshLines(group, refreshes.get(id), r);
        refreshes.set(id, seen);
        for (const line of lines) io.log(line);
      }
    }
    return d;
  };
  for (;;) {
    let d: Awaited<ReturnType<typeof poll>> | undefined;
    try {
      d = await poll();
      failedPolls = 0;
    } catch (err) {
      // The release runs in AWS whatever happens here: one failed read is no reason to stop following it.
      const why = `${(err as Error).name}: ${(err as Error).message}`;
      if (++failedPolls >= MAX_FAILED_POLLS)
        return {
          kind: "lost",
          executionArn: args.executionArn,
          stack: args.stack,
          why: `${failedPolls} polls in a row failed (last: ${why})`,
        };
      io.log(`poll failed (${why}); trying again`);
    }
    if (d && d.status !== "RUNNING") {
      return { kind: "finished", status: d.status ?? "?", output: d.output, error: d.error, cause: d.cause };
    }
    if (io.now() + POLL_MS > args.deadlineMs)
      return { kind: "timeout", executionArn: args.executionArn, stack: args.stack };
    await io.sleep(POLL_MS);
  }
}
