/**
 * IAM values AWS accepts beyond the provider's types: role and policy names, role descriptions, the
 * characters a policy document may hold, and policy sizes (trust policy 2,048; a role's inline policies
 * 10,240 together; a managed policy 6,144). IAM does not count white space in a policy's size.
 */
import type { PolicyResource } from "@pulumi/policy";
import { acceptsRule, acceptsStackRule, at, charsetProblem, lengthProblem, list, str, type Finding } from "./rule";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MANAGED_POLICY = "aws:iam/policy:Policy";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (name requirements, character limits)
export const IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
export const TRUST_POLICY_MAX = 2048;
export const ROLE_INLINE_MAX = 10_240;
export const MANAGED_POLICY_MAX = 6144;

/** A policy document as IAM receives it: the JSON text (objects are serialised as the provider does). */
export function policyText(doc: unknown): string | undefined {
  if (typeof doc === "string") return doc;
  if (doc && typeof doc === "object") return JSON.stringify(doc);
  return undefined;
}

/** A policy's size as IAM counts it against its quotas: characters other than white space. */
export function policySize(doc: string): number {
  return doc.replace(/\s/g, "").length;
}

const POLICY_CHAR = /^[\u0009\u000A\u000D\u0020-\u00FF]$/;
const IAM_NAME = /^[\w+=,.@-]$/;

function docFindings(field: string, doc: unknown, max: number, what: string): Finding[] {
  const text = policyText(doc);
  if (text === undefined) return [];
  const size = policySize(text);
  return at(
    field,
    text,
    size > max ? `${what} must be at most ${max} characters without white space, is ${size}` : undefined,
    charsetProblem(text, POLICY_CHAR, "tab, line feed, carriage return and U+0020..U+00FF"),
  );
}

export const roleTrustPolicy = acceptsRule({
  name: "aws-accepts-role-trust-policy",
  description: "A role's trust policy is at most 2,048 characters (white space not counted), in IAM's character set.",
  meta: {
    types: [ROLE],
    field: "assumeRolePolicy",
    limit: "<= 2,048 characters excluding white space (default quota); U+0009/000A/000D, U+0020..U+00FF",
    source: IAM_QUOTAS,
  },
  check: (p) => docFindings("assumeRolePolicy", p.assumeRolePolicy, TRUST_POLICY_MAX, "a role trust policy"),
});

export const managedPolicySize = acceptsRule({
  name: "aws-accepts-managed-policy-size",
  description: "A customer managed policy is at most 6,144 characters (white space not counted).",
  meta: {
    types: [MANAGED_POLICY],
    field: "policy",
    limit: "<= 6,144 characters excluding white space",
    source: IAM_QUOTAS,
  },
  check: (p) => docFindings("policy", p.policy, MANAGED_POLICY_MAX, "a managed policy"),
});

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyRole.html (RoleName 1..64, [\w+=,.@-]+),
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (Description <= 1000)
export const roleNames = acceptsRule({
  name: "aws-accepts-iam-names",
  description:
    "IAM names: roles <= 64, instance profiles and policies <= 128 of [A-Za-z0-9_+=,.@-]; role descriptions <= 1000.",
  meta: {
    types: [ROLE, PROFILE, MANAGED_POLICY, ROLE_POLICY],
    field: "name, description, inlinePolicies[].name",
    limit:
      "role name 1..64, profile/policy name 1..128 of [\\w+=,.@-] (inline policy names: printable ASCII, no \\ / * ? space); role description <= 1000",
    source: IAM_QUOTAS,
  },
  check: (p, { type }) => {
    const out: Finding[] = [];
    // A role policy's name is an inline policy name; roles, profiles and managed policies share the IAM name set.
    const isInline = type === ROLE_POLICY;
    const isRole = type === ROLE;
    if (str(p.name)) {
      const max = isRole ? 64 : 128;
      out.push(
        ...at(
          "name",
          p.name,
          lengthProblem(p.name, 1, max),
          isInline ? inlineNameProblem(p.name) : charsetProblem(p.name, IAM_NAME, "A-Z a-z 0-9 and _+=,.@-"),
        ),
      );
    }
    if (isRole && str(p.description))
      out.push(...at("description", p.description, lengthProblem(p.description, 0, 1000)));
    list(p.inlinePolicies as Array<{ name?: string }>).forEach((ip, i) => {
      if (str(ip?.name))
        out.push(
          ...at(`inlinePolicies[${i}].name`, ip.name, lengthProblem(ip.name, 1, 128), inlineNameProblem(ip.name)),
        );
    });
    return out;
  },
});

function inlineNameProblem(name: string): string | undefined {
  return (
    charsetProblem(name, /^[\x21-\x7E]$/, "printable ASCII") ??
    (/[\\/*?]/.test(name) ? "cannot contain \\ / * or ?" : undefined)
  );
}

/** The role each inline policy belongs to: the engine's dependency when known, else the role input itself. */
function roleKey(rp: PolicyResource, roles: PolicyResource[]): PolicyResource | string {
  const dep = (rp.propertyDependencies?.role ?? []).find((d) => d.type === ROLE);
  if (dep) return dep;
  const byName = roles.find((r) => r.props.name !== undefined && r.props.name === rp.props.role);
  return byName ?? String(rp.props.role);
}

export const roleInlineAggregate = acceptsStackRule({
  name: "aws-accepts-role-inline-policies-size",
  description: "A role's inline policies together are at most 10,240 characters (white space not counted).",
  meta: {
    types: [ROLE, ROLE_POLICY],
    field: "inlinePolicies[].policy + every RolePolicy.policy of the role",
    limit: "<= 10,240 characters together, excluding white space",
    source: IAM_QUOTAS,
  },
  check: (resources) => {
    const roles = resources.filter((r) => r.type === ROLE);
    const totals = new Map<PolicyResource | string, { size: number; at: PolicyResource }>();
    const add = (key: PolicyResource | string, size: number, at: PolicyResource) => {
      const t = totals.get(key) ?? { size: 0, at: typeof key === "string" ? at : key };
      t.size += size;
      totals.set(key, t);
    };
    for (const role of roles)
      for (const ip of list(role.props.inlinePolicies as Array<{ policy?: unknown }>)) {
        const text = policyText(ip?.policy);
        if (text !== undefined) add(role, policySize(text), role);
      }
    for (const rp of resources.filter((r) => r.type === ROLE_POLICY)) {
      const text = policyText(rp.props.policy);
      if (text !== undefined) add(roleKey(rp, roles), policySize(text), rp);
    }
    return [...totals.values()]
      .filter((t) => t.size > ROLE_INLINE_MAX)
      .map((t) => ({
        resource: t.at,
        field: "inline policies (all of the role's)",
        problem: `a role's inline policies must total at most ${ROLE_INLINE_MAX} characters without white space, total ${t.size}`,
        value: t.size,
      }));
  },
});

export const IAM_ACCEPTS_RULES = [roleTrustPolicy, managedPolicySize, roleNames, roleInlineAggregate];
