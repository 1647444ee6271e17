/** The jobs and worker-fleet keys of the stack config (infra/jobs/jobsConfig.ts through parseFleetConfig). */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { architectureOf, FleetConfigError, parseFleetConfig } from "../../infra/shared/config";
import { JOBS_CONFIG_KEYS, JOBS_DEFAULTS, parseJobsConfig, vcpusOf } from "../../infra/jobs/jobsConfig";
import { readStackConfig } from "../../scripts/synth";
import { backlogPerInstanceTarget, clientQuotaForProcesses, fullFleetBacklogS } from "../../service/jobs/capacity";
import { DEFAULT_MAX_BACKLOG_S } from "../../service/jobs/config";
import { DEFAULT_MAX_ATTEMPTS } from "../../service/jobs/timing";

const NOW = new Date("2026-11-24T12:00:00Z");
const WEB = { instanceType: "c7i.large", architecture: "x86_64", architectureOf } as const;
/** The web keys' stack secret (a stack without a certificate needs one), so only the jobs keys vary here. */
const withSecret = (values: Record<string, string>) => (k: string) =>
  k === "originSecret" ? "a".repeat(64) : values[k];
const parse = (values: Record<string, string>) => parseFleetConfig(withSecret(values), NOW).jobs;

describe("infra config: jobs and the worker fleet (fleet:worker*, fleet:job*)", () => {
  it("fills the documented defaults: zero workers at rest, the web type, its vCPUs as concurrency", () => {
    const j = parse({ instanceType: "c7i.large" });
    assert.equal(j.workerInstanceType, "c7i.large");
    assert.deepEqual([j.workerMinSize, j.workerDesiredCapacity, j.workerMaxSize], [0, 0, 2]);
    assert.equal(j.workerConcurrency, 2, "c7i.large has 2 vCPUs");
    assert.equal(j.jobSeconds, JOBS_DEFAULTS.jobSeconds);
    assert.equal(j.jobMaxWaitSeconds, JOBS_DEFAULTS.jobMaxWaitSeconds);
    assert.equal(j.maxAttempts, DEFAULT_MAX_ATTEMPTS);
    assert.equal(j.retentionS, 7 * 86_400, "JOBS_RETENTION_S's default");
    assert.equal(j.resultsExpireDays, 7, "the bucket keeps results exactly as long as their jobs");
  });

  it("takes one retention for jobs, keys and results (fleet:jobsRetentionDays, or its older name)", () => {
    assert.deepEqual(
      [parse({ jobsRetentionDays: "3" }).retentionS, parse({ jobsRetentionDays: "3" }).resultsExpireDays],
      [3 * 86_400, 3],
    );
    assert.equal(
      parse({ resultsExpireDays: "30" }).retentionS,
      30 * 86_400,
      "the older key keeps its meaning for results",
    );
    assert.equal(parse({ resultsExpireDays: "5", jobsRetentionDays: "5" }).retentionS, 5 * 86_400);
  });

  it("derives the scaling target with capacity.ts's function: wait ÷ job time × jobs per instance", () => {
    const j = parse({ workerInstanceType: "c7i.xlarge", jobSeconds: "30", jobMaxWaitSeconds: "120" });
    assert.equal(j.workerConcurrency, 4);
    assert.equal(j.backlogPerInstanceTarget, 16, "120 s / 30 s × 4 jobs");
    const k = parse({ workerConcurrency: "3", jobSeconds: "2.5", jobMaxWaitSeconds: "10" });
    assert.equal(k.backlogPerInstanceTarget, 12);
  });

  it("target × job time ÷ jobs per instance is the acceptable wait, for any valid settings", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 1, max: 43_200 }),
        fc.integer({ min: 1, max: 64 }),
        (jobSeconds, wait, concurrency) => {
          // The jobs keys alone (parseFleetConfig would also check a year of crons per run).
          const values: Record<string, string> = {
            jobSeconds: String(jobSeconds),
            jobMaxWaitSeconds: String(wait),
            workerConcurrency: String(concurrency),
          };
          const j = parseJobsConfig((k) => values[k], WEB);
          assert.equal(
            j.backlogPerInstanceTarget,
            backlogPerInstanceTarget({ maxWaitSeconds: wait, jobSeconds, jobsPerInstance: concurrency }),
          );
          assert.ok(Math.abs((j.backlogPerInstanceTarget * jobSeconds) / concurrency - wait) < 1e-9 * wait);
        },
      ),
    );
  });

  it("knows the vCPUs of common sizes and admits when it does not", () => {
    for (const [type, n] of [
      ["t2.micro", 1],
      ["t3.small", 2],
      ["t4g.medium", 2],
      ["c6g.medium", 1],
      ["c7i.large", 2],
      ["m7g.xlarge", 4],
      ["c7i.4xlarge", 16],
      ["r7iz.32xlarge", 128],
    ] as const)
      assert.equal(vcpusOf(type), n, type);
    assert.equal(vcpusOf("c7i.metal-24xl"), undefined);
    assert.equal(vcpusOf("m5.small"), undefined);
  });

  it("lists every key it reads (for the unknown-key check)", () => {
    const read = new Set<string>();
    parseFleetConfig((k) => {
      read.add(k);
      return withSecret({})(k);
    }, NOW);
    for (const k of JOBS_CONFIG_KEYS) assert.ok(read.has(k), `${k} is read`);
  });

  const bad: Array<[string, Record<string, string>, string, RegExp?]> = [
    ["worker type of another architecture", { workerInstanceType: "c7g.large" }, "workerInstanceType", /x86_64/],
    ["worker type that is no type", { workerInstanceType: "big" }, "workerInstanceType"],
    ["worker min above max", { workerMinSize: "5", workerMaxSize: "2" }, "workerMinSize"],
    ["worker desired above max", { workerMaxSize: "2", workerDesiredCapacity: "3" }, "workerDesiredCapacity"],
    ["worker max of zero", { workerMaxSize: "0" }, "workerMaxSize", /1\.\.1000/],
    ["negative worker min", { workerMinSize: "-1" }, "workerMinSize", /whole number/],
    ["metal type without a concurrency", { workerInstanceType: "c7i.metal" }, "workerConcurrency", /required/],
    ["zero concurrency", { workerConcurrency: "0" }, "workerConcurrency"],
    ["concurrency far above the cores", { workerConcurrency: "500" }, "workerConcurrency"],
    ["job seconds of zero", { jobSeconds: "0" }, "jobSeconds", /above 0/],
    ["job seconds with a unit", { jobSeconds: "10s" }, "jobSeconds"],
    ["job seconds beyond the job timeout", { jobSeconds: "901" }, "jobSeconds", /900/],
    ["negative wait", { jobMaxWaitSeconds: "-5" }, "jobMaxWaitSeconds"],
    ["wait of days", { jobMaxWaitSeconds: "172800" }, "jobMaxWaitSeconds"],
    ["attempts of zero", { jobsMaxAttempts: "0" }, "jobsMaxAttempts"],
    ["attempts the worker refuses", { jobsMaxAttempts: "101" }, "jobsMaxAttempts", /1\.\.100/],
    ["results kept 0 days", { resultsExpireDays: "0" }, "resultsExpireDays"],
    ["jobs kept 0 days", { jobsRetentionDays: "0" }, "jobsRetentionDays"],
    [
      "two retentions that disagree",
      { jobsRetentionDays: "7", resultsExpireDays: "30" },
      "resultsExpireDays",
      /share one retention/,
    ],
  ];
  for (const [what, values, key, extra] of bad) {
    it(`rejects ${what} naming fleet:${key}`, () => {
      assert.throws(
        () => parse(values),
        (err: unknown) => {
          assert.ok(err instanceof FleetConfigError, `expected FleetConfigError, got ${String(err)}`);
          assert.equal(err.key, key);
          assert.ok(err.message.startsWith(`fleet:${key} = ${JSON.stringify(values[key] ?? null)}`), err.message);
          assert.match(err.message, /Fix: /);
          if (extra) assert.match(err.message, extra);
          return true;
        },
      );
    });
  }

  it("accepts a Graviton worker type when the web fleet is Graviton too", () => {
    const j = parse({ instanceType: "c7g.large", workerInstanceType: "c7g.2xlarge" });
    assert.equal(j.workerConcurrency, 8);
  });
});

describe("infra config: admission's bound lets the worker fleet grow to its maximum", () => {
  for (const stack of ["dev", "prod"]) {
    it(`${stack}: JOBS_MAX_BACKLOG_S holds at least the work at which scaling asks for the whole fleet`, () => {
      const values = readStackConfig(stack);
      const get = (key: string) => values[`fleet:${key}`];
      const { jobs } = parseFleetConfig(get, new Date("2026-12-03T12:00:00Z"));
      const fullS = fullFleetBacklogS({
        maxInstances: jobs.workerMaxSize,
        jobsPerInstance: jobs.workerConcurrency,
        maxWaitSeconds: jobs.jobMaxWaitSeconds,
      });
      // Scaling counts jobs (messages per instance); at the target on every instance, that many jobs of
      // jobSeconds each are this much work, whatever jobSeconds is.
      const jobsAtFull = jobs.workerMaxSize * jobs.backlogPerInstanceTarget;
      assert.ok(Math.abs(jobsAtFull * jobs.jobSeconds - fullS) < 1e-6);
      assert.ok(DEFAULT_MAX_BACKLOG_S >= fullS, `${DEFAULT_MAX_BACKLOG_S} s < ${fullS} s`);
    });
  }
});

describe("JOBS_CLIENT_QUOTA_S for a web group: one client over every process stays within the bound", () => {
  it("divides the bound among the processes, never above the default or below a second", () => {
    assert.equal(clientQuotaForProcesses(36_000, 4, 3_600), 3_600, "dev: 2 instances × 2 processes");
    assert.equal(clientQuotaForProcesses(36_000, 24, 3_600), 1_500, "prod: 12 × 2");
    assert.equal(clientQuotaForProcesses(10, 1_000, 3_600), 1);
    assert.throws(() => clientQuotaForProcesses(36_000, 0, 3_600), /webProcesses/);
  });
});
