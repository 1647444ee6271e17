import assert from "node:assert/strict";
import { sdkReleaseAws, type Clients, type Sender } from "../../scripts/redeploy-aws";

/** A client that records each command (its class name and input) and answers from a function. */
function recorder(answer: (name: string, input: any) => unknown) {
  const sent: Array<{ name: string; input: any }> = [];
  const sender: Sender = {
    async send(command: { constructor: { name: string }; input: unknown }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      const out = answer(name, command.input);
      if (out instanceof Error) throw out;
      return out;
    },
  };
  return { sender, sent };
}

function awsError(name: string): Error {
  return Object.assign(new Error(name), { name });
}

function clients(answer: (name: string, input: any) => unknown) {
  const r = recorder(answer);
  const c: Clients = { sfn: r.sender, ssm: r.sender, ec2: r.sender, autoscaling: r.sender };
  return { aws: sdkReleaseAws(c), sent: r.sent };
}

describe("scripts/redeploy-aws: the SDK calls behind ReleaseAws", () => {
  it("StartExecution with the name and the JSON input", async () => {
    const { aws, sent } = clients(() => ({ executionArn: "arn:e", startDate: new Date(0) }));
    assert.deepEqual(await aws.startExecution("arn:sm", "redeploy-1", '{"reason":"redeploy"}'), {
      executionArn: "arn:e",
      startDate: new Date(0),
    });
    assert.deepEqual(sent, [
      {
        name: "StartExecutionCommand",
        input: { stateMachineArn: "arn:sm", name: "redeploy-1", input: '{"reason":"redeploy"}' },
      },
    ]);
  });

  it("reads the history newest first, page by page (at most 1000 a page), only down to the last event seen", async () => {
    // Events 1..5; pages of two, newest first.
    const pages: Record<string, { events: Array<{ id: number }>; nextToken?: string }> = {
      start: { events: [{ id: 5 }, { id: 4 }], nextToken: "p2" },
      p2: { events: [{ id: 3 }, { id: 2 }], nextToken: "p3" },
      p3: { events: [{ id: 1 }] },
    };
    const { aws, sent } = clients((_, input) => pages[input.nextToken ?? "start"]);
    assert.deepEqual(
      (await aws.history("arn:e", 0)).map((e) => e.id),
      [1, 2, 3, 4, 5],
    );
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[0]!.input, {
      executionArn: "arn:e",
      maxResults: 1000,
      reverseOrder: true,
      nextToken: undefined,
    });
    sent.length = 0;
    assert.deepEqual(
      (await aws.history("arn:e", 3)).map((e) => e.id),
      [4, 5],
    );
    assert.equal(sent.length, 2, "stops at the page holding event 3");
    sent.length = 0;
    assert.deepEqual(await aws.history("arn:e", 5), []);
    assert.equal(sent.length, 1);
  });

  it("lists running executions with the RUNNING filter, the last ones without", async () => {
    const { aws, sent } = clients(() => ({ executions: [] }));
    await aws.executions("arn:sm", 10, true);
    await aws.executions("arn:sm", 1);
    assert.deepEqual(
      sent.map((s) => s.input),
      [
        { stateMachineArn: "arn:sm", maxResults: 10, statusFilter: "RUNNING" },
        { stateMachineArn: "arn:sm", maxResults: 1 },
      ],
    );
  });

  it("a missing parameter or image is undefined; any other error is thrown", async () => {
    const missing = clients((name) =>
      awsError(name === "GetParameterCommand" ? "ParameterNotFound" : "InvalidAMIID.NotFound"),
    );
    assert.equal(await missing.aws.parameter("/p"), undefined);
    assert.equal(await missing.aws.image("ami-12345678"), undefined);
    const denied = clients(() => awsError("AccessDeniedException"));
    await assert.rejects(denied.aws.parameter("/p"), /AccessDeniedException/);
    await assert.rejects(denied.aws.image("ami-12345678"), /AccessDeniedException/);
  });

  it("images by tag: this account's, one tag:<key> filter per tag", async () => {
    const { aws, sent } = clients(() => ({ Images: [{ ImageId: "ami-1" }] }));
    assert.deepEqual(await aws.imagesTagged({ "fleet:release": "bad", "fleet:stack": "prod" }), [{ ImageId: "ami-1" }]);
    assert.deepEqual(sent[0], {
      name: "DescribeImagesCommand",
      input: {
        Owners: ["self"],
        Filters: [
          { Name: "tag:fleet:release", Values: ["bad"] },
          { Name: "tag:fleet:stack", Values: ["prod"] },
        ],
      },
    });
  });

  it("a group's template, plain or in a mixed instances policy, and a version's AMI", async () => {
    const { aws, sent } = clients((name, input) => {
      if (name === "DescribeAutoScalingGroupsCommand")
        return input.AutoScalingGroupNames[0] === "plain"
          ? { AutoScalingGroups: [{ LaunchTemplate: { LaunchTemplateId: "lt-1", Version: "7" } }] }
          : {
              AutoScalingGroups: [
                {
                  MixedInstancesPolicy: {
                    LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: "lt-2" } },
                  },
                },
              ],
            };
      return { LaunchTemplateVersions: [{ VersionNumber: 7, LaunchTemplateData: { ImageId: "ami-1" } }] };
    });
    assert.deepEqual(await aws.groupTemplate("plain"), { templateId: "lt-1", version: "7" });
    assert.deepEqual(await aws.groupTemplate("mixed"), { templateId: "lt-2", version: "$Default" });
    assert.deepEqual(await aws.templateImage("lt-1", "7"), { version: 7, imageId: "ami-1" });
    assert.deepEqual(sent.at(-1), {
      name: "DescribeLaunchTemplateVersionsCommand",
      input: { LaunchTemplateId: "lt-1", Versions: ["7"] },
    });
  });

  it("a group's refreshes: the newest page (MaxRecords within AWS's 1..100)", async () => {
    const { aws, sent } = clients(() => ({ InstanceRefreshes: [{ InstanceRefreshId: "r" }] }));
    assert.deepEqual(await aws.instanceRefreshes("g"), [{ InstanceRefreshId: "r" }]);
    const max = sent[0]!.input.MaxRecords;
    assert.ok(max >= 1 && max <= 100);
    assert.equal(sent[0]!.input.AutoScalingGroupName, "g");
  });
});
