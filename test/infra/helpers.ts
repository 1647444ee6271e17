import * as assert from "node:assert/strict";
import { readStackConfig, synth, type SynthResource, type SynthResult } from "../../scripts/synth";

export const T = {
  vpc: "awsx:ec2:Vpc",
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  component: "aws:imagebuilder/component:Component",
  recipe: "aws:imagebuilder/imageRecipe:ImageRecipe",
  infra: "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
  distribution: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
  pipeline: "aws:imagebuilder/imagePipeline:ImagePipeline",
  image: "aws:imagebuilder/image:Image",
  lifecyclePolicy: "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy",
  role: "aws:iam/role:Role",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  policy: "aws:autoscaling/policy:Policy",
  schedule: "aws:autoscaling/schedule:Schedule",
  schedulerSchedule: "aws:scheduler/schedule:Schedule",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  kmsKey: "aws:kms/key:Key",
  flowLog: "aws:ec2/flowLog:FlowLog",
  defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  lifecycleHook: "aws:autoscaling/lifecycleHook:LifecycleHook",
  queue: "aws:sqs/queue:Queue",
  redriveAllow: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
  table: "aws:dynamodb/table:Table",
  cdn: "aws:cloudfront/distribution:Distribution",
  oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
  vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  headersPolicy: "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
  webAcl: "aws:wafv2/webAcl:WebAcl",
  webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
  provider: "pulumi:providers:aws",
} as const;

export function all(result: SynthResult, type: string): SynthResource[] {
  return result.resources.filter((r) => r.type === type);
}

/** The one resource of `type` (named `name` if given); fails if there is not exactly one. */
export function one(result: SynthResult, type: string, name?: string): SynthResource {
  const found = all(result, type).filter((r) => name === undefined || r.name === name);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.map((r) => r.name).join(", ") || "none"}`,
  );
  return found[0]!;
}

/** The mock id of a resource, as other resources' inputs reference it. */
export function idOf(r: SynthResource): string {
  return `${r.name}-id`;
}

export function key(r: SynthResource): string {
  return `${r.type}::${r.name}`;
}

const stackPlans = new Map<string, Promise<SynthResult>>();

/**
 * The plan of a repo stack file (Pulumi.<stack>.yaml), synthesized once per mocha process and shared by
 * the program and policy tests (all test files run in one process). Callers must not mutate it.
 */
export function stackPlan(stack: string): Promise<SynthResult> {
  let plan = stackPlans.get(stack);
  if (!plan) {
    plan = synth(stack, readStackConfig(stack));
    stackPlans.set(stack, plan);
  }
  return plan;
}

/** `Key=value` lines of one section of a systemd unit file. */
export function unitSection(unit: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = "";
  for (const line of unit.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current !== name || line.startsWith("#") || !line.includes("=")) continue;
    const i = line.indexOf("=");
    out.set(line.slice(0, i), [...(out.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
  }
  return out;
}

/** The environment file (/etc/fleet/fleet.env) that a user data script writes, parsed. */
export function envFileOf(userData: string): Map<string, string> {
  const m = /cat > \/etc\/fleet\/fleet\.env\.new <<'FLEET_EOF'\n([\s\S]*?)\nFLEET_EOF/.exec(userData);
  assert.ok(m, "the user data writes the environment file");
  return new Map(m[1]!.split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/**
 * A group's launch template and version, and the ignoreChanges path that holds the version, whether the group
 * has a plain launch template (the web group) or a mixed instances policy (the worker group's Spot).
 */
export function templateOf(asg: SynthResource): { id: string; version: string; versionPath: string } {
  const mixed = asg.inputs.mixedInstancesPolicy?.launchTemplate?.launchTemplateSpecification;
  return mixed
    ? {
        id: mixed.launchTemplateId,
        version: mixed.version,
        versionPath: "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version",
      }
    : {
        id: asg.inputs.launchTemplate.id,
        version: asg.inputs.launchTemplate.version,
        versionPath: "launchTemplate.version",
      };
}
