/** Broken and at-the-limit cases of the AWS-accepts rules for IAM: names, trust policies, policy sizes. */
import type { PlanResource } from "../../../../policy/evaluate";
import { policySize } from "../../../../policy/rules/accepts/iam";
import { type Case, T, chars, mutate, plan, res } from "../helpers";

/** The worker role and its inline policy, padded (in a Sid) so the role's inline policies total `size`. */
function workerInlinePolicies(size: number): PlanResource[] {
  const role = plan("prod").find((r) => r.type === T.role && r.name === "fleet-worker-instance")!;
  const policy = mutate(T.rolePolicy, () => undefined, "fleet-worker-instance");
  const doc = JSON.parse(policy.inputs.policy as string) as { Statement: Array<{ Sid?: string }> };
  const pad = size - policySize(policy.inputs.policy as string);
  doc.Statement[0]!.Sid += "x".repeat(pad);
  return [role, { ...policy, inputs: { ...policy.inputs, policy: JSON.stringify(doc, null, 2) } }];
}

/** A role whose trust policy is `size` characters without white space. */
function trustPolicyOf(size: number): PlanResource {
  return mutate(
    T.role,
    (i) => {
      const pad = size - policySize(JSON.stringify(i.assumeRolePolicy));
      i.assumeRolePolicy.Statement[0].Sid += "x".repeat(pad);
    },
    "fleet-builder",
  );
}

export const BROKEN: Case[] = [
  [
    "aws-accepts-role-trust-policy",
    "a trust policy of 2,049 characters",
    () => [trustPolicyOf(2049)],
    /at most 2048 characters without white space, is 2049/,
  ],
  [
    "aws-accepts-managed-policy-size",
    "a managed policy of 6,145 characters",
    () => [
      res("aws:iam/policy:Policy", "big", {
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        }).replace('"Sid":""', `"Sid":"${chars(6145 - 87)}"`),
      }),
    ],
    /6144/,
  ],
  [
    "aws-accepts-iam-names",
    "a role name of 65 characters",
    () => [mutate(T.role, (i) => (i.name = chars(65)), "fleet-builder")],
    /at most 64/,
  ],
  [
    "aws-accepts-iam-names",
    "a role name with a space",
    () => [mutate(T.role, (i) => (i.name = "fleet builder"), "fleet-builder")],
  ],
  [
    "aws-accepts-iam-names",
    "a / in an inline policy name",
    () => [mutate(T.rolePolicy, (i) => (i.name = "read/bundle"), "fleet-builder-read-bundle")],
    /\\ \/ \* or \?/,
  ],
  [
    "aws-accepts-role-inline-policies-size",
    "the worker role's inline policies at 10,241 characters",
    () => workerInlinePolicies(10_241),
    /total 10241/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  ["aws-accepts-role-trust-policy", "exactly 2,048 characters (white space free)", () => [trustPolicyOf(2048)]],
  [
    "aws-accepts-iam-names",
    "a 64-character role name of + = , . @ _ -",
    () => [mutate(T.role, (i) => (i.name = "Ab0+=,.@_-".repeat(7).slice(0, 64)), "fleet-builder")],
  ],
  [
    "aws-accepts-role-inline-policies-size",
    "exactly 10,240 characters (pretty-printed: white space does not count)",
    () => workerInlinePolicies(10_240),
  ],
];
