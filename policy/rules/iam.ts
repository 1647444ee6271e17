/** Identity: no wildcard actions in what a role may do, and no broad AWS-managed policies. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, list, statements } from "../util";

/** Managed policies that grant far more than any fleet role needs. */
export const FORBIDDEN_MANAGED_POLICIES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"] as const;

function wildcardActions(doc: unknown): string[] {
  return statements(doc)
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => list(s.Action))
    .filter((a): a is string => typeof a === "string" && a.includes("*"));
}

export const noWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description: "IAM policies allow named actions only: no `*` in an allowed action.",
  validateResource: [
    forType("iam-no-wildcard-actions", ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"], (p, _a, report) => {
      const bad = wildcardActions(p.policy);
      if (bad.length) report(`allows wildcard action(s) ${bad.join(", ")}: name the actions`);
    }),
    forType("iam-no-wildcard-actions", "aws:iam/role:Role", (p, _a, report) => {
      for (const inline of list(p.inlinePolicies as Array<{ policy?: string }>)) {
        const bad = wildcardActions(inline.policy);
        if (bad.length) report(`inline policy allows wildcard action(s) ${bad.join(", ")}`);
      }
    }),
  ],
};

export const noBroadManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-broad-managed-policies",
  description: "No role gets AdministratorAccess, PowerUserAccess or IAMFullAccess.",
  validateResource: forType(
    "iam-no-broad-managed-policies",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    (p, _a, report) => {
      const name =
        String(p.policyArn ?? "")
          .split("/")
          .pop() ?? "";
      if ((FORBIDDEN_MANAGED_POLICIES as readonly string[]).includes(name)) report(`attaches ${name}`);
    },
  ),
};

export const IAM_POLICIES = [noWildcardActions, noBroadManagedPolicies];
