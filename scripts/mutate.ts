/**
 * npm run mutate -- <file>[:<from>-<to>] ... | --changed [--base main] [--concurrency 1|2] [--ignore-static] [--dry-run]
 *
 * Mutation testing of one source file at a time with its own tests (StrykerJS, mocha runner through tsx,
 * no browser, no network): each file gets its own Stryker run, so a score says what the module's tests
 * catch, not what some other module's tests catch by accident. `--changed` takes the source files the
 * branch changed against the base (`git diff --name-only <base>...HEAD`). Reports (HTML, JSON and the
 * generated Stryker config, rerunnable with `npx stryker run <config>`) go under reports/mutation/.
 * A habit before calling a change done, not a CI gate: a run takes seconds to minutes per file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { integerFlag, parseOrExit, UsageError, tokenize } from "./cli";

export const USAGE = `usage: npm run mutate -- <file>[:<from>-<to>] ... [options]
       npm run mutate -- --changed [--base main] [options]
  <file>              a source file (service/, infra/, scripts/, policy/), e.g. service/decimal.ts;
                      :<from>-<to> mutates only those lines, e.g. service/admission.ts:40-80
  --changed           every source file the branch changed against --base (git diff <base>...HEAD)
  --base REF          the branch to compare with (default main)
  --concurrency N     Stryker test runners, 1..2 (default 1: the machine is shared)
  --ignore-static     skip static mutants (module-level constants: names, descriptions, tables); each
                      reloads every test file, seconds apiece where tests import Pulumi. Say so with a score
  --dry-run           print each file's tests and the Stryker config, run nothing
Reports: reports/mutation/<file>/index.html, mutation.json, stryker.config.json.`;

/** Where mutated code may live: the shipped and operated code, never tests or benchmarks. */
export const SOURCE_DIRS = ["service", "infra", "scripts", "policy"] as const;

export const REPORTS_DIR = "reports/mutation";

const MAX_CONCURRENCY = 2;

/**
 * Tests of modules whose tests do not sit at the mirror path (test/<file>.test.ts). Each file's tests are
 * the mirror test (when it exists) plus these. Keep a module's own tests here, not every test that
 * happens to import it: the score is meant to say what the module's tests pin.
 */
export const EXTRA_TESTS: Readonly<Record<string, readonly string[]>> = {
  "service/cluster.ts": ["test/service/backoff.test.ts", "test/service/crash-loop.test.ts"],
  "service/timing.ts": ["test/timing.test.ts"],
  "service/jobs/lease-keeper.ts": ["test/jobs/lease-keeper.test.ts"],
  "service/jobs/sqlite/backend.ts": ["test/jobs/sqlite.test.ts", "test/jobs/sqlite-guards.test.ts"],
  "service/jobs/worker.ts": ["test/jobs/worker-guards.test.ts", "test/jobs/worker.test.ts"],
  "service/jobs/routes.ts": ["test/jobs/routes-guards.test.ts", "test/jobs/routes.test.ts"],
  "service/jobs/config.ts": ["test/jobs/config.test.ts"],
  "service/jobs/kinds/sum.ts": ["test/jobs/kinds.test.ts"],
  "service/jobs/kinds/render.ts": ["test/jobs/kinds.test.ts"],
  "service/jobs/aws/config.ts": ["test/jobs/aws/config.test.ts"],
  "service/jobs/aws/worker-hooks.ts": ["test/jobs/aws/worker-hooks.test.ts"],
  "scripts/capacity-math.ts": ["test/scripts/capacity-jobs.test.ts"],
  "infra/night/refresh.ts": ["test/infra/refresh.test.ts"],
  "infra/night/night.ts": ["test/infra/night.test.ts"],
  "infra/shared/config.ts": ["test/infra/config.test.ts"],
  "infra/jobs/jobsConfig.ts": ["test/infra/jobsConfig.test.ts"],
};

/**
 * The tests of every module under a folder, for folders whose modules share their tests (one test runs
 * every policy rule over the plans). The deepest folder that holds a file wins; EXTRA_TESTS adds to it.
 * Fast tests first: Stryker stops a mutant's run at its first failing test, and the whole-plan tests take
 * seconds each on a loaded machine.
 */
export const FOLDER_TESTS: Readonly<Record<string, readonly string[]>> = {
  "policy/rules/": ["test/policy/rules-edges.test.ts", "test/policy/policies.test.ts"],
  "policy/rules/accepts/": [
    "test/policy/accepts/edges.test.ts",
    "test/policy/accepts/pure.test.ts",
    "test/policy/accepts/rules.test.ts",
    "test/policy/accepts/plans.test.ts",
  ],
};

/**
 * Tests that run the compiled service (dist/) in child processes: no mutant reaches them, and they need a
 * build the sandbox does not have. Left out of every run; what they cover needs tests in-process.
 */
export const OUT_OF_PROCESS_TESTS: readonly string[] = ["test/service/cluster.test.ts"];

export interface Target {
  /** The source file, relative to the repository root. */
  file: string;
  /** Lines to mutate, inclusive; absent: the whole file. */
  lines?: { from: number; to: number };
}

export type MutateArgs =
  | { command: "help" }
  | { command: "run"; targets: Target[]; concurrency: number; ignoreStatic: boolean; dryRun: boolean }
  | { command: "changed"; base: string; concurrency: number; ignoreStatic: boolean; dryRun: boolean };

const RANGE = /^(.*):(\d+)-(\d+)$/;
const GIT_REF = /^[A-Za-z0-9._/-]{1,100}$/;

/** A source file path as the user typed it, checked for shape (not for existence: see `planFile`). */
export function parseTarget(raw: string): Target {
  const range = RANGE.exec(raw);
  const file = path.posix.normalize((range ? range[1]! : raw).replaceAll("\\", "/")).replace(/^\.\//, "");
  if (!isSourceFile(file)) {
    throw new UsageError(
      `"${raw}" is not a source file: give a .ts file under ${SOURCE_DIRS.join("/, ")}/, e.g. service/decimal.ts`,
    );
  }
  if (!range) return { file };
  const from = Number(range[2]);
  const to = Number(range[3]);
  if (from < 1 || to < from) {
    throw new UsageError(`"${raw}": lines must be <from>-<to> with 1 <= from <= to, e.g. ${file}:10-40`);
  }
  return { file, lines: { from, to } };
}

/** A TypeScript module under one of the source directories (not a declaration file, not a test). */
export function isSourceFile(file: string): boolean {
  if (!file.endsWith(".ts") || file.endsWith(".d.ts") || file.endsWith(".test.ts")) return false;
  if (file.startsWith("/") || file.split("/").includes("..")) return false;
  return SOURCE_DIRS.some((dir) => file.startsWith(`${dir}/`));
}

export function parseMutateArgs(argv: string[]): MutateArgs {
  const parsed = tokenize(argv, {
    changed: { type: "boolean" },
    base: { type: "string" },
    concurrency: { type: "string" },
    "ignore-static": { type: "boolean" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  const concurrency = integerFlag("concurrency", values.concurrency, 1, 1, MAX_CONCURRENCY);
  const dryRun = values["dry-run"] ?? false;
  const ignoreStatic = values["ignore-static"] ?? false;
  if (values.changed) {
    if (positionals.length > 0) {
      throw new UsageError(`--changed takes no files (got ${positionals.join(" ")}): give files or --changed`);
    }
    const base = values.base ?? "main";
    if (!GIT_REF.test(base) || base.startsWith("-")) {
      throw new UsageError(`--base must be a branch or commit, e.g. --base main; got "${base}"`);
    }
    return { command: "changed", base, concurrency, ignoreStatic, dryRun };
  }
  if (values.base !== undefined) throw new UsageError("--base applies only with --changed");
  if (positionals.length === 0) throw new UsageError("give a source file, e.g. service/decimal.ts, or --changed");
  return { command: "run", targets: positionals.map(parseTarget), concurrency, ignoreStatic, dryRun };
}

/** The test files that are `file`'s own, among those that exist; empty when it has none. */
export function testsFor(file: string, exists: (p: string) => boolean): string[] {
  const mirror = `test/${file.replace(/\.ts$/, ".test.ts")}`;
  const folder = Object.keys(FOLDER_TESTS)
    .filter((dir) => file.startsWith(dir))
    .sort((a, b) => b.length - a.length)[0];
  const candidates = [mirror, ...(folder ? FOLDER_TESTS[folder]! : []), ...(EXTRA_TESTS[file] ?? [])];
  return [...new Set(candidates.filter((t) => exists(t) && !OUT_OF_PROCESS_TESTS.includes(t)))];
}

/** The source files among `git diff --name-only` output that still exist (a deleted file has nothing to mutate). */
export function changedSources(names: string[], exists: (p: string) => boolean): string[] {
  return names.map((n) => n.trim()).filter((n) => n !== "" && isSourceFile(n) && exists(n));
}

/** The report directory of one file: its path with slashes kept, under reports/mutation/. */
export function reportDir(file: string): string {
  return `${REPORTS_DIR}/${file.replace(/\.ts$/, "")}`;
}

/** The Stryker config of one run: `target` mutated, `tests` run (mocha in-process, TypeScript through tsx). */
export function strykerConfig(
  target: Target,
  tests: string[],
  concurrency: number,
  ignoreStatic = false,
): Record<string, unknown> {
  const dir = reportDir(target.file);
  const mutate = target.lines ? `${target.file}:${target.lines.from}-${target.lines.to}` : target.file;
  return {
    $schema: "../../../node_modules/@stryker-mutator/core/schema/stryker-schema.json",
    testRunner: "mocha",
    plugins: ["@stryker-mutator/mocha-runner"],
    mutate: [mutate],
    // .mocharc.json still applies (extension, timeout); its `node-option` does not reach an in-process
    // mocha, so the test runner processes load tsx themselves.
    mochaOptions: { spec: tests },
    testRunnerNodeArgs: ["--import", "tsx"],
    coverageAnalysis: "perTest",
    concurrency,
    // Static mutants (in module-level code) need every test file reloaded per mutant; off unless asked.
    ignoreStatic,
    // A shared 2-core machine runs slow: a mutant is a timeout only well past the tests' own time.
    timeoutMS: 10_000,
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `${dir}/index.html` },
    jsonReporter: { fileName: `${dir}/mutation.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    thresholds: { high: 85, low: 70, break: null },
    // The sandbox copies the repository: leave out what no test reads.
    ignorePatterns: ["/dist", "/.data", "/.tools", "/reports", "/docs"],
    tempDirName: ".stryker-tmp",
    fileLogLevel: "off",
  };
}

/** One mutant's fate, as the JSON report (mutation-testing-report-schema) spells it. */
export interface ReportMutant {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number } };
}

export interface Score {
  file: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Disabled in the source (equivalent mutants, each with its reason), not counted in the score. */
  ignored: number;
  errors: number;
  /** (killed + timeout) / (killed + timeout + survived + no coverage), in percent; NaN with no mutants. */
  percent: number;
  survivors: string[];
}

/** The score of `file` from a Stryker JSON report, the way Stryker's "total" column counts it. */
export function scoreOf(file: string, mutants: ReportMutant[]): Score {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const killed = count("Killed");
  const timeout = count("Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const detected = killed + timeout;
  const valid = detected + survived + noCoverage;
  return {
    file,
    killed,
    timeout,
    survived,
    noCoverage,
    ignored: count("Ignored"),
    errors: count("CompileError") + count("RuntimeError"),
    percent: valid === 0 ? NaN : (100 * detected) / valid,
    survivors: mutants
      .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
      .map((m) => `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status}`),
  };
}

export function formatScore(s: Score): string {
  const percent = Number.isNaN(s.percent) ? "no mutants" : `${s.percent.toFixed(2)} %`;
  return (
    `${s.file}: ${percent} (killed ${s.killed}, timeout ${s.timeout}, survived ${s.survived}, ` +
    `no coverage ${s.noCoverage}, ignored ${s.ignored}, errors ${s.errors})`
  );
}

function targetsOf(args: Extract<MutateArgs, { command: "run" | "changed" }>): Target[] {
  if (args.command === "run") return args.targets;
  let names: string;
  try {
    names = execFileSync("git", ["diff", "--name-only", `${args.base}...HEAD`], { encoding: "utf8" });
  } catch {
    throw new UsageError(`git diff ${args.base}...HEAD failed: is "${args.base}" a branch here? (--base REF)`);
  }
  return changedSources(names.split("\n"), fs.existsSync).map((file) => ({ file }));
}

/** Runs Stryker on one target; resolves its score, or undefined when Stryker itself failed. */
function runOne(
  target: Target,
  tests: string[],
  args: { concurrency: number; ignoreStatic: boolean; dryRun: boolean },
): Score | undefined {
  const { concurrency, ignoreStatic, dryRun } = args;
  const dir = reportDir(target.file);
  const config = strykerConfig(target, tests, concurrency, ignoreStatic);
  const configFile = `${dir}/stryker.config.json`;
  const label = target.lines ? `${target.file}:${target.lines.from}-${target.lines.to}` : target.file;
  console.log(`\n== ${label}`);
  console.log(`   tests: ${tests.join(" ")}`);
  if (dryRun) {
    console.log(JSON.stringify(config, null, 2));
    return undefined;
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(`${dir}/mutation.json`, { force: true });
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const stryker = path.join("node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
  const run = spawnSync(process.execPath, [stryker, "run", configFile], { stdio: "inherit" });
  if (run.status !== 0 || !fs.existsSync(`${dir}/mutation.json`)) {
    console.error(`mutate: Stryker failed on ${target.file} (exit ${run.status ?? run.signal}); see the output above`);
    return undefined;
  }
  const report = JSON.parse(fs.readFileSync(`${dir}/mutation.json`, "utf8")) as {
    files: Record<string, { mutants: ReportMutant[] }>;
  };
  // Survivors keep the file's own path (file:line:column opens in an editor); the score names the range.
  return { ...scoreOf(target.file, report.files[target.file]?.mutants ?? []), file: label };
}

async function main(): Promise<void> {
  const args = parseOrExit("mutate", USAGE, parseMutateArgs);
  if (args.command === "help") {
    console.log(USAGE);
    return;
  }
  const targets = parseOrExit("mutate", USAGE, () => targetsOf(args));
  if (targets.length === 0) {
    console.log(`mutate: no source file changed against ${args.command === "changed" ? args.base : "?"}`);
    return;
  }
  const scores: Score[] = [];
  let failed = false;
  for (const target of targets) {
    const tests = testsFor(target.file, fs.existsSync);
    if (!fs.existsSync(target.file)) {
      console.error(`mutate: ${target.file} does not exist`);
      failed = true;
      continue;
    }
    if (tests.length === 0) {
      console.error(
        `mutate: ${target.file} has no tests of its own: write test/${target.file.replace(/\.ts$/, ".test.ts")}` +
          ` or map its tests in EXTRA_TESTS (scripts/mutate.ts)`,
      );
      failed = true;
      continue;
    }
    const score = runOne(target, tests, args);
    if (score) scores.push(score);
    else if (!args.dryRun) failed = true;
  }
  if (scores.length > 0) {
    console.log("\nmutation scores (reports under reports/mutation/):");
    for (const s of scores) {
      console.log(`  ${formatScore(s)}`);
      for (const survivor of s.survivors) console.log(`    ${survivor}`);
    }
  }
  if (failed) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`mutate: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
