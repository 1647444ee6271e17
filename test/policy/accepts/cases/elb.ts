/** Broken and at-the-limit cases of the AWS-accepts rules for Elastic Load Balancing: names and health checks. */
import { type Case, T, chars, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-load-balancer-name",
    "a name of 33 characters",
    () => [mutate(T.alb, (i) => (i.name = chars(33)))],
    /at most 32/,
  ],
  [
    "aws-accepts-load-balancer-name",
    'a name starting "internal-"',
    () => [mutate(T.alb, (i) => (i.name = "internal-fleet"))],
    /internal-/,
  ],
  [
    "aws-accepts-load-balancer-name",
    "a name ending with a hyphen",
    () => [mutate(T.alb, (i) => (i.name = "fleet-"))],
    /hyphen/,
  ],
  [
    "aws-accepts-target-group-name",
    "an underscore",
    () => [mutate(T.tg, (i) => (i.name = "fleet_tg"))],
    /alphanumeric/,
  ],
  [
    "aws-accepts-target-group-name",
    "a namePrefix of 7 characters",
    () => [mutate(T.tg, (i) => (i.namePrefix = "fleettg"))],
    /namePrefix: must be at most 6/,
  ],
  [
    "aws-accepts-target-group-health-check",
    "a 301 s interval",
    () => [mutate(T.tg, (i) => (i.healthCheck.interval = 301))],
    /5\.\.300/,
  ],
  [
    "aws-accepts-target-group-health-check",
    "a healthy threshold of 1",
    () => [mutate(T.tg, (i) => (i.healthCheck.healthyThreshold = 1))],
    /2\.\.10/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-load-balancer-name",
    "32 characters",
    () => [mutate(T.alb, (i) => (i.name = "a" + chars(30, "-") + "b"))],
  ],
  [
    "aws-accepts-target-group-name",
    "32 characters and a 6-character prefix",
    () => [
      mutate(T.tg, (i) => {
        i.name = chars(32, "T");
        i.namePrefix = "fleet-";
      }),
    ],
  ],
  [
    "aws-accepts-target-group-health-check",
    "interval 5 and 300, thresholds 2 and 10",
    () => [
      mutate(T.tg, (i) => Object.assign(i.healthCheck, { interval: 300, healthyThreshold: 10, unhealthyThreshold: 2 })),
      mutate(T.tg, (i) => (i.healthCheck.interval = 5)),
    ],
  ],
];
