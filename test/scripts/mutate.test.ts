/** `npm run mutate`: which files it mutates, with which tests, how it configures Stryker and counts a score. */
import assert from "node:assert/strict";
import fs from "node:fs";
import {
  changedSources,
  EXTRA_TESTS,
  formatScore,
  isSourceFile,
  parseMutateArgs,
  parseTarget,
  reportDir,
  scoreOf,
  strykerConfig,
  testsFor,
  type ReportMutant,
} from "../../scripts/mutate";
import { UsageError } from "../../scripts/cli";

const usageError = (message: RegExp) => (err: unknown) => err instanceof UsageError && message.test(err.message);

describe("npm run mutate: arguments", () => {
  it("takes source files, with an optional line range", () => {
    assert.deepEqual(parseMutateArgs(["service/decimal.ts"]), {
      command: "run",
      targets: [{ file: "service/decimal.ts" }],
      concurrency: 1,
      ignoreStatic: false,
      dryRun: false,
    });
    assert.deepEqual(
      parseMutateArgs(["./service/admission.ts:40-80", "scripts/cli.ts", "--concurrency", "2", "--ignore-static"]),
      {
        command: "run",
        targets: [{ file: "service/admission.ts", lines: { from: 40, to: 80 } }, { file: "scripts/cli.ts" }],
        concurrency: 2,
        ignoreStatic: true,
        dryRun: false,
      },
    );
  });

  it("takes --changed with a base (main by default) and --dry-run", () => {
    assert.deepEqual(parseMutateArgs(["--changed"]), {
      command: "changed",
      base: "main",
      concurrency: 1,
      ignoreStatic: false,
      dryRun: false,
    });
    assert.deepEqual(parseMutateArgs(["--changed", "--base", "origin/main", "--dry-run"]), {
      command: "changed",
      base: "origin/main",
      concurrency: 1,
      ignoreStatic: false,
      dryRun: true,
    });
    assert.deepEqual(parseMutateArgs(["-h"]), { command: "help" });
  });

  const bad: [string[], RegExp][] = [
    [[], /give a source file, e\.g\. service\/decimal\.ts, or --changed/],
    [["test/service/decimal.test.ts"], /"test\/service\/decimal\.test\.ts" is not a source file/],
    [["service/x.test.ts"], /is not a source file/],
    [["bench/jobs.ts"], /is not a source file: give a \.ts file under service\/, infra\/, scripts\/, policy\//],
    [["service/../../etc/passwd.ts"], /is not a source file/],
    [["/work/service/decimal.ts"], /is not a source file/],
    [["service/types.d.ts"], /is not a source file/],
    [["service/decimal.ts:0-5"], /lines must be <from>-<to> with 1 <= from <= to, e\.g\. service\/decimal\.ts:10-40/],
    [["service/decimal.ts:9-5"], /lines must be/],
    [["service/decimal.ts", "--concurrency", "3"], /--concurrency must be an integer from 1 to 2/],
    [["service/decimal.ts", "--concurrency", "0"], /--concurrency must be an integer from 1 to 2/],
    [["--changed", "service/decimal.ts"], /--changed takes no files/],
    [["--changed", "--base", "--oops"], /--base/],
    [["--changed", "--base", "main;rm"], /--base must be a branch or commit/],
    [["service/decimal.ts", "--base", "main"], /--base applies only with --changed/],
    [["--jobs", "2"], /Unknown option '--jobs'/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(" ") || "no arguments"}`, () => {
      assert.throws(() => parseMutateArgs(argv), usageError(message));
    });
  }

  it("knows a source file from a test, a declaration or a file outside the source folders", () => {
    assert.ok(isSourceFile("infra/night/refresh.ts"));
    assert.ok(isSourceFile("policy/rules/iam.ts"));
    for (const f of [
      "test/timing.test.ts",
      "service/a.test.ts",
      "x.d.ts",
      "bench/jobs.ts",
      "service/x.js",
      "README.md",
    ]) {
      assert.equal(isSourceFile(f), false, f);
    }
    assert.deepEqual(parseTarget("service\\jobs\\lease-keeper.ts"), { file: "service/jobs/lease-keeper.ts" });
  });
});

describe("npm run mutate: each file's own tests", () => {
  it("takes the mirror test when it exists", () => {
    const exists = (p: string) => p === "test/service/decimal.test.ts";
    assert.deepEqual(testsFor("service/decimal.ts", exists), ["test/service/decimal.test.ts"]);
  });

  it("adds the mapped tests where the mirror rule is broken, once each", () => {
    const exists = () => true;
    assert.deepEqual(testsFor("service/timing.ts", exists), ["test/service/timing.test.ts", "test/timing.test.ts"]);
    assert.deepEqual(
      testsFor("infra/night/refresh.ts", (p) => p !== "test/infra/night/refresh.test.ts"),
      ["test/infra/refresh.test.ts"],
    );
  });

  it("gives a policy rule its folder's tests, the deepest folder's only", () => {
    const have = new Set([
      "test/policy/policies.test.ts",
      "test/policy/accepts/rules.test.ts",
      "test/policy/accepts/pure.test.ts",
      "test/policy/accepts/plans.test.ts",
      "test/policy/evaluate.test.ts",
    ]);
    const exists = (p: string) => have.has(p);
    assert.deepEqual(testsFor("policy/rules/compute.ts", exists), ["test/policy/policies.test.ts"]);
    assert.deepEqual(testsFor("policy/rules/accepts/sqs.ts", exists), [
      "test/policy/accepts/pure.test.ts",
      "test/policy/accepts/rules.test.ts",
      "test/policy/accepts/plans.test.ts",
    ]);
    assert.deepEqual(testsFor("policy/evaluate.ts", exists), ["test/policy/evaluate.test.ts"]);
  });

  it("leaves out the tests that run the compiled service in child processes, where no mutant reaches", () => {
    assert.deepEqual(
      testsFor("service/cluster.ts", () => true),
      ["test/service/backoff.test.ts", "test/service/crash-loop.test.ts"],
    );
  });

  it("finds none for a file without tests", () => {
    assert.deepEqual(
      testsFor("service/role.ts", () => false),
      [],
    );
  });

  it("maps only test files that exist in this repository, each to a source file that exists", () => {
    for (const [source, tests] of Object.entries(EXTRA_TESTS)) {
      assert.ok(fs.existsSync(source), `${source} is mapped but does not exist`);
      for (const test of tests) assert.ok(fs.existsSync(test), `${test} (for ${source}) does not exist`);
    }
  });

  it("--changed keeps the source files that still exist from git's list", () => {
    const names = [
      "service/admission.ts",
      "test/service/admission.test.ts",
      "docs/x.md",
      "service/gone.ts",
      "",
      "bench/jobs.ts",
    ];
    assert.deepEqual(
      changedSources(names, (p) => p !== "service/gone.ts"),
      ["service/admission.ts"],
    );
  });
});

describe("npm run mutate: the Stryker config", () => {
  it("runs mocha in-process through tsx on the file's tests only, reports under reports/mutation/", () => {
    const config = strykerConfig({ file: "service/decimal.ts" }, ["test/service/decimal.test.ts"], 2);
    assert.deepEqual(config.mutate, ["service/decimal.ts"]);
    assert.equal(config.testRunner, "mocha");
    assert.deepEqual(config.mochaOptions, { spec: ["test/service/decimal.test.ts"] });
    assert.deepEqual(config.testRunnerNodeArgs, ["--import", "tsx"]);
    assert.equal(config.coverageAnalysis, "perTest");
    assert.equal(config.concurrency, 2);
    assert.deepEqual(config.jsonReporter, { fileName: "reports/mutation/service/decimal/mutation.json" });
    assert.deepEqual(config.htmlReporter, { fileName: "reports/mutation/service/decimal/index.html" });
    assert.deepEqual((config.thresholds as { break: unknown }).break, null, "a habit, not a gate");
    assert.equal(reportDir("infra/night/refresh.ts"), "reports/mutation/infra/night/refresh");
  });

  it("passes a line range to Stryker's mutate pattern", () => {
    const config = strykerConfig({ file: "service/admission.ts", lines: { from: 40, to: 80 } }, ["t.ts"], 1);
    assert.deepEqual(config.mutate, ["service/admission.ts:40-80"]);
  });

  it("tests static mutants unless --ignore-static asks otherwise", () => {
    assert.equal(strykerConfig({ file: "policy/rules/iam.ts" }, ["t.ts"], 1).ignoreStatic, false);
    assert.equal(strykerConfig({ file: "policy/rules/iam.ts" }, ["t.ts"], 1, true).ignoreStatic, true);
  });

  it("is valid for this Stryker: every key is one its schema knows", () => {
    const schema = JSON.parse(
      fs.readFileSync("node_modules/@stryker-mutator/core/schema/stryker-schema.json", "utf8"),
    ) as { properties: Record<string, unknown> };
    const config = strykerConfig({ file: "service/decimal.ts" }, ["test/service/decimal.test.ts"], 1, true);
    for (const key of Object.keys(config)) {
      if (key !== "$schema") assert.ok(key in schema.properties, `unknown Stryker option ${key}`);
    }
  });
});

describe("npm run mutate: the score", () => {
  const mutant = (status: string, line = 1): ReportMutant => ({
    status,
    mutatorName: "EqualityOperator",
    location: { start: { line, column: 5 } },
  });

  it("counts killed and timed-out mutants as detected, leaves disabled (equivalent) ones out", () => {
    const s = scoreOf("service/x.ts", [
      mutant("Killed"),
      mutant("Killed"),
      mutant("Timeout"),
      mutant("Survived", 12),
      mutant("NoCoverage", 30),
      mutant("Ignored"),
      mutant("CompileError"),
    ]);
    assert.equal(s.percent, 60);
    assert.deepEqual(s.survivors, [
      "service/x.ts:12:5 EqualityOperator Survived",
      "service/x.ts:30:5 EqualityOperator NoCoverage",
    ]);
    assert.equal(
      formatScore(s),
      "service/x.ts: 60.00 % (killed 2, timeout 1, survived 1, no coverage 1, ignored 1, errors 1)",
    );
  });

  it("says so when there is nothing to score", () => {
    assert.match(formatScore(scoreOf("service/x.ts", [mutant("Ignored")])), /^service\/x\.ts: no mutants \(/);
  });
});
