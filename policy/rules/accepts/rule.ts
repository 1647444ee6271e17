/**
 * What every "AWS accepts" rule shares: a rule is a field of some resource types, a limit, and the AWS page
 * that states it. A rule's check returns findings (field path, problem, offending value); the helper turns
 * each into one violation line `<field path>: <problem> (got <value summary>) — source: <url>`, so
 * `npm run preflight` and `pulumi preview --policy-pack` print the same sentence.
 *
 * These rules cover what the provider's types let through and the AWS API refuses at `pulumi up` (character
 * sets, lengths, sizes, ranges, relations). They are mandatory: AWS would reject the value anyway.
 * A value that is not known offline (an Output resolved only at deploy time) is not a string here and is
 * skipped by the checks: `pulumi preview` sees it once it is known.
 */
import type { ResourceValidationPolicy, StackValidationPolicy, PolicyResource } from "@pulumi/policy";
import { forType, list } from "../../util";

export interface Finding {
  /** Where the value sits in the resource's inputs, e.g. `ingress[0].description`. */
  field: string;
  /** What AWS requires and the value breaks, as a short clause. */
  problem: string;
  value: unknown;
}

/** The catalogue entry of a rule: what docs/aws-rules.md lists and the tests read. */
export interface AcceptsMeta {
  /** Type tokens the rule reads ("aws:lb/loadBalancer:LoadBalancer"), or ["*"] for every AWS resource. */
  types: readonly string[];
  /** The input field(s) checked, as the provider spells them. */
  field: string;
  /** The limit in words ("<= 32 characters, [A-Za-z0-9-], ..."). */
  limit: string;
  /** The AWS documentation page the limit comes from. */
  source: string;
}

export type AcceptsRule = (ResourceValidationPolicy | StackValidationPolicy) & { accepts: AcceptsMeta };

const MAX_SHOWN = 80;

/** A short, printable summary of a value: strings quoted (long ones cut, with their length), numbers as is. */
export function summarize(value: unknown): string {
  if (typeof value === "string") {
    if (value.length <= MAX_SHOWN) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_SHOWN))}… (${value.length} characters)`;
  }
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= MAX_SHOWN ? json : `${json.slice(0, MAX_SHOWN)}… (${json.length} characters of JSON)`;
}

export function formatFinding(f: Finding, source: string): string {
  return `${f.field}: ${f.problem} (got ${summarize(f.value)}) — source: ${source}`;
}

/** A per-resource rule over the given types; `check` returns what AWS would refuse. */
export function acceptsRule(spec: {
  name: string;
  description: string;
  meta: AcceptsMeta;
  check: (props: Record<string, any>, resource: { name: string; type: string }) => Finding[];
}): AcceptsRule {
  const wantsAll = spec.meta.types.includes("*");
  const validate = (
    props: Record<string, any>,
    resource: { name: string; type: string },
    report: (m: string) => void,
  ) => {
    for (const f of spec.check(props, resource)) report(formatFinding(f, spec.meta.source));
  };
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: "mandatory",
    accepts: spec.meta,
    validateResource: wantsAll
      ? (args, report) => {
          if (args.type.startsWith("aws:")) validate(args.props, args, (m) => report(m));
        }
      : forType(spec.name, spec.meta.types, (p, a, report) => validate(p, a, (m) => report(m))),
  };
}

/** A rule over the whole plan (relations between resources); `check` returns findings per resource. */
export function acceptsStackRule(spec: {
  name: string;
  description: string;
  meta: AcceptsMeta;
  check: (resources: PolicyResource[]) => Array<Finding & { resource: PolicyResource }>;
}): AcceptsRule {
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: "mandatory",
    accepts: spec.meta,
    validateStack: (args, report) => {
      for (const f of spec.check(args.resources)) report(formatFinding(f, spec.meta.source), f.resource.urn);
    },
  };
}

// ---- small pure checks the rule files compose ----

/** Problems of a string's length (in UTF-16 code units = characters for the ASCII the rules deal with). */
export function lengthProblem(s: string, min: number, max: number): string | undefined {
  if (s.length < min) return `must be at least ${min} character${min === 1 ? "" : "s"}`;
  if (s.length > max) return `must be at most ${max} characters, is ${s.length}`;
  return undefined;
}

/** The characters of `s` outside `allowed` (a one-character class regex), each once, in order. */
export function badCharacters(s: string, allowed: RegExp): string[] {
  return [...new Set([...s].filter((c) => !allowed.test(c)))];
}

export function charsetProblem(s: string, allowed: RegExp, allowedWords: string): string | undefined {
  const bad = badCharacters(s, allowed);
  return bad.length ? `has ${bad.map((c) => JSON.stringify(c)).join(", ")}, outside ${allowedWords}` : undefined;
}

export function rangeProblem(n: number, min: number, max: number, unit = ""): string | undefined {
  const u = unit ? ` ${unit}` : "";
  if (!Number.isInteger(n)) return `must be a whole number in ${min}..${max}${u}`;
  if (n < min || n > max) return `must be in ${min}..${max}${u}`;
  return undefined;
}

/** A finding list from optional problems: `at(field, value, problem1, problem2...)`. */
export function at(field: string, value: unknown, ...problems: Array<string | undefined>): Finding[] {
  return problems.filter((p): p is string => p !== undefined).map((problem) => ({ field, problem, value }));
}

/** A string input (absent or unknown values are skipped: nothing to check offline). */
export function str(v: unknown): v is string {
  return typeof v === "string";
}

/** A numeric input; the provider passes numbers, a few inputs arrive as numeric strings. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export { list };
