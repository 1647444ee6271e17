/**
 * Redeploy now, instead of waiting for the night: bake a fresh AMI with the stack's image pipeline, wait
 * until Image Builder has written it to the SSM parameter, then roll the Auto Scaling Group onto it with an
 * instance refresh (new instances resolve `resolve:ssm:/imagebuilder/fleet/<stack>/ami` at launch).
 *
 *   npm run redeploy -- --stack prod [--skip-bake] [--wait] [--dry-run]
 *
 * Needs the Pulumi and AWS CLIs with credentials for the stack's account.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { apiRefreshPreferences } from "../infra/night/refresh";

export class RedeployError extends Error {
  override name = "RedeployError";
}

export interface RedeployOptions {
  stack: string;
  /** Roll onto the AMI the parameter holds now, without baking a new one. */
  skipBake: boolean;
  /** Wait for the instance refresh to finish, not only to start. */
  wait: boolean;
  /** Read the stack, print the commands that would change something, run none of them. */
  dryRun: boolean;
  timeoutMinutes: number;
}

/** Runs a command and resolves with its stdout; the seam that tests replace. */
export type Run = (command: string, args: string[]) => Promise<string>;

export interface Io {
  run: Run;
  log: (line: string) => void;
  sleep: (ms: number) => Promise<unknown>;
  now: () => number;
}

const POLL_MS = 30_000;

/** The group's own refresh settings, in the CLI's spelling: a bare CLI refresh would use AWS's defaults. */
const refreshPreferences = JSON.stringify(apiRefreshPreferences());

export const USAGE =
  "usage: npm run redeploy -- --stack <name> [--skip-bake] [--wait] [--dry-run] [--timeout-minutes N]";

export function parseArgs(argv: string[]): RedeployOptions {
  const options: RedeployOptions = { stack: "", skipBake: false, wait: false, dryRun: false, timeoutMinutes: 120 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new RedeployError(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === "--stack") options.stack = value();
    else if (arg === "--skip-bake") options.skipBake = true;
    else if (arg === "--wait") options.wait = true;
    else if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--timeout-minutes") {
      const raw = value();
      options.timeoutMinutes = Number(raw);
      if (!/^\d+$/.test(raw) || options.timeoutMinutes < 1)
        throw new RedeployError(`--timeout-minutes must be a whole number of minutes ≥ 1, got ${JSON.stringify(raw)}`);
    } else throw new RedeployError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  if (!options.stack)
    throw new RedeployError(`--stack is required (the Pulumi stack to redeploy, e.g. dev or prod)\n${USAGE}`);
  return options;
}

function output(outputs: Record<string, unknown>, name: string, stack: string): string {
  const value = outputs[name];
  if (typeof value !== "string" || value === "") {
    throw new RedeployError(`stack "${stack}" has no output "${name}": run \`pulumi up --stack ${stack}\` first`);
  }
  return value;
}

/** Polls `read` until it returns one of `done`; throws on any of `failed` or when the deadline passes. */
async function waitFor(
  io: Io,
  what: string,
  deadline: number,
  read: () => Promise<string>,
  done: string[],
  failed: string[],
): Promise<void> {
  for (;;) {
    const status = (await read()).trim();
    io.log(`${what}: ${status}`);
    if (done.includes(status)) return;
    if (failed.includes(status)) throw new RedeployError(`${what} ended ${status}`);
    if (io.now() + POLL_MS > deadline)
      throw new RedeployError(`${what} did not finish before the --timeout-minutes deadline (last status ${status})`);
    await io.sleep(POLL_MS);
  }
}

export async function redeploy(options: RedeployOptions, io: Io): Promise<void> {
  const { stack } = options;
  const deadline = io.now() + options.timeoutMinutes * 60_000;
  const outputs = JSON.parse(await io.run("pulumi", ["stack", "output", "--json", "--stack", stack])) as Record<
    string,
    unknown
  >;
  const pipelineArn = output(outputs, "imagePipelineArn", stack);
  const asgName = output(outputs, "asgName", stack);
  const region = (await io.run("pulumi", ["config", "get", "aws:region", "--stack", stack])).trim();
  const aws = (args: string[]) => {
    const full = [...args, "--region", region, "--output", "text"];
    if (options.dryRun) {
      io.log(`would run: aws ${full.join(" ")}`);
      return Promise.resolve("");
    }
    return io.run("aws", full);
  };

  if (!options.skipBake) {
    io.log(`baking a new image with ${pipelineArn}`);
    const build = (
      await aws([
        "imagebuilder",
        "start-image-pipeline-execution",
        "--image-pipeline-arn",
        pipelineArn,
        "--query",
        "imageBuildVersionArn",
      ])
    ).trim();
    if (!options.dryRun) {
      await waitFor(
        io,
        `image ${build}`,
        deadline,
        () => aws(["imagebuilder", "get-image", "--image-build-version-arn", build, "--query", "image.state.status"]),
        ["AVAILABLE"],
        ["FAILED", "CANCELLED", "DEPRECATED", "DELETED"],
      );
    }
  }

  io.log(`rolling ${asgName} onto the AMI in the stack's SSM parameter`);
  const refresh = (
    await aws([
      "autoscaling",
      "start-instance-refresh",
      "--auto-scaling-group-name",
      asgName,
      "--preferences",
      refreshPreferences,
      "--query",
      "InstanceRefreshId",
    ])
  ).trim();
  if (options.dryRun) return;
  io.log(`instance refresh ${refresh} started`);
  if (!options.wait) {
    io.log(
      `watch it: aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${asgName} --instance-refresh-ids ${refresh} --region ${region}`,
    );
    return;
  }
  await waitFor(
    io,
    `instance refresh ${refresh}`,
    deadline,
    () =>
      aws([
        "autoscaling",
        "describe-instance-refreshes",
        "--auto-scaling-group-name",
        asgName,
        "--instance-refresh-ids",
        refresh,
        "--query",
        "InstanceRefreshes[0].Status",
      ]),
    ["Successful"],
    ["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"],
  );
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
  (async () => {
    try {
      await redeploy(parseArgs(process.argv.slice(2)), {
        run: runCommand,
        log: (line) => console.log(line),
        sleep,
        now: Date.now,
      });
    } catch (err) {
      if (!(err instanceof RedeployError)) throw err;
      console.error(`redeploy: ${err.message}`);
      process.exitCode = 1;
    }
  })();
}
