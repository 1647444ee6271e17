/**
 * Runs the pack's policies over a plan offline, the way `pulumi preview --policy-pack` would over the same
 * resources: resource policies see each resource's inputs, stack policies see them all with their parent
 * and property dependencies. Used by `npm run synth -- <stack> --policy` and by the tests.
 *
 * Property dependencies are what the engine records when an input is another resource's output; offline
 * they are recovered from values: a property that equals another resource's id or one of its outputs, or
 * a JSON document that contains one of its ARNs, depends on it.
 */
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { FleetPolicy } from "./policies";

/** A resource of a plan: what scripts/synth.ts records (inputs, mock id and outputs, parent key). */
export interface PlanResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  id?: string;
  outputs?: Record<string, any>;
  /** "<type>::<name>" of the parent, as synth records it. */
  parent?: string;
}

export interface Violation {
  policy: string;
  message: string;
  /** "<type>::<name>" of the resource, or "stack". */
  resource: string;
}

class NotApplicable extends Error {}

function urnOf(stack: string, r: PlanResource, project: string): string {
  return `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`;
}

/** The values by which other resources can refer to `r`. */
function handles(r: PlanResource): string[] {
  const out = new Set<string>();
  if (r.id) out.add(r.id);
  for (const v of Object.values(r.outputs ?? {})) if (typeof v === "string" && v.length >= 6) out.add(v);
  return [...out];
}

function refersTo(value: unknown, handle: string): boolean {
  if (typeof value === "string") return value === handle || (handle.startsWith("arn:") && value.includes(`"${handle}`));
  if (Array.isArray(value)) return value.some((v) => refersTo(v, handle));
  // Nested inputs (a launch template's iamInstanceProfile.arn, a distribution's defaultCacheBehavior): the
  // engine reports the property as depending on what any part of it refers to.
  if (value !== null && typeof value === "object") return Object.values(value).some((v) => refersTo(v, handle));
  return false;
}

/** The resources of a plan as the policy SDK's PolicyResource, with parents and property dependencies. */
export function toPolicyResources(stack: string, plan: PlanResource[], project = "fleet"): PolicyResource[] {
  const byKey = new Map<string, PolicyResource>();
  const resources = plan.map((r) => {
    const pr = {
      type: r.type,
      name: r.name,
      urn: urnOf(stack, r, project),
      props: r.inputs,
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
      },
      dependencies: [] as PolicyResource[],
      propertyDependencies: {} as Record<string, PolicyResource[]>,
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byKey.set(`${r.type}::${r.name}`, pr);
    return pr;
  });
  plan.forEach((r, i) => {
    const pr = resources[i]!;
    if (r.parent) {
      const parent = byKey.get(r.parent);
      if (parent) (pr as { parent?: PolicyResource }).parent = parent;
    }
    const deps = new Set<PolicyResource>();
    for (const [prop, value] of Object.entries(r.inputs)) {
      const on = plan
        .map((other, j) => ({ other, j }))
        .filter(({ other, j }) => j !== i && handles(other).some((h) => refersTo(value, h)))
        .map(({ j }) => resources[j]!);
      if (on.length) {
        pr.propertyDependencies[prop] = on;
        on.forEach((d) => deps.add(d));
      }
    }
    pr.dependencies.push(...deps);
  });
  return resources;
}

function common(reason: (r?: string) => never) {
  return {
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: reason,
  };
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** Every violation of `policies` over the plan of `stack` of the Pulumi `project` (its URNs say which). */
export async function evaluatePolicies(
  stack: string,
  plan: PlanResource[],
  policies: readonly FleetPolicy[],
  project = "fleet",
): Promise<Violation[]> {
  const resources = toPolicyResources(stack, plan, project);
  const violations: Violation[] = [];
  for (const policy of policies) {
    const keyOf = (urn?: string) => {
      const r = resources.find((x) => x.urn === urn);
      return r ? `${r.type}::${r.name}` : "stack";
    };
    if ("validateStack" in policy) {
      const args: StackValidationArgs = { resources, ...common(notApplicable) };
      try {
        await policy.validateStack(args, (message, urn) =>
          violations.push({ policy: policy.name, message, resource: keyOf(urn) }),
        );
      } catch (err) {
        if (!(err instanceof NotApplicable)) throw err;
      }
      continue;
    }
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    for (const r of resources) {
      const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name,
        opts: r.opts,
        isType: () => false,
        asType: () => undefined,
        ...common(notApplicable),
      } as unknown as ResourceValidationArgs;
      for (const validate of validations) {
        try {
          await validate(args, (message) =>
            violations.push({ policy: policy.name, message, resource: `${r.type}::${r.name}` }),
          );
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw err;
        }
      }
    }
  }
  return violations;
}

export function formatViolations(stack: string, violations: Violation[]): string {
  if (violations.length === 0) return `policy ${stack}: no violations\n`;
  return (
    `policy ${stack}: ${violations.length} violation(s)\n` +
    violations.map((v) => `  [${v.policy}] ${v.resource}: ${v.message}`).join("\n") +
    "\n"
  );
}
