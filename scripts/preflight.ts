/**
 * What AWS would reject and what an instance would fail at, caught offline before a deploy:
 *
 *   npm run preflight -- dev            synth + policy pack + the units' start
 *   npm run preflight -- dev prod       several stacks; each distinct unit is started once
 *   npm run preflight -- qa --dir DIR   reads DIR/Pulumi.qa.yaml
 *   npm run preflight -- prod --no-build --no-unit-start
 *
 * For each stack: validates its config and runs the Pulumi program under mocks (scripts/synth.ts), evaluates
 * the whole policy pack over the plan (policy/policies.ts ALL_POLICIES, the "AWS accepts" rules included),
 * then runs the built service as each systemd unit embedded in the plan's image component would run it on
 * an instance launched without user data (scripts/unit-checks.ts). `npm run build` runs first unless
 * --no-build (dist/ must then be current).
 *
 * Prints one line per problem, `<stack>  <resource>  <field>  [<rule>]  <problem>  (source: <where>)`, and
 * exits 1 on any; otherwise one summary line and exit 0. See docs/preflight.md.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { FleetConfigError } from "../infra/shared/config";
import { LAYOUT } from "../infra/image/serviceUnit";
import { evaluatePolicies, type Violation } from "../policy/evaluate";
import { ALL_POLICIES, type FleetPolicy } from "../policy/policies";
import { UsageError, tokenize } from "./cli";
import { planOf, readStackConfig, ROOT, StackFileError, synth, validateStackConfig, type SynthResult } from "./synth";
import { checkWebUnit, checkWorkerUnit, type UnitProblem } from "./unit-checks";
import { detectSandbox } from "./unit-start";

export const USAGE = `usage: npm run preflight -- <stack>... [--dir DIR] [--no-build] [--no-unit-start]
  <stack>          one or more stacks (reads DIR/Pulumi.<stack>.yaml; DIR defaults to the repo root)
  --no-build       use dist/ as it is instead of running \`npm run build\` first
  --no-unit-start  skip starting the units (synth and policy pack only)`;

export interface PreflightOptions {
  stacks: string[];
  dir: string;
  build: boolean;
  unitStart: boolean;
}

export function parsePreflightArgs(argv: string[]): PreflightOptions {
  const parsed = tokenize(argv, {
    dir: { type: "string" },
    "no-build": { type: "boolean" },
    "no-unit-start": { type: "boolean" },
  });
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("give at least one stack, e.g. dev");
  const bad = positionals.find((s) => !/^[A-Za-z0-9_.-]+$/.test(s));
  if (bad !== undefined)
    throw new UsageError(`stack ${JSON.stringify(bad)} is not a stack name: letters, digits, "_", "." and "-" only`);
  if (values.dir === "") throw new UsageError("--dir needs a directory, e.g. --dir .");
  return {
    stacks: [...new Set(positionals)],
    dir: path.resolve(values.dir ?? ROOT),
    build: !values["no-build"],
    unitStart: !values["no-unit-start"],
  };
}

/** One thing AWS or an instance would reject. */
export interface Problem {
  /** The stack, or "*" for what is the same in every stack given. */
  stack: string;
  /** "<type>::<name>", "unit:<name>", "config" or "stack". */
  resource: string;
  field?: string;
  rule: string;
  message: string;
  source: string;
}

/**
 * A policy's message as a problem. The "AWS accepts" rules word theirs `<field>: <problem> — source: <url>`;
 * the others name no field and cite the pack.
 */
export function problemOfViolation(stack: string, v: Violation, policies: readonly FleetPolicy[]): Problem {
  const m = /^([A-Za-z0-9_.[\]*-]+): (.*?)(?:\s+—\s+source:\s+(\S+))?$/s.exec(v.message);
  const described = policies.find((p) => p.name === v.policy)?.description;
  const source = m?.[3] ?? `policy/rules (${v.policy}${described ? `: ${described}` : ""})`;
  return m && m[3] !== undefined
    ? { stack, resource: v.resource, field: m[1]!, rule: v.policy, message: m[2]!, source }
    : { stack, resource: v.resource, rule: v.policy, message: v.message, source };
}

export function formatProblem(p: Problem): string {
  return `${p.stack}  ${p.resource}  ${p.field ?? "-"}  [${p.rule}]  ${p.message}  (source: ${p.source})`;
}

/** The unit files the plan's image component installs (CreateFile content, a YAML literal block). */
export function unitsOfPlan(result: SynthResult): Map<string, string> {
  const units = new Map<string, string>();
  for (const c of result.resources.filter((r) => r.type === "aws:imagebuilder/component:Component")) {
    const doc = String(c.inputs.data ?? "");
    for (const [name, unitPath] of [
      [LAYOUT.unitName, LAYOUT.unitPath],
      [LAYOUT.workerUnitName, LAYOUT.workerUnitPath],
    ] as const) {
      const at = doc.indexOf(`path: "${unitPath}"`);
      const block = at < 0 ? null : /content: \|\n((?: {14}.*\n|\n)+)/.exec(doc.slice(at));
      if (block)
        units.set(
          name,
          block[1]!
            .split("\n")
            .map((l) => l.slice(14))
            .join("\n"),
        );
    }
  }
  return units;
}

/** Config, synth and policy pack of one stack: its problems and its plan (undefined when it did not synth). */
export async function checkStack(
  stack: string,
  dir: string,
  policies: readonly FleetPolicy[] = ALL_POLICIES,
): Promise<{ problems: Problem[]; result?: SynthResult }> {
  let config: Record<string, string>;
  try {
    config = readStackConfig(stack, dir);
    validateStackConfig(config);
  } catch (err) {
    if (err instanceof FleetConfigError)
      return {
        problems: [
          {
            stack,
            resource: "config",
            field: `fleet:${err.key}`,
            rule: "config",
            message: err.message,
            source: "infra/shared/config.ts",
          },
        ],
      };
    if (err instanceof StackFileError)
      return {
        problems: [{ stack, resource: "config", rule: "stack-file", message: err.message, source: "scripts/synth.ts" }],
      };
    throw err;
  }
  let result: SynthResult;
  try {
    result = await synth(stack, config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { problems: [{ stack, resource: "stack", rule: "synth", message, source: "infra/index.ts" }] };
  }
  const violations = await evaluatePolicies(stack, planOf(result), policies);
  return { problems: violations.map((v) => problemOfViolation(stack, v, policies)), result };
}

function unitProblem(stack: string, p: UnitProblem): Problem {
  return {
    stack,
    resource: `unit:${p.unit}`,
    field: p.field,
    rule: "unit-start",
    message: p.message,
    source: "scripts/unit-checks.ts (systemd.exec: StateDirectory=, ProtectSystem=strict)",
  };
}

/** Starts each distinct unit text of the plans once; problems name the stacks whose image carries it. */
async function checkUnits(
  results: SynthResult[],
  root: string,
): Promise<{ problems: Problem[]; started: number; sandbox: string }> {
  const sandbox = detectSandbox();
  if (sandbox.kind === "none")
    return {
      problems: [
        {
          stack: "*",
          resource: "unit:*",
          rule: "unit-start",
          message: `cannot start the units: ${sandbox.why}; or pass --no-unit-start`,
          source: "scripts/unit-start.ts",
        },
      ],
      started: 0,
      sandbox: "none",
    };
  const byText = new Map<string, { name: string; stacks: string[] }>();
  for (const r of results)
    for (const [name, text] of unitsOfPlan(r)) {
      const seen = byText.get(text) ?? { name, stacks: [] };
      seen.stacks.push(r.stack);
      byText.set(text, seen);
    }
  const problems: Problem[] = [];
  for (const [text, { name, stacks }] of byText) {
    const found =
      name === LAYOUT.unitName
        ? await checkWebUnit(root, sandbox.kind, text)
        : await checkWorkerUnit(root, sandbox.kind, text);
    problems.push(...found.map((p) => unitProblem(stacks.join(","), p)));
  }
  for (const r of results)
    if (unitsOfPlan(r).size < 2)
      problems.push({
        stack: r.stack,
        resource: "unit:*",
        rule: "unit-start",
        message: "the plan's image component installs fewer than the two units",
        source: "infra/image/imageComponent.ts",
      });
  return { problems, started: byText.size, sandbox: sandbox.kind };
}

export interface Io {
  out: (line: string) => void;
  /** Runs `npm run build`; resolves with an error message, or undefined on success. */
  build: () => string | undefined;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  build: () => {
    const run = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8" });
    return run.status === 0
      ? undefined
      : `npm run build failed (exit ${run.status}): ${(run.stdout + run.stderr).trim().split("\n").slice(-5).join(" | ")}`;
  },
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let options: PreflightOptions;
  try {
    options = parsePreflightArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.out(`preflight: ${err.message}\n${USAGE}`);
    return 1;
  }
  const started = Date.now();
  const problems: Problem[] = [];
  const results: SynthResult[] = [];
  for (const stack of options.stacks) {
    const checked = await checkStack(stack, options.dir);
    problems.push(...checked.problems);
    if (checked.result) results.push(checked.result);
  }
  let units = { started: 0, sandbox: "skipped" };
  if (options.unitStart && results.length) {
    const failed = options.build ? io.build() : undefined;
    if (failed)
      problems.push({ stack: "*", resource: "dist", rule: "build", message: failed, source: "tsconfig.build.json" });
    else {
      const checked = await checkUnits(results, ROOT);
      problems.push(...checked.problems);
      units = checked;
    }
  }
  for (const p of problems) io.out(formatProblem(p));
  const resources = results.reduce((n, r) => n + r.resources.length, 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  io.out(
    `preflight ${options.stacks.join(", ")}: ${problems.length} problem(s); ${resources} resources, ` +
      `${ALL_POLICIES.length} policies, ${units.started} unit(s) started (sandbox ${units.sandbox}) in ${seconds} s`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`preflight failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
