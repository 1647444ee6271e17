/**
 * Shared by the "AWS accepts" rule tests: the dev and prod plans (synthesized once per mocha process), a
 * resource of them with changed inputs (what a careless edit of infra/ produces), and a run of one rule.
 */
import * as assert from "node:assert/strict";
import { planOf } from "../../../scripts/synth";
import { stackPlan } from "../../infra/helpers";
import { evaluatePolicies, type PlanResource, type Violation } from "../../../policy/evaluate";
import { AWS_ACCEPTS_POLICIES } from "../../../policy/rules/accepts";

const plans = new Map<string, PlanResource[]>();

export async function loadPlans(): Promise<void> {
  for (const stack of ["dev", "prod"]) if (!plans.has(stack)) plans.set(stack, planOf(await stackPlan(stack)));
}

export function plan(stack: "dev" | "prod"): PlanResource[] {
  const p = plans.get(stack);
  assert.ok(p, `call loadPlans() in a before hook first`);
  return p;
}

/** The resource of `type` (named `name` if given) of a plan, inputs changed by `change`. */
export function mutate(
  type: string,
  change: (inputs: Record<string, any>) => void,
  name?: string,
  stack: "dev" | "prod" = "prod",
): PlanResource {
  const r = plan(stack).find((x) => x.type === type && (name === undefined || x.name === name));
  assert.ok(r, `${type}${name ? ` ${name}` : ""} in the ${stack} plan`);
  const inputs = structuredClone(r.inputs);
  change(inputs);
  return { ...r, inputs };
}

/** A resource that is in no plan (types the program does not create yet). */
export function res(
  type: string,
  name: string,
  inputs: Record<string, any>,
  outputs: Record<string, any> = {},
): PlanResource {
  return { type, name, inputs, id: `${name}-id`, outputs };
}

export async function violationsOf(rule: string, resources: PlanResource[], stack = "prod"): Promise<Violation[]> {
  const policy = AWS_ACCEPTS_POLICIES.find((p) => p.name === rule);
  assert.ok(policy, `no AWS-accepts rule named ${rule}`);
  return evaluatePolicies(stack, resources, [policy]);
}

export const T = {
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  asg: "aws:autoscaling/group:Group",
  hook: "aws:autoscaling/lifecycleHook:LifecycleHook",
  schedule: "aws:autoscaling/schedule:Schedule",
  component: "aws:imagebuilder/component:Component",
  recipe: "aws:imagebuilder/imageRecipe:ImageRecipe",
  image: "aws:imagebuilder/image:Image",
  pipeline: "aws:imagebuilder/imagePipeline:ImagePipeline",
  distribution: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  queue: "aws:sqs/queue:Queue",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  scheduler: "aws:scheduler/schedule:Schedule",
  webAcl: "aws:wafv2/webAcl:WebAcl",
  bucket: "aws:s3/bucket:Bucket",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  table: "aws:dynamodb/table:Table",
  topic: "aws:sns/topic:Topic",
  cdn: "aws:cloudfront/distribution:Distribution",
} as const;

export const chars = (n: number, c = "a") => c.repeat(n);

/** A case: the rule, what the resources hold, the resources, and (for broken ones) the message expected. */
export type Case = [rule: string, what: string, resources: () => PlanResource[], message?: RegExp];
