import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseRedeployArgs, redeploy, RedeployError, USAGE, type RedeployCommand } from "../../scripts/redeploy";
import { EXIT } from "../../scripts/redeploy-release";
import { POLL_MS } from "../../scripts/redeploy-follow";
import { UsageError } from "../../scripts/cli";
import { entered, fakeWorld, inOrder, OUTPUTS, refresh, scheduled, succeeded, T0, type World } from "./redeploy-fakes";

const CANDIDATE = "ami-0c0ffee0c0ffee000";
const LAST_GOOD = "ami-0900d900d900d9000";
const PARAMS = { [OUTPUTS.amiParameterName]: CANDIDATE, [OUTPUTS.lastGoodAmiParameter]: LAST_GOOD };
const WEB = OUTPUTS.asgName;
const WORKER = OUTPUTS.workerAsgName;

function release(argv: string[]) {
  const cmd = parseRedeployArgs(argv);
  assert.notEqual(cmd.command, "help");
  return cmd as Exclude<RedeployCommand, { command: "help" }>;
}

/**
 * The web group's part of a release, with the state names of infra/night/releaseDefinition.ts: the
 * records read, a template version, the refresh, its canary checkpoint at 50 %, the rest, the bake.
 */
function webTicks(ami: string) {
  return [
    {
      events: [
        entered("Read input", "PassStateEntered"),
        entered("Read last good"),
        entered("Decide?"),
        entered("Web: selected?", "PassStateEntered"),
        entered("Web: new template version"),
        succeeded("ec2:createLaunchTemplateVersion", {
          LaunchTemplateVersion: { LaunchTemplateId: "lt-web", VersionNumber: 8, LaunchTemplateData: { ImageId: ami } },
        }),
        entered("Web: start refresh"),
        scheduled("autoscaling:startInstanceRefresh", { AutoScalingGroupName: WEB }),
        succeeded("autoscaling:startInstanceRefresh", { InstanceRefreshId: "r-web" }),
      ],
      refreshes: { [WEB]: [refresh("r-web", WEB, "InProgress", 0)] },
    },
    {
      events: [entered("Web: wait"), entered("Web: describe refresh"), entered("Web: refresh done?")],
      refreshes: { [WEB]: [refresh("r-web", WEB, "InProgress", 50)] },
    },
    {
      events: [entered("Web: wait"), entered("Web: describe refresh"), entered("Web: refresh done?")],
      refreshes: { [WEB]: [refresh("r-web", WEB, "InProgress", 100)] },
    },
    { refreshes: { [WEB]: [refresh("r-web", WEB, "Baking", 100)] } },
  ];
}

function promotedWorld(ami = CANDIDATE, previous = LAST_GOOD): World {
  return {
    parameters: PARAMS,
    ticks: [
      ...webTicks(ami),
      {
        events: [
          entered("Web: released", "PassStateEntered"),
          entered("Worker: selected?", "PassStateEntered"),
          entered("Worker: new template version"),
          entered("Worker: start refresh"),
          scheduled("autoscaling:startInstanceRefresh", { AutoScalingGroupName: WORKER }),
          succeeded("autoscaling:startInstanceRefresh", { InstanceRefreshId: "r-worker" }),
        ],
        refreshes: {
          [WEB]: [refresh("r-web", WEB, "Successful", 100)],
          [WORKER]: [refresh("r-worker", WORKER, "InProgress", 0)],
        },
      },
      {
        status: "SUCCEEDED",
        output: { outcome: "promoted", ami, previousAmi: previous, detail: "both groups on the new image" },
        events: [
          entered("Write last good"),
          scheduled("ssm:putParameter", { Name: OUTPUTS.lastGoodAmiParameter, Value: ami, Type: "String" }),
          entered("Tag good"),
          scheduled("ec2:createTags", { Resources: [ami], Tags: [{ Key: "fleet:release", Value: "good" }] }),
          entered("Notify"),
          scheduled("sns:publish", { Subject: "fleet prod: release promoted", Message: "{}" }),
        ],
        refreshes: { [WORKER]: [refresh("r-worker", WORKER, "Successful", 100)] },
      },
    ],
  };
}

describe("scripts/redeploy: the release, followed", () => {
  it("starts a redeploy of the candidate, prints each step as it happens and exits 0 on promoted", async () => {
    const w = fakeWorld(promotedWorld());
    const code = await redeploy(release(["prod"]), w.io);
    assert.equal(code, EXIT.promoted);
    assert.ok(w.calls.includes("region eu-central-1"), "the stack's region");
    assert.deepEqual(w.started, [{ name: "redeploy-20261203T170000Z", input: { reason: "redeploy", ami: CANDIDATE } }]);
    inOrder(w.log, [
      `candidate image: ${CANDIDATE} (${OUTPUTS.amiParameterName})`,
      `started redeploy-20261203T170000Z: redeploy of ${CANDIDATE} on web then worker`,
      "Read last good",
      "[web] new template version",
      `[web] launch template lt-web version 8 with ${CANDIDATE}`,
      "[web] start refresh",
      "[web] instance refresh r-web started",
      "[web] instance refresh r-web: InProgress, 0% complete",
      "[web] canary: launching the first instance(s) on the new image (checkpoint at 50%)",
      "[web] wait",
      "[web] describe refresh",
      "[web] 50% complete, 1 instance(s) to update",
      "[web] canary checkpoint 50% reached, baking 600 s under the alarms",
      "[web] checkpoint 50% bake ended: replacing the rest",
      "[web] 100% complete, 0 instance(s) to update",
      "[web] every instance replaced; bake started (300 s) under the alarms",
      // One poll: the history read first, then the refresh's end.
      "[worker] new template version",
      "[worker] start refresh",
      "[worker] instance refresh r-worker started",
      "[web] bake ended: instance refresh Successful",
      "[worker] instance refresh r-worker: InProgress, 0% complete",
      "Write last good",
      `recording the last good image: ${CANDIDATE} in ${OUTPUTS.lastGoodAmiParameter}`,
      "Tag good",
      `tagging ${CANDIDATE} fleet:release=good`,
      "Notify",
      "notifying the alarm topic: fleet prod: release promoted",
      "[worker] bake ended: instance refresh Successful",
      `promoted ${CANDIDATE} (previous ${LAST_GOOD}): both groups on the new image`,
    ]);
    // Each poll asks only for the events after the last one it saw.
    const afterIds = w.calls.filter((c) => c.startsWith("history ")).map((c) => Number(c.split(" ").at(-1)));
    assert.equal(afterIds[0], 0);
    assert.ok(afterIds.every((id, i) => i === 0 || id >= afterIds[i - 1]!) && afterIds.at(-1)! > 0, String(afterIds));
    // An event already printed is never printed again, even if a read returns it twice.
    assert.equal(new Set(w.log).size, w.log.length, w.log.join("\n"));
    // A polling loop enters the same states on every poll: each is printed once per group.
    assert.equal(w.log.filter((l) => l === "[web] wait").length, 1);
    assert.equal(w.log.filter((l) => l === "[web] describe refresh").length, 1);
    // Pass and Choice states are bookkeeping, not steps.
    assert.ok(!w.log.some((l) => /Read input|selected\?|Decide|refresh done\?|released$/.test(l)), w.log.join("\n"));
  });

  it("canary unhealthy: prints the rollback and exits with the rolled-back code", async () => {
    const w = fakeWorld({
      parameters: PARAMS,
      ticks: [
        webTicks(CANDIDATE)[0]!,
        { refreshes: { [WEB]: [refresh("r-web", WEB, "InProgress", 50)] } },
        {
          refreshes: {
            [WEB]: [
              refresh("r-web", WEB, "RollbackInProgress", 50, {
                StatusReason: "alarm fleet-prod-unhealthy-hosts is in ALARM",
                RollbackDetails: { RollbackReason: "alarm fleet-prod-unhealthy-hosts" },
              }),
            ],
          },
        },
        {
          status: "SUCCEEDED",
          output: { outcome: "rolled-back", ami: CANDIDATE, previousAmi: LAST_GOOD, detail: "web canary unhealthy" },
          events: [
            scheduled("ec2:createTags", { Resources: [CANDIDATE], Tags: [{ Key: "fleet:release", Value: "bad" }] }),
          ],
          refreshes: { [WEB]: [refresh("r-web", WEB, "RollbackSuccessful", 100)] },
        },
      ],
    });
    const code = await redeploy(release(["prod"]), w.io);
    assert.equal(code, EXIT["rolled-back"]);
    assert.notEqual(code, 0);
    inOrder(w.log, [
      "[web] canary checkpoint 50% reached, baking 600 s under the alarms",
      "[web] ROLLBACK started: alarm fleet-prod-unhealthy-hosts is in ALARM (alarm fleet-prod-unhealthy-hosts)",
      `tagging ${CANDIDATE} fleet:release=bad`,
      "[web] rolled back to the previous configuration",
      `rolled back: ${CANDIDATE} is marked bad, the groups stay on ${LAST_GOOD}: web canary unhealthy`,
    ]);
    assert.ok(!w.log.some((l) => /bake ended|100% complete/.test(l)), "a rollback's percentages are not progress");
  });

  it("gives up waiting at --timeout-minutes with its own code, and says the release goes on in AWS", async () => {
    const w = fakeWorld({ parameters: PARAMS, ticks: [webTicks(CANDIDATE)[0]!] });
    const code = await redeploy(release(["prod", "--timeout-minutes", "1"]), w.io);
    assert.equal(code, EXIT.timeout);
    assert.ok(w.elapsedMs() <= 60_000, `waited ${w.elapsedMs()} ms past a 1-minute timeout`);
    // A poll at 0, 15, 30, 45 and 60 s: the last one at the deadline, none after it.
    assert.equal(w.calls.filter((c) => c.startsWith("describeExecution")).length, 60_000 / POLL_MS + 1);
    assert.match(
      w.log.at(-1)!,
      /^timed out waiting; the release goes on in AWS: arn:aws:states:.*execution.*npm run redeploy -- prod --status/,
    );
  });

  it("follows only the refreshes this execution started, not last night's", async () => {
    const world = promotedWorld();
    const lastNight = refresh("r-old", WEB, "RollbackSuccessful", 100, { StartTime: new Date(T0 - 86_400_000) });
    for (const tick of world.ticks)
      tick.refreshes = { ...tick.refreshes, [WEB]: [...(tick.refreshes?.[WEB] ?? []), lastNight] };
    const w = fakeWorld(world);
    assert.equal(await redeploy(release(["prod"]), w.io), EXIT.promoted);
    assert.ok(!w.log.some((l) => l.includes("r-old") || /rolled back/.test(l)), w.log.join("\n"));
  });

  it("a failed poll is retried; several in a row stop the following (exit 4), never the release", async () => {
    const flaky = fakeWorld(promotedWorld());
    const history = flaky.aws.history.bind(flaky.aws);
    let failures = 2;
    flaky.aws.history = async (arn, afterId) => {
      if (failures-- > 0) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return history(arn, afterId);
    };
    assert.equal(await redeploy(release(["prod"]), flaky.io), EXIT.promoted);
    assert.equal(
      flaky.log.filter((l) => l === "poll failed (ThrottlingException: Rate exceeded); trying again").length,
      2,
    );

    const down = fakeWorld(promotedWorld());
    down.aws.history = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { name: "Error" });
    };
    assert.equal(await redeploy(release(["prod"]), down.io), EXIT.timeout);
    assert.match(
      down.log.at(-1)!,
      /^stopped following: 5 polls in a row failed \(last: Error: getaddrinfo ENOTFOUND\); the release goes on in AWS: arn:/,
    );
  });

  it("a failed execution (no outcome) exits with the failed code and prints its error", async () => {
    const w = fakeWorld({
      parameters: PARAMS,
      ticks: [
        { status: "FAILED", error: "States.TaskFailed", cause: "AccessDenied on autoscaling:StartInstanceRefresh" },
      ],
    });
    assert.equal(await redeploy(release(["prod"]), w.io), EXIT.failed);
    assert.equal(w.log.at(-1), "release FAILED: States.TaskFailed: AccessDenied on autoscaling:StartInstanceRefresh");
  });

  it("skipped: a distinct code, and says which of the two reasons", async () => {
    const w = fakeWorld({
      parameters: PARAMS,
      ticks: [{ status: "SUCCEEDED", output: { outcome: "skipped", ami: CANDIDATE, previousAmi: LAST_GOOD } }],
    });
    assert.equal(await redeploy(release(["prod"]), w.io), EXIT.skipped);
    assert.equal(
      w.log.at(-1),
      `skipped: ${CANDIDATE} is tagged fleet:release=bad: not tried again without force. Add --force to release it anyway`,
    );
  });

  it("--group worker releases the worker group only, and needs no web output", async () => {
    const { asgName: _web, ...outputs } = OUTPUTS;
    const images = { [CANDIDATE]: { ImageId: CANDIDATE } };
    const w = fakeWorld({ ...promotedWorld(), outputs, images });
    assert.equal(await redeploy(release(["--stack", "prod", "--group", "worker", "--ami", CANDIDATE]), w.io), 0);
    assert.deepEqual(w.started[0]!.input, { reason: "redeploy", ami: CANDIDATE, groups: ["worker"] });
    assert.ok(!w.calls.some((c) => c.includes(WEB)), "the web group is not polled");
  });

  it("--ami of an image that does not exist is refused before anything starts", async () => {
    const w = fakeWorld(promotedWorld());
    await assert.rejects(
      redeploy(release(["prod", "--ami", "ami-0123456789abcdef0"]), w.io),
      /--ami ami-0123456789abcdef0 does not exist in this region/,
    );
    assert.equal(w.started.length, 0);
  });

  it("a stack without a workerAsgName output is refused, naming the output and the fix", async () => {
    const { workerAsgName: _worker, ...outputs } = OUTPUTS;
    const w = fakeWorld({ ...promotedWorld(), outputs });
    await assert.rejects(redeploy(release(["prod"]), w.io), /workerAsgName/);
    assert.equal(w.started.length, 0);
  });

  it("refuses to start while another release runs, naming it", async () => {
    const w = fakeWorld({ ...promotedWorld(), running: true });
    await assert.rejects(
      redeploy(release(["prod"]), w.io),
      (err: unknown) =>
        err instanceof RedeployError &&
        /a release is already running: .*nightly \(started 2026-12-03T16:59:00.000Z\)/.test(err.message),
    );
    assert.equal(w.started.length, 0);
  });

  it("--dry-run prints the execution input and starts nothing", async () => {
    const w = fakeWorld(promotedWorld());
    assert.equal(await redeploy(release(["prod", "--dry-run", "--force", "--group", "web"]), w.io), 0);
    assert.equal(w.started.length, 0);
    assert.ok(!w.calls.some((c) => c.startsWith("describeExecution")));
    inOrder(w.log, [
      `would start ${OUTPUTS.releaseStateMachineArn}`,
      "  name:  redeploy-20261203T170000Z",
      `  input: {"reason":"redeploy","ami":"${CANDIDATE}","force":true,"groups":["web"]}`,
    ]);
  });

  it("names the missing stack output and the fix before calling AWS", async () => {
    const { releaseStateMachineArn: _arn, ...outputs } = OUTPUTS;
    const w = fakeWorld({ ...promotedWorld(), outputs });
    await assert.rejects(
      redeploy(release(["prod"]), w.io),
      /stack "prod" has no output "releaseStateMachineArn": run `pulumi up --stack prod` first/,
    );
    assert.ok(!w.calls.some((c) => /^(parameter|startExecution)/.test(c)));
  });
});

describe("scripts/redeploy: --to (rollback)", () => {
  const OLD_GOOD = "ami-00000000000000001";
  const NEVER = "ami-00000000000000002";
  const BAD = "ami-00000000000000003";
  const images = {
    [LAST_GOOD]: { ImageId: LAST_GOOD, Tags: [{ Key: "fleet:release", Value: "good" }] },
    [OLD_GOOD]: { ImageId: OLD_GOOD, Tags: [{ Key: "fleet:release", Value: "good" }] },
    [NEVER]: { ImageId: NEVER, Tags: [{ Key: "fleet:stack", Value: "prod" }] },
    [BAD]: { ImageId: BAD, Tags: [{ Key: "fleet:release", Value: "bad" }] },
  };
  const done = (ami: string) => ({
    status: "SUCCEEDED",
    output: { outcome: "promoted", ami, previousAmi: CANDIDATE },
  });

  it("--to last-good rolls back to the AMI in the last-good parameter", async () => {
    const w = fakeWorld({ parameters: PARAMS, images, ticks: [done(LAST_GOOD)] });
    assert.equal(await redeploy(release(["prod", "--to", "last-good"]), w.io), 0);
    assert.deepEqual(w.started, [{ name: "rollback-20261203T170000Z", input: { reason: "rollback", ami: LAST_GOOD } }]);
    inOrder(w.log, [
      `last good image: ${LAST_GOOD} (${OUTPUTS.lastGoodAmiParameter})`,
      /^started rollback-/,
      /^promoted/,
    ]);
  });

  it("--to an older promoted AMI is allowed without --force", async () => {
    const w = fakeWorld({ parameters: PARAMS, images, ticks: [done(OLD_GOOD)] });
    assert.equal(await redeploy(release(["prod", "--to", OLD_GOOD]), w.io), 0);
    assert.deepEqual(w.started[0]!.input, { reason: "rollback", ami: OLD_GOOD });
  });

  for (const [ami, kind, what] of [
    [NEVER, "never promoted", "has no fleet:release tag: it was never promoted"],
    [BAD, "tagged bad", "is tagged fleet:release=bad: a release failed or rolled back on it"],
  ] as const) {
    it(`--to an AMI ${kind} is refused without --force, naming the AMI, its tag and the fix`, async () => {
      const w = fakeWorld({ parameters: PARAMS, images, ticks: [done(ami)] });
      await assert.rejects(redeploy(release(["prod", "--to", ami]), w.io), (err: unknown) => {
        assert.ok(err instanceof RedeployError);
        assert.equal(
          err.message,
          `refusing to roll back: ${ami} ${what}. Roll back to a promoted image (tagged fleet:release=good, or --to last-good; ` +
            "`npm run redeploy -- prod --status` lists them), or add --force to deploy it anyway",
        );
        return true;
      });
      assert.equal(w.started.length, 0);
    });

    it(`--to an AMI ${kind} with --force starts a forced rollback and says so`, async () => {
      const w = fakeWorld({ parameters: PARAMS, images, ticks: [done(ami)] });
      assert.equal(await redeploy(release(["prod", "--to", ami, "--force"]), w.io), 0);
      assert.deepEqual(w.started[0]!.input, { reason: "rollback", ami, force: true });
      assert.ok(w.log.includes(`${ami} ${what}; going ahead because of --force`));
    });
  }

  it("--to an AMI that does not exist is refused even with --force", async () => {
    const w = fakeWorld({ parameters: PARAMS, images, ticks: [] });
    await assert.rejects(
      redeploy(release(["prod", "--to", "ami-0123456789abcdef0", "--force"]), w.io),
      /ami-0123456789abcdef0 does not exist in this region/,
    );
  });
});

describe("scripts/redeploy: --status", () => {
  it("prints each group's AMI, the last good, the candidate, the bad images and the last release", async () => {
    const w = fakeWorld({
      parameters: PARAMS,
      ticks: [],
      groupTemplates: {
        [WEB]: { templateId: "lt-web", version: "8" },
        [WORKER]: { templateId: "lt-worker", version: "$Default" },
      },
      templateImages: {
        "lt-web 8": { version: 8, imageId: LAST_GOOD },
        "lt-worker $Default": { version: 5, imageId: LAST_GOOD },
      },
      badImages: [
        {
          ImageId: "ami-0bad0000000000001",
          Name: "fleet-prod 1.0.1",
          Tags: [{ Key: "fleet:release-at", Value: "2026-12-01T03:40:00Z" }],
        },
        { ImageId: "ami-0bad0000000000002", Tags: [{ Key: "fleet:release-at", Value: "2026-12-02T03:41:00Z" }] },
      ],
      lastExecution: {
        executionArn: "arn:aws:states:eu-central-1:111122223333:execution:fleet-prod-release:nightly-1",
        stateMachineArn: OUTPUTS.releaseStateMachineArn,
        name: "nightly-1",
        status: "SUCCEEDED",
        startDate: new Date("2026-12-03T02:00:00Z"),
        stopDate: new Date("2026-12-03T02:41:00Z"),
        input: JSON.stringify({ reason: "nightly" }),
        output: JSON.stringify({
          outcome: "rolled-back",
          ami: "ami-0bad0000000000002",
          previousAmi: LAST_GOOD,
          detail: "worker refresh rolled back by AWS",
          groups: [
            { group: "web", instanceRefreshId: "r-1", status: "Successful" },
            { group: "worker", instanceRefreshId: "r-2", status: "RollbackSuccessful" },
          ],
        }),
      },
    });
    assert.equal(await redeploy(release(["prod", "--status"]), w.io), 0);
    assert.deepEqual(w.log, [
      "stack prod (eu-central-1)",
      "groups:",
      `  web    ${WEB}: ${LAST_GOOD} (last good), launch template lt-web version 8`,
      `  worker ${WORKER}: ${LAST_GOOD} (last good), launch template lt-worker version $Default (5)`,
      `last good: ${LAST_GOOD}  [${OUTPUTS.lastGoodAmiParameter}]`,
      `candidate: ${CANDIDATE} (not released yet)  [${OUTPUTS.amiParameterName}]`,
      "bad images (fleet:release=bad), newest first:",
      "  ami-0bad0000000000002  since 2026-12-02T03:41:00Z",
      "  ami-0bad0000000000001  since 2026-12-01T03:40:00Z  fleet-prod 1.0.1",
      "last release: nightly-1 (nightly of the candidate), SUCCEEDED, 2026-12-03T02:00:00.000Z → 2026-12-03T02:41:00.000Z",
      `  outcome: rolled-back ami-0bad0000000000002 (previous ${LAST_GOOD}): worker refresh rolled back by AWS`,
      "  web: refresh r-1 Successful",
      "  worker: refresh r-2 RollbackSuccessful",
    ]);
    assert.ok(
      w.calls.includes(`imagesTagged {"fleet:release":"bad","fleet:stack":"prod"}`),
      "only this stack's bad images",
    );
    assert.ok(!w.calls.some((c) => c.startsWith("startExecution")));
  });

  it("a group whose stack output is missing is one line of the status, not its end", async () => {
    const { asgName: _web, ...outputs } = OUTPUTS;
    const w = fakeWorld({ parameters: PARAMS, ticks: [], outputs });
    assert.equal(await redeploy(release(["prod", "--status"]), w.io), 0);
    assert.ok(
      w.log.includes('  web    stack "prod" has no output "asgName": run `pulumi up --stack prod` first'),
      w.log.join("\n"),
    );
    assert.ok(w.log.includes("last release: none yet"));
  });
});

describe("scripts/redeploy: arguments", () => {
  it("takes the stack as a positional or --stack, and the options", () => {
    const base = {
      command: "release",
      stack: "prod",
      reason: "redeploy",
      ami: undefined,
      force: false,
      groups: [],
      dryRun: false,
      timeoutMinutes: 180,
    };
    assert.deepEqual(parseRedeployArgs(["prod"]), base);
    assert.deepEqual(parseRedeployArgs(["--stack", "prod"]), base);
    assert.deepEqual(parseRedeployArgs(["prod", "--stack", "prod"]), base);
    assert.deepEqual(
      parseRedeployArgs(["prod", "--to", "last-good", "--group", "web", "--group", "worker", "--dry-run"]),
      {
        ...base,
        reason: "rollback",
        ami: "last-good",
        groups: ["web", "worker"],
        dryRun: true,
      },
    );
    assert.deepEqual(parseRedeployArgs(["prod", "--status"]), { command: "status", stack: "prod" });
    assert.deepEqual(parseRedeployArgs(["acme/fleet/prod", "--status"]), {
      command: "status",
      stack: "acme/fleet/prod",
    });
    assert.deepEqual(parseRedeployArgs(["--help"]), { command: "help" });
    assert.deepEqual(parseRedeployArgs(["-h"]), { command: "help" });
  });

  const bad: Array<[string[], RegExp]> = [
    [[], /give the stack, e.g. npm run redeploy -- prod/],
    [["prod", "dev"], /give one stack, e.g. npm run redeploy -- prod; got "prod" "dev"/],
    [["prod", "--stack", "dev"], /the stack is given twice \("prod" and --stack "dev"\): give it once/],
    [["pr od"], /"pr od" is not a Pulumi stack name/],
    [
      ["prod", "--to", "yesterday"],
      /--to must be "last-good" or an AMI id such as ami-0123456789abcdef0; got "yesterday"/,
    ],
    [["prod", "--ami", "last-good"], /--ami must be an AMI id such as ami-0123456789abcdef0; got "last-good"/],
    [["prod", "--ami", "ami-XYZ"], /--ami must be an AMI id/],
    [
      ["prod", "--ami", CANDIDATE, "--to", LAST_GOOD],
      /give --ami \(release this AMI\) or --to \(roll back to it\), not both/,
    ],
    [["prod", "--group", "api"], /--group must be one of web, worker, e.g. --group worker; got "api"/],
    [["prod", "--status", "--force"], /--status only reads; drop --force/],
    [
      ["prod", "--timeout-minutes", "0"],
      /--timeout-minutes must be an integer from 1 to 1440, e.g. --timeout-minutes 180; got "0"/,
    ],
    [["prod", "--to"], /--to/],
    [["prod", "--bake"], /Unknown option '--bake'/],
    [["prod", "--wait"], /--wait is gone: redeploy always waits/],
    [["prod", "--skip-bake"], /--skip-bake is gone/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv)}, naming the flag and the fix`, () => {
      assert.throws(
        () => parseRedeployArgs(argv),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }

  it("as a process: --help prints the usage and exits 0; a bad flag prints it on stderr and exits 1", function () {
    this.timeout(30_000);
    const root = path.resolve(__dirname, "../..");
    const tsx = path.join(root, "node_modules/.bin/tsx");
    const help = spawnSync(tsx, ["scripts/redeploy.ts", "--help"], { cwd: root, encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.equal(help.stdout.trim(), USAGE);
    const wrong = spawnSync(tsx, ["scripts/redeploy.ts", "prod", "--group", "db"], { cwd: root, encoding: "utf8" });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^redeploy: --group must be one of web, worker/);
    assert.ok(wrong.stderr.includes(USAGE));
  });
});
