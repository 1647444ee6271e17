/**
 * Run the stack's release now, roll back to a promoted image, or show what runs where. The release is the
 * state machine of the release contract (stack output `releaseStateMachineArn`): a canary, a bake under the
 * alarms, an instance refresh with AutoRollback, web then worker; this script starts it, follows it and
 * exits with its outcome. docs/redeploy.md has the commands, what they print and the exit codes.
 *
 *   npm run redeploy -- <stack> [--ami ami-...] [--force] [--group web|worker] [--dry-run] [--timeout-minutes N]
 *   npm run redeploy -- <stack> --to last-good|ami-... [--force] [--group web|worker] [--dry-run]
 *   npm run redeploy -- <stack> --status
 *
 * Needs the Pulumi CLI (stack outputs and region) and AWS credentials for the stack's account.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { integerFlag, parseOrExit, UsageError, tokenize } from "./cli";
import type { ReleaseAws } from "./redeploy-aws";
import { follow } from "./redeploy-follow";
import {
  AMI_ID,
  EXIT,
  executionName,
  RELEASE_GROUPS,
  releaseInput,
  rollbackVerdict,
  verdict,
  type ReleaseGroup,
  type ReleaseReason,
} from "./redeploy-release";
import { formatStatus, gatherStatus } from "./redeploy-status";

export const USAGE = `usage: npm run redeploy -- <stack> [options]
  (no option)              release the candidate AMI now (Image Builder's newest) and wait for the outcome
  --ami ami-...            release this AMI instead of the candidate
  --to last-good|ami-...   roll back to a promoted image (reason "rollback")
  --force                  allow an AMI tagged bad or never promoted
  --group web|worker       only this group (default: both, web first); may be given twice
  --status                 show each group's AMI, the last good, the candidate, bad images, the last release
  --dry-run                print the execution input that would be started; start nothing
  --timeout-minutes N      stop waiting after N minutes, 1..1440 (default 180); the release goes on in AWS
  --stack <stack>          the same as the positional <stack>
  -h, --help               this text`;

export type RedeployCommand =
  | { command: "help" }
  | { command: "status"; stack: string }
  | {
      command: "release";
      stack: string;
      reason: ReleaseReason;
      /** undefined: the candidate; "last-good": the last good AMI (rollback only). */
      ami: string | undefined;
      force: boolean;
      groups: ReleaseGroup[];
      dryRun: boolean;
      timeoutMinutes: number;
    };

export const DEFAULT_TIMEOUT_MINUTES = 180;
/** A stack name, or its fully qualified `org/project/stack` form (as scripts/capacity.ts accepts). */
const STACK = /^[\w.\-/]+$/;

/** Old flags of the bake-then-refresh script, answered with what replaces them. */
const RETIRED: Record<string, string> = {
  "--wait": "--wait is gone: redeploy always waits for the outcome (--timeout-minutes bounds it)",
  "--skip-bake":
    "--skip-bake is gone: redeploy releases the candidate Image Builder already made (bake one with `aws imagebuilder start-image-pipeline-execution`)",
};

export function parseRedeployArgs(argv: string[]): RedeployCommand {
  for (const arg of argv) if (RETIRED[arg]) throw new UsageError(RETIRED[arg]);
  const parsed = tokenize(argv, {
    stack: { type: "string" },
    ami: { type: "string" },
    to: { type: "string" },
    force: { type: "boolean" },
    group: { type: "string", multiple: true },
    status: { type: "boolean" },
    "dry-run": { type: "boolean" },
    "timeout-minutes": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values: v, positionals } = parsed;
  if (v.help) return { command: "help" };
  if (positionals.length > 1)
    throw new UsageError(
      `give one stack, e.g. npm run redeploy -- prod; got ${positionals.map((p) => `"${p}"`).join(" ")}`,
    );
  if (positionals[0] !== undefined && v.stack !== undefined && positionals[0] !== v.stack)
    throw new UsageError(`the stack is given twice ("${positionals[0]}" and --stack "${v.stack}"): give it once`);
  const stack = positionals[0] ?? v.stack;
  if (stack === undefined) throw new UsageError("give the stack, e.g. npm run redeploy -- prod");
  if (!STACK.test(stack)) throw new UsageError(`"${stack}" is not a Pulumi stack name, e.g. npm run redeploy -- prod`);

  if (v.status) {
    const others = ["ami", "to", "force", "group", "dry-run", "timeout-minutes"].filter((f) => f in v);
    if (others.length) throw new UsageError(`--status only reads; drop --${others.join(", --")}`);
    return { command: "status", stack };
  }
  if (v.ami !== undefined && v.to !== undefined)
    throw new UsageError("give --ami (release this AMI) or --to (roll back to it), not both");
  const amiFlag = v.to !== undefined ? "to" : "ami";
  const ami = v.to ?? v.ami;
  if (ami !== undefined && !AMI_ID.test(ami) && !(amiFlag === "to" && ami === "last-good")) {
    const expected = amiFlag === "to" ? '"last-good" or an AMI id' : "an AMI id";
    throw new UsageError(`--${amiFlag} must be ${expected} such as ami-0123456789abcdef0; got "${ami}"`);
  }
  const groups = (v.group ?? []).map((g) => {
    if (!(RELEASE_GROUPS as readonly string[]).includes(g))
      throw new UsageError(`--group must be one of ${RELEASE_GROUPS.join(", ")}, e.g. --group worker; got "${g}"`);
    return g as ReleaseGroup;
  });
  return {
    command: "release",
    stack,
    reason: v.to !== undefined ? "rollback" : "redeploy",
    ami,
    force: v.force ?? false,
    groups,
    dryRun: v["dry-run"] ?? false,
    timeoutMinutes: integerFlag("timeout-minutes", v["timeout-minutes"], DEFAULT_TIMEOUT_MINUTES, 1, 1440),
  };
}

/** Anything that stops a run before or around the release: a missing output, a refused AMI, an AWS error. */
export class RedeployError extends Error {
  override name = "RedeployError";
}

/** Runs a command and resolves with its stdout: the Pulumi seam that tests replace. */
export type Run = (command: string, args: string[]) => Promise<string>;

export interface Io {
  run: Run;
  /** The AWS calls, in the stack's region. */
  aws: (region: string) => ReleaseAws;
  log: (line: string) => void;
  sleep: (ms: number) => Promise<unknown>;
  now: () => number;
}

/** The stack outputs and config this script reads (infra/index.ts exports them). */
export interface Stack {
  name: string;
  region: string;
  outputs: Record<string, unknown>;
}

export async function readStack(stack: string, run: Run): Promise<Stack> {
  const text = await run("pulumi", ["stack", "output", "--json", "--stack", stack]);
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch {
    throw new RedeployError(
      `\`pulumi stack output --json --stack ${stack}\` did not print JSON: ${text.slice(0, 200)}`,
    );
  }
  const region = (await run("pulumi", ["config", "get", "aws:region", "--stack", stack])).trim();
  if (!region)
    throw new RedeployError(
      `stack "${stack}" has no aws:region: \`pulumi config set aws:region <region> --stack ${stack}\``,
    );
  return { name: stack, region, outputs: outputs as Record<string, unknown> };
}

export function output(stack: Stack, name: string): string {
  const value = stack.outputs[name];
  if (typeof value !== "string" || value === "")
    throw new RedeployError(
      `stack "${stack.name}" has no output "${name}": run \`pulumi up --stack ${stack.name}\` first`,
    );
  return value;
}

/** Output names of each group's Auto Scaling group. */
export const GROUP_OUTPUTS: Record<ReleaseGroup, string> = { web: "asgName", worker: "workerAsgName" };

/** A group's Auto Scaling group name: its stack output (infra/index.ts exports both). */
export function groupName(stack: Stack, group: ReleaseGroup): string {
  return output(stack, GROUP_OUTPUTS[group]);
}

/**
 * The AMI to release: the last good one, the one given, or the candidate. A given AMI must exist, and a
 * rollback target must be promoted (or forced): refused here, before anything starts.
 */
async function chooseAmi(
  cmd: Extract<RedeployCommand, { command: "release" }>,
  aws: ReleaseAws,
  records: { lastGoodParameter: string; candidateParameter: string; stack: string },
  io: Io,
): Promise<string> {
  const { lastGoodParameter, candidateParameter } = records;
  const lastGood = await aws.parameter(lastGoodParameter);
  if (cmd.ami === undefined) {
    const candidate = await aws.parameter(candidateParameter);
    if (!candidate)
      throw new RedeployError(`no candidate image: ${candidateParameter} does not exist (has the image pipeline run?)`);
    io.log(`candidate image: ${candidate} (${candidateParameter})`);
    return candidate;
  }
  let ami = cmd.ami;
  if (ami === "last-good") {
    if (!lastGood) throw new RedeployError(`no last good image: the parameter ${lastGoodParameter} does not exist`);
    ami = lastGood;
    io.log(`last good image: ${ami} (${lastGoodParameter})`);
  }
  const image = await aws.image(ami);
  const tags = image ? Object.fromEntries((image.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])) : undefined;
  if (cmd.reason === "rollback") {
    const v = rollbackVerdict({ ami, tags, lastGood, force: cmd.force, stack: records.stack });
    if (!v.allowed) throw new RedeployError(`refusing to roll back: ${v.reason}`);
    if (v.note) io.log(v.note);
  } else if (!tags) throw new RedeployError(`--ami ${ami} does not exist in this region (deregistered?)`);
  return ami;
}

async function showStatus(
  stack: Stack,
  aws: ReleaseAws,
  records: { stateMachineArn: string; lastGoodParameter: string; candidateParameter: string },
  io: Io,
): Promise<void> {
  // One group's missing output is a line of the status, not the end of it.
  const named = (g: ReleaseGroup) => {
    try {
      return groupName(stack, g);
    } catch (err) {
      return { missing: (err as Error).message };
    }
  };
  const report = await gatherStatus(aws, {
    stack: stack.name,
    region: stack.region,
    ...records,
    groupNames: { web: named("web"), worker: named("worker") },
  });
  for (const line of formatStatus(report)) io.log(line);
}

/** Exit code of the run; every line it prints goes through io.log. */
export async function redeploy(cmd: Exclude<RedeployCommand, { command: "help" }>, io: Io): Promise<number> {
  const stack = await readStack(cmd.stack, io.run);
  const aws = io.aws(stack.region);
  const stateMachineArn = output(stack, "releaseStateMachineArn");
  const lastGoodParameter = output(stack, "lastGoodAmiParameter");
  const candidateParameter = output(stack, "amiParameterName");
  if (cmd.command === "status") {
    await showStatus(stack, aws, { stateMachineArn, lastGoodParameter, candidateParameter }, io);
    return EXIT.done;
  }
  const groups = cmd.groups.length ? RELEASE_GROUPS.filter((g) => cmd.groups.includes(g)) : [...RELEASE_GROUPS];
  const groupNames = Object.fromEntries(groups.map((g) => [g, groupName(stack, g)]));
  const ami = await chooseAmi(cmd, aws, { lastGoodParameter, candidateParameter, stack: stack.name }, io);
  const input = releaseInput(cmd.reason, ami, cmd.force, cmd.groups);
  const name = executionName(cmd.reason, io.now());
  // One release at a time: a second one would start a refresh on a group that already has one.
  const running = await aws.executions(stateMachineArn, 10, true);
  if (cmd.dryRun) {
    io.log(`would start ${stateMachineArn}`);
    io.log(`  name:  ${name}`);
    io.log(`  input: ${JSON.stringify(input)}`);
    for (const r of running)
      io.log(`note: a release is running now, and starting another is refused until it ends: ${r.executionArn}`);
    return EXIT.done;
  }
  if (running.length > 0) {
    throw new RedeployError(
      `a release is already running: ${running[0]!.executionArn} (started ${running[0]!.startDate?.toISOString() ?? "?"}); ` +
        `wait for it to end (\`npm run redeploy -- ${stack.name} --status\` shows it)`,
    );
  }
  const started = await aws.startExecution(stateMachineArn, name, JSON.stringify(input));
  io.log(`started ${name}: ${cmd.reason} of ${ami} on ${groups.join(" then ")}`);
  io.log(`  ${started.executionArn}`);
  const result = await follow(aws, io, {
    executionArn: started.executionArn,
    startDate: started.startDate,
    groupNames,
    stack: stack.name,
    deadlineMs: io.now() + cmd.timeoutMinutes * 60_000,
  });
  const { code, message } = verdict(result);
  io.log(message);
  return code;
}

const runCommand: Run = (command, args) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        new RedeployError(
          missing
            ? `\`${command}\` is not installed or not on PATH`
            : `\`${command} ${args.join(" ")}\` failed: ${stderr.trim() || err.message}`,
        ),
      );
    }),
  );

if (require.main === module) {
  const cmd = parseOrExit("redeploy", USAGE, parseRedeployArgs);
  if (cmd.command === "help") console.log(USAGE);
  else
    redeploy(cmd, {
      run: runCommand,
      // Loaded on first use: the four SDK clients take seconds to load, --help and bad flags need none.
      aws: (region) => {
        const { sdkClients, sdkReleaseAws } = require("./redeploy-aws") as typeof import("./redeploy-aws");
        return sdkReleaseAws(sdkClients(region));
      },
      log: (line) => console.log(line),
      sleep,
      now: Date.now,
    }).then(
      (code) => (process.exitCode = code),
      (err: Error) => {
        // AWS errors (AccessDenied, ExecutionAlreadyExists, ...) are named by the SDK: print them the same way.
        console.error(`redeploy: ${err instanceof RedeployError ? "" : `${err.name}: `}${err.message}`);
        process.exitCode = EXIT.error;
      },
    );
}
