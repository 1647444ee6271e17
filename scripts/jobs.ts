/**
 * npm run jobs -- list [--status S] [--kind K] [--schedule NAME] [--limit N] | schedules | dead [--limit N]
 *   | retry <id> | status <id> | enqueue <kind> <json> [--idempotency-key K]
 *
 * The operator's view of the job queue, opened the way the service opens it (JOBS_BACKEND, JOBS_DB, ...
 * from the environment, service/jobs/open-backend.ts): list the dead letters (jobs that ended failed),
 * put one back in the queue with fresh attempts, show one job as GET /jobs/:id shows it, or enqueue a
 * job by hand; list jobs by status, kind and schedule, and show each periodic schedule (JOBS_SCHEDULES) with
 * its next and last tick. `enqueue` checks the input as POST /jobs does (the same schema, Fastify's own validator)
 * and refuses a bad one with the API's message, before anything is stored.
 */
import Fastify from "fastify";
import { ConfigError } from "../service/config";
import { JOB_STATES, type JobBackend, type JobRecord, type JobState } from "../service/jobs/backend";
import { loadJobSchedules, loadJobsConfig } from "../service/jobs/config";
import { nextTick, SCHEDULE_NAME, type JobSchedule } from "../service/jobs/schedules";
import { JobError, JobNotFoundError } from "../service/jobs/errors";
import { openBackend } from "../service/jobs/open-backend";
import { KINDS, KIND_NAMES } from "../service/jobs/kinds";
import { IDEMPOTENCY_KEY, postJobBodySchema } from "../service/jobs/schemas";
import { integerFlag, parseOrExit, UsageError, tokenize } from "./cli";

export const USAGE = `usage: npm run jobs -- <command>
  list [--status S] [--kind K] [--schedule NAME] [--limit N]
                            jobs, newest first (a schedule's: latest tick first); N 1..1000 (default 20)
  schedules                 each periodic job (JOBS_SCHEDULES) with its next and last tick
  dead [--limit N]          failed jobs (dead letters), newest first; N 1..1000 (default 20)
  retry <id>                put a failed job back in the queue with fresh attempts
  status <id>               the job as GET /jobs/<id> shows it, as JSON
  enqueue <kind> <json>     enqueue a job by hand, e.g. enqueue sum '{"n":1000}'
          [--idempotency-key K]
The backend is the service's: JOBS_BACKEND (default sqlite), JOBS_DB, JOBS_RESULTS_DIR, JOBS_MAX_ATTEMPTS,
and JOBS_SCHEDULES for the schedules.`;

export const JOBS_COMMANDS = ["list", "schedules", "dead", "retry", "status", "enqueue"] as const;

export type JobsCommand =
  | { command: "help" }
  | { command: "list"; limit: number; status?: JobState; kind?: string; schedule?: string }
  | { command: "schedules" }
  | { command: "dead"; limit: number }
  | { command: "retry"; id: string }
  | { command: "status"; id: string }
  | { command: "enqueue"; kind: string; input: unknown; idempotencyKey?: string };

/** Wider than a UUID on purpose: the AWS backend's ids need not be UUIDs. */
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
const KIND = /^[a-z][a-z0-9-]{0,63}$/;
const MAX_DEAD_LIMIT = 1_000;

export function parseJobsArgs(argv: string[]): JobsCommand {
  const parsed = tokenize(argv, {
    limit: { type: "string" },
    status: { type: "string" },
    kind: { type: "string" },
    schedule: { type: "string" },
    "idempotency-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError(`give a command: one of ${JOBS_COMMANDS.join(", ")}`);
  if (!(JOBS_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}": expected one of ${JOBS_COMMANDS.join(", ")}`);
  }
  const only = (allowed: string[]) => {
    for (const flag of Object.keys(values)) {
      if (!allowed.includes(flag)) throw new UsageError(`--${flag} does not apply to ${command}`);
    }
  };
  const args = (count: number, example: string) => {
    if (rest.length !== count) {
      throw new UsageError(
        `${command} takes ${count} argument${count === 1 ? "" : "s"}, e.g. npm run jobs -- ${example}`,
      );
    }
  };
  const id = (raw: string) => {
    if (!JOB_ID.test(raw)) throw new UsageError(`"${raw}" cannot be a job id: expected letters, digits, - and _`);
    return raw;
  };
  switch (command as (typeof JOBS_COMMANDS)[number]) {
    case "list": {
      only(["limit", "status", "kind", "schedule"]);
      args(0, "list --status failed --kind sum");
      const { status, kind, schedule } = values;
      if (status !== undefined && !(JOB_STATES as readonly string[]).includes(status)) {
        throw new UsageError(`--status must be one of ${JOB_STATES.join(", ")}; got "${status}"`);
      }
      if (kind !== undefined && !KIND_NAMES.includes(kind)) {
        throw new UsageError(`--kind must be one of ${KIND_NAMES.join(", ")}; got "${kind}"`);
      }
      if (schedule !== undefined && !SCHEDULE_NAME.test(schedule)) {
        throw new UsageError(`--schedule must be a schedule's name (1-64 letters, digits, - _ .); got "${schedule}"`);
      }
      return {
        command: "list",
        limit: integerFlag("limit", values.limit, 20, 1, MAX_DEAD_LIMIT),
        ...(status !== undefined ? { status: status as JobState } : {}),
        ...(kind !== undefined ? { kind } : {}),
        ...(schedule !== undefined ? { schedule } : {}),
      };
    }
    case "schedules":
      only([]);
      args(0, "schedules");
      return { command: "schedules" };
    case "dead": {
      only(["limit"]);
      args(0, "dead --limit 20");
      const limit = integerFlag("limit", values.limit, 20, 1, MAX_DEAD_LIMIT);
      return { command: "dead", limit };
    }
    case "retry":
    case "status":
      only([]);
      args(1, `${command} 6f1c…`);
      return { command: command as "retry" | "status", id: id(rest[0]!) };
    case "enqueue": {
      only(["idempotency-key"]);
      args(2, `enqueue sum '{"n":1000}'`);
      const [kind, json] = rest as [string, string];
      if (!KIND.test(kind)) throw new UsageError(`"${kind}" cannot be a kind: expected lower-case letters, digits, -`);
      let input: unknown;
      try {
        input = JSON.parse(json);
      } catch (err) {
        throw new UsageError(`the input must be JSON, e.g. '{"n":1000}': ${(err as Error).message}`);
      }
      const key = values["idempotency-key"];
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new UsageError("--idempotency-key must be 1 to 255 printable ASCII characters without spaces");
      }
      return { command: "enqueue", kind, input, ...(key === undefined ? {} : { idempotencyKey: key }) };
    }
  }
}

/** An input that POST /jobs would refuse; the message is the API's. */
export class JobInputError extends Error {
  override name = "JobInputError";
  constructor(
    readonly kind: string,
    readonly detail: string,
  ) {
    super(`the API would refuse this job: ${detail}`);
  }
}

/**
 * Checks `{kind, input}` exactly as POST /jobs does: its body schema through Fastify's validator, on a route
 * that is never listened on. Returns the API's message (with "body/" dropped), or undefined when valid.
 */
export async function checkJobBody(kind: string, input: unknown): Promise<string | undefined> {
  const app = Fastify({ logger: false });
  app.post("/jobs", { schema: { body: postJobBodySchema([...KINDS.values()]) } }, async () => ({}));
  try {
    const res = await app.inject({ method: "POST", url: "/jobs", payload: { kind, input } as object });
    return res.statusCode === 200 ? undefined : String(res.json().message).replace(/(^|, )body\/?/g, "$1");
  } finally {
    await app.close();
  }
}

function deadLine(job: JobRecord): string {
  const error = (job.error ?? "").replace(/\s+/g, " ");
  return `${job.id}  ${job.kind}  attempts ${job.attempts}  failed ${job.finishedAt ?? "?"}  ${error}`;
}

function listLine(job: JobRecord): string {
  const from = job.schedule ? `  schedule ${job.schedule.name} tick ${job.schedule.tick}` : "";
  return `${job.id}  ${job.kind}  ${job.status}  created ${job.createdAt}${from}`;
}

/** Each schedule with its next tick (from the expression) and its last (its latest job in the backend). */
async function scheduleLines(backend: JobBackend, schedules: readonly JobSchedule[], nowMs: number): Promise<string[]> {
  if (schedules.length === 0) return ["no schedules (JOBS_SCHEDULES names none)"];
  const lines: string[] = [];
  for (const schedule of schedules) {
    const next = nextTick(schedule, nowMs);
    const [last] = await backend.list({ schedule: schedule.name, limit: 1 });
    lines.push(
      `${schedule.name}  ${schedule.schedule} ${schedule.timeZone}  ${schedule.kind}  ` +
        `next ${next === undefined ? "none" : new Date(next).toISOString()}  ` +
        `last ${last?.schedule ? `${last.schedule.tick} (job ${last.id}, ${last.status})` : "none kept"}`,
    );
  }
  return lines;
}

export interface JobsCommandContext {
  /** JOBS_SCHEDULES, for `schedules`. */
  schedules?: readonly JobSchedule[];
  now?: () => number;
}

/** Runs one command; returns the exit code. Output goes to `out`, so tests can read it. JobErrors are thrown. */
export async function runJobsCommand(
  backend: JobBackend,
  cmd: JobsCommand,
  out: (line: string) => void = console.log,
  context: JobsCommandContext = {},
): Promise<number> {
  switch (cmd.command) {
    case "list": {
      const { command: _command, ...filter } = cmd;
      const jobs = await backend.list(filter);
      out(jobs.length === 0 ? "no jobs match" : `${jobs.length} job${jobs.length === 1 ? "" : "s"}, newest first:`);
      for (const job of jobs) out(listLine(job));
      return 0;
    }
    case "schedules":
      for (const line of await scheduleLines(backend, context.schedules ?? [], (context.now ?? Date.now)())) out(line);
      return 0;
    case "help":
      out(USAGE);
      return 0;
    case "dead": {
      // As many as the largest --limit, to say how many there are beyond those shown ("1 of 2").
      const all = await backend.listDead(MAX_DEAD_LIMIT);
      const dead = all.slice(0, cmd.limit);
      const capped = all.length === MAX_DEAD_LIMIT;
      const more = capped ? `${MAX_DEAD_LIMIT} or more` : `${all.length}`;
      const hint = capped
        ? `--limit ${MAX_DEAD_LIMIT} shows the newest ${MAX_DEAD_LIMIT}`
        : `--limit ${all.length} shows them all`;
      out(
        dead.length === 0
          ? "no failed jobs"
          : dead.length < all.length
            ? `${dead.length} of ${more} failed jobs, newest first (${hint}):`
            : `${dead.length} failed job${dead.length === 1 ? "" : "s"}, newest first:`,
      );
      for (const job of dead) out(deadLine(job));
      return 0;
    }
    case "retry": {
      const job = await backend.retryDead(cmd.id);
      out(`job ${job.id} is queued again with ${job.attempts} attempts used (it last failed: ${job.error ?? "?"})`);
      return 0;
    }
    case "status": {
      const job = await backend.get(cmd.id);
      if (!job) throw new JobNotFoundError(cmd.id);
      out(JSON.stringify(job, null, 2));
      return 0;
    }
    case "enqueue": {
      const refused = await checkJobBody(cmd.kind, cmd.input);
      if (refused !== undefined) throw new JobInputError(cmd.kind, refused);
      const { job, created } = await backend.enqueue({
        kind: cmd.kind,
        input: cmd.input,
        ...(cmd.idempotencyKey === undefined
          ? {}
          : { idempotencyKey: cmd.idempotencyKey, fingerprint: JSON.stringify([cmd.kind, cmd.input]) }),
      });
      out(`${created ? "enqueued" : "already enqueued under that key:"} ${job.id}`);
      return 0;
    }
  }
}

async function main(): Promise<void> {
  const cmd = parseOrExit("jobs", USAGE, parseJobsArgs);
  if (cmd.command === "help") {
    console.log(USAGE);
    return;
  }
  let backend: JobBackend;
  let schedules: JobSchedule[];
  try {
    schedules = loadJobSchedules(process.env);
    backend = await openBackend(process.env, loadJobsConfig(process.env));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`jobs: ${err.message}`);
    process.exit(1);
  }
  try {
    process.exitCode = await runJobsCommand(backend, cmd, console.log, { schedules });
  } catch (err) {
    // Not found, not failed, a key conflict, an input the API would refuse: the operator's mistake, in one line.
    if (!(err instanceof JobError) && !(err instanceof JobInputError)) throw err;
    console.error(`jobs: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await backend.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`jobs: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
