/**
 * A fake of the AWS APIs the release state machine calls, small but stateful: SSM parameters, AMI tags,
 * launch templates with versions and a default, groups on a concrete template version, instance refreshes
 * that follow a script of statuses (and move the group only when they end Successful), the alarm topic. Each
 * Task state of the definition is overridden (aws-local-stepfunctions `taskResourceLocalHandlers`) by the
 * fake call its Resource names, so an execution runs offline against this world and the test reads the world
 * afterwards: which AMI each group runs, what the records say, what the topic was told.
 */
// asl-validator ships no types: its default export is validator(definition, options) → { isValid, errors }.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require("asl-validator") as (
  definition: unknown,
  options: { checkArn: boolean; checkPaths: boolean },
) => { isValid: boolean; errors: Record<string, string>[] };
import { StateMachine } from "aws-local-stepfunctions";

export interface FakeGroup {
  templateId: string;
  /** The concrete version the group launches from. */
  version: string;
  desired: number;
  /** Statuses DescribeInstanceRefreshes returns for this group's next refresh, one per call, the last repeated. */
  script: string[];
  /** StartInstanceRefresh answers InstanceRefreshInProgress this many times first. */
  busyTimes?: number;
  /**
   * The group's mixed instances policy (its Overrides and InstancesDistribution; the template and version
   * live in templateId/version). Absent: a plain launch template. A successful refresh sets the group to its
   * desired configuration, as AWS does, so a refresh with a bare LaunchTemplate removes it.
   */
  mixed?: { Overrides: unknown; InstancesDistribution: unknown };
}

export interface FakeTemplate {
  defaultVersion: number;
  /** Version number -> AMI. */
  versions: Record<number, string>;
}

export interface World {
  params: Record<string, string>;
  amiTags: Record<string, Record<string, string>>;
  templates: Record<string, FakeTemplate>;
  groups: Record<string, FakeGroup>;
  published: { subject: string; message: Record<string, unknown> }[];
  /** Every call, as "<service>:<action>" (plus the group for Auto Scaling calls). */
  calls: string[];
  /** Requests of StartInstanceRefresh, in order. */
  refreshRequests: Record<string, any>[];
  rollbacksRequested: string[];
}

class AwsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The AMI a group's instances run after the execution (its version's AMI). */
export function amiOf(w: World, group: string): string {
  const g = w.groups[group]!;
  return w.templates[g.templateId]!.versions[Number(g.version)]!;
}

function fakeCalls(w: World): Record<string, (input: any) => any> {
  const refreshes = new Map<
    string,
    { group: string; desiredVersion: string; mixed: FakeGroup["mixed"]; polls: number; done: boolean }
  >();
  let nextRefresh = 1;
  const group = (name: string) => {
    const g = w.groups[name];
    if (!g) throw new AwsError("AutoScaling.ValidationErrorException", `group ${name} not found`);
    return g;
  };
  return {
    "ssm:getParameter": ({ Name }) => {
      if (!(Name in w.params)) throw new AwsError("Ssm.ParameterNotFoundException", Name);
      return { Parameter: { Name, Value: w.params[Name], Type: "String" } };
    },
    "ssm:putParameter": ({ Name, Value, Overwrite }) => {
      if (Name in w.params && !Overwrite) throw new AwsError("Ssm.ParameterAlreadyExistsException", Name);
      w.params[Name] = Value;
      return { Version: 2 };
    },
    "ec2:describeTags": ({ Filters }) => {
      const ids: string[] = Filters.find((f: any) => f.Name === "resource-id").Values;
      const keys: string[] = Filters.find((f: any) => f.Name === "key").Values;
      return {
        Tags: ids.flatMap((id) =>
          Object.entries(w.amiTags[id] ?? {})
            .filter(([k]) => keys.includes(k))
            .map(([Key, Value]) => ({ Key, Value, ResourceId: id, ResourceType: "image" })),
        ),
      };
    },
    "ec2:createTags": ({ Resources, Tags }) => {
      for (const id of Resources) for (const t of Tags) w.amiTags[id] = { ...(w.amiTags[id] ?? {}), [t.Key]: t.Value };
      return {};
    },
    "ec2:deleteTags": ({ Resources, Tags }) => {
      for (const id of Resources)
        for (const t of Tags) {
          const tags = { ...(w.amiTags[id] ?? {}) };
          delete tags[t.Key];
          w.amiTags[id] = tags;
        }
      return {};
    },
    "ec2:createLaunchTemplateVersion": ({ LaunchTemplateId, SourceVersion, LaunchTemplateData }) => {
      const t = w.templates[LaunchTemplateId]!;
      if (SourceVersion !== "$Default")
        throw new Error(`the fake expects SourceVersion $Default, got ${SourceVersion}`);
      const number = Math.max(...Object.keys(t.versions).map(Number)) + 1;
      t.versions[number] = LaunchTemplateData.ImageId ?? t.versions[t.defaultVersion]!;
      return { LaunchTemplateVersion: { LaunchTemplateId, VersionNumber: number } };
    },
    "ec2:modifyLaunchTemplate": ({ LaunchTemplateId, DefaultVersion }) => {
      w.templates[LaunchTemplateId]!.defaultVersion = Number(DefaultVersion);
      return {};
    },
    "autoscaling:describeAutoScalingGroups": ({ AutoScalingGroupNames }) => ({
      AutoScalingGroups: AutoScalingGroupNames.map((n: string) => {
        const g = group(n);
        const spec = { LaunchTemplateId: g.templateId, Version: g.version };
        return {
          AutoScalingGroupName: n,
          DesiredCapacity: g.desired,
          ...(g.mixed
            ? {
                MixedInstancesPolicy: {
                  LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: g.mixed.Overrides },
                  InstancesDistribution: g.mixed.InstancesDistribution,
                },
              }
            : { LaunchTemplate: spec }),
        };
      }),
    }),
    "autoscaling:startInstanceRefresh": (req) => {
      const g = group(req.AutoScalingGroupName);
      const running = [...refreshes.values()].some((r) => r.group === req.AutoScalingGroupName && !r.done);
      if (running || (g.busyTimes ?? 0) > 0) {
        if (!running) g.busyTimes! -= 1;
        throw new AwsError("AutoScaling.InstanceRefreshInProgressException", "an instance refresh is in progress");
      }
      const desired = req.DesiredConfiguration ?? {};
      if (desired.LaunchTemplate && desired.MixedInstancesPolicy)
        throw new AwsError(
          "AutoScaling.ValidationErrorException",
          "LaunchTemplate and MixedInstancesPolicy both given",
        );
      const mip = desired.MixedInstancesPolicy;
      const version = mip ? mip.LaunchTemplate?.LaunchTemplateSpecification?.Version : desired.LaunchTemplate?.Version;
      if (typeof version !== "string" || version.startsWith("$"))
        throw new AwsError("AutoScaling.ValidationErrorException", `desired version ${version} is not concrete`);
      w.refreshRequests.push(req);
      const id = `refresh-${nextRefresh++}`;
      const mixed = mip
        ? { Overrides: mip.LaunchTemplate.Overrides, InstancesDistribution: mip.InstancesDistribution }
        : undefined;
      refreshes.set(id, { group: req.AutoScalingGroupName, desiredVersion: version, mixed, polls: 0, done: false });
      return { InstanceRefreshId: id };
    },
    "autoscaling:describeInstanceRefreshes": ({ AutoScalingGroupName, InstanceRefreshIds }) => {
      const r = refreshes.get(InstanceRefreshIds[0])!;
      const g = group(AutoScalingGroupName);
      const status = g.script[Math.min(r.polls, g.script.length - 1)]!;
      r.polls += 1;
      if (["Successful", "Failed", "Cancelled", "RollbackFailed", "RollbackSuccessful"].includes(status)) {
        r.done = true;
        // Only success applies the desired configuration; a rollback leaves the group where it was.
        if (status === "Successful") {
          g.version = r.desiredVersion;
          if (r.mixed) g.mixed = r.mixed;
          else delete g.mixed;
        }
      }
      return { InstanceRefreshes: [{ InstanceRefreshId: InstanceRefreshIds[0], Status: status }] };
    },
    "autoscaling:rollbackInstanceRefresh": ({ AutoScalingGroupName }) => {
      w.rollbacksRequested.push(AutoScalingGroupName);
      for (const r of refreshes.values()) if (r.group === AutoScalingGroupName) r.done = true;
      return { InstanceRefreshId: "rollback" };
    },
    "sns:publish": ({ Subject, Message }) => {
      w.published.push({ subject: Subject, message: JSON.parse(Message) });
      return { MessageId: "m-1" };
    },
  };
}

/** asl-validator's verdict on a definition (its errors, joined), with ARN and path checks on. */
export function aslProblems(definition: object): string[] {
  const { isValid, errors } = aslValidator(definition, { checkArn: true, checkPaths: true });
  return isValid ? [] : errors.map((e) => `${e["Error code"]}: ${e.Message}`);
}

export const RELEASE_TIME = "2026-12-03T03:00:00.000Z";

/** Runs the definition once against the world; resolves with the execution output. */
export async function runRelease(definition: any, w: World, input: Record<string, unknown>): Promise<any> {
  const calls = fakeCalls(w);
  const handlers: Record<string, (input: any) => any> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  for (const [name, state] of Object.entries<any>(definition.States)) {
    if (state.Type === "Wait") waits[name] = 0;
    if (state.Type !== "Task") continue;
    retries[name] = 0;
    const m = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z]+)$/.exec(state.Resource);
    if (!m) throw new Error(`${name}: ${state.Resource} is not an AWS SDK integration`);
    const call = calls[`${m[1]}:${m[2]}`];
    if (!call) throw new Error(`${name}: the fake has no ${m[1]}:${m[2]}`);
    handlers[name] = async (req: any) => {
      w.calls.push(`${m[1]}:${m[2]}${req?.AutoScalingGroupName ? ` ${req.AutoScalingGroupName}` : ""}`);
      return call(req);
    };
  }
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      Execution: { Input: input, StartTime: RELEASE_TIME },
      State: { EnteredTime: RELEASE_TIME, Name: "state", RetryCount: 0 },
    } as any,
  });
  return execution.result;
}
