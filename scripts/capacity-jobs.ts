/**
 * npm run capacity -- --jobs-per-minute N --job-seconds S --max-wait-seconds W [--jobs-per-instance N]
 *                     [--target-utilisation P] [--spot-interruption-percent P] [--stack dev]
 *
 * The jobs mode of `npm run capacity`: sizes the worker fleet from the job arrival rate and the job time
 * (scripts/capacity-math.ts planJobCapacity) and prints the arithmetic and the stack config lines.
 * scripts/capacity.ts hands argv here when a jobs flag is present.
 */
import { parseArgs } from "node:util";
import { jobsPulumiConfigLines, planJobCapacity, type JobCapacityInput } from "./capacity-math";
import { UsageError } from "./cli";

export const JOBS_USAGE = `       npm run capacity -- --jobs-per-minute N --job-seconds S --max-wait-seconds W [options]
  --jobs-per-minute N   jobs arriving per minute at the peak (jobs mode)
  --job-seconds S       average seconds one job keeps one worker slot busy
  --max-wait-seconds W  the longest a job should wait in the queue before it starts
  --jobs-per-instance N jobs one worker instance runs at once, WORKER_CONCURRENCY (default: --instance-vcpus)
  --instance-vcpus N    vCPUs of the worker instance type (default 2)
  --target-utilisation P  share of worker slots busy at the peak, percent 1..100 (default 70)
  --spot-interruption-percent P  Spot instances interrupted per month, percent 0..100 (the Spot Instance
                        Advisor's frequency of interruption): adds the work redone and the slots missing
                        until a replacement runs
  --stack NAME          Pulumi stack for the config lines (default dev)`;

/** The flags that select jobs mode. */
export const JOBS_MODE_FLAGS = ["--jobs-per-minute", "--job-seconds", "--max-wait-seconds"] as const;

export interface JobsCapacityArgs extends JobCapacityInput {
  stack: string;
}

export function isJobsMode(argv: string[]): boolean {
  return argv.some((arg) => JOBS_MODE_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
}

export function parseJobsCapacityArgs(argv: string[]): JobsCapacityArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "jobs-per-minute": { type: "string" },
        "job-seconds": { type: "string" },
        "max-wait-seconds": { type: "string" },
        "jobs-per-instance": { type: "string" },
        "instance-vcpus": { type: "string" },
        "target-utilisation": { type: "string" },
        "spot-interruption-percent": { type: "string" },
        stack: { type: "string" },
      },
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    const message = (err as Error).message;
    // The request-mode flags are the likeliest mix-up: say which mode they belong to.
    throw new UsageError(
      /--(peak-rps|per-instance-rps|measure|target-cpu|azs|instance-type|path|seconds)\b/.test(message)
        ? `${message}: request-mode flags (--peak-rps ...) do not mix with jobs mode (--jobs-per-minute ...)`
        : message,
    );
  }
  const num = (name: string, example: string, { integer = false, min = 0, max = Infinity } = {}) => {
    const text = values[name];
    if (text === undefined) return undefined;
    const ok = integer ? /^\d+$/.test(text) : /^\d+(\.\d+)?$/.test(text);
    const n = Number(text);
    if (!ok || !(n > min) || n > max) {
      const kind = integer ? "an integer" : "a number";
      const range = max === Infinity ? `${kind} > ${min}` : `${kind} > ${min} and ≤ ${max}`;
      throw new UsageError(`--${name} must be ${range}, e.g. --${name} ${example}; got "${text}"`);
    }
    return n;
  };
  const required = (name: string, example: string, what: string) => {
    const n = num(name, example);
    if (n === undefined) throw new UsageError(`--${name} is required in jobs mode: ${what}, e.g. --${name} ${example}`);
    return n;
  };
  const jobsPerMinute = required("jobs-per-minute", "120", "jobs arriving per minute at the peak");
  const jobSeconds = required("job-seconds", "30", "the average seconds a job runs");
  const maxWaitSeconds = required("max-wait-seconds", "60", "the longest a job may wait to start");
  const instanceVcpus = num("instance-vcpus", "2", { integer: true, max: 448 }) ?? 2;
  const jobsPerInstance = num("jobs-per-instance", "2", { integer: true, max: 1024 }) ?? instanceVcpus;
  const targetUtilisationPercent = num("target-utilisation", "70", { max: 100 }) ?? 70;
  // 0 is a valid rate (num's ranges start above their min).
  const spotText = values["spot-interruption-percent"];
  const spotInterruptionPercent = spotText === undefined ? undefined : Number(spotText);
  if (spotText !== undefined && !(/^\d+(\.\d+)?$/.test(spotText) && spotInterruptionPercent! <= 100)) {
    throw new UsageError(
      `--spot-interruption-percent must be a number from 0 to 100 (percent of Spot instances interrupted a month), ` +
        `e.g. --spot-interruption-percent 10; got "${spotText}"`,
    );
  }
  const stack = values.stack ?? "dev";
  if (!/^[\w.\-/]+$/.test(stack)) {
    throw new UsageError(`--stack must be a Pulumi stack name, e.g. --stack prod; got "${stack}"`);
  }
  return {
    jobsPerMinute,
    jobSeconds,
    maxWaitSeconds,
    jobsPerInstance,
    targetUtilisationPercent,
    ...(spotInterruptionPercent !== undefined ? { spotInterruptionPercent } : {}),
    stack,
  };
}

/** The jobs-mode report, as lines. */
export function jobsCapacityReport(args: JobsCapacityArgs): string[] {
  const plan = planJobCapacity(args);
  return [
    `jobs: ${args.jobsPerMinute} jobs/min at the peak, ${args.jobSeconds} s each, at most ${args.maxWaitSeconds} s ` +
      `in the queue, ${args.jobsPerInstance} jobs per instance, utilisation target ${args.targetUtilisationPercent} %` +
      (args.spotInterruptionPercent !== undefined
        ? `, Spot interrupting ${args.spotInterruptionPercent} % of instances a month`
        : ""),
    "",
    ...plan.steps.map((step) => `  ${step}`),
    "",
    `worker fleet: min ${plan.workerMinSize} / max ${plan.workerMaxSize}, scaling to hold ` +
      `${Math.round(plan.backlogPerInstance * 100) / 100} queued jobs per instance`,
    ...plan.notes.map((note) => `note: ${note}`),
    "",
    "apply to the stack:",
    ...jobsPulumiConfigLines(plan, args, args.stack).map((line) => `  ${line}`),
  ];
}
