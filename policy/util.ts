/** Small helpers the rule modules share: statements of a JSON policy, and a type-filtered validation. */
import type { ResourceValidationArgs, ReportViolation } from "@pulumi/policy";
import { isExcepted } from "./exceptions";

export interface Statement {
  Effect?: string;
  Action?: string | string[];
  Principal?: unknown;
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document given as a JSON string or an object; [] when absent. */
export function statements(doc: unknown): Statement[] {
  if (doc === undefined || doc === null || doc === "") return [];
  const parsed =
    typeof doc === "string" ? (JSON.parse(doc) as { Statement?: unknown }) : (doc as { Statement?: unknown });
  const s = parsed.Statement;
  return (Array.isArray(s) ? s : s ? [s] : []) as Statement[];
}

export function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * A validation of the resources of one type token (e.g. "aws:lb/listener:Listener") that skips a stack
 * the pack's EXCEPTIONS list for this policy. Type tokens rather than classes: the rules then need no
 * provider import, and the same token is what `pulumi preview` and the offline plan both carry.
 */
export function forType(
  policy: string,
  types: string | readonly string[],
  validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void,
) {
  const wanted = list(types as string | string[]);
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    if (!wanted.includes(args.type)) return;
    if (isExcepted(policy, args.urn)) return;
    validate(args.props, args, report);
  };
}
