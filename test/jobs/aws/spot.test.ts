/**
 * Spot notices from the worker's side (service/jobs/aws/spot.ts and the fleet worker's hooks): what IMDS's two
 * paths answer (404 when none, JSON when one), the time left for running jobs, and what the hooks do on each
 * notice against the local IMDSv2 / Auto Scaling fake: drain with a hand-back deadline, complete the lifecycle
 * action once it is pending, and exit for a restart when no termination follows.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  readSpotSignal,
  REBALANCE_PATH,
  SPOT_ACTION_PATH,
  SPOT_MARGIN_MS,
  SPOT_NOTICE_MS,
  spotDrainBudgetMs,
  SpotNoticeError,
} from "../../../service/jobs/aws/spot";
import { fleetWorkerProcessHooks, SPOT_RESTART_EXIT_CODE } from "../../../service/jobs/aws/worker-hooks";
import { startFakeAws, type FakeAws } from "./fake-aws";

const T0 = Date.parse("2026-12-03T20:00:00Z");

describe("Spot notices: reading IMDS", () => {
  const from = (answers: Record<string, string>) => (path: string) => Promise.resolve(answers[path]);

  it("is nothing while both paths answer 404", async () => {
    assert.equal(await readSpotSignal(from({})), undefined);
  });

  it("reads the interruption notice's action and time, before a rebalance recommendation", async () => {
    const signal = await readSpotSignal(
      from({
        [SPOT_ACTION_PATH]: '{"action": "terminate", "time": "2026-12-03T20:02:00Z"}',
        [REBALANCE_PATH]: '{"noticeTime": "2026-12-03T19:59:00Z"}',
      }),
    );
    assert.deepEqual(signal, { kind: "interruption", action: "terminate", atMs: T0 + 120_000 });
  });

  it("reads a rebalance recommendation's notice time", async () => {
    assert.deepEqual(await readSpotSignal(from({ [REBALANCE_PATH]: '{"noticeTime": "2026-12-03T20:00:00Z"}' })), {
      kind: "rebalance",
      noticeAtMs: T0,
    });
  });

  it("refuses a body that is no notice, naming the path", async () => {
    await assert.rejects(readSpotSignal(from({ [SPOT_ACTION_PATH]: "<html>" })), (e: unknown) => {
      return e instanceof SpotNoticeError && e.path === SPOT_ACTION_PATH;
    });
    await assert.rejects(readSpotSignal(from({ [REBALANCE_PATH]: '{"noticeTime": "soon"}' })), SpotNoticeError);
  });
});

describe("Spot notices: the time left for running jobs (by hand)", () => {
  it("an interruption at T+120 s seen at T: 120 − 20 = 100 s", () => {
    assert.equal(SPOT_NOTICE_MS - SPOT_MARGIN_MS, 100_000);
    assert.equal(spotDrainBudgetMs({ kind: "interruption", action: "terminate", atMs: T0 + 120_000 }, T0), 100_000);
  });
  it("seen 30 s late: 90 − 20 = 70 s; seen past the margin: 0", () => {
    assert.equal(spotDrainBudgetMs({ kind: "interruption", action: "stop", atMs: T0 + 90_000 }, T0), 70_000);
    assert.equal(spotDrainBudgetMs({ kind: "interruption", action: "stop", atMs: T0 + 15_000 }, T0), 0);
  });
  it("never more than the two-minute notice, even for a time further out", () => {
    assert.equal(spotDrainBudgetMs({ kind: "interruption", action: "terminate", atMs: T0 + 600_000 }, T0), 100_000);
  });
  it("a rebalance recommendation: the notice's two minutes, as an interruption may follow at once", () => {
    assert.equal(spotDrainBudgetMs({ kind: "rebalance", noticeAtMs: T0 - 60_000 }, T0), 100_000);
  });
});

describe("Spot notices: the fleet worker's hooks (IMDSv2 and Auto Scaling fakes)", () => {
  let fake: FakeAws;
  const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeEach(async () => {
    fake = await startFakeAws();
    process.env.AWS_ACCESS_KEY_ID = "fake";
    process.env.AWS_SECRET_ACCESS_KEY = "fake";
  });
  afterEach(async () => {
    await fake.close();
    for (const [name, value] of [
      ["AWS_ACCESS_KEY_ID", previous.id],
      ["AWS_SECRET_ACCESS_KEY", previous.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const silent = { info() {}, warn() {} };
  const hooksFor = (awaitTerminationMs: number) =>
    fleetWorkerProcessHooks(
      { autoScalingGroup: "fleet-dev-workers", lifecycleHook: "fleet-dev-drain", imdsEndpoint: fake.url },
      "eu-west-1",
      silent,
      { autoScalingEndpoint: fake.url, terminationPollMs: 20, spotPollMs: 20, awaitTerminationMs },
    );

  /** A worker's drain as runWorkerProcess gives it, recording each call. */
  function recorder() {
    const drains: Array<{ reason: string; deadline?: { timeoutMs: number; atDeadline: string } }> = [];
    return {
      drains,
      drain: async (reason: string, deadline?: { timeoutMs: number; atDeadline: "handBack" }) => {
        drains.push({ reason, ...(deadline ? { deadline } : {}) });
      },
    };
  }

  it("an interruption notice: drains with a hand-back deadline, then completes the pending lifecycle action", async () => {
    const hooks = await hooksFor(5_000);
    const r = recorder();
    hooks.onStart!(r.drain);
    await sleep(100);
    assert.equal(r.drains.length, 0, "no notice, no drain");
    fake.spotAction = JSON.stringify({ action: "terminate", time: new Date(Date.now() + 120_000).toISOString() });
    while (r.drains.length === 0) await sleep(10);
    const [first] = r.drains;
    assert.equal(first!.reason, "Spot interruption");
    assert.equal(first!.deadline!.atDeadline, "handBack");
    assert.ok(
      first!.deadline!.timeoutMs > 95_000 && first!.deadline!.timeoutMs <= 100_000,
      `${first!.deadline!.timeoutMs}`,
    );
    // Auto Scaling moves the instance to Terminating:Wait: the hook is completed before the process exits.
    const stopped = hooks.onStopped!();
    await sleep(60);
    assert.ok(!fake.calls.some((c) => c.Action === "CompleteLifecycleAction"), "nothing pending yet");
    fake.lifecycleState = "Terminated";
    await stopped;
    assert.deepEqual(
      fake.calls
        .filter((c) => c.Action === "CompleteLifecycleAction")
        .map((c) => [c.LifecycleActionResult, c.InstanceId]),
      [["CONTINUE", "i-0123456789abcdef0"]],
    );
    assert.equal(hooks.exitCode!(), 0);
  });

  it("a rebalance recommendation that leads to no termination: exits for systemd to restart the worker", async () => {
    const hooks = await hooksFor(150);
    const r = recorder();
    fake.rebalance = JSON.stringify({ noticeTime: new Date().toISOString() });
    hooks.onStart!(r.drain);
    while (r.drains.length === 0) await sleep(10);
    assert.equal(r.drains[0]!.reason, "Spot rebalance");
    assert.equal(r.drains[0]!.deadline!.timeoutMs, SPOT_NOTICE_MS - SPOT_MARGIN_MS);
    await hooks.onStopped!();
    assert.equal(hooks.exitCode!(), SPOT_RESTART_EXIT_CODE);
    assert.ok(!fake.calls.some((c) => c.Action === "CompleteLifecycleAction"));
  });

  it("a stop asked for while it waits for the termination ends the wait, exit 0", async () => {
    const hooks = await hooksFor(60_000);
    const r = recorder();
    fake.rebalance = JSON.stringify({ noticeTime: new Date().toISOString() });
    hooks.onStart!(r.drain);
    while (r.drains.length === 0) await sleep(10);
    // A listener of the test's own, so the test process is not stopped by the signal it sends itself.
    const keep = () => {};
    process.on("SIGTERM", keep);
    try {
      const stopped = hooks.onStopped!();
      await sleep(50);
      process.kill(process.pid, "SIGTERM");
      const startedMs = Date.now();
      await stopped;
      assert.ok(Date.now() - startedMs < 5_000, "not the minute's wait");
      assert.equal(hooks.exitCode!(), 0);
    } finally {
      process.off("SIGTERM", keep);
    }
  });

  it("a restarted worker ignores the recommendation it already waited out", async () => {
    fake.rebalance = JSON.stringify({ noticeTime: new Date(Date.now() - 1_000).toISOString() });
    const hooks = await hooksFor(500);
    const r = recorder();
    hooks.onStart!(r.drain);
    await sleep(150);
    assert.deepEqual(r.drains, []);
    await hooks.onStopped!();
    assert.equal(hooks.exitCode!(), 0);
  });
});
