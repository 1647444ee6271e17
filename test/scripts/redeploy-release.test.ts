import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AMI_ID,
  EXIT,
  executionName,
  RELEASE_GROUPS,
  RELEASE_OUTCOMES,
  RELEASE_REASONS,
  releaseGroups,
  releaseInput,
  rollbackVerdict,
  verdict,
  type WaitResult,
} from "../../scripts/redeploy-release";

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
