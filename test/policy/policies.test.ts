/**
 * The policy pack offline: every policy over every resource of the dev and prod plans (no violations, the
 * pack's exceptions named), and over deliberately broken resources (each policy fires), including the
 * jobs resources (queues, table, CDN, results bucket) of the plans and synthetic ones.
 */
import * as assert from "node:assert/strict";
import { planOf } from "../../scripts/synth";
import { stackPlan } from "../infra/helpers";
import { evaluatePolicies, type PlanResource, type Violation } from "../../policy/evaluate";
import { ALL_POLICIES } from "../../policy/policies";
import { EXCEPTIONS, isExcepted, projectOf } from "../../policy/exceptions";
import { AWS_ACCEPTS_POLICIES } from "../../policy/rules/accepts";

const ARN = (kind: string, name: string) => `arn:aws:${kind}:eu-central-1:123456789012:${name}`;

function res(type: string, name: string, inputs: Record<string, any>, outputs: Record<string, any> = {}): PlanResource {
  return { type, name, inputs, id: `${name}-id`, outputs };
}

/** A bucket with everything the storage rules ask for; `omit` leaves companions out. */
function hardenedBucket(name: string, omit: Array<"pab" | "sse" | "policy"> = []): PlanResource[] {
  const arn = `arn:aws:s3:::${name}-bucket`;
  const out = [res("aws:s3/bucket:Bucket", name, {}, { arn, bucket: `${name}-bucket` })];
  if (!omit.includes("pab"))
    out.push(
      res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${name}-pab`, {
        bucket: `${name}-id`,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
    );
  if (!omit.includes("sse"))
    out.push(
      res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${name}-sse`, {
        bucket: `${name}-id`,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
      }),
    );
  if (!omit.includes("policy"))
    out.push(
      res("aws:s3/bucketPolicy:BucketPolicy", `${name}-policy`, {
        bucket: `${name}-id`,
        policy: JSON.stringify({
          Statement: [
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [arn, `${arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      }),
    );
  return out;
}

/** The jobs resources as issue 8 describes them, configured the way the rules want. */
function goodJobs(): PlanResource[] {
  const dlqArn = ARN("sqs", "fleet-jobs-dlq");
  return [
    res(
      "aws:sqs/queue:Queue",
      "jobs-dlq",
      {
        sqsManagedSseEnabled: true,
        // A DLQ keeps messages longer than its queue (aws-accepts-dlq-retention): SQS's maximum, 14 days.
        messageRetentionSeconds: 1_209_600,
        redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
      },
      { arn: dlqArn },
    ),
    res(
      "aws:sqs/queue:Queue",
      "jobs",
      {
        sqsManagedSseEnabled: true,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
      { arn: ARN("sqs", "fleet-jobs") },
    ),
    res("aws:dynamodb/table:Table", "jobs", {
      deletionProtectionEnabled: true,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
    }),
    ...hardenedBucket("results"),
    res("aws:cloudfront/distribution:Distribution", "results", {
      webAclId: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/fleet-edge/a1b2c3d4",
      defaultCacheBehavior: { viewerProtocolPolicy: "redirect-to-https" },
      orderedCacheBehaviors: [{ pathPattern: "/r/*", viewerProtocolPolicy: "https-only" }],
      origins: [
        {
          originId: "results",
          domainName: "results-bucket.s3.eu-central-1.amazonaws.com",
          originAccessControlId: "oac-1",
        },
      ],
    }),
  ];
}

const names = (vs: Violation[]) => vs.map((v) => `${v.policy} ${v.resource}: ${v.message}`);

async function fires(policy: string, plan: PlanResource[], stack = "prod"): Promise<Violation[]> {
  const found = (await evaluatePolicies(stack, plan, ALL_POLICIES)).filter((v) => v.policy === policy);
  assert.ok(found.length > 0, `${policy} did not fire`);
  return found;
}

describe("policy pack (offline)", function () {
  this.timeout(60_000);
  const plans = new Map<string, PlanResource[]>();

  before(async () => {
    for (const stack of ["dev", "prod"]) plans.set(stack, planOf(await stackPlan(stack)));
  });

  for (const stack of ["dev", "prod"]) {
    it(`finds no violation in the ${stack} plan`, async () => {
      const plan = plans.get(stack)!;
      assert.ok(plan.length > 50, "the whole plan is evaluated");
      const found = await evaluatePolicies(stack, plan, ALL_POLICIES);
      assert.deepEqual(names(found), []);
    });
  }

  it("passes well-configured jobs resources (queue + DLQ, table, results bucket, CDN)", async () => {
    assert.deepEqual(names(await evaluatePolicies("prod", goodJobs(), ALL_POLICIES)), []);
  });

  it("passes the builder's AWS managed policies (Image Builder requires them) but no fleet role's", async () => {
    const plan = plans.get("prod")!;
    const attached = plan
      .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .map((r) => String(r.inputs.policyArn).split("/").pop())
      .sort();
    assert.deepEqual(attached, [
      "AmazonSSMManagedInstanceCore",
      "EC2ImageBuilderLifecycleExecutionPolicy",
      "EC2InstanceProfileForImageBuilder",
    ]);
    assert.deepEqual(names(await evaluatePolicies("prod", plan, ALL_POLICIES)), []);
  });

  it("holds WAF to prod: dev's plan is excepted, and the same plan as prod's would be a violation", async () => {
    assert.deepEqual(names(await evaluatePolicies("dev", plans.get("dev")!, ALL_POLICIES)), []);
    await fires("waf-on-public-endpoints", plans.get("dev")!, "prod");
  });

  it("names every exception's reason, and dev's ALB is one (prod's would be a violation)", async () => {
    for (const e of EXCEPTIONS) assert.ok(e.reason.length > 20 && ALL_POLICIES.some((p) => p.name === e.policy));
    const alb = plans.get("dev")!.find((r) => r.type === "aws:lb/loadBalancer:LoadBalancer")!;
    assert.equal(alb.inputs.enableDeletionProtection, false);
    await fires("alb-deletion-protection", [alb], "prod");
    assert.deepEqual(names(await evaluatePolicies("dev", [alb], ALL_POLICIES)), []);
  });

  it("holds the ELB health check to groups behind a load balancer: the worker group is EC2-checked on purpose", async () => {
    const worker = plans
      .get("prod")!
      .find((r) => r.type === "aws:autoscaling/group:Group" && r.name === "fleet-worker-asg")!;
    // No load balancer sends it traffic, so none could check it: EC2 status is the only check there is.
    assert.equal(worker.inputs.healthCheckType, "EC2");
    assert.deepEqual(worker.inputs.targetGroupArns ?? [], []);
    assert.deepEqual(names(await evaluatePolicies("prod", [worker], ALL_POLICIES)), []);
    const attached = { ...worker, inputs: { ...structuredClone(worker.inputs), targetGroupArns: ["arn:tg"] } };
    await fires("autoscaling-elb-health-check", [attached]);
  });

  /** A resource of a real plan with its inputs changed: what a careless edit of infra/ would produce. */
  function mutate(
    stack: string,
    type: string,
    change: (inputs: Record<string, any>) => void,
    name?: string,
  ): PlanResource {
    const r = plans.get(stack)!.find((x) => x.type === type && (name === undefined || x.name === name));
    assert.ok(r, `${type} in ${stack}`);
    const inputs = structuredClone(r.inputs);
    change(inputs);
    return { ...r, inputs };
  }

  const GROUP = "aws:autoscaling/group:Group";
  const LT = "aws:ec2/launchTemplate:LaunchTemplate";
  /** The plans hold two groups and templates (web and worker): the broken cases below change the web one's. */
  const webGroup = (change: (inputs: Record<string, any>) => void) => mutate("prod", GROUP, change, "fleet-asg");
  const webTemplate = (change: (inputs: Record<string, any>) => void) => mutate("prod", LT, change, "fleet-lt");
  const LISTENER = "aws:lb/listener:Listener";
  const LB = "aws:lb/loadBalancer:LoadBalancer";
  const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
  /** The whole prod plan with one resource replaced (`change`d), removed (`null`), or resources added. */
  function prodWith(
    type: string,
    name: string,
    change: ((inputs: Record<string, any>) => void) | null,
    extra: PlanResource[] = [],
  ): PlanResource[] {
    const plan = plans.get("prod")!;
    assert.ok(
      plan.some((x) => x.type === type && x.name === name),
      `${type}::${name} in prod`,
    );
    return [
      ...plan.flatMap((x) =>
        x.type !== type || x.name !== name ? [x] : change === null ? [] : [mutate("prod", type, change, name)],
      ),
      ...extra,
    ];
  }
  const webRoleName = () =>
    plans.get("prod")!.find((x) => x.type === "aws:iam/role:Role" && x.name === "fleet-instance")!.outputs!.name;

  const broken: Array<[string, string, () => PlanResource[] | Promise<PlanResource[]>, RegExp?]> = [
    [
      "autoscaling-elb-health-check",
      "an EC2-checked group behind the ALB",
      () => [webGroup((i) => (i.healthCheckType = "EC2"))],
    ],
    ["autoscaling-multi-az", "a group in one subnet", () => [webGroup((i) => (i.vpcZoneIdentifiers = ["subnet-1"]))]],
    [
      "autoscaling-launch-template",
      "a launch configuration",
      () => [
        webGroup((i) => {
          delete i.launchTemplate;
          i.launchConfiguration = "lc";
        }),
      ],
    ],
    ["ec2-imdsv2-required", "IMDSv1 allowed", () => [webTemplate((i) => (i.metadataOptions.httpTokens = "optional"))]],
    [
      "ec2-imdsv2-required",
      "a build instance on IMDSv1",
      () => [
        mutate(
          "prod",
          "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
          (i) => delete i.instanceMetadataOptions,
        ),
      ],
    ],
    [
      "ebs-encrypted",
      "an unencrypted root volume",
      () => [webTemplate((i) => (i.blockDeviceMappings[0].ebs.encrypted = "false"))],
    ],
    ["no-ssh-key-pair", "a key pair", () => [webTemplate((i) => (i.keyName = "ops"))]],
    [
      "scheduled-action-keeps-max",
      "a drain that sets max 0",
      () => [mutate("dev", "aws:autoscaling/schedule:Schedule", (i) => (i.maxSize = 0))],
    ],
    [
      "internet-ingress-only-http",
      "the service port open to the world",
      () => [
        mutate(
          "prod",
          INGRESS,
          (i) => {
            i.fromPort = 3000;
            i.toPort = 3000;
            delete i.prefixListId;
            i.cidrIpv4 = "0.0.0.0/0";
          },
          "fleet-alb-80",
        ),
      ],
    ],
    [
      "no-ssh-ingress",
      "SSH from a security group",
      () => [
        mutate(
          "prod",
          INGRESS,
          (i) => {
            i.fromPort = 22;
            i.toPort = 22;
          },
          "fleet-from-alb",
        ),
      ],
    ],
    [
      "no-ssh-ingress",
      "all traffic via an inline rule",
      () => [
        res("aws:ec2/securityGroup:SecurityGroup", "sg", {
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/8"] }],
        }),
      ],
    ],
    [
      "vpc-default-sg-locked",
      "a default SG with a rule",
      () => [
        mutate(
          "prod",
          "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
          (i) => (i.egress = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }]),
        ),
      ],
    ],
    [
      "vpc-flow-logs",
      "a VPC without its flow log",
      () => plans.get("prod")!.filter((r) => r.type !== "aws:ec2/flowLog:FlowLog"),
    ],
    [
      "alb-http-redirects-to-https",
      "an HTTP listener that forwards by default",
      () => [mutate("prod", LISTENER, (i) => (i.defaultActions = [{ type: "forward", targetGroupArn: "arn:tg" }]))],
    ],
    [
      "alb-rule-forwards-only-with-origin-secret",
      "a rule that forwards without CloudFront's secret",
      () => [
        mutate(
          "prod",
          "aws:lb/listenerRule:ListenerRule",
          (i) => (i.conditions = [{ pathPattern: { values: ["/*"] } }]),
        ),
      ],
    ],
    [
      "alb-https-modern-tls",
      "an HTTPS listener on TLS 1.0",
      () => [res(LISTENER, "https", { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-2016-08" })],
    ],
    [
      "alb-drop-invalid-headers",
      "invalid headers passed on",
      () => [mutate("prod", LB, (i) => (i.dropInvalidHeaderFields = false))],
    ],
    ["alb-access-logs", "no access logs", () => [mutate("prod", LB, (i) => delete i.accessLogs)]],
    [
      "alb-deletion-protection",
      "prod without deletion protection",
      () => [mutate("prod", LB, (i) => (i.enableDeletionProtection = false))],
    ],
    [
      "s3-public-access-blocked",
      "one public access flag off",
      () => [
        mutate(
          "prod",
          "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
          (i) => (i.restrictPublicBuckets = false),
          "fleet-bundle",
        ),
      ],
    ],
    [
      "s3-encrypted",
      "no algorithm",
      () => [
        mutate(
          "prod",
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          (i) => (i.rules = []),
          "fleet-bundle",
        ),
      ],
    ],
    [
      "s3-bucket-hardened",
      "a results bucket without a public access block",
      () => hardenedBucket("results", ["pab"]),
      /public access block/,
    ],
    [
      "s3-bucket-hardened",
      "a results bucket without encryption",
      () => hardenedBucket("results", ["sse"]),
      /encryption/,
    ],
    [
      "s3-bucket-hardened",
      "a results bucket that allows plain HTTP",
      () => hardenedBucket("results", ["policy"]),
      /plain HTTP/,
    ],
    [
      "s3-bucket-hardened",
      "the bundle bucket without its TLS-only policy",
      () => plans.get("prod")!.filter((r) => r.name !== "fleet-bundle-tls-only"),
      /fleet-bundle has no policy/,
    ],
    [
      "iam-no-wildcard-actions",
      "s3:* for the builder",
      () => [
        mutate(
          "prod",
          "aws:iam/rolePolicy:RolePolicy",
          (i) => (i.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] })),
          "fleet-builder-read-bundle",
        ),
      ],
    ],
    [
      "iam-no-wildcard-actions",
      "an inline role policy with *",
      () => [
        res("aws:iam/role:Role", "r", {
          inlinePolicies: [
            { name: "x", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["*"], Resource: "*" }] }) },
          ],
        }),
      ],
    ],
    [
      "iam-no-broad-managed-policies",
      "AdministratorAccess on the instances",
      () => [
        res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
      ],
    ],
    [
      "sqs-encrypted",
      "an unencrypted queue",
      () =>
        goodJobs().map((r) =>
          r.name === "jobs" && r.type === "aws:sqs/queue:Queue"
            ? { ...r, inputs: { ...r.inputs, sqsManagedSseEnabled: false } }
            : r,
        ),
    ],
    [
      "sqs-dead-letter-queue",
      "a work queue without a DLQ",
      () =>
        goodJobs().map((r) =>
          r.name === "jobs" && r.type === "aws:sqs/queue:Queue" ? { ...r, inputs: { sqsManagedSseEnabled: true } } : r,
        ),
      /queue jobs has no dead-letter queue/,
    ],
    [
      "dynamodb-sse-pitr",
      "a protected table without PITR",
      () =>
        goodJobs().map((r) =>
          r.type === "aws:dynamodb/table:Table"
            ? { ...r, inputs: { ...r.inputs, pointInTimeRecovery: { enabled: false } } }
            : r,
        ),
      /point-in-time/,
    ],
    [
      "dynamodb-sse-pitr",
      "a protected table without explicit SSE",
      () =>
        goodJobs().map((r) =>
          r.type === "aws:dynamodb/table:Table"
            ? { ...r, inputs: { ...r.inputs, serverSideEncryption: undefined } }
            : r,
        ),
      /serverSideEncryption/,
    ],
    [
      "cloudfront-https-oac",
      "a CDN that allows HTTP",
      () =>
        goodJobs().map((r) =>
          r.type === "aws:cloudfront/distribution:Distribution"
            ? { ...r, inputs: { ...r.inputs, defaultCacheBehavior: { viewerProtocolPolicy: "allow-all" } } }
            : r,
        ),
      /allow-all/,
    ],
    [
      "cloudfront-https-oac",
      "an S3 origin without OAC",
      () =>
        goodJobs().map((r) =>
          r.type === "aws:cloudfront/distribution:Distribution"
            ? {
                ...r,
                inputs: {
                  ...r.inputs,
                  origins: [{ originId: "results", domainName: "results-bucket.s3.amazonaws.com" }],
                },
              }
            : r,
        ),
      /originAccessControlId/,
    ],
  ];

  broken.push(
    [
      "iam-service-trust-conditions",
      "Image Builder's lifecycle role trusting the service for any account",
      () => [
        mutate(
          "prod",
          "aws:iam/role:Role",
          (i) => {
            const doc = JSON.parse(i.assumeRolePolicy);
            delete doc.Statement[0].Condition;
            i.assumeRolePolicy = JSON.stringify(doc);
          },
          "fleet-lifecycle",
        ),
      ],
      /trusts imagebuilder\.amazonaws\.com without aws:SourceAccount and aws:SourceArn/,
    ],
    [
      "iam-service-trust-conditions",
      "a Step Functions role with aws:SourceAccount only",
      () => [
        res("aws:iam/role:Role", "sfn", {
          assumeRolePolicy: JSON.stringify({
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: ["states.amazonaws.com"] },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
              },
            ],
          }),
        }),
      ],
      /without aws:SourceArn/,
    ],
    [
      "iam-fleet-roles-no-aws-managed-policies",
      "AmazonSSMManagedInstanceCore back on the web fleet's role",
      () =>
        prodWith("aws:iam/role:Role", "fleet-instance", () => {}, [
          res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fleet-instance-ssm", {
            role: webRoleName(),
            policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
          }),
        ]),
      /AmazonSSMManagedInstanceCore to a fleet instance role/,
    ],
    [
      "waf-on-public-endpoints",
      "prod's API distribution without the web ACL",
      () => prodWith("aws:cloudfront/distribution:Distribution", "fleet-api", (i) => delete i.webAclId),
      /distribution fleet-api has no WAF web ACL/,
    ],
    [
      "waf-on-public-endpoints",
      "an internet-facing ALB that is no distribution's origin and has no web ACL",
      () => prodWith("aws:cloudfront/distribution:Distribution", "fleet-api", null),
      /load balancer fleet-alb is neither a distribution's origin nor associated/,
    ],
  );

  for (const [policy, what, plan, message] of broken) {
    it(`${policy} fires on ${what}`, async () => {
      const found = await fires(policy, await plan());
      if (message)
        assert.ok(
          found.some((v) => message.test(v.message)),
          names(found).join("\n"),
        );
    });
  }

  it("every policy of the pack has a broken case above (the AWS-accepts rules have theirs in accepts/)", () => {
    const tested = new Set([...broken.map(([p]) => p), ...AWS_ACCEPTS_POLICIES.map((p) => p.name)]);
    assert.deepEqual(
      ALL_POLICIES.map((p) => p.name).filter((n) => !tested.has(n)),
      [],
    );
  });
});

describe("policy pack: exceptions scoped by project", () => {
  it("excepts the example page's stacks from the WAF rule, never the fleet's own prod", () => {
    const urn = (stack: string, project: string) =>
      `urn:pulumi:${stack}::${project}::aws:cloudfront/distribution:Distribution::x`;
    assert.ok(isExcepted("waf-on-public-endpoints", urn("prod", "fleet-web")));
    assert.equal(isExcepted("waf-on-public-endpoints", urn("prod", "fleet")), undefined);
    assert.ok(isExcepted("waf-on-public-endpoints", urn("dev", "fleet")), "dev runs without fleet:waf");
    assert.equal(projectOf(urn("prod", "fleet-web")), "fleet-web");
  });
});
