/** Broken and at-the-limit cases of the AWS-accepts rules for EventBridge Scheduler: expressions, cron fields, flexible windows. */
import { type Case, T, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-schedule-expression",
    "a 5-field cron()",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 3 * * ?)"), "fleet-nightly")],
    /6 fields/,
  ],
  [
    "aws-accepts-schedule-expression",
    "rate with weeks",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "rate(1 week)"), "fleet-nightly")],
  ],
  [
    "aws-accepts-flexible-time-window",
    "a 1441-minute window",
    () => [
      mutate(
        T.scheduler,
        (i) => (i.flexibleTimeWindow = { mode: "FLEXIBLE", maximumWindowInMinutes: 1441 }),
        "fleet-nightly",
      ),
    ],
    /1\.\.1440/,
  ],
  [
    "aws-accepts-flexible-time-window",
    "an unknown mode",
    () => [mutate(T.scheduler, (i) => (i.flexibleTimeWindow = { mode: "ON" }), "fleet-nightly")],
  ],
  [
    "aws-accepts-cron-fields",
    "* in both day fields",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 3 * * * *)"), "fleet-nightly")],
    /must be "\?"/,
  ],
  [
    "aws-accepts-cron-fields",
    "hour 24",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0 24 * * ? *)"), "fleet-nightly")],
    /hours 24 is outside 0-23/,
  ],
  [
    "aws-accepts-cron-fields",
    "? in the minutes",
    () => [mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0? 3 * * ? *)"), "fleet-nightly")],
    /wildcard/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-schedule-expression",
    "rate() and at()",
    () => [
      mutate(T.scheduler, (i) => (i.scheduleExpression = "rate(5 minutes)"), "fleet-nightly"),
      mutate(T.scheduler, (i) => (i.scheduleExpression = "at(2026-12-24T03:00:00)"), "fleet-nightly"),
    ],
  ],
  [
    "aws-accepts-flexible-time-window",
    "a 1440-minute window",
    () => [
      mutate(
        T.scheduler,
        (i) => (i.flexibleTimeWindow = { mode: "FLEXIBLE", maximumWindowInMinutes: 1440 }),
        "fleet-nightly",
      ),
    ],
  ],
  [
    "aws-accepts-cron-fields",
    "ranges, increments, names, L, W and #",
    () => [
      mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(0/15 0-23 ? JAN-DEC 2#1 1970-2199)"), "fleet-nightly"),
      mutate(T.scheduler, (i) => (i.scheduleExpression = "cron(59 23 LW * ? 2199)"), "fleet-nightly"),
    ],
  ],
];
