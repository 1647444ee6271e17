/**
 * The decisions of `npm run redeploy`, as pure functions over the release contract
 * (the state machine's input and output, its execution history, the groups' instance refreshes):
 * what input to start, whether an AMI may be a rollback target, which line to print for an event or a
 * refresh's change, and which exit code an outcome gets. No AWS call and no clock here: scripts/redeploy.ts
 * feeds them what it read.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { InstanceRefresh } from "@aws-sdk/client-auto-scaling";

export const RELEASE_GROUPS = ["web", "worker"] as const;
export type ReleaseGroup = (typeof RELEASE_GROUPS)[number];
export const RELEASE_REASONS = ["nightly", "redeploy", "rollback"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];
export const RELEASE_OUTCOMES = ["promoted", "rolled-back", "failed", "skipped"] as const;
export type ReleaseOutcome = (typeof RELEASE_OUTCOMES)[number];

/** The tag the state machine writes on an AMI once it is promoted (`good`) or failed (`bad`). */
export const RELEASE_TAG = "fleet:release";
export const RELEASE_AT_TAG = "fleet:release-at";
/** Image Builder tags every AMI of a stack with it (infra/image/image.ts `amiTags`). */
export const STACK_TAG = "fleet:stack";

/** The state machine's input (RELEASE_CONTRACT). */
export interface ReleaseInput {
  reason: ReleaseReason;
  ami?: string;
  force?: boolean;
  groups?: ReleaseGroup[];
}

/** The state machine's output (RELEASE_CONTRACT); every field optional: it is read from AWS, not trusted. */
export interface ReleaseOutput {
  outcome?: string;
  ami?: string;
  previousAmi?: string;
  detail?: string;
  groups?: Array<{ group?: string; instanceRefreshId?: string; status?: string }>;
}

/**
 * An AMI id: `ami-` and 8 or 17 lowercase hex digits (EC2 resource IDs:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
 */
export const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Groups in the contract's order (web first, then worker), each once; `undefined` = the default, both. */
export function releaseGroups(requested: readonly ReleaseGroup[]): ReleaseGroup[] | undefined {
  if (requested.length === 0) return undefined;
  const wanted = RELEASE_GROUPS.filter((g) => requested.includes(g));
  return wanted.length === RELEASE_GROUPS.length ? undefined : wanted;
}

export function releaseInput(
  reason: ReleaseReason,
  ami: string,
  force: boolean,
  groups: readonly ReleaseGroup[],
): ReleaseInput {
  const only = releaseGroups(groups);
  return { reason, ami, ...(force ? { force: true } : {}), ...(only ? { groups: only } : {}) };
}

/**
 * The execution's name: the reason and the UTC second, e.g. `redeploy-20261203T164638Z`. StartExecution
 * allows 1..80 characters and forbids whitespace, brackets, `:` and other specials; unique per state
 * machine for 90 days (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export function executionName(reason: ReleaseReason, nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `${reason}-${stamp}`;
}

export type RollbackVerdict = { allowed: true; note?: string } | { allowed: false; reason: string };

/**
 * Whether an AMI may be a rollback target: one the release promoted (tagged `fleet:release=good`), or the
 * last good one (Pulumi's first image is the last good one before any release tagged it). Anything else
 * only with --force.
 */
export function rollbackVerdict(args: {
  ami: string;
  tags: Record<string, string> | undefined;
  lastGood: string | undefined;
  force: boolean;
  stack: string;
}): RollbackVerdict {
  const { ami, tags, lastGood, force, stack } = args;
  if (tags === undefined) return { allowed: false, reason: `${ami} does not exist in this region (deregistered?)` };
  const release = tags[RELEASE_TAG];
  if (release === "good" || ami === lastGood) return { allowed: true };
  const what =
    release === undefined
      ? `has no ${RELEASE_TAG} tag: it was never promoted`
      : `is tagged ${RELEASE_TAG}=${release}${release === "bad" ? ": a release failed or rolled back on it" : ""}`;
  if (force) return { allowed: true, note: `${ami} ${what}; going ahead because of --force` };
  return {
    allowed: false,
    reason:
      `${ami} ${what}. Roll back to a promoted image (tagged ${RELEASE_TAG}=good, or --to last-good; ` +
      `\`npm run redeploy -- ${stack} --status\` lists them), or add --force to deploy it anyway`,
  };
}

/** Exit codes, one per way a run ends; docs/redeploy.md lists them. */
export const EXIT = {
  promoted: 0,
  /** Bad arguments, a missing stack output, a refused rollback target, a release already running, an AWS error. */
  error: 1,
  "rolled-back": 2,
  failed: 3,
  /** Still running when --timeout-minutes passed, or no longer readable: the release goes on in AWS. */
  timeout: 4,
  skipped: 5,
} as const;

/** How the wait ended: the execution's final description, or the deadline. */
export type WaitResult =
  | {
      kind: "finished";
      status: string;
      output?: string | undefined;
      error?: string | undefined;
      cause?: string | undefined;
    }
  | { kind: "timeout"; executionArn: string; stack: string }
  /** The script could not read the execution any more (several failed polls in a row). */
  | { kind: "lost"; executionArn: string; stack: string; why: string };

export function parseOutput(text: string | undefined): ReleaseOutput | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as ReleaseOutput)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a release was skipped: the state machine's detail says which case (already the last good image,
 * tagged bad, never promoted, no group selected); without one, the contract's two cases are told apart here.
 */
export function skipReason(output: ReleaseOutput): string {
  const ami = output.ami ?? "the AMI";
  const why =
    output.detail ??
    (output.ami !== undefined && output.ami === output.previousAmi
      ? `${ami} is already the last good image: nothing to do`
      : `${ami} is tagged ${RELEASE_TAG}=bad: not tried again without force`);
  return /bad|never promoted/.test(why) ? `${why}. Add --force to release it anyway` : why;
}

/** The exit code and the closing line for how the wait ended. */
export function verdict(result: WaitResult): { code: number; message: string } {
  if (result.kind === "lost") {
    return {
      code: EXIT.timeout,
      message:
        `stopped following: ${result.why}; the release goes on in AWS: ${result.executionArn}. ` +
        `Follow it with \`npm run redeploy -- ${result.stack} --status\``,
    };
  }
  if (result.kind === "timeout") {
    return {
      code: EXIT.timeout,
      message:
        `timed out waiting; the release goes on in AWS: ${result.executionArn}. ` +
        `Follow it with \`npm run redeploy -- ${result.stack} --status\``,
    };
  }
  if (result.status !== "SUCCEEDED") {
    const why = [result.error, result.cause].filter(Boolean).join(": ");
    return { code: EXIT.failed, message: `release ${result.status}${why ? `: ${why}` : ""}` };
  }
  const output = parseOutput(result.output);
  const detail = output?.detail ? `: ${output.detail}` : "";
  switch (output?.outcome) {
    case "promoted":
      return {
        code: EXIT.promoted,
        message: `promoted ${output.ami ?? "?"} (previous ${output.previousAmi ?? "none"})${detail}`,
      };
    case "rolled-back":
      return {
        code: EXIT["rolled-back"],
        message: `rolled back: ${output.ami ?? "the AMI"} is marked bad, the groups stay on ${output.previousAmi ?? "the last good image"}${detail}`,
      };
    case "failed":
      return {
        code: EXIT.failed,
        message: `failed: ${output.ami ?? "the AMI"} is marked bad, the groups stay on ${output.previousAmi ?? "the last good image"}${detail}`,
      };
    case "skipped":
      return { code: EXIT.skipped, message: `skipped: ${skipReason(output)}` };
    default:
      return {
        code: EXIT.failed,
        message: `the release ended without an outcome the contract knows: ${result.output ?? "(no output)"}`,
      };
  }
}

// ---- progress lines from the execution history ------------------------------------------------------

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

// ---- progress lines from DescribeInstanceRefreshes ----------------------------------------------------

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
  if (rollingBack) waitingAt = undefined;
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
