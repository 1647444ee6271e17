/**
 * The lines `npm run redeploy` prints while a release runs, as pure functions: one for each history event
 * of the execution worth a line (the Task and Wait states entered, what the tasks that change something did),
 * and the lines for each change of a group's instance refresh between two polls (percent complete,
 * checkpoints and the canary, the bake, a rollback). scripts/redeploy-follow.ts feeds them what it reads.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { InstanceRefresh } from "@aws-sdk/client-auto-scaling";
import { parseOutput, RELEASE_GROUPS, RELEASE_TAG, type ReleaseGroup } from "./redeploy-release";

export type GroupNames = Partial<Record<ReleaseGroup, string>>;

/** What following the history remembers: the group being worked on, and the steps already printed. */
export interface HistoryState {
  group?: ReleaseGroup;
  printed: ReadonlySet<string>;
}

export const INITIAL_HISTORY: HistoryState = { printed: new Set() };

/**
 * The group a state belongs to, from its name: the release names a group's states `Web: ...` and
 * `Worker: ...` (infra/night/releaseDefinition.ts); returns the name without that prefix too.
 */
export function stateGroup(name: string): { group: ReleaseGroup | undefined; step: string } {
  const m = /^(Web|Worker): (.*)$/s.exec(name);
  return m ? { group: m[1]!.toLowerCase() as ReleaseGroup, step: m[2]! } : { group: undefined, step: name };
}

/** The group whose Auto Scaling group a task's parameters name. */
export function groupIn(parameters: string | undefined, names: GroupNames): ReleaseGroup | undefined {
  if (!parameters) return undefined;
  return RELEASE_GROUPS.find((g) => names[g] !== undefined && parameters.includes(JSON.stringify(names[g])));
}

/** State types worth a line: the ones that act (Task) or wait (Wait); Pass and Choice are bookkeeping. */
const PRINTED_STATE_EVENTS: ReadonlySet<string> = new Set(["TaskStateEntered", "WaitStateEntered"]);

/** `aws-sdk:autoscaling` + `startInstanceRefresh` → `autoscaling:startInstanceRefresh`. */
function action(resourceType: string | undefined, resource: string | undefined): string {
  return `${(resourceType ?? "").replace(/^aws-sdk:/, "")}:${resource ?? ""}`;
}

function json(text: string | undefined): Record<string, any> | undefined {
  const parsed = parseOutput(text);
  return parsed as Record<string, any> | undefined;
}

/**
 * One history event → at most one line, and the state after it. A state is printed the first time it is
 * entered for a group (a polling loop enters the same states every few seconds); the tasks that change
 * something (template version, refresh, tags, last good, notification) print what they did.
 */
export function historyLine(
  state: HistoryState,
  event: HistoryEvent,
  names: GroupNames,
): [HistoryState, string | undefined] {
  const entered = event.stateEnteredEventDetails;
  if (entered?.name !== undefined) {
    const { group, step } = stateGroup(entered.name);
    const next: HistoryState = { printed: state.printed, ...(group ? { group } : {}) };
    const key = `${group ?? ""}/${step}`;
    if (!PRINTED_STATE_EVENTS.has(event.type ?? "") || state.printed.has(key)) return [next, undefined];
    return [{ ...next, printed: new Set([...state.printed, key]) }, `${prefix(group)}${step}`];
  }
  const scheduled = event.taskScheduledEventDetails;
  if (scheduled) {
    const params = json(scheduled.parameters);
    // A task naming a group's Auto Scaling group is that group's, whatever its state is called.
    const group = groupIn(scheduled.parameters, names);
    if (group) state = { ...state, group };
    switch (action(scheduled.resourceType, scheduled.resource)) {
      case "ec2:createTags": {
        const tags = (params?.["Tags"] ?? []) as Array<{ Key?: string; Value?: string }>;
        const release = tags.find((t) => t.Key === RELEASE_TAG)?.Value;
        const resources = ((params?.["Resources"] ?? []) as string[]).join(", ");
        return [state, release ? `tagging ${resources} ${RELEASE_TAG}=${release}` : undefined];
      }
      case "ssm:putParameter":
        return [state, `recording the last good image: ${params?.["Value"] ?? "?"} in ${params?.["Name"] ?? "?"}`];
      case "sns:publish":
        return [state, `notifying the alarm topic: ${params?.["Subject"] ?? params?.["Message"] ?? ""}`.trim()];
      default:
        return [state, undefined];
    }
  }
  const succeeded = event.taskSucceededEventDetails;
  if (succeeded) {
    const out = json(succeeded.output);
    switch (action(succeeded.resourceType, succeeded.resource)) {
      case "ec2:createLaunchTemplateVersion": {
        const v = out?.["LaunchTemplateVersion"];
        return [
          state,
          `${prefix(state.group)}launch template ${v?.LaunchTemplateId ?? "?"} version ${v?.VersionNumber ?? "?"} ` +
            `with ${v?.LaunchTemplateData?.ImageId ?? "?"}`,
        ];
      }
      case "autoscaling:startInstanceRefresh":
        return [state, `${prefix(state.group)}instance refresh ${out?.["InstanceRefreshId"] ?? "?"} started`];
      case "autoscaling:rollbackInstanceRefresh":
        return [state, `${prefix(state.group)}the release asked AWS to roll the refresh back`];
      default:
        return [state, undefined];
    }
  }
  const failed = event.taskFailedEventDetails;
  if (failed) {
    const why = [failed.error, failed.cause].filter(Boolean).join(": ");
    return [
      state,
      `${prefix(state.group)}${action(failed.resourceType, failed.resource)} failed${why ? `: ${why}` : ""}`,
    ];
  }
  return [state, undefined];
}

function prefix(group: ReleaseGroup | undefined): string {
  return group ? `[${group}] ` : "";
}

/** A refresh as last seen, and the checkpoint it was waiting at, if any. */
export interface RefreshSeen {
  refresh: InstanceRefresh;
  waitingAt?: number;
}

/**
 * The lines for one refresh's change between two polls (`seen` undefined: first seen), and what to remember.
 * Checkpoints are the refresh's own CheckpointPercentages below 100; the first is the canary (one instance's
 * share), and the refresh waits CheckpointDelay at each under the alarms. `Baking` is the BakeTime after the
 * last instance. (Statuses: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html;
 * checkpoints: https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html)
 */
export function refreshLines(
  group: ReleaseGroup,
  seen: RefreshSeen | undefined,
  current: InstanceRefresh,
): { seen: RefreshSeen; lines: string[] } {
  const p = `[${group}] `;
  const previous = seen?.refresh;
  const pct = current.PercentageComplete ?? 0;
  const before = previous?.PercentageComplete ?? 0;
  const prefs = current.Preferences;
  const checkpoints = (prefs?.CheckpointPercentages ?? []).filter((c) => c < 100);
  const lines: string[] = [];
  let waitingAt = seen?.waitingAt;
  // In a rollback the percentages describe going back, not forward: the status lines say it all.
  const rollingBack = /^Rollback/.test(current.Status ?? "") || /^Rollback/.test(previous?.Status ?? "");
  if (!previous) {
    lines.push(`${p}instance refresh ${current.InstanceRefreshId ?? "?"}: ${current.Status ?? "?"}, ${pct}% complete`);
    if (checkpoints.length > 0 && pct < checkpoints[0]!)
      lines.push(`${p}canary: launching the first instance(s) on the new image (checkpoint at ${checkpoints[0]}%)`);
  } else if (pct !== before && !rollingBack) {
    if (waitingAt !== undefined && pct > before) {
      lines.push(`${p}checkpoint ${waitingAt}% bake ended: replacing the rest`);
      waitingAt = undefined;
    }
    lines.push(`${p}${pct}% complete, ${current.InstancesToUpdate ?? "?"} instance(s) to update`);
  }
  // Several checkpoints crossed between two polls: AWS, too, only stops at the highest.
  // First seen already at 100 %: its checkpoints are behind it, not news.
  const reached =
    rollingBack || (!previous && pct >= 100)
      ? undefined
      : checkpoints.filter((c) => (previous ? before : 0) < c && c <= pct).at(-1);
  if (reached !== undefined) {
    const delayS = prefs?.CheckpointDelay;
    const bake = delayS !== undefined ? `, baking ${delayS} s under the alarms` : "";
    lines.push(`${p}${reached === checkpoints[0] ? "canary " : ""}checkpoint ${reached}% reached${bake}`);
    waitingAt = reached;
  }
  if (previous && previous.Status !== current.Status) lines.push(statusLine(p, current, prefs?.BakeTime));
  else if (current.StatusReason && current.StatusReason !== previous?.StatusReason)
    lines.push(`${p}AWS: ${current.StatusReason}`);
  return { seen: { refresh: current, ...(waitingAt !== undefined ? { waitingAt } : {}) }, lines };
}

function statusLine(p: string, r: InstanceRefresh, bakeTimeS: number | undefined): string {
  const reason = r.StatusReason ? `: ${r.StatusReason}` : "";
  switch (r.Status) {
    case "Baking":
      return `${p}every instance replaced; bake started${bakeTimeS !== undefined ? ` (${bakeTimeS} s)` : ""} under the alarms`;
    case "Successful":
      return `${p}bake ended: instance refresh Successful`;
    case "RollbackInProgress":
      return `${p}ROLLBACK started${reason}${r.RollbackDetails?.RollbackReason ? ` (${r.RollbackDetails.RollbackReason})` : ""}`;
    case "RollbackSuccessful":
      return `${p}rolled back to the previous configuration${reason}`;
    default:
      return `${p}instance refresh ${r.Status}${reason}`;
  }
}
