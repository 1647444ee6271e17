import assert from "node:assert/strict";
import { BAD_SHOWN, formatStatus, type StatusReport } from "../../scripts/redeploy-status";

const inputs = {
  stack: "dev",
  region: "eu-west-1",
  stateMachineArn: "arn:sm",
  lastGoodParameter: "/fleet/dev/release/last-good-ami",
  candidateParameter: "/imagebuilder/fleet/dev/ami",
  groupNames: { web: "web-asg", worker: "fleet-worker-dev" },
};
const ami = (n: number) => `ami-${String(n).padStart(17, "0")}`;

describe("scripts/redeploy-status: the --status lines", () => {
  it("marks each group's AMI as candidate, last good or bad, and an SSM-resolved template as not concrete", () => {
    const report: StatusReport = {
      inputs,
      groups: [
        { group: "web", name: "web-asg", templateId: "lt-1", version: "4", versionNumber: 4, imageId: ami(2) },
        {
          group: "worker",
          name: "fleet-worker-dev",
          templateId: "lt-2",
          version: "$Default",
          versionNumber: 1,
          imageId: "resolve:ssm:/imagebuilder/fleet/dev/ami",
        },
      ],
      lastGood: ami(1),
      candidate: ami(2),
      bad: [{ imageId: ami(2), at: "2026-12-03T03:30:00Z" }],
    };
    const lines = formatStatus(report);
    assert.equal(lines[2], `  web    web-asg: ${ami(2)} (candidate, BAD), launch template lt-1 version 4`);
    assert.equal(
      lines[3],
      "  worker fleet-worker-dev: resolve:ssm:/imagebuilder/fleet/dev/ami (resolved at launch: not a concrete AMI), launch template lt-2 version $Default (1)",
    );
    assert.equal(
      lines[5],
      `candidate: ${ami(2)} (tagged bad: the next release skips it)  [/imagebuilder/fleet/dev/ami]`,
    );
  });

  it(`lists at most ${BAD_SHOWN} bad images and counts the rest`, () => {
    const bad = Array.from({ length: BAD_SHOWN + 3 }, (_, i) => ({ imageId: ami(100 + i) }));
    const lines = formatStatus({ inputs, groups: [], lastGood: ami(1), candidate: ami(1), bad });
    assert.equal(lines.filter((l) => /^ {2}ami-/.test(l)).length, BAD_SHOWN);
    assert.ok(lines.includes("  ... and 3 more"));
    assert.ok(lines.includes(`candidate: ${ami(1)} (already the last good)  [/imagebuilder/fleet/dev/ami]`));
  });
});
