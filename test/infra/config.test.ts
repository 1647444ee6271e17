import * as assert from "node:assert/strict";
import {
  DEFAULTS,
  FleetConfigError,
  KNOWN_KEYS,
  architectureOf,
  editDistance,
  isTimeZone,
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

  // The table above says each kind of bad value is refused; these pin where each range ends, on both
  // sides, and the exact words of the fix, which is what the operator acts on.
  describe("edges and messages", () => {
    const refusal = (values: Record<string, string>) => {
      try {
        parse(values);
      } catch (err) {
        assert.ok(err instanceof FleetConfigError, String(err));
        return err.message;
      }
      assert.fail(`accepted ${JSON.stringify(values)}`);
    };

    it("accepts each integer range's ends and refuses one past them", () => {
      const edges: [string, number, number][] = [
        ["cpuTargetPercent", 10, 95],
        ["availabilityZones", 2, 6],
        ["requestsPerTargetPerMinute", 1, 10_000_000],
        ["albIdleTimeoutSeconds", 1, KEEP_ALIVE_TIMEOUT_MS / 1000 - 1],
      ];
      for (const [key, min, max] of edges) {
        assert.equal((parse({ [key]: String(min) }) as unknown as Record<string, number>)[key], min, `${key} ${min}`);
        assert.equal((parse({ [key]: String(max) }) as unknown as Record<string, number>)[key], max, `${key} ${max}`);
        assert.throws(() => parse({ [key]: String(min - 1) }), FleetConfigError, `${key} ${min - 1}`);
      }
      assert.equal(
        refusal({ cpuTargetPercent: "96" }),
        'fleet:cpuTargetPercent = "96" is invalid: out of range 10..95. Fix: set a whole number between 10 and 95',
      );
      assert.equal(parse({ minSize: "0", maxSize: "1" }).minSize, 0);
      assert.equal(parse({ minSize: "1000", maxSize: "1000" }).maxSize, 1000);
      assert.throws(() => parse({ maxSize: "1001" }), /out of range 1\.\.1000/);
      assert.throws(() => parse({ maxSize: "0" }), /out of range 1\.\.1000/);
      assert.throws(() => parse({ minSize: "-1" }), /out of range 0\.\.1000/);
    });

    it("reads whitespace around a value as nothing, and an empty value as unset", () => {
      assert.equal(parse({ minSize: " 2 ", maxSize: "3" }).minSize, 2);
      assert.equal(parse({ cpuTargetPercent: "  " }).cpuTargetPercent, 70);
      assert.equal(parse({ deletionProtection: " TRUE " }).deletionProtection, true);
      assert.equal(parse({ deletionProtection: "FALSE" }).deletionProtection, false);
      assert.equal(parse({ drainCron: " 0  3 * *  * " }).drainCron, "0 3 * * *");
    });

    it("says how to write a whole number, with the key and its default", () => {
      assert.equal(
        refusal({ maxSize: "lots" }),
        'fleet:maxSize = "lots" is invalid: not a whole number. Fix: set a whole number, e.g. `pulumi config set fleet:maxSize 2`',
      );
      assert.match(
        refusal({ requestsPerTargetPerMinute: "many" }),
        /e\.g\. `pulumi config set fleet:requestsPerTargetPerMinute 1`$/,
      );
      assert.equal(
        refusal({ deletionProtection: "yes" }),
        'fleet:deletionProtection = "yes" is invalid: not a boolean. Fix: set `true` or `false`',
      );
    });

    it("sizes: min may equal max, desired may be either end, and maxSize defaults to at least minSize", () => {
      const c = parse({ minSize: "3", maxSize: "3" });
      assert.deepEqual([c.minSize, c.desiredCapacity, c.maxSize], [3, 3, 3]);
      assert.equal(parse({ minSize: "2", maxSize: "5", desiredCapacity: "5" }).desiredCapacity, 5);
      assert.equal(parse({ minSize: "2", maxSize: "5", desiredCapacity: "2" }).desiredCapacity, 2);
      assert.equal(parse({ minSize: "5" }).maxSize, 5, "maxSize unset: max(2, minSize)");
      assert.equal(parse({}).maxSize, 2);
      assert.equal(
        refusal({ minSize: "5", maxSize: "2" }),
        'fleet:minSize = "5" is invalid: greater than fleet:maxSize (2). Fix: lower fleet:minSize or raise fleet:maxSize',
      );
      assert.equal(
        refusal({ minSize: "2", maxSize: "4", desiredCapacity: "9" }),
        'fleet:desiredCapacity = "9" is invalid: outside fleet:minSize..fleet:maxSize (2..4). Fix: set a value between 2 and 4',
      );
    });

    it("accepts Etc/UTC, and an empty time zone as UTC", () => {
      assert.equal(parse({ timeZone: "Etc/UTC" }).timeZone, "Etc/UTC");
      assert.equal(parse({ timeZone: " " }).timeZone, "UTC");
    });

    it("night order: a restore exactly 12 h after the drain and a pipeline exactly 12 h or 60 min before it pass", () => {
      assert.equal(parse({ restoreCron: "0 15 * * *" }).restoreCron, "0 15 * * *");
      assert.throws(() => parse({ restoreCron: "1 15 * * *" }), /within 12 h/);
      assert.equal(parse({ pipelineCron: "0 15 * * *" }).pipelineCron, "0 15 * * *");
      assert.throws(() => parse({ pipelineCron: "59 14 * * *" }), /between 12 h and 60 min ahead/);
      assert.equal(parse({ pipelineCron: "0 2 * * *" }).pipelineCron, "0 2 * * *", "60 min: the default");
      assert.throws(() => parse({ pipelineCron: "1 2 * * *" }), /between 12 h and 60 min ahead/);
    });

    it("names the cron rule broken, with the fallback as the example", () => {
      assert.equal(
        refusal({ drainCron: "0 3 * *" }),
        'fleet:drainCron = "0 3 * *" is invalid: a cron needs 5 fields (minute hour day-of-month month day-of-week), got 4. Fix: use e.g. "0 3 * * *"',
      );
      assert.equal(
        refusal({ pipelineCron: "0 2 L * *" }),
        'fleet:pipelineCron = "0 2 L * *" is invalid: uses non-standard cron characters (? L W #). Fix: use plain Unix cron syntax, e.g. "0 2 * * *"',
      );
      assert.match(
        refusal({ restoreCron: "10 25 * * *" }),
        /^fleet:restoreCron = "10 25 \* \* \*" is invalid: not a valid cron expression \(.+\)\. Fix: use e\.g\. "10 3 \* \* \*"$/,
      );
      assert.equal(
        refusal({ pipelineCron: "0 2 * * */2" }),
        'fleet:pipelineCron = "0 2 * * */2" is invalid: uses a step in day-of-week, which is not translated to EC2 Image Builder\'s cron. Fix: list the days instead, e.g. "0 2 * * 1,3,5"',
      );
      assert.equal(
        refusal({ nightly: "refresh", drainCron: "0 3 1 * 1", restoreCron: "10 3 1 * 1", pipelineCron: "0 2 1 * 1" }),
        'fleet:pipelineCron = "0 2 1 * 1" is invalid: restricts both day-of-month and day-of-week, which EC2 Image Builder\'s cron cannot express. Fix: leave one of them "*"',
      );
    });

    it("accepts an alarm email and a certificate ARN and returns them; leaves the unset ones out", () => {
      const arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0b5e7c2a-8a1f-4e6e-9d5e-2f0d6f1c9a11";
      const c = parse({ alarmEmail: " ops@example.com ", certificateArn: arn, requestsPerTargetPerMinute: "60" });
      assert.equal(c.alarmEmail, "ops@example.com");
      assert.equal(c.certificateArn, arn);
      const bare = parse({});
      for (const key of ["alarmEmail", "certificateArn", "requestsPerTargetPerMinute"]) {
        assert.equal(key in bare, false, `${key} is left out, not undefined`);
      }
      for (const days of ["1", "3653"]) assert.equal(parse({ logRetentionDays: days }).logRetentionDays, Number(days));
    });

    it("suggests a key within a third of its length (at least 2 edits), never farther", () => {
      assert.equal(nearestKey("maxSizeXX"), "maxSize", "2 edits, under the floor of 2");
      assert.equal(nearestKey("minSizzzz"), "minSize", "3 edits on 9 letters: exactly 9 / 3");
      assert.equal(nearestKey("minSizzzzz"), undefined, "4 edits on 10 letters: past ⌊10 / 3⌋ = 3");
      assert.equal(nearestKey("certificateArnXXX"), "certificateArn", "3 edits on 17 letters: within 17 / 3 = 5");
      assert.equal(editDistance("kitten", "sitting"), 3);
      assert.equal(editDistance("", "abc"), 3);
      assert.equal(editDistance("MinSize", "minsize"), 0);
    });

    it("night order: a restore must come before the next drain, a pipeline after the previous one; the error names the key and its value, defaults included", () => {
      const key = (values: Record<string, string>) => {
        try {
          parse(values);
        } catch (err) {
          return (err as FleetConfigError).key;
        }
        return "accepted";
      };
      assert.equal(
        key({ drainCron: "0 */2 * * *", restoreCron: "0 3 * * *" }),
        "restoreCron",
        "restored after the next drain",
      );
      assert.equal(
        key({ drainCron: "0 3,9 * * *", restoreCron: "0 3,9 * * *" }),
        "restoreCron",
        "restored at the next drain",
      );
      assert.equal(
        key({ drainCron: "0 3,9 * * *", restoreCron: "10 3,9 * * *", pipelineCron: "0 2 * * *" }),
        "pipelineCron",
        "the 09:00 drain's pipeline ran before the 03:00 drain",
      );
      assert.match(refusal({ drainCron: "0 12 * * *" }), /^fleet:restoreCron = "10 3 \* \* \*" is invalid/);
      assert.match(refusal({ drainCron: "0 1 * * *" }), /^fleet:pipelineCron = "0 2 \* \* \*" is invalid/);
    });

    it("AWS crons: one of day-of-month and day-of-week may be set; a step in day-of-week is fine for a drain in drain mode", () => {
      assert.equal(
        parse({ drainCron: "0 3 1 * *", restoreCron: "10 3 1 * *", pipelineCron: "0 2 1 * *" }).pipelineCron,
        "0 2 1 * *",
      );
      assert.equal(
        parse({ drainCron: "0 3 * * 1", restoreCron: "10 3 * * 1", pipelineCron: "0 2 * * 1" }).pipelineCron,
        "0 2 * * 1",
      );
      // Drain mode: the drain is a scheduled action (standard cron), but the restore time also starts the
      // nightly release through EventBridge Scheduler, whose cron has no step in day-of-week.
      const stepped = { drainCron: "0 3 * * */2", restoreCron: "10 3 * * 0,2,4,6", pipelineCron: "0 2 * * 0,2,4,6" };
      assert.equal(parse(stepped).drainCron, "0 3 * * */2", "drain mode: the drain is not an AWS cron");
      assert.throws(() => parse({ ...stepped, restoreCron: "10 3 * * */2" }), /restoreCron.*EventBridge Scheduler/);
      assert.throws(() => parse({ ...stepped, nightly: "refresh" }), /EventBridge Scheduler/);
    });

    it("trims instanceType, timeZone and certificateArn; accepts the aws-cn and aws-us-gov partitions", () => {
      const arn = "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0b5e7c2a-8a1f-4e6e-9d5e-2f0d6f1c9a11";
      const c = parse({
        instanceType: " c7g.large ",
        timeZone: " Europe/Berlin ",
        pipelineCron: "0 1 * * *",
        certificateArn: ` ${arn} `,
      });
      assert.deepEqual(
        [c.instanceType, c.architecture, c.timeZone, c.certificateArn],
        ["c7g.large", "arm64", "Europe/Berlin", arn],
      );
      const cn = "arn:aws-cn:acm:cn-north-1:123456789012:certificate/0b5e7c2a-8a1f-4e6e-9d5e-2f0d6f1c9a11";
      assert.equal(parse({ certificateArn: cn }).certificateArn, cn);
      for (const bad of [`x${cn}`, `${cn}/x`])
        assert.throws(() => parse({ certificateArn: bad }), /not an ACM certificate ARN/, bad);
    });

    it("instance types: a family of several letters is one; anything around it is not", () => {
      assert.equal(parse({ instanceType: "inf2.xlarge" }).architecture, "x86_64");
      for (const bad of ["7c7g.large", "c7g.large!", "c7g"]) {
        assert.throws(() => parse({ instanceType: bad }), /not an EC2 instance type/, bad);
        assert.equal(architectureOf(bad), undefined, bad);
      }
    });

    it("an alarm email is one address: no spaces, something after the last dot", () => {
      for (const bad of ["first last@example.com", "ops@example.com x", "ops@example.", "ops@@example.com"]) {
        assert.throws(() => parse({ alarmEmail: bad }), /not an email address/, bad);
      }
      assert.equal(
        refusal({ alarmEmail: "ops@" }),
        'fleet:alarmEmail = "ops@" is invalid: not an email address. Fix: use e.g. "ops@example.com"',
      );
    });

    it("isTimeZone answers false, not just something falsy, for a zone it does not know", () => {
      assert.equal(isTimeZone("Mars/Olympus"), false);
      assert.equal(isTimeZone("CET"), false);
      assert.equal(isTimeZone("Europe/Berlin"), true);
    });

    it("an unknown key far from any: no suggestion, how to remove it, and every known key", () => {
      assert.equal(
        refusal({ colour: "blue" }),
        'fleet:colour = "blue" is invalid: not a setting of this program (it would be ignored). Fix: rename or remove it' +
          ` (\`pulumi config rm fleet:colour\`); known keys: ${[...KNOWN_KEYS].sort().join(", ")}`,
      );
      assert.equal(nearestKey("mSize"), "minSize", "a tie goes to the key listed first");
    });

    it("reads a blank boolean or cron as unset, and quotes a restore or pipeline as the stack wrote it", () => {
      const c = parse({ deletionProtection: "  ", drainCron: "  " });
      assert.deepEqual([c.deletionProtection, c.drainCron], [false, "0 3 * * *"]);
      assert.match(
        refusal({ drainCron: "0 12 * * *", restoreCron: " 10  3 * * * " }),
        /^fleet:restoreCron = " 10  3 \* \* \* " is invalid/,
      );
      assert.match(
        refusal({ drainCron: "0 1 * * *", pipelineCron: " 0  2 * * * " }),
        /^fleet:pipelineCron = " 0  2 \* \* \* " is invalid/,
      );
    });

    it("a restore within 12 h that comes only after the next drain, or exactly at it, is refused", () => {
      // NOW is 12:00: the first drain checked is the 14:00 one, whose restore at 17:00 follows the 16:00 drain.
      assert.match(refusal({ drainCron: "0 */2 * * *", restoreCron: "0 17 * * *" }), /^fleet:restoreCron /);
      assert.match(
        refusal({ drainCron: "0 3,15 * * *", restoreCron: "0 3,15 * * *", pipelineCron: "0 2,14 * * *" }),
        /^fleet:restoreCron /,
      );
      assert.equal(
        parse({ drainCron: "0 3,15 * * *", restoreCron: "10 3,15 * * *", pipelineCron: "0 2,14 * * *" }).nightly,
        "drain",
      );
    });

    it("a pipeline at the very time of the previous drain is not after it", () => {
      assert.match(
        refusal({ drainCron: "0 3,15 * * *", restoreCron: "10 3,15 * * *", pipelineCron: "0 3,15 * * *" }),
        /^fleet:pipelineCron /,
      );
    });

    it("says the fix for each refused value", () => {
      const fixes: [Record<string, string>, string][] = [
        [
          { instanceType: "large" },
          'is invalid: not an EC2 instance type. Fix: use a type such as "t3.small" or "c7g.large"',
        ],
        [
          { timeZone: "Mars/Olympus" },
          'is invalid: not an IANA time zone. Fix: use a name such as "UTC", "Europe/Berlin" or "America/New_York"',
        ],
        [
          { certificateArn: "arn:x" },
          'is invalid: not an ACM certificate ARN. Fix: use "arn:aws:acm:<region>:<account>:certificate/<uuid>"',
        ],
        [{ natGateways: "Double" }, "is invalid: unknown NAT gateway strategy. Fix: use one of Single, OnePerAz"],
        [
          { albIdleTimeoutSeconds: "120" },
          `Fix: set a value below ${KEEP_ALIVE_TIMEOUT_MS / 1000}, e.g. ${ALB_IDLE_TIMEOUT_S}, or remove the key`,
        ],
        [{ nightly: "rolling" }, 'is invalid: unknown nightly mode. Fix: use "drain"'],
        [
          { originSecret: "short" },
          "is invalid: not 32 to 128 letters and digits (the ALB's header match treats * and ? as wildcards and allows 128 characters). Fix:",
        ],
        [{ logRetentionDays: "10" }, "is invalid: not a retention CloudWatch Logs accepts. Fix: use one of 1, 3, 5, 7"],
        [
          { restoreCron: "0 20 * * *" },
          'Fix: choose a restore time a few minutes after each drain, e.g. "10 3 * * *" for a drain at "0 3 * * *"',
        ],
        [
          { pipelineCron: "30 3 * * *" },
          'Fix: schedule it before the drain, e.g. "0 2 * * *" for a drain at "0 3 * * *"',
        ],
      ];
      for (const [values, words] of fixes)
        assert.ok(refusal(values).includes(words), `${JSON.stringify(values)}: ${refusal(values)}`);
    });
  });
});
