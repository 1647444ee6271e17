/**
 * The decisions of `npm run redeploy`, as pure functions over the release contract (the state machine's
 * input and output): what input to start and its name, whether an AMI may be a rollback target, and which
 * exit code and closing line an outcome gets. No AWS call and no clock here: scripts/redeploy.ts feeds them
 * what it read. The lines printed while a release runs are scripts/redeploy-progress.ts.
 */
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
  /** --status, --dry-run, --help: done, nothing went wrong. */
  done: 0,
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
