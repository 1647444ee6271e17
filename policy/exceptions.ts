/**
 * The pack's reasoned exceptions: where a rule does not apply to a stack on purpose. Each names the rule,
 * the stacks, and why; a policy consults this list (through `stackOf(urn)`) in `pulumi preview` exactly as
 * in the offline tests.
 */
export interface PolicyException {
  policy: string;
  stacks: readonly string[];
  /** Only these Pulumi projects' stacks (default: every project the pack checks). */
  projects?: readonly string[];
  reason: string;
}

export const EXCEPTIONS: readonly PolicyException[] = [
  {
    policy: "alb-deletion-protection",
    stacks: ["dev"],
    reason: "dev is created and destroyed at will; stacks that must survive set fleet:deletionProtection",
  },
  {
    policy: "waf-on-public-endpoints",
    stacks: ["dev"],
    reason:
      "dev runs without fleet:waf by default (a web ACL is $5 a month plus $1 per rule and $0.60 per million requests for a stack nobody else uses); prod sets fleet:waf true",
  },
  {
    policy: "waf-on-public-endpoints",
    stacks: ["dev", "prod"],
    projects: ["fleet-web"],
    reason:
      "the example page's distribution serves a few static files from a private bucket (examples/web/infra): nothing a flood could exhaust but the bill, which a rate rule would not lower; the API it calls is behind the fleet stack's web ACL",
  },
];

/** The project of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function projectOf(urn: string): string {
  return /^urn:pulumi:[^:]+::([^:]+)::/.exec(urn)?.[1] ?? "";
}

/** The stack of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOf(urn: string): string {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

export function isExcepted(policy: string, urn: string): PolicyException | undefined {
  const stack = stackOf(urn);
  const project = projectOf(urn);
  return EXCEPTIONS.find(
    (e) =>
      e.policy === policy && e.stacks.includes(stack) && (e.projects === undefined || e.projects.includes(project)),
  );
}
