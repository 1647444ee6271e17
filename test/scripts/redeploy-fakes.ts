/**
 * Fakes for the redeploy tests: history events and instance refreshes shaped as the SDK returns them, and
 * a fake `ReleaseAws` that plays a release tick by tick (each DescribeExecution is one poll) on a fake clock.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { InstanceRefresh } from "@aws-sdk/client-auto-scaling";
import type { DescribeExecutionOutput, GroupTemplate, Image, ReleaseAws } from "../../scripts/redeploy-aws";
import type { Io } from "../../scripts/redeploy";

export const T0 = Date.parse("2026-12-03T17:00:00Z");
const at = new Date(T0);

let nextId = 1;
function event(type: HistoryEvent["type"], extra: Partial<HistoryEvent>): HistoryEvent {
  return { id: nextId++, timestamp: at, type, ...extra };
}

/** A state entered; its type from its name the way the release names them (`...?` Choice, `wait` Wait). */
export const entered = (name: string, type?: HistoryEvent["type"]): HistoryEvent =>
  event(
    type ?? (name.endsWith("?") ? "ChoiceStateEntered" : / wait$/.test(name) ? "WaitStateEntered" : "TaskStateEntered"),
    {
      stateEnteredEventDetails: {
        name,
        input: JSON.stringify({ ran: { web: { group: "web" }, worker: { group: "worker" } } }),
      },
    },
  );

/** `service:action` of an AWS SDK integration, e.g. `ec2:createTags` (`sns:publish` is an optimised one). */
function split(act: string): { resourceType: string; resource: string } {
  const [service, resource] = act.split(":") as [string, string];
  return { resourceType: service === "sns" ? "sns" : `aws-sdk:${service}`, resource };
}

export const scheduled = (act: string, parameters: unknown): HistoryEvent =>
  event("TaskScheduled", {
    taskScheduledEventDetails: { ...split(act), region: "eu-central-1", parameters: JSON.stringify(parameters) },
  });

export const succeeded = (act: string, output: unknown): HistoryEvent =>
  event("TaskSucceeded", { taskSucceededEventDetails: { ...split(act), output: JSON.stringify(output) } });

export const taskFailed = (act: string, error: string, cause: string): HistoryEvent =>
  event("TaskFailed", { taskFailedEventDetails: { ...split(act), error, cause } });

export function refresh(id: string, group: string, status: string, pct: number, extra: Partial<InstanceRefresh> = {}) {
  return {
    InstanceRefreshId: id,
    AutoScalingGroupName: group,
    Status: status,
    PercentageComplete: pct,
    InstancesToUpdate: Math.round((100 - pct) / 50),
    StartTime: new Date(T0 + 5_000),
    Preferences: { CheckpointPercentages: [50, 100], CheckpointDelay: 600, BakeTime: 300, AutoRollback: true },
    ...extra,
  } as InstanceRefresh;
}

export interface Tick {
  status?: string;
  output?: unknown;
  error?: string;
  cause?: string;
  events?: HistoryEvent[];
  refreshes?: Record<string, InstanceRefresh[]>;
}

export const OUTPUTS = {
  releaseStateMachineArn: "arn:aws:states:eu-central-1:111122223333:stateMachine:fleet-prod-release",
  lastGoodAmiParameter: "/fleet/prod/release/last-good-ami",
  amiParameterName: "/imagebuilder/fleet/prod/ami",
  asgName: "fleet-asg-0a1b2c3",
  workerAsgName: "fleet-worker-prod",
};

export interface World {
  ticks: Tick[];
  parameters?: Record<string, string>;
  images?: Record<string, Image>;
  running?: boolean;
  outputs?: Record<string, unknown>;
  /** For --status: each group's template, each template version's AMI, the bad images, the last release. */
  groupTemplates?: Record<string, GroupTemplate>;
  templateImages?: Record<string, { version: number; imageId: string }>;
  badImages?: Image[];
  lastExecution?: DescribeExecutionOutput;
}

/** A fake of everything redeploy touches; `calls` records each AWS call as `method arg...`. */
export function fakeWorld(world: World) {
  const calls: string[] = [];
  const log: string[] = [];
  const started: Array<{ name: string; input: unknown }> = [];
  let clock = T0;
  let tick = -1;
  const current = () => world.ticks[Math.min(Math.max(tick, 0), world.ticks.length - 1)] ?? {};
  const arn = "arn:aws:states:eu-central-1:111122223333:execution:fleet-prod-release:x";
  const aws: ReleaseAws = {
    async startExecution(sm, name, input) {
      calls.push(`startExecution ${sm} ${name}`);
      started.push({ name, input: JSON.parse(input) });
      return { executionArn: arn, startDate: new Date(clock) };
    },
    async describeExecution(a) {
      calls.push(`describeExecution ${a}`);
      if (world.lastExecution?.executionArn === a) return world.lastExecution;
      tick++;
      const t = current();
      return {
        executionArn: a,
        stateMachineArn: OUTPUTS.releaseStateMachineArn,
        status: (t.status ?? "RUNNING") as "RUNNING",
        startDate: new Date(T0),
        ...(t.output !== undefined ? { output: JSON.stringify(t.output) } : {}),
        ...(t.error !== undefined ? { error: t.error, cause: t.cause } : {}),
      };
    },
    // Every event so far, whatever `afterId` says: the follower must skip what it already printed itself.
    async history(a, afterId) {
      calls.push(`history ${a} ${afterId}`);
      return world.ticks.slice(0, tick + 1).flatMap((t) => t.events ?? []);
    },
    async executions(sm, max, running) {
      calls.push(`executions ${sm} ${max} ${running ? "RUNNING" : "all"}`);
      if (!running && world.lastExecution)
        return [
          { ...world.lastExecution, name: world.lastExecution.name ?? "?", startDate: world.lastExecution.startDate! },
        ];
      return world.running
        ? [
            {
              executionArn: `${arn}-nightly`,
              stateMachineArn: sm,
              name: "nightly",
              status: "RUNNING",
              startDate: new Date(T0 - 60_000),
            },
          ]
        : [];
    },
    async instanceRefreshes(group) {
      calls.push(`instanceRefreshes ${group}`);
      return [...(current().refreshes?.[group] ?? [])];
    },
    async parameter(name) {
      calls.push(`parameter ${name}`);
      return world.parameters?.[name];
    },
    async image(id) {
      calls.push(`image ${id}`);
      return world.images?.[id];
    },
    async imagesTagged(tags) {
      calls.push(`imagesTagged ${JSON.stringify(tags)}`);
      return world.badImages ?? [];
    },
    async groupTemplate(name) {
      calls.push(`groupTemplate ${name}`);
      return world.groupTemplates?.[name];
    },
    async templateImage(id, version) {
      calls.push(`templateImage ${id} ${version}`);
      return world.templateImages?.[`${id} ${version}`] ?? { version: undefined, imageId: undefined };
    },
  };
  const io: Io = {
    async run(command, args) {
      const line = `${command} ${args.join(" ")}`;
      calls.push(line);
      if (line === "pulumi stack output --json --stack prod") return JSON.stringify(world.outputs ?? OUTPUTS);
      if (line === "pulumi config get aws:region --stack prod") return "eu-central-1\n";
      throw new Error(`unexpected command: ${line}`);
    },
    aws: (region) => {
      calls.push(`region ${region}`);
      return aws;
    },
    log: (line) => log.push(line),
    sleep: async (ms) => (clock += ms),
    now: () => clock,
  };
  return { io, aws, calls, log, started, elapsedMs: () => clock - T0 };
}

/** Asserts that `expected` lines appear in `lines` in this order (other lines may sit between them). */
export function inOrder(lines: string[], expected: Array<string | RegExp>): void {
  let i = 0;
  for (const want of expected) {
    const found = lines.findIndex((l, j) => j >= i && (typeof want === "string" ? l === want : want.test(l)));
    if (found < 0) throw new Error(`missing, in order: ${String(want)}\n--- printed:\n${lines.join("\n")}`);
    i = found + 1;
  }
}
