/** The release's pure decisions and AWS's limits on them (infra/night/releasePlan.ts). */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkpointPercentages,
  checkpointTable,
  isTerminalRefreshStatus,
  MAX_REFRESH_ALARMS,
  maxPolls,
  outcomeOfRefresh,
  refreshDeadlineS,
  releaseDecision,
  releasePreferenceProblems,
  releasePreferences,
  releaseStateMachineName,
  RUNNING_REFRESH_STATUSES,
  stateMachineNameProblems,
  TERMINAL_REFRESH_STATUSES,
} from "../../infra/night/releasePlan";
import { INSTANCE_REFRESH_PREFERENCES } from "../../infra/night/refresh";
import { WORKER_REFRESH_PREFERENCES } from "../../infra/jobs/workerFleet";

const TIMING = { canaryBakeS: 600, bakeTimeS: 600 };
const alarms = (n: number) => Array.from({ length: n }, (_, i) => `alarm-${i}`);

describe("release plan: the canary's checkpoint", () => {
  it("is one instance's share of the group (rounded down, so the first new instance reaches it), then 100", () => {
    assert.deepEqual(checkpointPercentages(0), [100]);
    assert.deepEqual(checkpointPercentages(1), [100]);
    assert.deepEqual(checkpointPercentages(2), [50, 100]);
    assert.deepEqual(checkpointPercentages(3), [33, 100], "34 % of 3 would take a second instance");
    assert.deepEqual(checkpointPercentages(12), [8, 100]);
    assert.deepEqual(checkpointPercentages(150), [1, 100]);
    assert.throws(() => checkpointPercentages(-1), /not a whole number/);
  });

  it("for any size: AWS's rule (ascending, unique, 1..100, last 100) and exactly one instance first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
        const c = checkpointPercentages(n);
        assert.equal(c.at(-1), 100);
        for (let i = 1; i < c.length; i++) assert.ok(c[i - 1]! < c[i]!);
        for (const v of c) assert.ok(Number.isInteger(v) && v >= 1 && v <= 100);
        // One new instance (1/n of the group) reaches the first checkpoint, and it is the largest such share.
        if (n >= 2 && n <= 100) assert.ok(c[0]! * n <= 100 && (c[0]! + 1) * n > 100, `n=${n}: ${c}`);
        if (n > 100) assert.deepEqual(c, [1, 100]);
      }),
    );
  });

  it("is looked up by desired capacity up to the group's max size", () => {
    const t = checkpointTable(3);
    assert.equal(t.length, 4);
    assert.deepEqual(t[3], [33, 100]);
  });
});

describe("release plan: decisions", () => {
  it("skips the last good image (unless rolling back to it), a bad one, an unpromoted rollback", () => {
    const d = (f: Parameters<typeof releaseDecision>[0]) => releaseDecision(f);
    assert.deepEqual(d({ reason: "nightly", force: false, isLastGood: false }), { action: "release" });
    assert.deepEqual(d({ reason: "nightly", force: false, isLastGood: true }), {
      action: "skip",
      why: "already-last-good",
    });
    assert.deepEqual(d({ reason: "rollback", force: false, isLastGood: true, tag: "good" }), { action: "release" });
    assert.deepEqual(d({ reason: "nightly", force: false, isLastGood: false, tag: "bad" }), {
      action: "skip",
      why: "tagged-bad",
    });
    assert.deepEqual(d({ reason: "redeploy", force: true, isLastGood: false, tag: "bad" }), { action: "release" });
    assert.deepEqual(d({ reason: "rollback", force: false, isLastGood: false }), {
      action: "skip",
      why: "never-promoted",
    });
    assert.deepEqual(d({ reason: "rollback", force: false, isLastGood: false, tag: "good" }), { action: "release" });
    assert.deepEqual(d({ reason: "rollback", force: true, isLastGood: false }), { action: "release" });
  });

  it("maps refresh statuses to outcomes; only the five AWS ends are terminal", () => {
    assert.equal(outcomeOfRefresh("Successful"), "promoted");
    assert.equal(outcomeOfRefresh("RollbackSuccessful"), "rolled-back");
    for (const s of ["Failed", "Cancelled", "RollbackFailed", "TimedOut"]) assert.equal(outcomeOfRefresh(s), "failed");
    for (const s of TERMINAL_REFRESH_STATUSES) assert.ok(isTerminalRefreshStatus(s));
    for (const s of RUNNING_REFRESH_STATUSES) assert.ok(!isTerminalRefreshStatus(s), s);
  });
});

describe("release plan: what AWS accepts", () => {
  it("the groups' release preferences: rollback, alarms, bake, the healthy percentages", () => {
    const web = releasePreferences(INSTANCE_REFRESH_PREFERENCES, alarms(4), TIMING);
    assert.deepEqual(releasePreferenceProblems(web), []);
    assert.equal(web.AutoRollback, true);
    assert.equal(web.MinHealthyPercentage, 100);
    assert.equal(web.MaxHealthyPercentage, 200);
    const worker = releasePreferences(WORKER_REFRESH_PREFERENCES, alarms(1), TIMING);
    assert.equal(worker.ScaleInProtectedInstances, "Refresh");
    assert.deepEqual(releasePreferenceProblems(worker), []);
  });

  it("rejects what AWS rejects: more than 10 alarms, none, twice the same, bakes past 172800 s", () => {
    const p = (n: number, t = TIMING) => releasePreferenceProblems(releasePreferences({}, alarms(n), t)).join("; ");
    assert.equal(p(MAX_REFRESH_ALARMS), "");
    assert.match(p(MAX_REFRESH_ALARMS + 1), /11 alarms; AWS accepts at most 10/);
    assert.match(p(0), /no alarm/);
    assert.match(releasePreferenceProblems(releasePreferences({}, ["a", "a"], TIMING)).join(), /twice/);
    assert.match(p(1, { canaryBakeS: 172_801, bakeTimeS: 0 }), /CheckpointDelay 172801 is not in 0\.\.172800/);
    assert.match(p(1, { canaryBakeS: 0, bakeTimeS: -1 }), /BakeTime -1/);
    assert.match(
      releasePreferenceProblems(
        releasePreferences({ minHealthyPercentage: 90, maxHealthyPercentage: 200 }, alarms(1), TIMING),
      ).join(),
      /exceeds 100/,
    );
  });

  it("the state machine's name: 1..80 of 0-9 A-Z a-z - _", () => {
    assert.deepEqual(stateMachineNameProblems(releaseStateMachineName("prod")), []);
    assert.match(stateMachineNameProblems("x".repeat(81)).join(), /81 characters/);
    assert.match(stateMachineNameProblems("fleet prod").join(), /only 0-9/);
    assert.match(stateMachineNameProblems("").join(), /0 characters/);
  });

  it("a group's deadline covers both bakes and the replacements; polls cover the deadline", () => {
    assert.equal(refreshDeadlineS(TIMING, 3600), 4800);
    assert.equal(maxPolls(4800, 60), 80);
    assert.equal(maxPolls(61, 60), 2);
  });
});
