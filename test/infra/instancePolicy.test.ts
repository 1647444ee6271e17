/** The fleets' base instance policy: Session Manager and the agent, on this stack's resources only. */
import * as assert from "node:assert/strict";
import { instanceBasePolicy, logGroupArn } from "../../infra/shared/instancePolicy";

const access = {
  region: "eu-central-1",
  accountId: "123456789012",
  logGroupName: "/fleet/dev/instances",
  metricsNamespace: "CWAgent",
};

describe("instanceBasePolicy", () => {
  const doc = instanceBasePolicy(access);
  const actions = doc.Statement.flatMap((s) => s.Action);

  it("grants Session Manager's channels and registration, and nothing of Run Command or parameters", () => {
    for (const a of [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
      "ssm:UpdateInstanceInformation",
    ])
      assert.ok(actions.includes(a), a);
    assert.deepEqual(
      actions.filter((a) => a.startsWith("ec2messages:") || /^ssm:(Get|Put|List|Describe|Send)/.test(a)),
      [],
    );
  });

  it("lets the agent write only the stack's log group, and never create or re-tune groups", () => {
    const logs = doc.Statement.filter((s) => s.Action.some((a) => a.startsWith("logs:")));
    assert.deepEqual(
      logs.flatMap((s) => s.Resource),
      [
        "arn:aws:logs:eu-central-1:123456789012:log-group:/fleet/dev/instances",
        "arn:aws:logs:eu-central-1:123456789012:log-group:/fleet/dev/instances:log-stream:*",
      ],
    );
    assert.ok(!actions.includes("logs:CreateLogGroup") && !actions.includes("logs:PutRetentionPolicy"));
    assert.equal(logGroupArn({ ...access, partition: "aws-cn" }).split(":")[1], "aws-cn");
  });

  it("lets the agent publish metrics in its namespace only (PutMetricData takes no resource)", () => {
    const metrics = doc.Statement.find((s) => s.Action.includes("cloudwatch:PutMetricData"))!;
    assert.deepEqual(metrics.Condition, { StringEquals: { "cloudwatch:namespace": "CWAgent" } });
  });

  it("grants every `*` resource only to actions that take none", () => {
    const starred = doc.Statement.filter((s) => s.Resource.includes("*")).flatMap((s) => s.Action);
    assert.deepEqual(starred.sort(), [
      "cloudwatch:PutMetricData",
      "ec2:DescribeTags",
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]);
  });
});
