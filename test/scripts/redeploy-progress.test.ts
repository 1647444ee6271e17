import assert from "node:assert/strict";
import fc from "fast-check";
import type { InstanceRefresh } from "@aws-sdk/client-auto-scaling";
import {
  historyLine,
  INITIAL_HISTORY,
  refreshLines,
  stateGroup,
  type HistoryState,
  type RefreshSeen,
} from "../../scripts/redeploy-progress";
import { entered, refresh, scheduled, succeeded, taskFailed } from "./redeploy-fakes";

const AMI = "ami-0123456789abcdef0";

describe("redeploy progress: lines from the execution history", () => {
  const names = { web: "fleet-asg-1", worker: "fleet-worker-prod" };
  const run = (events: ReturnType<typeof entered>[]) => {
    let state: HistoryState = INITIAL_HISTORY;
    const lines: string[] = [];
    for (const e of events) {
      const [next, line] = historyLine(state, e, names);
      state = next;
      if (line) lines.push(line);
    }
    return lines;
  };

  it("reads the group from the state name", () => {
    assert.deepEqual(stateGroup("Web: start refresh"), { group: "web", step: "start refresh" });
    assert.deepEqual(stateGroup("Worker: put back?"), { group: "worker", step: "put back?" });
    assert.deepEqual(stateGroup("Notify"), { group: undefined, step: "Notify" });
  });

  it("prints each Task or Wait state once per group, Pass and Choice never", () => {
    assert.deepEqual(
      run([
        entered("Read input", "PassStateEntered"),
        entered("Let the night settle", "WaitStateEntered"),
        entered("Web: wait"),
        entered("Web: describe refresh"),
        entered("Web: refresh done?"),
        entered("Web: wait"),
        entered("Web: describe refresh"),
        entered("Worker: wait"),
        entered("Notify"),
      ]),
      ["Let the night settle", "[web] wait", "[web] describe refresh", "[worker] wait", "Notify"],
    );
  });

  it("says what the tasks that change something did, under their group", () => {
    assert.deepEqual(
      run([
        entered("Worker: new template version"),
        succeeded("ec2:createLaunchTemplateVersion", {
          LaunchTemplateVersion: { LaunchTemplateId: "lt-1", VersionNumber: 3, LaunchTemplateData: { ImageId: AMI } },
        }),
        entered("Worker: deadline passed"),
        succeeded("autoscaling:rollbackInstanceRefresh", {}),
        entered("Put it back"),
        scheduled("autoscaling:startInstanceRefresh", { AutoScalingGroupName: "fleet-asg-1" }),
        succeeded("autoscaling:startInstanceRefresh", { InstanceRefreshId: "r-9" }),
        entered("Tag bad"),
        scheduled("ec2:createTags", { Resources: [AMI], Tags: [{ Key: "fleet:release", Value: "bad" }] }),
        taskFailed("ec2:createTags", "Ec2.Ec2Exception", "UnauthorizedOperation"),
      ]),
      [
        "[worker] new template version",
        `[worker] launch template lt-1 version 3 with ${AMI}`,
        "[worker] deadline passed",
        "[worker] the release asked AWS to roll the refresh back",
        "Put it back",
        "[web] instance refresh r-9 started",
        "Tag bad",
        `tagging ${AMI} fleet:release=bad`,
        "ec2:createTags failed: Ec2.Ec2Exception: UnauthorizedOperation",
      ],
    );
  });
});

describe("redeploy progress: lines from an instance refresh", () => {
  const follow = (steps: InstanceRefresh[]) => {
    let seen: RefreshSeen | undefined;
    return steps.flatMap((r) => {
      const out = refreshLines("web", seen, r);
      seen = out.seen;
      return out.lines;
    });
  };

  it("each checkpoint crossed is reported once, in order, the first as the canary; none during a rollback", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 }).map((c) => [...c.sort((a, b) => a - b), 100]),
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 12 }).map((p) => [...p.sort((a, b) => a - b), 100]),
        (checkpoints, pcts) => {
          const steps = pcts.map((pct) =>
            refresh("r", "g", "InProgress", pct, {
              Preferences: { CheckpointPercentages: checkpoints, CheckpointDelay: 60 },
            }),
          );
          const reached = follow(steps)
            .map((l) => /checkpoint (\d+)% reached/.exec(l))
            .filter((m) => m !== null)
            .map((m) => Number(m![1]));
          assert.deepEqual(
            reached,
            [...new Set(reached)].sort((a, b) => a - b),
            "once each, increasing",
          );
          for (const c of reached) assert.ok(checkpoints.includes(c) && c < 100);
          // Every checkpoint below 100 is passed by the end: each one reported, or skipped over in one poll.
          const canary = follow(steps).filter((l) => l.includes("canary checkpoint"));
          assert.ok(canary.length <= 1);
          if (canary.length) assert.ok(canary[0]!.includes(`checkpoint ${checkpoints[0]}%`));
        },
      ),
    );
    const rollback = follow([
      refresh("r", "g", "InProgress", 0),
      refresh("r", "g", "RollbackInProgress", 30),
      refresh("r", "g", "RollbackInProgress", 60),
      refresh("r", "g", "RollbackSuccessful", 100),
    ]);
    assert.ok(!rollback.some((l) => /reached|% complete,/.test(l)), rollback.join("\n"));
  });

  it("passes on what AWS says when its reason changes without a status change", () => {
    assert.deepEqual(
      follow([
        refresh("r", "g", "InProgress", 0, { Preferences: {} }),
        refresh("r", "g", "InProgress", 0, { Preferences: {}, StatusReason: "Waiting for instances to warm up" }),
        refresh("r", "g", "InProgress", 0, { Preferences: {}, StatusReason: "Waiting for instances to warm up" }),
      ]),
      ["[web] instance refresh r: InProgress, 0% complete", "[web] AWS: Waiting for instances to warm up"],
    );
  });

  it("says when the bake starts and ends, and what AWS says when a refresh fails", () => {
    assert.deepEqual(
      follow([
        refresh("r", "g", "InProgress", 100),
        refresh("r", "g", "Baking", 100),
        refresh("r", "g", "Failed", 100, { StatusReason: "alarm fleet-prod-5xx went into ALARM" }),
      ]),
      [
        "[web] instance refresh r: InProgress, 100% complete",
        "[web] every instance replaced; bake started (300 s) under the alarms",
        "[web] instance refresh Failed: alarm fleet-prod-5xx went into ALARM",
      ],
    );
  });
});
