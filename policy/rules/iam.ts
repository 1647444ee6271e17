/**
 * Identity: no wildcard actions in what a role may do, no broad AWS-managed policies, no AWS managed policy at
 * all on a fleet's instance role (AWS's policies name none of our resources: `Resource: "*"`), and every role a
 * service assumes limited to this account's resources (aws:SourceAccount, aws:SourceArn).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isExcepted } from "../exceptions";
import { forType, list, statements, type Statement } from "../util";

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

/**
 * Service principals that assume a role without a source resource: EC2 assumes an instance profile's role for
 * the instance, and AWS documents no aws:SourceArn or aws:SourceAccount for it.
 */
export const SERVICES_WITHOUT_SOURCE_CONTEXT = ["ec2.amazonaws.com"] as const;

/** The condition keys of a statement, lower-cased (IAM compares condition key names without case). */
function conditionKeys(s: Statement): string[] {
  return Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));
}

export const serviceTrustConditions: ResourceValidationPolicy = {
  name: "iam-service-trust-conditions",
  description:
    "A role an AWS service assumes is limited to this account's resources: aws:SourceAccount and aws:SourceArn in its trust policy (the confused-deputy guard, https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).",
  validateResource: forType("iam-service-trust-conditions", "aws:iam/role:Role", (p, _a, report) => {
    for (const s of statements(p.assumeRolePolicy)) {
      if (s.Effect !== "Allow") continue;
      const services = list((s.Principal as { Service?: string | string[] } | undefined)?.Service).filter(
        (svc) => !(SERVICES_WITHOUT_SOURCE_CONTEXT as readonly string[]).includes(svc),
      );
      if (services.length === 0) continue;
      const keys = conditionKeys(s);
      const missing = ["aws:SourceAccount", "aws:SourceArn"].filter((k) => !keys.includes(k.toLowerCase()));
      if (missing.length)
        report(`trusts ${services.join(", ")} without ${missing.join(" and ")}: any account's resource could use it`);
    }
  }),
};

const AWS_MANAGED_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\//;
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/** The roles whose instance profile a launch template names: the fleets' instance roles. */
function fleetRoles(resources: PolicyResource[]): PolicyResource[] {
  const profiles = resources
    .filter((r) => r.type === LAUNCH_TEMPLATE)
    .flatMap((lt) => lt.propertyDependencies.iamInstanceProfile ?? [])
    .filter((r) => r.type === "aws:iam/instanceProfile:InstanceProfile");
  return profiles.flatMap((p) => (p.propertyDependencies.role ?? []).filter((r) => r.type === "aws:iam/role:Role"));
}

export const fleetRolesOwnPoliciesOnly: StackValidationPolicy = {
  name: "iam-fleet-roles-no-aws-managed-policies",
  description:
    "A fleet's instance role (a launch template's profile) carries no AWS managed policy: those grant on Resource \"*\" (AmazonSSMManagedInstanceCore reads every SSM parameter, CloudWatchAgentServerPolicy writes any log group).",
  validateStack: (args, report) => {
    const roles = fleetRoles(args.resources);
    for (const a of args.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
      if (isExcepted("iam-fleet-roles-no-aws-managed-policies", a.urn)) continue;
      const onFleetRole = (a.propertyDependencies.role ?? []).some((r) => roles.includes(r));
      const arn = String(a.props.policyArn ?? "");
      if (onFleetRole && AWS_MANAGED_POLICY.test(arn))
        report(
          `attaches the AWS managed ${arn.split("/").pop()} to a fleet instance role: grant what the instances use on the stack's resources`,
          a.urn,
        );
    }
  },
};

export const IAM_POLICIES = [
  noWildcardActions,
  noBroadManagedPolicies,
  serviceTrustConditions,
  fleetRolesOwnPoliciesOnly,
];
