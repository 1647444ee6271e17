import assert from "node:assert/strict";
import {
  latestTick,
  nextTick,
  parseSchedules,
  ScheduleConfigError,
  tickKey,
  toCronerPattern,
  type JobSchedule,
} from "../../service/jobs/schedules";

const one = (schedule: string, timeZone = "UTC"): JobSchedule =>
  parseSchedules([{ name: "s", schedule, timeZone, kind: "sum", input: { n: 5 } }], "test")[0]!;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The next `count` ticks after `from`. */
function ticks(schedule: JobSchedule, from: string, count: number): string[] {
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < count; i++) {
    t = nextTick(schedule, t)!;
    out.push(iso(t)!);
  }
  return out;
}

describe("job schedules: the parser shared by JOBS_SCHEDULES and fleet:jobSchedules", () => {
  it("accepts AWS's examples and defaults the time zone to UTC", () => {
    const list = parseSchedules(
      [
        { name: "nightly.sum-1", schedule: "cron(0 3 * * ? *)", kind: "sum", input: { n: 10 } },
        { name: "often", schedule: "rate(5 minutes)", timeZone: "Europe/Paris", kind: "sum", input: { n: 1 } },
      ],
      "JOBS_SCHEDULES",
    );
    assert.equal(list[0]!.timeZone, "UTC");
    assert.equal(list[1]!.timeZone, "Europe/Paris");
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ["a name AWS refuses", { name: "a b" }, `test[0].name: "a b" must be 1-64`],
    ["a name over 64", { name: "x".repeat(65) }, "test[0].name"],
    ["an unknown field", { nam: "x" }, `test[0]: "nam" is not a field`],
    [
      "both day fields set",
      { schedule: "cron(0 3 * * MON *)" },
      `test[0] ("s").schedule: "cron(0 3 * * MON *)": exactly one of`,
    ],
    ["both day fields ?", { schedule: "cron(0 3 ? * ? *)" }, "exactly one of day-of-month"],
    ["five fields (Unix cron)", { schedule: "cron(0 3 * * ?)" }, "cron takes six fields"],
    ["a minute out of range", { schedule: "cron(60 3 * * ? *)" }, "60 is outside 0-59 in the minutes field"],
    ["a year out of range", { schedule: "cron(0 3 * * ? 2300)" }, "2300 is outside 1970-2199 in the year field"],
    ["day-of-week 0", { schedule: "cron(0 3 ? * 0 *)" }, "0 is outside 1-7 in the day-of-week field"],
    ["two # expressions", { schedule: "cron(0 3 ? * 3#1,6#3 *)" }, `day-of-week "3#1,6#3" is not supported`],
    ["a bare L in day-of-week", { schedule: "cron(0 3 ? * L *)" }, `day-of-week "L" is not supported`],
    ["? in the hours", { schedule: "cron(0 ? * * ? *)" }, `"?" is not a value`],
    ["a plural rate of 1", { schedule: "rate(1 minutes)" }, "write rate(1 minute)"],
    ["a singular rate of 5", { schedule: "rate(5 minute)" }, "a plural unit"],
    ["a rate of 0", { schedule: "rate(0 minutes)" }, "positive integer"],
    ["seconds", { schedule: "rate(5 seconds)" }, "expected cron("],
    [
      "an unknown time zone",
      { timeZone: "Mars/Olympus" },
      `test[0] ("s").timeZone: "Mars/Olympus" is not an IANA time zone`,
    ],
    ["an unknown kind", { kind: "mine" }, `test[0] ("s").kind: "mine" is not a kind: expected one of sum, render`],
    ["input against the kind's schema", { input: { n: -1 } }, `test[0] ("s").input: input/n must be >= 0`],
    ["an unknown input field", { input: { n: 1, m: 2 } }, "input/m is not a known field"],
    ["a quoted number (the API refuses coercion too)", { input: { n: "5" } }, "input/n must be integer"],
    ["an input that is not an object", { input: [1] }, 'test[0] ("s").input: expected an object'],
  ];
  for (const [what, change, message] of refusals) {
    it(`refuses ${what}, naming the schedule and the field`, () => {
      const entry = { name: "s", schedule: "rate(1 hour)", kind: "sum", input: { n: 1 }, ...change };
      assert.throws(
        () => parseSchedules([entry], "test"),
        (err: unknown) => err instanceof ScheduleConfigError && err.message.includes(message),
        `expected a ScheduleConfigError with ${JSON.stringify(message)}`,
      );
    });
  }

  it("refuses a name used twice and a list that is not an array", () => {
    const entry = { name: "dup", schedule: "rate(1 hour)", kind: "sum", input: { n: 1 } };
    assert.throws(() => parseSchedules([entry, entry], "L"), /L\[1\]\.name: "dup" is used twice/);
    assert.throws(() => parseSchedules({}, "L"), /L: expected a JSON array/);
  });

  it("translates AWS's six fields to croner's seven, days of the week numbered from Sunday = 1", () => {
    assert.deepEqual(toCronerPattern("0/15 8-17 ? * MON-FRI *"), { pattern: "0 0-59/15 8-17 * * MON-FRI *" });
    assert.deepEqual(toCronerPattern("0 9 ? * 6L *"), { pattern: "0 0 9 * * 6#L *" });
    assert.deepEqual(toCronerPattern("0 9 15W * ? 2027"), { pattern: "0 0 9 15W * * 2027" });
    assert.equal(ticks(one("cron(0 18 ? * 1 *)"), "2026-12-03T00:00:00Z", 1)[0], "2026-12-06T18:00:00.000Z"); // a Sunday
  });

  it("computes AWS's special days: L, nW, n#k, nL", () => {
    assert.deepEqual(ticks(one("cron(0 9 L * ? *)"), "2026-02-01T00:00:00Z", 2), [
      "2026-02-28T09:00:00.000Z",
      "2026-03-31T09:00:00.000Z",
    ]);
    // 2026-08-15 is a Saturday: the nearest weekday is Friday the 14th.
    assert.equal(ticks(one("cron(0 9 15W * ? *)"), "2026-08-01T00:00:00Z", 1)[0], "2026-08-14T09:00:00.000Z");
    // 2#1: the first Monday; 6L: the last Friday.
    assert.equal(ticks(one("cron(0 9 ? * 2#1 *)"), "2026-12-03T00:00:00Z", 1)[0], "2026-12-07T09:00:00.000Z");
    assert.equal(ticks(one("cron(0 9 ? * 6L *)"), "2026-12-03T00:00:00Z", 1)[0], "2026-12-25T09:00:00.000Z");
    assert.equal(ticks(one("cron(0/15 8-17 ? * MON-FRI *)"), "2026-12-04T17:50:00Z", 1)[0], "2026-12-07T08:00:00.000Z");
  });

  it("reads the expression in its time zone and follows AWS's daylight-saving rule", () => {
    // Paris springs forward on 2026-03-29 (02:00 -> 03:00): 02:30 does not exist that day and is skipped.
    assert.deepEqual(ticks(one("cron(30 2 * * ? *)", "Europe/Paris"), "2026-03-28T00:00:00Z", 2), [
      "2026-03-28T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    // Paris falls back on 2026-10-25 (03:00 -> 02:00): the repeated 02:00-02:59 runs once.
    assert.deepEqual(ticks(one("cron(0/30 * * * ? *)", "Europe/Paris"), "2026-10-25T00:00:00Z", 3), [
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T02:00:00.000Z", // 03:00 CET (02:00 and 02:30 CET were already run as CEST)
      "2026-10-25T02:30:00.000Z",
    ]);
    assert.equal(
      iso(latestTick(one("cron(30 2 * * ? *)", "Europe/Paris"), at("2026-03-29T12:00:00Z"))),
      "2026-03-28T01:30:00.000Z",
    );
  });

  it("counts rates in whole periods since the epoch, the same in every process", () => {
    const hourly = one("rate(1 hour)");
    assert.equal(iso(nextTick(hourly, at("2026-12-03T10:00:00Z"))), "2026-12-03T11:00:00.000Z");
    assert.equal(iso(latestTick(hourly, at("2026-12-03T10:59:59Z"))), "2026-12-03T10:00:00.000Z");
    assert.equal(iso(latestTick(hourly, at("2026-12-03T10:00:00Z"))), "2026-12-03T10:00:00.000Z");
    assert.equal(iso(nextTick(one("rate(2 days)"), at("2026-12-03T10:00:00Z"))), "2026-12-05T00:00:00.000Z");
  });

  it("a cron's latest tick includes the instant of the tick itself", () => {
    const nightly = one("cron(0 3 * * ? *)");
    assert.equal(iso(latestTick(nightly, at("2026-12-03T03:00:00.000Z"))), "2026-12-03T03:00:00.000Z");
    assert.equal(iso(latestTick(nightly, at("2026-12-03T02:59:59.999Z"))), "2026-12-02T03:00:00.000Z");
  });

  it("has no tick after a cron's last year", () => {
    assert.equal(nextTick(one("cron(0 0 1 1 ? 2026)"), at("2026-06-01T00:00:00Z")), undefined);
  });

  it("keys a tick by the schedule's name and the tick's ISO time", () => {
    assert.equal(tickKey("nightly", at("2026-12-03T03:00:00Z")), "schedule:nightly:2026-12-03T03:00:00.000Z");
  });
});
