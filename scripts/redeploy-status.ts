/**
 * `npm run redeploy -- <stack> --status`: what runs where, read from AWS and printed, nothing changed.
 * Each group's current AMI (its launch template version's ImageId), the last good AMI (SSM), the candidate
 * (Image Builder's SSM parameter), the stack's images tagged bad, and the last release with its outcome.
 */
import type { ReleaseAws } from "./redeploy-aws";
import {
  parseOutput,
  RELEASE_AT_TAG,
  RELEASE_GROUPS,
  RELEASE_TAG,
  STACK_TAG,
  type ReleaseGroup,
} from "./redeploy-release";

export interface StatusInputs {
  stack: string;
  region: string;
  stateMachineArn: string;
  lastGoodParameter: string;
  candidateParameter: string;
  /** A group's name, or the problem that keeps it unknown (e.g. a missing stack output). */
  groupNames: Record<ReleaseGroup, string | { missing: string }>;
}

export interface GroupStatus {
  group: ReleaseGroup;
  name: string | { missing: string };
  templateId?: string;
  /** The version as the group names it, and the number it resolves to. */
  version?: string;
  versionNumber?: number;
  imageId?: string;
}

export interface StatusReport {
  inputs: StatusInputs;
  groups: GroupStatus[];
  lastGood: string | undefined;
  candidate: string | undefined;
  bad: Array<{ imageId: string; at?: string; name?: string }>;
  lastRelease?: {
    name: string;
    status: string;
    startDate?: Date;
    stopDate?: Date;
    input?: string;
    output?: string;
    error?: string;
    cause?: string;
  };
}

/** How many bad images the status lists (newest first); the rest are counted. */
export const BAD_SHOWN = 10;

export async function gatherStatus(aws: ReleaseAws, inputs: StatusInputs): Promise<StatusReport> {
  const groups = await Promise.all(
    RELEASE_GROUPS.map(async (group): Promise<GroupStatus> => {
      const name = inputs.groupNames[group];
      if (typeof name !== "string") return { group, name };
      const template = await aws.groupTemplate(name);
      if (!template) return { group, name };
      const image = await aws.templateImage(template.templateId, template.version);
      return {
        group,
        name,
        templateId: template.templateId,
        version: template.version,
        ...(image.version !== undefined ? { versionNumber: image.version } : {}),
        ...(image.imageId !== undefined ? { imageId: image.imageId } : {}),
      };
    }),
  );
  const [lastGood, candidate, badImages, executions] = await Promise.all([
    aws.parameter(inputs.lastGoodParameter),
    aws.parameter(inputs.candidateParameter),
    aws.imagesTagged({ [RELEASE_TAG]: "bad", [STACK_TAG]: inputs.stack }),
    aws.executions(inputs.stateMachineArn, 1),
  ]);
  const bad = badImages
    .filter((i) => i.ImageId)
    .map((i) => {
      const at = i.Tags?.find((t) => t.Key === RELEASE_AT_TAG)?.Value;
      return { imageId: i.ImageId!, ...(at ? { at } : {}), ...(i.Name ? { name: i.Name } : {}) };
    })
    .sort((a, b) => (b.at ?? "").localeCompare(a.at ?? ""));
  const report: StatusReport = { inputs, groups, lastGood, candidate, bad };
  const last = executions[0];
  if (last?.executionArn) {
    const d = await aws.describeExecution(last.executionArn);
    report.lastRelease = {
      name: d.name ?? last.name ?? last.executionArn,
      status: d.status ?? last.status ?? "?",
      ...(d.startDate ? { startDate: d.startDate } : {}),
      ...(d.stopDate ? { stopDate: d.stopDate } : {}),
      ...(d.input !== undefined ? { input: d.input } : {}),
      ...(d.output !== undefined ? { output: d.output } : {}),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
    };
  }
  return report;
}

/** What an AMI is relative to the release records, for the status lines. */
function role(imageId: string | undefined, report: StatusReport): string {
  if (imageId === undefined) return "";
  const marks: string[] = [];
  if (imageId === report.lastGood) marks.push("last good");
  if (imageId === report.candidate) marks.push("candidate");
  if (report.bad.some((b) => b.imageId === imageId)) marks.push("BAD");
  if (imageId.startsWith("resolve:ssm:")) marks.push("resolved at launch: not a concrete AMI");
  return marks.length ? ` (${marks.join(", ")})` : "";
}

export function formatStatus(report: StatusReport): string[] {
  const { inputs } = report;
  const lines = [`stack ${inputs.stack} (${inputs.region})`, "groups:"];
  for (const g of report.groups) {
    if (typeof g.name !== "string") {
      lines.push(`  ${g.group.padEnd(6)} ${g.name.missing}`);
      continue;
    }
    const where = g.templateId
      ? `launch template ${g.templateId} version ${g.version}${g.versionNumber !== undefined && String(g.versionNumber) !== g.version ? ` (${g.versionNumber})` : ""}`
      : "no launch template found";
    lines.push(`  ${g.group.padEnd(6)} ${g.name}: ${g.imageId ?? "?"}${role(g.imageId, report)}, ${where}`);
  }
  lines.push(`last good: ${report.lastGood ?? "(none)"}  [${inputs.lastGoodParameter}]`);
  const candidateNote =
    report.candidate === undefined
      ? ""
      : report.candidate === report.lastGood
        ? " (already the last good)"
        : report.bad.some((b) => b.imageId === report.candidate)
          ? " (tagged bad: the next release skips it)"
          : " (not released yet)";
  lines.push(`candidate: ${report.candidate ?? "(none)"}${candidateNote}  [${inputs.candidateParameter}]`);
  if (report.bad.length === 0) lines.push(`bad images: none`);
  else {
    lines.push(`bad images (${RELEASE_TAG}=bad), newest first:`);
    for (const b of report.bad.slice(0, BAD_SHOWN))
      lines.push(`  ${b.imageId}${b.at ? `  since ${b.at}` : ""}${b.name ? `  ${b.name}` : ""}`);
    if (report.bad.length > BAD_SHOWN) lines.push(`  ... and ${report.bad.length - BAD_SHOWN} more`);
  }
  lines.push(...formatLastRelease(report.lastRelease));
  return lines;
}

function formatLastRelease(r: StatusReport["lastRelease"]): string[] {
  if (!r) return ["last release: none yet"];
  const input = parseOutput(r.input) as { reason?: string; ami?: string; force?: boolean } | undefined;
  const when = `${r.startDate?.toISOString() ?? "?"} → ${r.stopDate?.toISOString() ?? "still running"}`;
  const asked = input
    ? ` (${input.reason ?? "?"} of ${input.ami ?? "the candidate"}${input.force ? ", forced" : ""})`
    : "";
  const lines = [`last release: ${r.name}${asked}, ${r.status}, ${when}`];
  const out = parseOutput(r.output);
  if (out?.outcome) {
    lines.push(
      `  outcome: ${out.outcome} ${out.ami ?? "?"} (previous ${out.previousAmi ?? "none"})${out.detail ? `: ${out.detail}` : ""}`,
    );
    for (const g of out.groups ?? [])
      lines.push(`  ${g.group ?? "?"}: refresh ${g.instanceRefreshId ?? "-"} ${g.status ?? ""}`.trimEnd());
  } else if (r.error || r.cause) lines.push(`  ${[r.error, r.cause].filter(Boolean).join(": ")}`);
  return lines;
}
