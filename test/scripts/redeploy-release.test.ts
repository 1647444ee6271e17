import assert from "node:assert/strict";
import fc from "fast-check";
import type { InstanceRefresh } from "@aws-sdk/client-auto-scaling";
import {
  AMI_ID,
  EXIT,
  executionName,
  historyLine,
  INITIAL_HISTORY,
  RELEASE_GROUPS,
  RELEASE_OUTCOMES,
  RELEASE_REASONS,
  releaseGroups,
  releaseInput,
  refreshLines,
  rollbackVerdict,
  stateGroup,
  verdict,
  type HistoryState,
  type RefreshSeen,
  type WaitResult,
} from "../../scripts/redeploy-release";
import { entered, refresh, scheduled, succeeded, taskFailed } from "./redeploy-fakes";

const AMI = "ami-0123456789abcdef0";
const OTHER = "ami-0fedcba9876543210";

describe("redeploy decisions: the execution input", () => {
  it("names both groups by default and only the chosen ones otherwise, in release order", () => {
    assert.deepEqual(releaseInput("redeploy", AMI, false, []), { reason: "redeploy", ami: AMI });
    assert.deepEqual(releaseInput("redeploy", AMI, false, ["worker", "web"]), { reason: "redeploy", ami: AMI });
    assert.deepEqual(releaseInput("rollback", AMI, true, ["worker"]), {
      reason: "rollback",
      ami: AMI,
      force: true,
      groups: ["worker"],
    });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...RELEASE_GROUPS)), (requested) => {
        const groups = releaseGroups(requested);
        if (groups === undefined) return requested.length === 0 || RELEASE_GROUPS.every((g) => requested.includes(g));
        // A strict subset, each once, web before worker.
        return (
          groups.length < RELEASE_GROUPS.length &&
          groups.every((g) => requested.includes(g)) &&
          groups.join() === RELEASE_GROUPS.filter((g) => groups.includes(g)).join()
        );
      }),
    );
  });

  it("execution names are ones StartExecution accepts (1..80 of A-Z a-z 0-9 - _), one per second", () => {
    assert.equal(executionName("redeploy", Date.parse("2026-12-03T17:04:05.678Z")), "redeploy-20261203T170405Z");
    fc.assert(
      fc.property(
        fc.constantFrom(...RELEASE_REASONS),
        fc.integer({ min: 0, max: Date.parse("9999-12-31T23:59:59Z") }),
        (reason, ms) => {
          const name = executionName(reason, ms);
          return /^[A-Za-z0-9_-]{1,80}$/.test(name) && name.startsWith(`${reason}-`);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 41 }), fc.integer({ min: 1000, max: 2 ** 30 }), (a, d) => {
        const b = a - (a % 1000) + d; // a later second
        return executionName("redeploy", a) !== executionName("redeploy", b);
      }),
    );
  });

  it("AMI ids: ami- and 8 or 17 lowercase hex digits", () => {
    for (const ok of ["ami-12345678", AMI]) assert.ok(AMI_ID.test(ok), ok);
    for (const bad of [
      "ami-1234567",
      "ami-0123456789ABCDEF0",
      "ami-0123456789abcdef01",
      "i-0123456789abcdef0",
      "last-good",
    ])
      assert.ok(!AMI_ID.test(bad), bad);
  });
});

describe("redeploy decisions: may an AMI be a rollback target", () => {
  const tagsArb = fc.option(
    fc.dictionary(
      fc.constantFrom("fleet:release", "fleet:stack", "Name"),
      fc.constantFrom("good", "bad", "prod", "other"),
    ),
    { nil: undefined },
  );

  it("only a promoted image (tagged good, or the last good) without --force; anything existing with it", () => {
    fc.assert(
      fc.property(tagsArb, fc.constantFrom(AMI, OTHER, undefined), fc.boolean(), (tags, lastGood, force) => {
        const v = rollbackVerdict({ ami: AMI, tags, lastGood, force, stack: "prod" });
        const promoted = tags !== undefined && (tags["fleet:release"] === "good" || lastGood === AMI);
        const expected = tags !== undefined && (promoted || force);
        assert.equal(v.allowed, expected);
        if (!v.allowed) assert.ok(v.reason.startsWith(AMI), "names the AMI");
        if (v.allowed && !promoted) assert.match(v.note!, /--force/);
      }),
    );
  });

  it("a refusal names the tag and both fixes", () => {
    const v = rollbackVerdict({
      ami: AMI,
      tags: { "fleet:release": "bad" },
      lastGood: OTHER,
      force: false,
      stack: "dev",
    });
    assert.deepEqual(v, {
      allowed: false,
      reason:
        `${AMI} is tagged fleet:release=bad: a release failed or rolled back on it. Roll back to a promoted image ` +
        "(tagged fleet:release=good, or --to last-good; `npm run redeploy -- dev --status` lists them), or add --force to deploy it anyway",
    });
  });
});

describe("redeploy decisions: the exit code of an outcome", () => {
  const finished = (output: unknown, status = "SUCCEEDED"): WaitResult => ({
    kind: "finished",
    status,
    output: output === undefined ? undefined : JSON.stringify(output),
  });

  it("one distinct code per outcome, and per timeout", () => {
    const codes = RELEASE_OUTCOMES.map((outcome) => verdict(finished({ outcome, ami: AMI, previousAmi: OTHER })).code);
    assert.deepEqual(codes, [EXIT.promoted, EXIT["rolled-back"], EXIT.failed, EXIT.skipped]);
    const timeout = verdict({ kind: "timeout", executionArn: "arn:x", stack: "prod" }).code;
    assert.equal(new Set([...codes, timeout, EXIT.error]).size, 6);
  });

  it("0 only for a SUCCEEDED execution whose outcome is promoted; any other end is non-zero", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"),
        fc.oneof(
          fc.record({ outcome: fc.constantFrom(...RELEASE_OUTCOMES, "weird") }, { requiredKeys: [] }),
          fc.anything(),
        ),
        (status, output) => {
          const { code } = verdict(finished(output, status));
          const promoted = status === "SUCCEEDED" && (output as { outcome?: unknown } | null)?.outcome === "promoted";
          return (code === 0) === promoted && Object.values(EXIT).includes(code as never);
        },
      ),
    );
    assert.equal(verdict({ kind: "finished", status: "SUCCEEDED", output: "not json" }).code, EXIT.failed);
  });

  it("a skip says which reason, and the fix when there is one", () => {
    const skip = (output: object) => verdict(finished({ outcome: "skipped", ...output })).message;
    assert.equal(skip({ ami: AMI, previousAmi: AMI }), `skipped: ${AMI} is already the last good image: nothing to do`);
    assert.equal(
      skip({ ami: AMI, previousAmi: OTHER }),
      `skipped: ${AMI} is tagged fleet:release=bad: not tried again without force. Add --force to release it anyway`,
    );
    assert.equal(
      skip({
        ami: AMI,
        detail: `${AMI} was never promoted: a rollback goes only to a promoted image unless forced (reason rollback)`,
      }),
      `skipped: ${AMI} was never promoted: a rollback goes only to a promoted image unless forced (reason rollback). Add --force to release it anyway`,
    );
  });
});

describe("redeploy decisions: lines from the execution history", () => {
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

describe("redeploy decisions: lines from an instance refresh", () => {
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
