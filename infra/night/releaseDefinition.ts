/**
 * The release state machine's definition (Amazon States Language), built by a pure function from names and
 * ARNs: every Task is an AWS SDK service integration (`arn:aws:states:::aws-sdk:<service>:<action>`), so AWS
 * runs the whole release, no Lambda and no server of ours.
 *
 * What one execution does (input and output: RELEASE_CONTRACT.md):
 *  1. reads the last good AMI and the candidate (the input's `ami`, or Image Builder's parameter), and the
 *     candidate's `fleet:release` tag; decides (infra/night/releasePlan.ts `releaseDecision`) to skip it;
 *  2. per group, web then worker: a launch template version = the template's default version with the
 *     candidate's AMI; an instance refresh onto that concrete version with AutoRollback, the group's alarms,
 *     a bake time, and a first checkpoint of one instance (the canary, baked CheckpointDelay seconds);
 *     DescribeInstanceRefreshes every `pollIntervalS` until a terminal status or the deadline (then it asks
 *     AWS to roll back);
 *  3. all groups Successful: each template's default version becomes the release's, the last good parameter
 *     gets the AMI, the AMI is tagged good. Otherwise: a group already moved is refreshed back onto the version
 *     it had, the AMI is tagged bad (if a refresh failed, not if an API call did), and nothing is promoted;
 *  4. one message to the alarm topic per outcome, and the outcome as the execution's output.
 * Errors of SDK integrations are `<Service>.<Error>Exception`, e.g. `AutoScaling.InstanceRefreshInProgressException`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
 */
import {
  checkpointTable,
  RELEASE_AT_TAG,
  RELEASE_GROUPS,
  RELEASE_TAG,
  KEEP_TAG,
  KEEP_VALUE,
  SKIP_DETAILS,
  type ReleaseGroup,
  type ReleasePreferences,
  type SkipReason,
} from "./releasePlan";
import type { RefreshPreferences } from "./refresh";
import { mixedInstancesPolicyApi, type WorkerPurchase } from "../jobs/spotPolicy";

export interface ReleaseGroupParams {
  group: ReleaseGroup;
  asgName: string;
  launchTemplateId: string;
  /** The group's release preferences (releasePlan.ts `releasePreferences`). */
  preferences: ReleasePreferences;
  /** The group's own refresh preferences, for the refresh that puts it back after another group failed. */
  revertPreferences: RefreshPreferences;
  /** The group's max size: the canary's checkpoint is looked up by desired capacity 0..maxSize. */
  maxSize: number;
  /** The group's mixed instances policy (the worker group's Spot), absent for a plain launch template. */
  purchase?: WorkerPurchase;
}

export interface ReleaseDefinitionParams {
  stack: string;
  /** Image Builder's parameter with tonight's AMI (the candidate when the input names none). */
  candidateParameterName: string;
  lastGoodParameterName: string;
  topicArn: string;
  /** In release order (web first). */
  groups: ReleaseGroupParams[];
  pollIntervalS: number;
  /** DescribeInstanceRefreshes calls per group before the release gives up on it. */
  maxPolls: number;
  /** Seconds a nightly release waits before it starts (dev's drain: the restored instances boot first). */
  nightlyDelayS: number;
  /** Whole-execution limit (TimeoutSeconds). */
  timeoutS: number;
}

type State = Record<string, unknown>;

const sdk = (service: string, action: string) => `arn:aws:states:::aws-sdk:${service}:${action}`;
const title = (g: ReleaseGroup) => g[0]!.toUpperCase() + g.slice(1);
/** A literal inside an intrinsic function's quotes: ' { } and \\ are escaped with a backslash. */
export const intrinsicLiteral = (s: string) => s.replace(/[\\'{}]/g, (c) => `\\${c}`);

/** Every state that may fail on an API call goes here, with the error under $.error. */
const FAILED_CALL = "Failed call";
const catchAll = (next = FAILED_CALL) => [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: next }];
/** Throttling and transient errors: a few spaced retries before a call counts as failed. */
const RETRY_CALLS = [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }];

/**
 * StartInstanceRefresh's DesiredConfiguration onto the concrete version at `versionPath`. A successful
 * refresh makes it the group's configuration, so a group with a mixed instances policy gets its whole policy
 * (a bare LaunchTemplate would drop its Spot and its other types): infra/jobs/spotPolicy.ts.
 */
export function desiredConfiguration(g: ReleaseGroupParams, versionPath: string): State {
  const version = { "Version.$": versionPath };
  return g.purchase === undefined
    ? { LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, ...version } }
    : { MixedInstancesPolicy: mixedInstancesPolicyApi(g.purchase, g.launchTemplateId, version) };
}

/** Where DescribeAutoScalingGroups puts the group's concrete template version. */
function versionInDescription(g: ReleaseGroupParams): string {
  return g.purchase === undefined
    ? "$.AutoScalingGroups[0].LaunchTemplate.Version"
    : "$.AutoScalingGroups[0].MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version";
}

function task(resource: string, parameters: State, extra: State): State {
  return { Type: "Task", Resource: resource, Parameters: parameters, Retry: RETRY_CALLS, ...extra };
}

/** The states that read the records and decide. */
function prologue(p: ReleaseDefinitionParams, firstGroup: string): Record<string, State> {
  const notStarted = Object.fromEntries(p.groups.map((g) => [g.group, { group: g.group, status: "NotStarted" }]));
  const skip = (why: SkipReason): State => ({
    Type: "Pass",
    Parameters: {
      outcome: "skipped",
      "ami.$": "$.candidate.ami",
      "previousAmi.$": "$.lastGood.ami",
      "detail.$": `States.Format('{} ${intrinsicLiteral(SKIP_DETAILS[why])} (reason {})', $.candidate.ami, $.request.reason)`,
    },
    ResultPath: "$.result",
    Next: "Notify",
  });
  return {
    "Read input": {
      Type: "Pass",
      Parameters: {
        defaults: { reason: "nightly", force: false, groups: p.groups.map((g) => g.group) },
        "input.$": "$$.Execution.Input",
        // Known before anything is read, so every report can name them.
        candidate: { ami: "unknown" },
        lastGood: { ami: "unknown" },
        ran: notStarted,
        checkpoints: Object.fromEntries(p.groups.map((g) => [g.group, checkpointTable(g.maxSize)])),
      },
      Next: "Merge input",
    },
    "Merge input": {
      Type: "Pass",
      Parameters: { "request.$": "States.JsonMerge($.defaults, $.input, false)" },
      ResultPath: "$.merged",
      Next: "Request",
    },
    Request: {
      Type: "Pass",
      InputPath: "$.merged.request",
      ResultPath: "$.request",
      Next: "Nightly?",
    },
    "Nightly?": {
      Type: "Choice",
      Choices: [{ Variable: "$.request.reason", StringEquals: "nightly", Next: "Let the night settle" }],
      Default: "Read last good",
    },
    // dev's drain: the schedule starts at the restore; the restored instances boot before the canary.
    "Let the night settle": { Type: "Wait", Seconds: p.nightlyDelayS, Next: "Read last good" },
    "Read last good": task(
      sdk("ssm", "getParameter"),
      { Name: p.lastGoodParameterName },
      {
        ResultSelector: { "ami.$": "$.Parameter.Value" },
        ResultPath: "$.lastGood",
        Next: "AMI given?",
        Catch: catchAll(),
      },
    ),
    "AMI given?": {
      Type: "Choice",
      Choices: [{ Variable: "$.request.ami", IsPresent: true, Next: "Use the given AMI" }],
      Default: "Read candidate",
    },
    "Use the given AMI": {
      Type: "Pass",
      Parameters: { "ami.$": "$.request.ami" },
      ResultPath: "$.candidate",
      Next: "Read release tag",
    },
    "Read candidate": task(
      sdk("ssm", "getParameter"),
      { Name: p.candidateParameterName },
      {
        ResultSelector: { "ami.$": "$.Parameter.Value" },
        ResultPath: "$.candidate",
        Next: "Read release tag",
        Catch: catchAll(),
      },
    ),
    "Read release tag": task(
      sdk("ec2", "describeTags"),
      {
        Filters: [
          { Name: "resource-id", "Values.$": "States.Array($.candidate.ami)" },
          { Name: "key", Values: [RELEASE_TAG] },
        ],
      },
      { ResultSelector: { "tags.$": "$.Tags" }, ResultPath: "$.tag", Next: "Count tags", Catch: catchAll() },
    ),
    // `$.Tags[*].Value` of an empty list points to no value (a States.Runtime error): count first.
    "Count tags": {
      Type: "Pass",
      Parameters: { "count.$": "States.ArrayLength($.tag.tags)" },
      ResultPath: "$.tagCount",
      Next: "Tagged?",
    },
    "Tagged?": {
      Type: "Choice",
      Choices: [{ Variable: "$.tagCount.count", NumericEquals: 0, Next: "Untagged" }],
      Default: "Tag values",
    },
    Untagged: { Type: "Pass", Result: { values: [] }, ResultPath: "$.tag", Next: "Classify" },
    "Tag values": {
      Type: "Pass",
      Parameters: { "values.$": "$.tag.tags[*].Value" },
      ResultPath: "$.tag",
      Next: "Classify",
    },
    Classify: {
      Type: "Pass",
      Parameters: {
        "bad.$": "States.ArrayContains($.tag.values, 'bad')",
        "good.$": "States.ArrayContains($.tag.values, 'good')",
      },
      ResultPath: "$.tagged",
      Next: "Decide",
    },
    // releasePlan.ts releaseDecision, rule by rule.
    Decide: {
      Type: "Choice",
      Choices: [
        {
          And: [
            { Not: { Variable: "$.request.reason", StringEquals: "rollback" } },
            { Variable: "$.candidate.ami", StringEqualsPath: "$.lastGood.ami" },
          ],
          Next: "Skip: already last good",
        },
        {
          And: [
            { Variable: "$.tagged.bad", BooleanEquals: true },
            { Not: { Variable: "$.request.force", BooleanEquals: true } },
          ],
          Next: "Skip: tagged bad",
        },
        {
          And: [
            { Variable: "$.request.reason", StringEquals: "rollback" },
            { Variable: "$.tagged.good", BooleanEquals: false },
            { Not: { Variable: "$.candidate.ami", StringEqualsPath: "$.lastGood.ami" } },
            { Not: { Variable: "$.request.force", BooleanEquals: true } },
          ],
          Next: "Skip: never promoted",
        },
      ],
      Default: firstGroup,
    },
    "Skip: already last good": skip("already-last-good"),
    "Skip: tagged bad": skip("tagged-bad"),
    "Skip: never promoted": skip("never-promoted"),
  };
}

/** One group's release: a template version with the AMI, the canary's checkpoint, the refresh, the polling. */
function groupStates(p: ReleaseDefinitionParams, g: ReleaseGroupParams, next: string): Record<string, State> {
  const T = title(g.group);
  const at = `$.${g.group}`;
  const ran = `$.ran.${g.group}`;
  const failed = (outcome: string, detail: string): State => ({
    Type: "Pass",
    Parameters: { kind: "refresh", outcome, "detail.$": detail },
    ResultPath: "$.failure",
    Next: "Failure",
  });
  // The group's line of the execution output: its refresh and the last status seen.
  const record = (): State => ({
    Type: "Pass",
    Parameters: { group: g.group, "instanceRefreshId.$": `${at}.refresh.id`, "status.$": `${at}.observed.status` },
    ResultPath: ran,
  });
  return {
    [`${T}: selected?`]: {
      Type: "Pass",
      Parameters: { "selected.$": `States.ArrayContains($.request.groups, '${g.group}')` },
      ResultPath: "$.step",
      Next: `${T}: release it?`,
    },
    [`${T}: release it?`]: {
      Type: "Choice",
      Choices: [{ Variable: "$.step.selected", BooleanEquals: true, Next: `${T}: new template version` }],
      Default: next,
    },
    [`${T}: new template version`]: task(
      sdk("ec2", "createLaunchTemplateVersion"),
      {
        LaunchTemplateId: g.launchTemplateId,
        // Pulumi owns the default version: the release changes the AMI and nothing else.
        SourceVersion: "$Default",
        "VersionDescription.$": "States.Format('fleet release of {} ({})', $.candidate.ami, $.request.reason)",
        LaunchTemplateData: { "ImageId.$": "$.candidate.ami" },
      },
      {
        ResultSelector: { "number.$": "States.Format('{}', $.LaunchTemplateVersion.VersionNumber)" },
        ResultPath: `${at}.version`,
        Next: `${T}: read the group`,
        Catch: catchAll(),
      },
    ),
    [`${T}: read the group`]: task(
      sdk("autoscaling", "describeAutoScalingGroups"),
      { AutoScalingGroupNames: [g.asgName] },
      {
        ResultSelector: {
          "desired.$": "$.AutoScalingGroups[0].DesiredCapacity",
          // The concrete version the group is on now: where it goes back if a later group fails.
          "version.$": versionInDescription(g),
        },
        ResultPath: `${at}.before`,
        Next: `${T}: canary`,
        Catch: catchAll(),
      },
    ),
    [`${T}: canary`]: {
      Type: "Pass",
      Parameters: { "checkpoints.$": `States.ArrayGetItem($.checkpoints.${g.group}, ${at}.before.desired)` },
      ResultPath: `${at}.canary`,
      Next: `${T}: start refresh`,
    },
    [`${T}: start refresh`]: {
      ...task(
        sdk("autoscaling", "startInstanceRefresh"),
        {
          AutoScalingGroupName: g.asgName,
          Strategy: "Rolling",
          DesiredConfiguration: desiredConfiguration(g, `${at}.version.number`),
          Preferences: { ...g.preferences, "CheckpointPercentages.$": `${at}.canary.checkpoints` },
        },
        {
          ResultSelector: { "id.$": "$.InstanceRefreshId" },
          ResultPath: `${at}.refresh`,
          Next: `${T}: first poll`,
          Catch: catchAll(),
        },
      ),
      // Another refresh still running (a redeploy, or last night's rollback): wait for it, then give up.
      Retry: [
        {
          ErrorEquals: ["AutoScaling.InstanceRefreshInProgressException"],
          IntervalSeconds: 300,
          MaxAttempts: 6,
          BackoffRate: 1,
        },
        ...RETRY_CALLS,
      ],
    },
    [`${T}: first poll`]: {
      Type: "Pass",
      Parameters: { count: 0 },
      ResultPath: `${at}.polls`,
      Next: `${T}: wait`,
    },
    [`${T}: wait`]: { Type: "Wait", Seconds: p.pollIntervalS, Next: `${T}: describe refresh` },
    [`${T}: describe refresh`]: task(
      sdk("autoscaling", "describeInstanceRefreshes"),
      { AutoScalingGroupName: g.asgName, "InstanceRefreshIds.$": `States.Array(${at}.refresh.id)` },
      {
        ResultSelector: { "status.$": "$.InstanceRefreshes[0].Status" },
        ResultPath: `${at}.observed`,
        Next: `${T}: count poll`,
        Catch: catchAll(),
      },
    ),
    [`${T}: count poll`]: {
      Type: "Pass",
      Parameters: { "count.$": `States.MathAdd(${at}.polls.count, 1)` },
      ResultPath: `${at}.polls`,
      Next: `${T}: refresh done?`,
    },
    [`${T}: refresh done?`]: {
      Type: "Choice",
      Choices: [
        { Variable: `${at}.observed.status`, StringEquals: "Successful", Next: `${T}: released` },
        { Variable: `${at}.observed.status`, StringEquals: "RollbackSuccessful", Next: `${T}: rolled back` },
        {
          Or: ["Failed", "Cancelled", "RollbackFailed"].map((s) => ({
            Variable: `${at}.observed.status`,
            StringEquals: s,
          })),
          Next: `${T}: refresh failed`,
        },
        { Variable: `${at}.polls.count`, NumericGreaterThanEquals: p.maxPolls, Next: `${T}: deadline passed` },
      ],
      Default: `${T}: wait`,
    },
    [`${T}: released`]: { ...record(), Next: next },
    [`${T}: rolled back`]: { ...record(), Next: `${T}: report rollback` },
    [`${T}: report rollback`]: failed(
      "rolled-back",
      `States.Format('the ${g.group} group\\'s instance refresh {} failed and AWS rolled it back: the group is on its previous version', ${at}.refresh.id)`,
    ),
    [`${T}: refresh failed`]: { ...record(), Next: `${T}: report failure` },
    [`${T}: report failure`]: failed(
      "failed",
      `States.Format('the ${g.group} group\\'s instance refresh {} ended {}', ${at}.refresh.id, ${at}.observed.status)`,
    ),
    // No terminal status in time: AWS is asked to roll back (it may already be doing so: ignore that error).
    [`${T}: deadline passed`]: {
      Type: "Task",
      Resource: sdk("autoscaling", "rollbackInstanceRefresh"),
      Parameters: { AutoScalingGroupName: g.asgName },
      ResultPath: null,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: `${T}: timed out` }],
      Next: `${T}: timed out`,
    },
    [`${T}: timed out`]: { ...record(), Next: `${T}: report timeout` },
    [`${T}: report timeout`]: failed(
      "failed",
      `States.Format('the ${g.group} group\\'s instance refresh {} did not finish in ${p.maxPolls * p.pollIntervalS} s (last status {}); AWS was asked to roll it back', ${at}.refresh.id, ${at}.observed.status)`,
    ),
  };
}

/**
 * After a failure: a group this release already moved goes back to the version it had, and the release waits
 * for that (up to the same number of polls), so "the groups stay on the last good image" is true when it says so.
 */
function revertStates(p: ReleaseDefinitionParams, g: ReleaseGroupParams, next: string): Record<string, State> {
  const T = title(g.group);
  const prefs = g.revertPreferences;
  const back = `$.ran.${g.group}.putBack`;
  return {
    [`${T}: put back?`]: {
      Type: "Choice",
      Choices: [{ Variable: `$.ran.${g.group}.status`, StringEquals: "Successful", Next: `${T}: put back` }],
      Default: next,
    },
    [`${T}: put back`]: task(
      sdk("autoscaling", "startInstanceRefresh"),
      {
        AutoScalingGroupName: g.asgName,
        Strategy: "Rolling",
        DesiredConfiguration: desiredConfiguration(g, `$.${g.group}.before.version`),
        Preferences: {
          ...(prefs.minHealthyPercentage !== undefined ? { MinHealthyPercentage: prefs.minHealthyPercentage } : {}),
          ...(prefs.maxHealthyPercentage !== undefined ? { MaxHealthyPercentage: prefs.maxHealthyPercentage } : {}),
          ...(prefs.scaleInProtectedInstances !== undefined
            ? { ScaleInProtectedInstances: prefs.scaleInProtectedInstances }
            : {}),
          SkipMatching: true,
        },
      },
      {
        ResultSelector: { "instanceRefreshId.$": "$.InstanceRefreshId", count: 0 },
        ResultPath: back,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: `$.ran.${g.group}.putBackError`, Next: next }],
        Next: `${T}: wait for put back`,
      },
    ),
    [`${T}: wait for put back`]: { Type: "Wait", Seconds: p.pollIntervalS, Next: `${T}: describe put back` },
    [`${T}: describe put back`]: task(
      sdk("autoscaling", "describeInstanceRefreshes"),
      { AutoScalingGroupName: g.asgName, "InstanceRefreshIds.$": `States.Array(${back}.instanceRefreshId)` },
      {
        ResultSelector: { "status.$": "$.InstanceRefreshes[0].Status" },
        ResultPath: `${back}.observed`,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: `$.ran.${g.group}.putBackError`, Next: next }],
        Next: `${T}: count put back poll`,
      },
    ),
    [`${T}: count put back poll`]: {
      Type: "Pass",
      Parameters: {
        "instanceRefreshId.$": `${back}.instanceRefreshId`,
        "status.$": `${back}.observed.status`,
        "count.$": `States.MathAdd(${back}.count, 1)`,
      },
      ResultPath: back,
      Next: `${T}: put back done?`,
    },
    [`${T}: put back done?`]: {
      Type: "Choice",
      Choices: [
        {
          Or: [
            ...["Successful", "Failed", "Cancelled", "RollbackFailed", "RollbackSuccessful"].map((s) => ({
              Variable: `${back}.status`,
              StringEquals: s,
            })),
            { Variable: `${back}.count`, NumericGreaterThanEquals: p.maxPolls },
          ],
          Next: next,
        },
      ],
      Default: `${T}: wait for put back`,
    },
  };
}

/** Success: default versions, the last good record, the AMI's tag, the report. */
function promoteStates(p: ReleaseDefinitionParams): Record<string, State> {
  const states: Record<string, State> = {};
  const successful = (g: ReleaseGroupParams) => ({
    Variable: `$.ran.${g.group}.status`,
    StringEquals: "Successful",
  });
  states["Anything released?"] = {
    Type: "Choice",
    Choices: [{ Or: p.groups.map(successful), Next: `${title(p.groups[0]!.group)}: make default?` }],
    Default: "Nothing released",
  };
  states["Nothing released"] = {
    Type: "Pass",
    Parameters: {
      outcome: "skipped",
      "ami.$": "$.candidate.ami",
      "previousAmi.$": "$.lastGood.ami",
      "detail.$":
        "States.Format('no group was released (none of the groups asked for is one of this stack): {} is not promoted', $.candidate.ami)",
    },
    ResultPath: "$.result",
    Next: "Notify",
  };
  p.groups.forEach((g, i) => {
    const T = title(g.group);
    const next = i + 1 < p.groups.length ? `${title(p.groups[i + 1]!.group)}: make default?` : "Every group released?";
    states[`${T}: make default?`] = {
      Type: "Choice",
      Choices: [{ ...successful(g), Next: `${T}: make default` }],
      Default: next,
    };
    // Daytime scale-outs (and dev's restore) launch the group's version; the default is what the next
    // release and Pulumi's next template version start from.
    states[`${T}: make default`] = task(
      sdk("ec2", "modifyLaunchTemplate"),
      { LaunchTemplateId: g.launchTemplateId, "DefaultVersion.$": `$.${g.group}.version.number` },
      { ResultPath: null, Next: next, Catch: catchAll() },
    );
  });
  states["Every group released?"] = {
    Type: "Choice",
    Choices: [{ And: p.groups.map(successful), Next: "Write last good" }],
    Default: "Partly released",
  };
  states["Partly released"] = {
    Type: "Pass",
    Parameters: {
      outcome: "promoted",
      "ami.$": "$.candidate.ami",
      "previousAmi.$": "$.lastGood.ami",
      "detail.$":
        "States.Format('{} runs on the groups asked for only; the last good image stays {} until every group runs it', $.candidate.ami, $.lastGood.ami)",
    },
    ResultPath: "$.result",
    Next: "Notify",
  };
  states["Write last good"] = task(
    sdk("ssm", "putParameter"),
    { Name: p.lastGoodParameterName, "Value.$": "$.candidate.ami", Type: "String", Overwrite: true },
    { ResultPath: null, Next: "Tag good", Catch: catchAll() },
  );
  states["Tag good"] = tagState("good", "Replaced a last good image?", [{ Key: KEEP_TAG, Value: KEEP_VALUE }]);
  // The image lifecycle policy keeps exactly one AMI out of its count: the last good one. A release that
  // re-promotes the same AMI keeps its tag.
  states["Replaced a last good image?"] = {
    Type: "Choice",
    Choices: [{ Variable: "$.lastGood.ami", StringEqualsPath: "$.candidate.ami", Next: "Promoted" }],
    Default: "Untag the previous last good",
  };
  states["Untag the previous last good"] = task(
    sdk("ec2", "deleteTags"),
    { "Resources.$": "States.Array($.lastGood.ami)", Tags: [{ Key: KEEP_TAG }] },
    // Like the outcome tags: a failed untagging keeps one more AMI than needed, never loses one.
    {
      ResultPath: null,
      Next: "Promoted",
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.tagError", Next: "Promoted" }],
    },
  );
  states.Promoted = {
    Type: "Pass",
    Parameters: {
      outcome: "promoted",
      "ami.$": "$.candidate.ami",
      "previousAmi.$": "$.lastGood.ami",
      "detail.$":
        "States.Format('{} passed the canary and the bake on every group and is the last good image (was {}; reason {})', $.candidate.ami, $.lastGood.ami, $.request.reason)",
    },
    ResultPath: "$.result",
    Next: "Notify",
  };
  return states;
}

function tagState(value: "good" | "bad", next: string, extraTags: { Key: string; Value: string }[] = []): State {
  return task(
    sdk("ec2", "createTags"),
    {
      "Resources.$": "States.Array($.candidate.ami)",
      Tags: [
        { Key: RELEASE_TAG, Value: value },
        { Key: RELEASE_AT_TAG, "Value.$": "$$.State.EnteredTime" },
        ...extraTags,
      ],
    },
    // The tag is the record of the outcome, not the outcome: a failed tagging is reported, never undoes it.
    { ResultPath: null, Next: next, Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.tagError", Next: next }] },
  );
}

/** Failure: put moved groups back, mark the AMI bad when a refresh (not an API call) failed, report. */
function failureStates(p: ReleaseDefinitionParams): Record<string, State> {
  const states: Record<string, State> = {
    [FAILED_CALL]: {
      Type: "Pass",
      Parameters: {
        kind: "call",
        outcome: "failed",
        "detail.$": "States.Format('a call failed ({}: {}); the AMI is not marked', $.error.Error, $.error.Cause)",
      },
      ResultPath: "$.failure",
      Next: "Failure",
    },
    Failure: { Type: "Pass", Next: `${title(p.groups[0]!.group)}: put back?` },
  };
  p.groups.forEach((g, i) => {
    const next = i + 1 < p.groups.length ? `${title(p.groups[i + 1]!.group)}: put back?` : "Mark bad?";
    Object.assign(states, revertStates(p, g, next));
  });
  states["Mark bad?"] = {
    Type: "Choice",
    Choices: [{ Variable: "$.failure.kind", StringEquals: "refresh", Next: "Tag bad" }],
    Default: "Report failure",
  };
  states["Tag bad"] = tagState("bad", "Report failure");
  states["Report failure"] = {
    Type: "Pass",
    Parameters: {
      "outcome.$": "$.failure.outcome",
      "ami.$": "$.candidate.ami",
      "previousAmi.$": "$.lastGood.ami",
      "detail.$": "States.Format('{}; the groups stay on the last good image {}', $.failure.detail, $.lastGood.ami)",
    },
    ResultPath: "$.result",
    Next: "Notify",
  };
  return states;
}

/** The release state machine's definition, as an object (JSON.stringify it for AWS). */
export function releaseDefinition(p: ReleaseDefinitionParams): Record<string, unknown> {
  if (p.groups.length === 0) throw new Error("releaseDefinition: no group to release");
  const order = p.groups.map((g) => g.group);
  const expected = RELEASE_GROUPS.filter((g) => order.includes(g));
  if (order.join() !== expected.join())
    throw new Error(
      `releaseDefinition: groups ${order.join(", ")} are not in release order (${RELEASE_GROUPS.join(", ")})`,
    );
  const firstGroup = `${title(p.groups[0]!.group)}: selected?`;
  const states: Record<string, State> = { ...prologue(p, firstGroup) };
  p.groups.forEach((g, i) => {
    const next = i + 1 < p.groups.length ? `${title(p.groups[i + 1]!.group)}: selected?` : "Anything released?";
    Object.assign(states, groupStates(p, g, next));
  });
  Object.assign(states, promoteStates(p), failureStates(p));
  states.Notify = task(
    sdk("sns", "publish"),
    {
      TopicArn: p.topicArn,
      "Subject.$": `States.Format('fleet ${p.stack}: release {}', $.result.outcome)`,
      "Message.$": "States.JsonToString($.result)",
    },
    // No Catch: a release nobody hears about fails the execution, and the failed-release alarm says so.
    { ResultPath: null, Next: "Output" },
  );
  states.Output = {
    Type: "Pass",
    Parameters: {
      "outcome.$": "$.result.outcome",
      "ami.$": "$.result.ami",
      "previousAmi.$": "$.result.previousAmi",
      "detail.$": "$.result.detail",
      "groups.$": `States.Array(${p.groups.map((g) => `$.ran.${g.group}`).join(", ")})`,
    },
    End: true,
  };
  return {
    Comment: `fleet ${p.stack}: release an AMI to the groups (canary, bake, instance refresh with auto rollback)`,
    StartAt: "Read input",
    TimeoutSeconds: p.timeoutS,
    States: states,
  };
}
