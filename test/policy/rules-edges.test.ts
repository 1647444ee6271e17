/**
 * The pack's own rules (policy/rules/*.ts) at their edges, over small synthetic resources: the exact
 * boundaries (two subnets, 32-character secrets, port ranges that just include 22), each alternative a
 * rule accepts (a classic load balancer, availability zones instead of subnets, KMS instead of SSE-SQS),
 * inputs in each shape AWS allows (a JSON string or an object, a string or a list), and the message each
 * violation carries, which is what the reader acts on. policies.test.ts holds the plans and one broken
 * case per rule; this file pins what those leave to chance.
 */
import * as assert from "node:assert/strict";
import { evaluatePolicies, type PlanResource } from "../../policy/evaluate";
import { EXCEPTIONS, type PolicyException } from "../../policy/exceptions";
import { ALL_POLICIES } from "../../policy/policies";
import { deniesPlainHttp } from "../../policy/rules/storage";

function res(type: string, name: string, inputs: Record<string, any>, outputs: Record<string, any> = {}): PlanResource {
  return { type, name, inputs, id: `${name}-id`, outputs };
}

/**
 * The messages `policy` reports over `resources` (in `stack`), in order. Where it reports any, a resource
 * rule is also checked to honour an exception made for it (the pack's EXCEPTIONS, by the rule's name):
 * a rule that looked itself up under another name would ignore its exceptions.
 */
async function messages(policy: string, resources: PlanResource[], stack = "prod"): Promise<string[]> {
  const rule = ALL_POLICIES.find((p) => p.name === policy);
  assert.ok(rule, `no policy named ${policy}`);
  const found = await evaluatePolicies(stack, resources, [rule]);
  if (found.length > 0 && "validateResource" in rule) {
    const exceptions = EXCEPTIONS as PolicyException[];
    exceptions.push({ policy, stacks: ["excepted"], reason: "this test's exception" });
    try {
      assert.deepEqual(await evaluatePolicies("excepted", resources, [rule]), [], `${policy} ignores its exception`);
    } finally {
      exceptions.pop();
    }
  }
  return found.map((v) => v.message);
}

const GROUP = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const LISTENER = "aws:lb/listener:Listener";
const LB = "aws:lb/loadBalancer:LoadBalancer";
const QUEUE = "aws:sqs/queue:Queue";

describe("policy rules at their edges", () => {
  it("describes every rule in one sentence", () => {
    for (const p of ALL_POLICIES) assert.match(p.description ?? "", /^[A-Z0-9].*\.$/, p.name);
  });

  describe("compute", () => {
    const group = (inputs: Record<string, any>) => [res(GROUP, "g", { launchTemplate: { id: "lt" }, ...inputs })];

    it("autoscaling-elb-health-check: a group behind a classic load balancer needs ELB checks too; none behind nothing", async () => {
      assert.deepEqual(await messages("autoscaling-elb-health-check", group({ loadBalancers: ["clb"] })), [
        'healthCheckType is "EC2": set "ELB" so an instance the ALB finds unhealthy is replaced',
      ]);
      assert.deepEqual(
        await messages("autoscaling-elb-health-check", group({ targetGroupArns: ["tg"], healthCheckType: "EC2" })),
        ['healthCheckType is "EC2": set "ELB" so an instance the ALB finds unhealthy is replaced'],
      );
      assert.deepEqual(
        await messages("autoscaling-elb-health-check", group({ targetGroupArns: ["tg"], healthCheckType: "ELB" })),
        [],
      );
      assert.deepEqual(await messages("autoscaling-elb-health-check", group({ targetGroupArns: [] })), []);
    });

    it("autoscaling-multi-az: two subnets or two zones pass, one of each fails with the count", async () => {
      assert.deepEqual(await messages("autoscaling-multi-az", group({ vpcZoneIdentifiers: ["a", "b"] })), []);
      assert.deepEqual(await messages("autoscaling-multi-az", group({ availabilityZones: ["a", "b"] })), []);
      assert.deepEqual(
        await messages("autoscaling-multi-az", group({ vpcZoneIdentifiers: ["a"], availabilityZones: ["z"] })),
        ["the group has 1 subnet(s)/zone(s): give it subnets in two zones or more"],
      );
      assert.deepEqual(await messages("autoscaling-multi-az", group({ vpcZoneIdentifiers: ["a"] })), [
        "the group has 1 subnet(s)/zone(s): give it subnets in two zones or more",
      ]);
      assert.deepEqual(await messages("autoscaling-multi-az", group({})), [
        "the group has 0 subnet(s)/zone(s): give it subnets in two zones or more",
      ]);
    });

    it("autoscaling-launch-template: a mixed instances policy is a template; nothing at all is named", async () => {
      assert.deepEqual(
        await messages("autoscaling-launch-template", [res(GROUP, "g", { mixedInstancesPolicy: {} })]),
        [],
      );
      assert.deepEqual(
        await messages("autoscaling-launch-template", [res(GROUP, "g", { launchTemplate: { id: "lt" } })]),
        [],
      );
      assert.deepEqual(await messages("autoscaling-launch-template", [res(GROUP, "g", {})]), [
        "has no launch template",
      ]);
      assert.deepEqual(
        await messages("autoscaling-launch-template", [res(GROUP, "g", { launchConfiguration: "lc" })]),
        ["uses a launch configuration: use a launch template"],
      );
    });

    it("ec2-imdsv2-required: says which of the two resources answers IMDSv1", async () => {
      assert.deepEqual(await messages("ec2-imdsv2-required", [res(LT, "lt", {})]), [
        'metadataOptions.httpTokens is not "required": instances would answer IMDSv1',
      ]);
      assert.deepEqual(
        await messages("ec2-imdsv2-required", [
          res("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration", "ic", {
            instanceMetadataOptions: { httpTokens: "required" },
          }),
          res(LT, "lt", { metadataOptions: { httpTokens: "required" } }),
        ]),
        [],
      );
      assert.deepEqual(
        await messages("ec2-imdsv2-required", [
          res("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration", "ic", {}),
        ]),
        ['instanceMetadataOptions.httpTokens is not "required": build instances would answer IMDSv1'],
      );
    });

    it("ebs-encrypted: true as a boolean or a string passes; each unencrypted device is named, '?' without a name", async () => {
      const lt = (blockDeviceMappings: unknown) => [res(LT, "lt", { blockDeviceMappings })];
      assert.deepEqual(
        await messages(
          "ebs-encrypted",
          lt([
            { deviceName: "/dev/xvda", ebs: { encrypted: true } },
            { deviceName: "/dev/xvdb", ebs: { encrypted: "true" } },
            { deviceName: "/dev/sdc", virtualName: "ephemeral0" },
          ]),
        ),
        [],
      );
      assert.deepEqual(
        await messages(
          "ebs-encrypted",
          lt([
            { deviceName: "/dev/xvda", ebs: { encrypted: false } },
            { deviceName: "/dev/xvdb", ebs: { encrypted: "true" } },
            { ebs: {} },
          ]),
        ),
        ['unencrypted volume(s) /dev/xvda, ?: set ebs.encrypted "true"'],
      );
      assert.deepEqual(
        await messages("ebs-encrypted", [
          res("aws:imagebuilder/imageRecipe:ImageRecipe", "r", {
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }],
          }),
        ]),
        ['unencrypted volume(s) /dev/xvda: set ebs.encrypted "true"'],
      );
    });

    it("no-ssh-key-pair: a key on a plain instance is named too; an empty key name is none", async () => {
      assert.deepEqual(await messages("no-ssh-key-pair", [res("aws:ec2/instance:Instance", "i", { keyName: "ops" })]), [
        'keyName "ops": remove it, use SSM Session Manager',
      ]);
      assert.deepEqual(await messages("no-ssh-key-pair", [res(LT, "lt", { keyName: "" })]), []);
    });

    it("scheduled-action-keeps-max: -1 passes; a missing max is named as undefined", async () => {
      const schedule = (inputs: Record<string, any>) => [res("aws:autoscaling/schedule:Schedule", "s", inputs)];
      assert.deepEqual(await messages("scheduled-action-keeps-max", schedule({ maxSize: -1 })), []);
      assert.deepEqual(await messages("scheduled-action-keeps-max", schedule({ maxSize: 4 })), [
        "maxSize is 4: set -1 (unchanged), or the action resizes max too",
      ]);
    });

    it("rules see only their own resource types", async () => {
      // A group-shaped bucket or a template-shaped queue: nothing to say.
      const stray = [res("aws:s3/bucket:Bucket", "b", { keyName: "ops", loadBalancers: ["x"], maxSize: 3 })];
      for (const rule of ["autoscaling-elb-health-check", "autoscaling-multi-az", "no-ssh-key-pair", "ebs-encrypted"])
        assert.deepEqual(await messages(rule, stray), [], rule);
    });
  });

  describe("iam", () => {
    const rolePolicy = (policy: unknown) => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy })];

    it("iam-no-wildcard-actions: names every wildcard of an Allow, in a string or a list, and ignores Deny", async () => {
      assert.deepEqual(
        await messages(
          "iam-no-wildcard-actions",
          rolePolicy({
            Statement: [
              { Effect: "Allow", Action: [5, "s3:GetObject", "sqs:*"], Resource: "*" },
              { Effect: "Allow", Action: "ec2:Describe*", Resource: "*" },
              { Effect: "Deny", Action: "*", Resource: "*" },
            ],
          }),
        ),
        ["allows wildcard action(s) sqs:*, ec2:Describe*: name the actions"],
      );
      assert.deepEqual(
        await messages(
          "iam-no-wildcard-actions",
          rolePolicy(JSON.stringify({ Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } })),
        ),
        [],
      );
      assert.deepEqual(
        await messages("iam-no-wildcard-actions", [
          res("aws:iam/policy:Policy", "p", {
            policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
          }),
        ]),
        ["allows wildcard action(s) *: name the actions"],
      );
    });

    it("iam-no-wildcard-actions: reports each inline policy of a role on its own, and passes clean ones", async () => {
      const inline = (Action: string | string[]) => ({
        name: String(Action),
        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action, Resource: "*" }] }),
      });
      assert.deepEqual(
        await messages("iam-no-wildcard-actions", [
          res("aws:iam/role:Role", "r", {
            inlinePolicies: [inline("s3:*"), inline("s3:GetObject"), inline(["logs:Put*", "ec2:*"])],
          }),
        ]),
        ["inline policy allows wildcard action(s) s3:*", "inline policy allows wildcard action(s) logs:Put*, ec2:*"],
      );
      assert.deepEqual(await messages("iam-no-wildcard-actions", [res("aws:iam/role:Role", "r", {})]), []);
    });

    it("iam-no-broad-managed-policies: matches the policy name after the last slash, exactly", async () => {
      const attach = (policyArn: unknown) => [
        res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { policyArn }),
      ];
      assert.deepEqual(
        await messages("iam-no-broad-managed-policies", attach("arn:aws:iam::aws:policy/job-function/PowerUserAccess")),
        ["attaches PowerUserAccess"],
      );
      assert.deepEqual(
        await messages("iam-no-broad-managed-policies", attach("arn:aws:iam::aws:policy/IAMFullAccess")),
        ["attaches IAMFullAccess"],
      );
      assert.deepEqual(
        await messages(
          "iam-no-broad-managed-policies",
          attach("arn:aws:iam::aws:policy/service-role/AmazonSSMManagedInstanceCore"),
        ),
        [],
      );
      assert.deepEqual(
        await messages("iam-no-broad-managed-policies", attach("arn:aws:iam::aws:policy/AdministratorAccessAmplify")),
        [],
      );
      assert.deepEqual(await messages("iam-no-broad-managed-policies", attach(undefined)), []);
    });
  });

  describe("jobs", () => {
    it("sqs-encrypted: a KMS key is encryption too; the message says both ways", async () => {
      assert.deepEqual(await messages("sqs-encrypted", [res(QUEUE, "q", { kmsMasterKeyId: "alias/aws/sqs" })]), []);
      assert.deepEqual(await messages("sqs-encrypted", [res(QUEUE, "q", { sqsManagedSseEnabled: true })]), []);
      assert.deepEqual(await messages("sqs-encrypted", [res(QUEUE, "q", {})]), [
        "not encrypted: set sqsManagedSseEnabled true or a kmsMasterKeyId",
      ]);
    });

    it("sqs-dead-letter-queue: a redrive policy as an object counts; maxReceiveCount 0 or a missing target does not", async () => {
      // Says whom it serves (redriveAllowPolicy): a dead-letter queue whatever refers to it.
      const dlq = res(
        QUEUE,
        "dlq",
        { sqsManagedSseEnabled: true, redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }) },
        { arn: "arn:aws:sqs:eu-central-1:1:dlq" },
      );
      const work = (redrivePolicy: unknown) =>
        res(QUEUE, "work", { sqsManagedSseEnabled: true, redrivePolicy }, { arn: "arn:aws:sqs:eu-central-1:1:w" });
      const target = "arn:aws:sqs:eu-central-1:1:dlq";
      assert.deepEqual(
        await messages("sqs-dead-letter-queue", [dlq, work({ deadLetterTargetArn: target, maxReceiveCount: 1 })]),
        [],
      );
      for (const broken of [
        JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: 0 }),
        JSON.stringify({ maxReceiveCount: 5 }),
      ])
        assert.deepEqual(await messages("sqs-dead-letter-queue", [work(broken)]), [
          "queue work has no dead-letter queue: a poison message would be retried forever",
        ]);
    });

    it("sqs-dead-letter-queue: a queue another one redrives to needs no DLQ of its own; a lone queue does", async () => {
      const target = "arn:aws:sqs:eu-central-1:1:dlq";
      const dlq = res(QUEUE, "dlq", { sqsManagedSseEnabled: true }, { arn: target });
      const work = res(QUEUE, "work", {
        sqsManagedSseEnabled: true,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: 3 }),
      });
      assert.deepEqual(await messages("sqs-dead-letter-queue", [dlq, work]), []);
      // Another queue's DLQ does not make a third queue a DLQ, and resources that are no queue are not held.
      const lone = res(QUEUE, "lone", { sqsManagedSseEnabled: true });
      const bucket = res("aws:s3/bucket:Bucket", "b", {});
      assert.deepEqual(await messages("sqs-dead-letter-queue", [dlq, work, lone, bucket]), [
        "queue lone has no dead-letter queue: a poison message would be retried forever",
      ]);
      assert.deepEqual(await messages("sqs-dead-letter-queue", [dlq]), [
        "queue dlq has no dead-letter queue: a poison message would be retried forever",
      ]);
      // A queue that redrives to itself is not a dead-letter queue of another.
      const self = res(
        QUEUE,
        "self",
        { redrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:eu-central-1:1:self" }) },
        { arn: "arn:aws:sqs:eu-central-1:1:self" },
      );
      assert.deepEqual(await messages("sqs-dead-letter-queue", [self]), [
        "queue self has no dead-letter queue: a poison message would be retried forever",
      ]);
    });

    it("dynamodb-sse-pitr: holds only protected tables; names both gaps", async () => {
      const table = (inputs: Record<string, any>) => [res("aws:dynamodb/table:Table", "t", inputs)];
      assert.deepEqual(await messages("dynamodb-sse-pitr", table({})), []);
      assert.deepEqual(
        await messages(
          "dynamodb-sse-pitr",
          table({
            deletionProtectionEnabled: true,
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true },
          }),
        ),
        [],
      );
      assert.deepEqual(await messages("dynamodb-sse-pitr", table({ deletionProtectionEnabled: true })), [
        "point-in-time recovery is off on a protected table",
        "serverSideEncryption is not enabled on a protected table",
      ]);
    });

    it("cloudfront-https-oac: every behaviour is checked by its path; OAI and missing OAC are told apart", async () => {
      const cdn = (inputs: Record<string, any>) => [res("aws:cloudfront/distribution:Distribution", "c", inputs)];
      assert.deepEqual(
        await messages(
          "cloudfront-https-oac",
          cdn({
            defaultCacheBehavior: { viewerProtocolPolicy: "https-only" },
            orderedCacheBehaviors: [{ pathPattern: "/api/*", viewerProtocolPolicy: "allow-all" }],
          }),
        ),
        ["/api/* behavior allows allow-all: use https-only or redirect-to-https"],
      );
      assert.deepEqual(
        await messages(
          "cloudfront-https-oac",
          cdn({
            defaultCacheBehavior: { viewerProtocolPolicy: "https-only" },
            origins: [
              { originId: "oai", domainName: "x.s3.amazonaws.com", s3OriginConfig: { originAccessIdentity: "id" } },
              { originId: "regional", domainName: "x.s3-eu-central-1.amazonaws.com" },
              { originId: "plain", domainName: "x.s3.amazonaws.com", s3OriginConfig: {} },
              { originId: "alb", domainName: "alb.eu-central-1.elb.amazonaws.com" },
              { originId: "lookalike", domainName: "x.s3.amazonaws.com.example.org" },
              { originId: "global", domainName: "x.s3.amazonaws.com" },
              { originId: "website", domainName: "static.example.org", s3OriginConfig: {} },
              { originId: "ok", domainName: "x.s3.eu-central-1.amazonaws.com", originAccessControlId: "oac" },
            ],
          }),
        ),
        [
          "origin oai uses a legacy origin access identity: use OAC",
          "S3 origin regional has no originAccessControlId",
          "S3 origin plain has no originAccessControlId",
          "S3 origin global has no originAccessControlId",
          "S3 origin website has no originAccessControlId",
        ],
      );
      assert.deepEqual(await messages("cloudfront-https-oac", cdn({ defaultCacheBehavior: {} })), [
        "default behavior allows undefined: use https-only or redirect-to-https",
      ]);
    });
  });

  describe("load balancer", () => {
    it("alb-http-redirects-to-https: a redirect to HTTP, a mix, and no action at all fail; the message names the port", async () => {
      const http = (defaultActions: unknown[]) => [res(LISTENER, "l", { protocol: "HTTP", port: 80, defaultActions })];
      const message =
        "HTTP listener on 80 serves plain HTTP by default: redirect to HTTPS (set fleet:certificateArn), or answer a fixed response and forward only CloudFront's requests (fleet:originSecret)";
      for (const actions of [
        [{ type: "redirect", redirect: { protocol: "HTTP" } }],
        [{ type: "redirect", redirect: { protocol: "HTTPS" } }, { type: "fixed-response" }],
        [{ type: "forward", redirect: { protocol: "HTTPS" } }],
        [{ type: "redirect" }],
        [],
      ])
        assert.deepEqual(
          await messages("alb-http-redirects-to-https", http(actions)),
          [message],
          JSON.stringify(actions),
        );
      assert.deepEqual(
        await messages("alb-http-redirects-to-https", http([{ type: "redirect", redirect: { protocol: "HTTPS" } }])),
        [],
      );
      assert.deepEqual(await messages("alb-http-redirects-to-https", http([{ type: "fixed-response" }])), []);
      assert.deepEqual(
        await messages("alb-http-redirects-to-https", [res(LISTENER, "l", { protocol: "HTTPS", defaultActions: [] })]),
        [],
      );
    });

    it("alb-rule-forwards-only-with-origin-secret: 32 characters pass, 31 fail; rules that do not forward pass", async () => {
      const rule = (actions: unknown[], values: string[], httpHeaderName = "X-Origin-Secret") => [
        res("aws:lb/listenerRule:ListenerRule", "r", {
          actions,
          conditions: [{ httpHeader: { httpHeaderName, values } }],
        }),
      ];
      const forward = [{ type: "forward" }];
      const name = "alb-rule-forwards-only-with-origin-secret";
      assert.deepEqual(await messages(name, rule(forward, ["s".repeat(32)])), []);
      const refused = ["a rule forwards without requiring a secret header of at least 32 characters"];
      assert.deepEqual(await messages(name, rule(forward, ["s".repeat(31)])), refused);
      assert.deepEqual(await messages(name, rule(forward, ["s".repeat(32), "short"])), refused);
      assert.deepEqual(await messages(name, rule(forward, ["s".repeat(40)], "")), refused);
      const noSecret = (actions: unknown[]) => [
        res("aws:lb/listenerRule:ListenerRule", "r", { actions, conditions: [{ pathPattern: { values: ["/*"] } }] }),
      ];
      assert.deepEqual(await messages(name, noSecret([{ type: "fixed-response" }])), []);
      assert.deepEqual(await messages(name, noSecret([{ type: "authenticate-oidc" }, { type: "forward" }])), refused);
      // A path condition beside the secret header: the header is what counts.
      assert.deepEqual(
        await messages(name, [
          res("aws:lb/listenerRule:ListenerRule", "r", {
            actions: forward,
            conditions: [
              { pathPattern: { values: ["/*"] } },
              { httpHeader: { httpHeaderName: "X-Origin-Secret", values: ["s".repeat(32)] } },
            ],
          }),
        ]),
        [],
      );
    });

    it("alb-https-modern-tls: a TLS 1.3 policy passes; none at all is named as null; HTTP listeners are not held to it", async () => {
      const listener = (inputs: Record<string, any>) => [res(LISTENER, "l", inputs)];
      assert.deepEqual(
        await messages(
          "alb-https-modern-tls",
          listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
        ),
        [],
      );
      assert.deepEqual(await messages("alb-https-modern-tls", listener({ protocol: "HTTPS" })), [
        "sslPolicy null: use an ELBSecurityPolicy-TLS13-* policy",
      ]);
      assert.deepEqual(
        await messages("alb-https-modern-tls", listener({ protocol: "HTTP", sslPolicy: "ELBSecurityPolicy-2016-08" })),
        [],
      );
    });

    it("alb-drop-invalid-headers: holds application load balancers (the default type) only", async () => {
      assert.deepEqual(await messages("alb-drop-invalid-headers", [res(LB, "lb", {})]), [
        "dropInvalidHeaderFields is not true",
      ]);
      assert.deepEqual(
        await messages("alb-drop-invalid-headers", [res(LB, "lb", { loadBalancerType: "application" })]),
        ["dropInvalidHeaderFields is not true"],
      );
      assert.deepEqual(
        await messages("alb-drop-invalid-headers", [res(LB, "lb", { loadBalancerType: "network" })]),
        [],
      );
      assert.deepEqual(
        await messages("alb-drop-invalid-headers", [res(LB, "lb", { dropInvalidHeaderFields: true })]),
        [],
      );
    });

    it("alb-access-logs: needs both enabled and a bucket", async () => {
      const lb = (accessLogs: unknown) => [res(LB, "lb", { accessLogs })];
      const off = ["access logs are off: set accessLogs { bucket, enabled: true }"];
      assert.deepEqual(await messages("alb-access-logs", lb({ enabled: true, bucket: "logs" })), []);
      assert.deepEqual(await messages("alb-access-logs", lb({ enabled: true })), off);
      assert.deepEqual(await messages("alb-access-logs", [res(LB, "lb", {})]), off);
      assert.deepEqual(await messages("alb-access-logs", lb({ enabled: false, bucket: "logs" })), off);
    });

    it("alb-deletion-protection: names the config key", async () => {
      assert.deepEqual(await messages("alb-deletion-protection", [res(LB, "lb", {})]), [
        "enableDeletionProtection is not true: set fleet:deletionProtection",
      ]);
      assert.deepEqual(
        await messages("alb-deletion-protection", [res(LB, "lb", { enableDeletionProtection: true })]),
        [],
      );
    });
  });

  describe("network", () => {
    const world = { cidrIpv4: "0.0.0.0/0" };

    it("internet-ingress-only-http: tcp 80 and 443 alone pass; a range, udp or IPv6 to another port fail, named", async () => {
      const rule = (inputs: Record<string, any>) => [res(INGRESS, "i", inputs)];
      const name = "internet-ingress-only-http";
      assert.deepEqual(await messages(name, rule({ ...world, ipProtocol: "tcp", fromPort: 443, toPort: 443 })), []);
      assert.deepEqual(await messages(name, rule({ ...world, ipProtocol: "tcp", fromPort: 80, toPort: 80 })), []);
      assert.deepEqual(await messages(name, rule({ ...world, ipProtocol: "tcp", fromPort: 80, toPort: 443 })), [
        "tcp 80-443 is open to the internet: only tcp 80/443 on the ALB may be",
      ]);
      assert.deepEqual(await messages(name, rule({ ...world, ipProtocol: "udp", fromPort: 443, toPort: 443 })), [
        "udp 443-443 is open to the internet: only tcp 80/443 on the ALB may be",
      ]);
      assert.deepEqual(
        await messages(name, rule({ cidrIpv6: "::/0", ipProtocol: "tcp", fromPort: 3000, toPort: 3000 })),
        ["tcp 3000-3000 is open to the internet: only tcp 80/443 on the ALB may be"],
      );
      // A port without a range is that one port (toPort defaults to fromPort).
      assert.deepEqual(await messages(name, rule({ ...world, ipProtocol: "tcp", fromPort: 443 })), []);
      // Not the internet: anything goes for this rule.
      assert.deepEqual(
        await messages(name, rule({ cidrIpv4: "10.0.0.0/8", ipProtocol: "tcp", fromPort: 3000, toPort: 3000 })),
        [],
      );
    });

    it("internet-ingress-only-http: reads the old rule resource (ingress only) and inline group rules", async () => {
      const name = "internet-ingress-only-http";
      const open = { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/0"] };
      assert.deepEqual(await messages(name, [res(SG_RULE, "r", { type: "ingress", ...open })]), [
        "tcp 8080-8080 is open to the internet: only tcp 80/443 on the ALB may be",
      ]);
      assert.deepEqual(await messages(name, [res(SG_RULE, "r", { type: "egress", ...open })]), []);
      // Open to the internet among other ranges is open to the internet.
      assert.deepEqual(
        await messages(name, [
          res(SG_RULE, "r", { type: "ingress", ...open, cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"] }),
        ]),
        ["tcp 8080-8080 is open to the internet: only tcp 80/443 on the ALB may be"],
      );
      assert.deepEqual(
        await messages(name, [
          res(SG, "sg", {
            ingress: [
              { ...open, cidrBlocks: [], ipv6CidrBlocks: ["::/0"] },
              { ...open, fromPort: 443, toPort: 443 },
            ],
          }),
        ]),
        ["tcp 8080-8080 is open to the internet: only tcp 80/443 on the ALB may be"],
      );
    });

    it("no-ssh-ingress: ranges that reach 22 from either side fail, 23-up and up-to-21 pass; 'all' covers it", async () => {
      const rule = (fromPort: number, toPort: number, ipProtocol = "tcp") => [
        res(INGRESS, "i", { cidrIpv4: "10.0.0.0/8", ipProtocol, fromPort, toPort }),
      ];
      assert.deepEqual(await messages("no-ssh-ingress", rule(22, 30)), ["ingress tcp 22-30 admits SSH (22)"]);
      assert.deepEqual(await messages("no-ssh-ingress", rule(10, 22)), ["ingress tcp 10-22 admits SSH (22)"]);
      assert.deepEqual(await messages("no-ssh-ingress", rule(23, 30)), []);
      assert.deepEqual(await messages("no-ssh-ingress", rule(10, 21)), []);
      assert.deepEqual(await messages("no-ssh-ingress", rule(0, 0, "all")), ["ingress all 0-0 admits SSH (22)"]);
      assert.deepEqual(await messages("no-ssh-ingress", rule(0, 0, "-1")), ["ingress -1 0-0 admits SSH (22)"]);
      // No ports and no protocol: read as 0-65535 of nothing, which covers 22.
      assert.deepEqual(await messages("no-ssh-ingress", [res(INGRESS, "i", {})]), ["ingress  0-65535 admits SSH (22)"]);
    });

    it("vpc-default-sg-locked: an ingress rule alone is a rule; none passes", async () => {
      const dsg = (inputs: Record<string, any>) => [
        res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", inputs),
      ];
      assert.deepEqual(await messages("vpc-default-sg-locked", dsg({ ingress: [{ protocol: "-1" }] })), [
        "the default security group has rules: remove them all",
      ]);
      assert.deepEqual(await messages("vpc-default-sg-locked", dsg({ ingress: [], egress: [] })), []);
    });

    it("vpc-flow-logs: a flow log of ALL traffic on that VPC; REJECT only, or another VPC's, is not one", async () => {
      const vpc = res("aws:ec2/vpc:Vpc", "v", {}, { arn: "arn:aws:ec2:eu-central-1:1:vpc/v" });
      const other = res("aws:ec2/vpc:Vpc", "w", {});
      const flow = (trafficType: string, vpcId = "v-id") => res("aws:ec2/flowLog:FlowLog", "f", { vpcId, trafficType });
      assert.deepEqual(await messages("vpc-flow-logs", [vpc, flow("ALL")]), []);
      // The flow log's vpcId also matches a subnet's output (the same id): it still logs the VPC.
      const subnet = res("aws:ec2/subnet:Subnet", "s", {}, { vpcId: "v-id-of-the-vpc" });
      const main = { ...vpc, id: "v-id-of-the-vpc" };
      assert.deepEqual(await messages("vpc-flow-logs", [main, subnet, flow("ALL", "v-id-of-the-vpc")]), []);
      assert.deepEqual(await messages("vpc-flow-logs", [vpc, flow("REJECT")]), [
        "VPC v has no flow log of ALL traffic",
      ]);
      assert.deepEqual(await messages("vpc-flow-logs", [vpc, other, flow("ALL", "w-id")]), [
        "VPC v has no flow log of ALL traffic",
      ]);
      // A raw VPC inside an awsx VPC is the component's (its own flow log covers it); the component itself counts.
      const awsx = { type: "awsx:ec2:Vpc", name: "x", inputs: {}, id: "x-id", outputs: {} };
      assert.deepEqual(
        await messages("vpc-flow-logs", [awsx, { ...res("aws:ec2/vpc:Vpc", "inner", {}), parent: "awsx:ec2:Vpc::x" }]),
        ["VPC x has no flow log of ALL traffic"],
      );
    });
  });

  describe("storage", () => {
    it("s3-bucket-hardened: a bucket with all three companions passes, even where another resource shares its id", async () => {
      const arn = "arn:aws:s3:::hard";
      const bucket = res("aws:s3/bucket:Bucket", "hard", {}, { arn, bucket: "hard-bucket" });
      const twin = res("aws:ssm/parameter:Parameter", "twin", {}, { value: "hard-id" });
      const companion = (type: string, name: string, inputs: Record<string, any>) =>
        res(`aws:s3/${type}`, name, { bucket: "hard-id", ...inputs });
      const policy = {
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      };
      const plan = [
        bucket,
        twin,
        companion("bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {}),
        companion("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", {}),
        companion("bucketPolicy:BucketPolicy", "tls", { policy: JSON.stringify(policy) }),
      ];
      assert.deepEqual(await messages("s3-bucket-hardened", plan), []);
    });

    it("s3-public-access-blocked: names every flag left off, in order", async () => {
      assert.deepEqual(
        await messages("s3-public-access-blocked", [
          res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {
            blockPublicAcls: true,
            blockPublicPolicy: false,
            restrictPublicBuckets: true,
          }),
        ]),
        ["public access block leaves blockPublicPolicy, ignorePublicAcls off"],
      );
      const all = {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      };
      assert.deepEqual(
        await messages("s3-public-access-blocked", [
          res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", all),
        ]),
        [],
      );
    });

    it("s3-encrypted: AES256, aws:kms and aws:kms:dsse pass, among other rules too; no rules fail", async () => {
      const sse = (rules: unknown) => [
        res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", { rules }),
      ];
      for (const a of ["AES256", "aws:kms", "aws:kms:dsse"])
        assert.deepEqual(
          await messages("s3-encrypted", sse([{}, { applyServerSideEncryptionByDefault: { sseAlgorithm: a } }])),
          [],
          a,
        );
      assert.deepEqual(await messages("s3-encrypted", sse(undefined)), [
        "no default encryption algorithm (AES256 or aws:kms)",
      ]);
      assert.deepEqual(
        await messages("s3-encrypted", sse([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "none" } }])),
        ["no default encryption algorithm (AES256 or aws:kms)"],
      );
    });

    it("deniesPlainHttp: needs a Deny on s3:* or *, SecureTransport false, and the objects (/*) among the resources", () => {
      const deny = (over: Record<string, unknown>) => ({
        Statement: [
          {
            Effect: "Deny",
            Action: "s3:*",
            Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            ...over,
          },
        ],
      });
      assert.equal(deniesPlainHttp(deny({})), true);
      assert.equal(deniesPlainHttp(JSON.stringify(deny({ Action: ["*"], Resource: "arn:aws:s3:::b/*" }))), true);
      assert.equal(deniesPlainHttp(deny({ Condition: { Bool: { "aws:SecureTransport": false } } })), true);
      assert.equal(deniesPlainHttp(deny({ Action: ["s3:GetObject", "s3:*"] })), true);
      assert.equal(deniesPlainHttp(deny({ Resource: [7, "arn:aws:s3:::b/*"] })), true);
      assert.equal(deniesPlainHttp(deny({ Condition: { StringEquals: { "aws:SecureTransport": "false" } } })), false);
      assert.equal(deniesPlainHttp(deny({ Effect: "Allow" })), false);
      assert.equal(deniesPlainHttp(deny({ Action: "s3:GetObject" })), false);
      assert.equal(deniesPlainHttp(deny({ Resource: "arn:aws:s3:::b" })), false);
      assert.equal(deniesPlainHttp(deny({ Condition: { Bool: { "aws:SecureTransport": "true" } } })), false);
      assert.equal(deniesPlainHttp(deny({ Condition: undefined })), false);
      assert.equal(deniesPlainHttp(undefined), false);
    });

    it("s3-bucket-hardened: a companion of another bucket does not count; each missing one is its own message", async () => {
      const bucket = (n: string) => res("aws:s3/bucket:Bucket", n, {}, { arn: `arn:aws:s3:::${n}`, bucket: n });
      const pab = res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { bucket: "other-id" });
      assert.deepEqual(await messages("s3-bucket-hardened", [bucket("lone"), bucket("other"), pab]), [
        "bucket lone has no public access block",
        "bucket lone has no default encryption configuration",
        "bucket lone has no policy denying plain HTTP (aws:SecureTransport false)",
        "bucket other has no default encryption configuration",
        "bucket other has no policy denying plain HTTP (aws:SecureTransport false)",
      ]);
    });
  });
});
