/**
 * The release state machine, executed offline: its definition is validated with asl-validator and run with
 * aws-local-stepfunctions against a stateful fake of the AWS calls (test/infra/releaseFake.ts), for a good
 * night, a canary that goes unhealthy, an alarm during the bake, a refresh AWS rolls back after another group
 * moved, a refresh that never ends, a bad AMI offered again, and a rollback to the last good image. Each run
 * asserts what the operator relies on: which AMI each group ends on, what the records say, what the topic says.
 */
import * as assert from "node:assert/strict";
import { releaseDefinition, type ReleaseDefinitionParams } from "../../infra/night/releaseDefinition";
import { releaseRolePolicy } from "../../infra/night/release";
import {
  releaseDecision,
  releasePreferences,
  RELEASE_REASONS,
  type ReleaseReason,
  type ReleaseTagValue,
} from "../../infra/night/releasePlan";
import { INSTANCE_REFRESH_PREFERENCES } from "../../infra/night/refresh";
import { WORKER_REFRESH_PREFERENCES } from "../../infra/jobs/workerFleet";
import { instancesDistribution, type WorkerPurchase } from "../../infra/jobs/spotPolicy";
import { amiOf, aslProblems, RELEASE_TIME, runRelease, type World } from "./releaseFake";

const CANDIDATE_PARAM = "/imagebuilder/fleet/dev/ami";
const LAST_GOOD_PARAM = "/fleet/dev/release/last-good-ami";
const TOPIC = "arn:aws:sns:eu-central-1:123456789012:fleet-alarms";
const GOOD = "ami-0000000000000aaaa";
const NEW = "ami-0000000000000bbbb";
const TIMING = { canaryBakeS: 600, bakeTimeS: 600 };
const WEB_ALARMS = ["alb-5xx", "target-5xx", "unhealthy", "p99"];
const WORKER_ALARMS = ["jobs-dlq", "jobs-failed"];
/** The worker group buys Spot through a mixed instances policy, as every stack's does. */
const PURCHASE: WorkerPurchase = {
  instanceTypes: ["t3.small", "t3a.small"],
  onDemandBase: 0,
  onDemandPercentAboveBase: 0,
};
const WORKER_MIXED = {
  Overrides: [{ InstanceType: "t3.small" }, { InstanceType: "t3a.small" }],
  InstancesDistribution: instancesDistribution(PURCHASE),
};

const params: ReleaseDefinitionParams = {
  stack: "dev",
  candidateParameterName: CANDIDATE_PARAM,
  lastGoodParameterName: LAST_GOOD_PARAM,
  topicArn: TOPIC,
  groups: [
    {
      group: "web",
      asgName: "fleet-asg-web",
      launchTemplateId: "lt-web",
      preferences: releasePreferences(INSTANCE_REFRESH_PREFERENCES, WEB_ALARMS, TIMING),
      revertPreferences: INSTANCE_REFRESH_PREFERENCES,
      maxSize: 4,
    },
    {
      group: "worker",
      asgName: "fleet-worker-dev",
      launchTemplateId: "lt-worker",
      preferences: releasePreferences(WORKER_REFRESH_PREFERENCES, WORKER_ALARMS, TIMING),
      revertPreferences: WORKER_REFRESH_PREFERENCES,
      maxSize: 2,
      purchase: PURCHASE,
    },
  ],
  pollIntervalS: 60,
  maxPolls: 5,
  nightlyDelayS: 900,
  timeoutS: 4 * 3600,
};
const definition = releaseDefinition(params);

/** Both groups on version 1 of their template (the last good AMI); tonight's build is the candidate. */
function world(over: { web?: string[]; worker?: string[]; webDesired?: number } = {}): World {
  return {
    params: { [CANDIDATE_PARAM]: NEW, [LAST_GOOD_PARAM]: GOOD },
    amiTags: { [GOOD]: { "fleet:release": "good", "fleet:keep": "last-good" } },
    templates: {
      "lt-web": { defaultVersion: 1, versions: { 1: GOOD } },
      "lt-worker": { defaultVersion: 1, versions: { 1: GOOD } },
    },
    groups: {
      "fleet-asg-web": {
        templateId: "lt-web",
        version: "1",
        desired: over.webDesired ?? 3,
        script: over.web ?? ["Pending", "InProgress", "Baking", "Successful"],
      },
      "fleet-worker-dev": {
        templateId: "lt-worker",
        version: "1",
        desired: 1,
        script: over.worker ?? ["Successful"],
        mixed: structuredClone(WORKER_MIXED),
      },
    },
    published: [],
    calls: [],
    refreshRequests: [],
    rollbacksRequested: [],
  };
}

/** What every bad night leaves behind: the groups on the last good image, the record unchanged, one message. */
function assertBadNight(w: World, out: any, outcome: string): void {
  assert.equal(out.outcome, outcome);
  assert.equal(out.ami, NEW);
  assert.equal(out.previousAmi, GOOD);
  assert.equal(w.amiTags[NEW]?.["fleet:release"], "bad", "the AMI is marked bad");
  assert.equal(w.amiTags[NEW]?.["fleet:release-at"], RELEASE_TIME);
  assert.equal(w.params[LAST_GOOD_PARAM], GOOD, "the last good image is unchanged");
  assert.equal(w.amiTags[GOOD]?.["fleet:keep"], "last-good", "the last good AMI stays out of the lifecycle count");
  assert.equal(w.amiTags[NEW]?.["fleet:keep"], undefined, "a bad AMI is never kept");
  assert.equal(w.templates["lt-web"]!.defaultVersion, 1, "the templates' defaults are unchanged");
  assert.equal(w.templates["lt-worker"]!.defaultVersion, 1);
  assert.equal(w.published.length, 1, "one message per outcome");
  assert.equal(w.published[0]!.subject, `fleet dev: release ${outcome}`);
  assert.deepEqual(w.published[0]!.message, { outcome, ami: NEW, previousAmi: GOOD, detail: out.detail });
  assert.match(out.detail, new RegExp(`the groups stay on the last good image ${GOOD}`));
}

describe("release state machine: definition", () => {
  it("is valid Amazon States Language (asl-validator, ARNs and paths checked)", () => {
    assert.deepEqual(aslProblems(definition), []);
  });

  it("uses AWS SDK service integrations only: no Lambda, no activity, no server of ours", () => {
    const tasks = Object.values<any>(definition.States as object).filter((s) => s.Type === "Task");
    assert.ok(tasks.length > 10);
    for (const t of tasks) assert.match(t.Resource, /^arn:aws:states:::aws-sdk:[a-z0-9]+:[a-zA-Z]+$/);
  });

  it("has a permission in the state machine's role for every AWS call it makes", () => {
    // An SDK integration's ARN names the call (arn:aws:states:::aws-sdk:ec2:deleteTags); its IAM action is
    // the service prefix and the call's name with a capital (ec2:DeleteTags). A missing one fails at night.
    const policy = releaseRolePolicy({
      region: "eu-central-1",
      accountId: "123456789012",
      stack: "dev",
      candidateParameterName: CANDIDATE_PARAM,
      lastGoodParameterName: LAST_GOOD_PARAM,
      topicArn: TOPIC,
      topicKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/k",
      groups: [],
    });
    const allowed = new Set(
      policy.Statement.filter((st) => st.Effect === "Allow").flatMap((st) => st.Action as string[]),
    );
    const calls = Object.values<any>(definition.States as object)
      .filter((st) => st.Type === "Task")
      .map((st) => /aws-sdk:([a-z0-9]+):([a-zA-Z]+)$/.exec(st.Resource)!)
      .map(([, service, call]) => `${service}:${call![0]!.toUpperCase()}${call!.slice(1)}`);
    assert.ok(calls.includes("ec2:DeleteTags"), "the keep tag is moved");
    for (const action of new Set(calls)) assert.ok(allowed.has(action), `${action} is allowed`);
  });

  it("refuses groups out of release order", () => {
    assert.throws(() => releaseDefinition({ ...params, groups: [...params.groups].reverse() }), /release order/);
    assert.throws(() => releaseDefinition({ ...params, groups: [] }), /no group/);
  });
});

describe("release state machine: offline executions", () => {
  it("a good night: canary, bake, refresh of both groups; the AMI becomes the last good image", async () => {
    const w = world();
    const out = await runRelease(definition, w, { reason: "nightly" });
    assert.equal(out.outcome, "promoted");
    assert.deepEqual([out.ami, out.previousAmi], [NEW, GOOD]);
    assert.deepEqual(
      out.groups.map((g: any) => [g.group, g.status]),
      [
        ["web", "Successful"],
        ["worker", "Successful"],
      ],
    );
    assert.equal(amiOf(w, "fleet-asg-web"), NEW);
    assert.equal(amiOf(w, "fleet-worker-dev"), NEW);
    assert.equal(w.params[LAST_GOOD_PARAM], NEW);
    assert.deepEqual(w.amiTags[NEW], {
      "fleet:release": "good",
      "fleet:release-at": RELEASE_TIME,
      "fleet:keep": "last-good",
    });
    // The lifecycle policy's exclusion moves with the record: exactly one AMI is kept out of its count.
    assert.deepEqual(w.amiTags[GOOD], { "fleet:release": "good" }, "the previous last good AMI may age out");
    // The release's version is each template's default: the next release and Pulumi start from it.
    assert.equal(w.templates["lt-web"]!.versions[w.templates["lt-web"]!.defaultVersion], NEW);
    assert.equal(w.templates["lt-worker"]!.versions[w.templates["lt-worker"]!.defaultVersion], NEW);
    // The web refresh: a concrete version, one instance of three first (33 %), rollback and alarms on.
    const [web, worker] = w.refreshRequests;
    assert.deepEqual(web.DesiredConfiguration, { LaunchTemplate: { LaunchTemplateId: "lt-web", Version: "2" } });
    assert.deepEqual(web.Preferences.CheckpointPercentages, [33, 100]);
    assert.equal(web.Preferences.CheckpointDelay, TIMING.canaryBakeS);
    assert.equal(web.Preferences.BakeTime, TIMING.bakeTimeS);
    assert.equal(web.Preferences.AutoRollback, true);
    assert.deepEqual(web.Preferences.AlarmSpecification, { Alarms: WEB_ALARMS });
    assert.deepEqual(worker.Preferences.CheckpointPercentages, [100], "a group of one: its instance is the canary");
    assert.equal(worker.Preferences.ScaleInProtectedInstances, "Refresh");
    assert.deepEqual(worker.Preferences.AlarmSpecification, { Alarms: WORKER_ALARMS });
    assert.deepEqual(
      w.calls.filter((c) => c.startsWith("autoscaling:start")),
      ["autoscaling:startInstanceRefresh fleet-asg-web", "autoscaling:startInstanceRefresh fleet-worker-dev"],
      "web first, then worker",
    );
    assert.equal(w.published.length, 1);
    assert.equal(w.published[0]!.subject, "fleet dev: release promoted");
    assert.match(String(w.published[0]!.message.detail), /passed the canary and the bake on every group/);
  });

  it("the worker group keeps its Spot: its refresh carries the whole mixed instances policy", async () => {
    const w = world();
    const out = await runRelease(definition, w, { reason: "nightly" });
    assert.equal(out.outcome, "promoted");
    const worker = w.refreshRequests.find((r) => r.AutoScalingGroupName === "fleet-worker-dev")!;
    assert.deepEqual(worker.DesiredConfiguration, {
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: "lt-worker", Version: "2" },
          Overrides: WORKER_MIXED.Overrides,
        },
        InstancesDistribution: {
          OnDemandAllocationStrategy: "prioritized",
          OnDemandBaseCapacity: 0,
          OnDemandPercentageAboveBaseCapacity: 0,
          SpotAllocationStrategy: "price-capacity-optimized",
        },
      },
    });
    // A successful refresh sets the group to its desired configuration: still mixed, on the new version.
    assert.deepEqual(w.groups["fleet-worker-dev"]!.mixed, WORKER_MIXED);
    assert.equal(amiOf(w, "fleet-worker-dev"), NEW);
    // Its put-back (when a later group fails) is mixed too, onto the version it read before.
    const putBack = (definition.States as any)["Worker: put back"].Parameters.DesiredConfiguration;
    assert.deepEqual(putBack.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification, {
      LaunchTemplateId: "lt-worker",
      "Version.$": "$.worker.before.version",
    });
    assert.deepEqual(putBack.MixedInstancesPolicy.InstancesDistribution, WORKER_MIXED.InstancesDistribution);
  });

  it("a canary that goes unhealthy: AWS rolls the web group back; the worker is never touched", async () => {
    const w = world({ web: ["InProgress", "RollbackInProgress", "RollbackSuccessful"] });
    const out = await runRelease(definition, w, { reason: "nightly" });
    assertBadNight(w, out, "rolled-back");
    assert.equal(amiOf(w, "fleet-asg-web"), GOOD);
    assert.equal(amiOf(w, "fleet-worker-dev"), GOOD);
    assert.deepEqual(
      out.groups.map((g: any) => [g.group, g.status]),
      [
        ["web", "RollbackSuccessful"],
        ["worker", "NotStarted"],
      ],
    );
    assert.ok(!w.calls.some((c) => c.includes("fleet-worker-dev")), "no call touched the worker group");
    assert.match(out.detail, /web group's instance refresh refresh-1 failed and AWS rolled it back/);
  });

  it("an alarm during the bake: the refresh fails while Baking, AWS rolls back", async () => {
    const w = world({ web: ["InProgress", "Baking", "Baking", "RollbackInProgress", "RollbackSuccessful"] });
    const out = await runRelease(definition, w, { reason: "redeploy" });
    assertBadNight(w, out, "rolled-back");
    assert.equal(amiOf(w, "fleet-asg-web"), GOOD);
  });

  it("a refresh AWS rolls back after the web group moved: the web group is put back too", async () => {
    const w = world({ worker: ["InProgress", "RollbackSuccessful"] });
    const out = await runRelease(definition, w, { reason: "nightly" });
    assertBadNight(w, out, "rolled-back");
    // The web group had moved; the release refreshes it back onto the version it had and waits for that.
    assert.equal(amiOf(w, "fleet-worker-dev"), GOOD);
    assert.equal(amiOf(w, "fleet-asg-web"), GOOD);
    const putBack = w.refreshRequests[2];
    assert.equal(putBack.AutoScalingGroupName, "fleet-asg-web");
    assert.deepEqual(putBack.DesiredConfiguration, { LaunchTemplate: { LaunchTemplateId: "lt-web", Version: "1" } });
    assert.equal(out.groups[0].putBack.instanceRefreshId, "refresh-3");
    assert.equal(out.groups[0].putBack.status, "Successful", "the release waited for the web group to be back");
  });

  it("a refresh that never finishes: at the deadline AWS is asked to roll back, the night fails", async () => {
    const w = world({ web: ["InProgress"] });
    const out = await runRelease(definition, w, { reason: "nightly" });
    assertBadNight(w, out, "failed");
    assert.deepEqual(w.rollbacksRequested, ["fleet-asg-web"]);
    assert.equal(
      w.calls.filter((c) => c === "autoscaling:describeInstanceRefreshes fleet-asg-web").length,
      params.maxPolls,
    );
    assert.match(out.detail, /did not finish in 300 s \(last status InProgress\); AWS was asked to roll it back/);
  });

  it("a bad AMI is not tried again the next night: skipped, nothing refreshed", async () => {
    const w = world({ web: ["InProgress", "RollbackSuccessful"] });
    await runRelease(definition, w, { reason: "nightly" });
    w.published = [];
    w.calls = [];
    const out = await runRelease(definition, w, { reason: "nightly" });
    assert.equal(out.outcome, "skipped");
    assert.match(out.detail, /is tagged fleet:release=bad/);
    assert.ok(!w.calls.some((c) => c.startsWith("autoscaling") || c.startsWith("ec2:create")), w.calls.join());
    assert.equal(w.published.length, 1);
    assert.equal(w.published[0]!.subject, "fleet dev: release skipped");
    // ...unless forced.
    w.groups["fleet-asg-web"]!.script = ["Successful"];
    const forced = await runRelease(definition, w, { reason: "redeploy", ami: NEW, force: true });
    assert.equal(forced.outcome, "promoted");
  });

  it("a rollback to the last good image puts groups that drifted back on it", async () => {
    const w = world();
    // The web group runs an image that was never promoted (e.g. put there by hand).
    w.templates["lt-web"]!.versions[2] = NEW;
    w.groups["fleet-asg-web"]!.version = "2";
    const out = await runRelease(definition, w, { reason: "rollback", ami: GOOD });
    assert.equal(out.outcome, "promoted");
    assert.deepEqual([out.ami, out.previousAmi], [GOOD, GOOD]);
    assert.equal(amiOf(w, "fleet-asg-web"), GOOD);
    assert.equal(amiOf(w, "fleet-worker-dev"), GOOD);
    assert.equal(w.params[LAST_GOOD_PARAM], GOOD);
  });

  it("waits for a refresh already running (InstanceRefreshInProgress) instead of failing the night", async () => {
    const w = world();
    w.groups["fleet-asg-web"]!.busyTimes = 2;
    const out = await runRelease(definition, w, { reason: "nightly" });
    assert.equal(out.outcome, "promoted");
  });

  it("a failed call is a failed release that marks nothing bad", async () => {
    const w = world();
    delete w.params[CANDIDATE_PARAM];
    const out = await runRelease(definition, w, { reason: "nightly" });
    assert.equal(out.outcome, "failed");
    assert.match(out.detail, /Ssm\.ParameterNotFoundException/);
    assert.equal(w.amiTags[NEW], undefined);
    assert.equal(w.published.length, 1);
  });

  it("only the groups asked for: the last good image waits until every group runs the AMI", async () => {
    const w = world();
    const out = await runRelease(definition, w, { reason: "redeploy", groups: ["worker"] });
    assert.equal(out.outcome, "promoted");
    assert.equal(amiOf(w, "fleet-asg-web"), GOOD);
    assert.equal(amiOf(w, "fleet-worker-dev"), NEW);
    assert.equal(w.params[LAST_GOOD_PARAM], GOOD);
    assert.match(out.detail, /the last good image stays/);
  });

  it("decides exactly as releaseDecision for every reason, tag, force and last-good combination", async function () {
    this.timeout(180_000); // 36 executions
    const tags: (ReleaseTagValue | undefined)[] = [undefined, "good", "bad"];
    for (const reason of RELEASE_REASONS as readonly ReleaseReason[])
      for (const tag of tags)
        for (const force of [false, true])
          for (const isLastGood of [false, true]) {
            const w = world({ web: ["Successful"] });
            const ami = isLastGood ? GOOD : NEW;
            w.amiTags[ami] = tag === undefined ? {} : { "fleet:release": tag };
            const out = await runRelease(definition, w, { reason, ami, force });
            const expected = releaseDecision({ reason, force, isLastGood, tag });
            assert.equal(
              out.outcome === "skipped",
              expected.action === "skip",
              `${JSON.stringify({ reason, tag, force, isLastGood })}: ${out.detail}`,
            );
          }
  });
});
