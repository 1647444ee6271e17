import * as assert from "node:assert/strict";
import {
  DEFAULTS,
  FleetConfigError,
  KNOWN_KEYS,
  nearestKey,
  parseFleetConfig,
  toAwsCron,
} from "../../infra/shared/config";
import { ALB_IDLE_TIMEOUT_S, KEEP_ALIVE_TIMEOUT_MS } from "../../service/timing";

const NOW = new Date("2026-11-24T12:00:00Z");
/** A stand-in for the stack secret a stack without a certificate needs (infra/web/webConfig.ts). */
const SECRET = "a".repeat(64);
const parse = (values: Record<string, string>) => {
  const all = values.certificateArn || "originSecret" in values ? values : { originSecret: SECRET, ...values };
  return parseFleetConfig((k) => all[k], NOW, Object.keys(all));
};

describe("infra config (fleet:*)", () => {
  it("fills the documented defaults", () => {
    const c = parse({});
    assert.equal(c.cpuTargetPercent, 70);
    assert.equal(c.drainCron, "0 3 * * *");
    assert.equal(c.restoreCron, "10 3 * * *");
    assert.equal(c.pipelineCron, "0 2 * * *");
    assert.equal(c.timeZone, "UTC");
    assert.equal(c.albIdleTimeoutSeconds, ALB_IDLE_TIMEOUT_S);
    assert.equal(c.desiredCapacity, c.minSize, "desired defaults to min");
    assert.equal(c.requestsPerTargetPerMinute, undefined);
    assert.equal(c.certificateArn, undefined);
    assert.equal(c.natStrategy, DEFAULTS.natGateways);
    assert.equal(c.nightly, "drain", "today's scheduled drain and restore, as asked");
    assert.deepEqual(c.web, { corsOrigins: [], originSecret: SECRET });
    assert.equal(c.logRetentionDays, 30);
    assert.equal(c.alarmEmail, undefined);
    assert.equal(c.architecture, "x86_64");
  });

  it("parses numbers, booleans, strings and derives arm64 from a Graviton type", () => {
    const c = parse({
      instanceType: "c7g.large",
      minSize: "2",
      desiredCapacity: "3",
      maxSize: "6",
      cpuTargetPercent: "55",
      requestsPerTargetPerMinute: "1200",
      natGateways: "OnePerAz",
      deletionProtection: "true",
      albIdleTimeoutSeconds: "30",
      timeZone: "America/New_York",
      pipelineCron: "0 1 * * *",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b5e7c2a-8a1f-4e6e-9d5e-2f0d6f1c9a11",
    });
    assert.deepEqual(
      [
        c.architecture,
        c.minSize,
        c.desiredCapacity,
        c.maxSize,
        c.cpuTargetPercent,
        c.requestsPerTargetPerMinute,
        c.natStrategy,
        c.deletionProtection,
        c.albIdleTimeoutSeconds,
      ],
      ["arm64", 2, 3, 6, 55, 1200, "OnePerAz", true, 30],
    );
    assert.match(c.certificateArn!, /^arn:aws:acm:/);
  });

  // Each bad value: the one error names fleet:<key> and echoes the bad value.
  const bad: Array<[string, Record<string, string>, string, RegExp?]> = [
    ["minSize above maxSize", { minSize: "5", maxSize: "2" }, "minSize"],
    ["desired below min", { minSize: "2", maxSize: "4", desiredCapacity: "1" }, "desiredCapacity"],
    ["desired above max", { minSize: "1", maxSize: "4", desiredCapacity: "9" }, "desiredCapacity"],
    ["non-numeric size", { maxSize: "lots" }, "maxSize", /whole number/],
    ["fractional size", { minSize: "1.5" }, "minSize"],
    ["non-numeric cpu target", { cpuTargetPercent: "70%" }, "cpuTargetPercent"],
    ["cpu target out of range", { cpuTargetPercent: "100" }, "cpuTargetPercent", /10\.\.95/],
    ["non-numeric requests target", { requestsPerTargetPerMinute: "many" }, "requestsPerTargetPerMinute"],
    ["one availability zone", { availabilityZones: "1" }, "availabilityZones"],
    ["bad instance type", { instanceType: "large" }, "instanceType"],
    ["cron with 4 fields", { drainCron: "0 3 * *" }, "drainCron", /5 fields/],
    ["cron out of range", { restoreCron: "10 25 * * *" }, "restoreCron"],
    ["AWS-style cron", { pipelineCron: "0 2 ? * * *" }, "pipelineCron"],
    ["unknown time zone", { timeZone: "Mars/Olympus" }, "timeZone", /IANA/],
    ["abbreviated time zone", { timeZone: "CET" }, "timeZone"],
    ["restore equal to drain", { restoreCron: "0 3 * * *" }, "restoreCron", /restore/],
    ["restore before drain", { restoreCron: "50 2 * * *" }, "restoreCron"],
    ["pipeline after drain", { pipelineCron: "30 3 * * *" }, "pipelineCron", /before each drain/],
    ["pipeline on another day", { pipelineCron: "0 2 * * 1", drainCron: "0 3 * * *" }, "pipelineCron"],
    ["restore the next evening", { drainCron: "0 3 * * *", restoreCron: "0 20 * * *" }, "restoreCron", /within 12 h/],
    ["pipeline too close to drain", { pipelineCron: "45 2 * * *" }, "pipelineCron"],
    ["pipeline 30 min before the drain: shorter than a build", { pipelineCron: "30 2 * * *" }, "pipelineCron"],
    [
      "Berlin 01:30: only 30 real minutes before the drain on the spring-forward night",
      { timeZone: "Europe/Berlin", pipelineCron: "30 1 * * *" },
      "pipelineCron",
    ],
    [
      "pipeline in the DST-skipped hour",
      { timeZone: "Europe/Berlin", pipelineCron: "0 2 * * *" },
      "pipelineCron",
      /2027-03-28/,
    ],
    [
      "ALB idle timeout equal to keepAlive",
      { albIdleTimeoutSeconds: String(KEEP_ALIVE_TIMEOUT_MS / 1000) },
      "albIdleTimeoutSeconds",
      /keepAliveTimeout/,
    ],
    ["ALB idle timeout above keepAlive", { albIdleTimeoutSeconds: "120" }, "albIdleTimeoutSeconds"],
    ["unknown NAT strategy", { natGateways: "Double" }, "natGateways", /Single, OnePerAz/],
    ["non-boolean deletion protection", { deletionProtection: "yes" }, "deletionProtection"],
    [
      "certificate ARN of another service",
      { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" },
      "certificateArn",
    ],
    [
      "certificate ARN without id",
      { certificateArn: "arn:aws:acm:eu-central-1:123456789012:certificate/" },
      "certificateArn",
    ],
    [
      "a refresh drain AWS cron cannot express",
      { nightly: "refresh", drainCron: "0 3 1 * 1" },
      "drainCron",
      /EventBridge Scheduler/,
    ],
    ["an unknown nightly mode", { nightly: "rolling" }, "nightly", /"drain".*"refresh"/],
    ["a log retention CloudWatch refuses", { logRetentionDays: "10" }, "logRetentionDays", /7, 14, 30/],
    ["an alarm email without a domain", { alarmEmail: "ops@" }, "alarmEmail"],
    ["a mistyped key (case)", { minsize: "2" }, "minsize", /did you mean fleet:minSize\?/],
    ["a mistyped key (letters)", { maxSzie: "2" }, "maxSzie", /did you mean fleet:maxSize\?/],
    ["a key far from any", { colour: "blue" }, "colour", /known keys: .*minSize/],
  ];
  for (const [what, values, key, extra] of bad) {
    it(`rejects ${what} naming fleet:${key}`, () => {
      assert.throws(
        () => parse(values),
        (err: unknown) => {
          assert.ok(err instanceof FleetConfigError, `expected FleetConfigError, got ${String(err)}`);
          assert.equal(err.key, key);
          assert.ok(err.message.startsWith(`fleet:${key} = ${JSON.stringify(values[key])}`), err.message);
          assert.match(err.message, /Fix: /);
          if (extra) assert.match(err.message, extra);
          return true;
        },
      );
    });
  }

  it("suggests only near keys, and a known key is never unknown", () => {
    assert.equal(nearestKey("nigthly"), "nightly");
    assert.equal(nearestKey("certificateARN"), "certificateArn");
    assert.equal(nearestKey("zzzzzzzz"), undefined);
    for (const k of KNOWN_KEYS)
      assert.doesNotThrow(() => parseFleetConfig((key) => (key === "originSecret" ? SECRET : undefined), NOW, [k]), k);
  });

  it("knows exactly the keys it reads: KNOWN_KEYS is the list the parser consults", () => {
    const read = new Set<string>();
    parseFleetConfig((k) => {
      read.add(k);
      return k === "originSecret" ? SECRET : undefined;
    }, NOW);
    assert.deepEqual([...read].sort(), [...KNOWN_KEYS].sort());
  });

  it("builds arm64 images for every Graviton family, x86_64 for the rest", () => {
    for (const [type, arch] of [
      ["a1.large", "arm64"],
      ["t4g.small", "arm64"],
      ["c7gn.large", "arm64"],
      ["m7gd.xlarge", "arm64"],
      ["c7i.large", "x86_64"],
      ["t3.small", "x86_64"],
      ["m5ad.large", "x86_64"],
    ])
      assert.equal(parse({ instanceType: type }).architecture, arch, type);
  });

  it("accepts a DST zone once the pipeline avoids the skipped hour", () => {
    const c = parse({ timeZone: "Europe/Berlin", pipelineCron: "0 1 * * *" });
    assert.equal(c.timeZone, "Europe/Berlin");
  });

  it("translates Unix cron to Image Builder's cron()", () => {
    assert.equal(toAwsCron("0 2 * * *"), "cron(0 2 * * ? *)");
    assert.equal(toAwsCron("30 1 * * 0"), "cron(30 1 ? * 1 *)", "Sunday is 0 in Unix cron, 1 in AWS");
    assert.equal(toAwsCron("0 2 * * 1-5"), "cron(0 2 ? * 2,3,4,5,6 *)");
    // Friday to Sunday: a plain renumbering would give the wrapping, invalid range 6-1.
    assert.equal(toAwsCron("0 2 * * 5-7"), "cron(0 2 ? * 1,6,7 *)");
    assert.equal(toAwsCron("0 2 * * 0"), "cron(0 2 ? * 1 *)");
    assert.equal(toAwsCron("0 2 1 * *"), "cron(0 2 1 * ? *)");
  });
});
