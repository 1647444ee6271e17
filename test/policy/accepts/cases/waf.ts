/** Broken and at-the-limit cases of the AWS-accepts rules for AWS WAF: rate limits, windows, metric names. */
import { type Case, T, mutate } from "../helpers";

const rate = (change: (s: Record<string, any>) => void) =>
  mutate(T.webAcl, (i) => change(i.rules[0].statement.rateBasedStatement), "fleet-edge");

export const BROKEN: Case[] = [
  ["aws-accepts-waf-rate-based-statement", "a limit of 9", () => [rate((s) => (s.limit = 9))], /10\.\.2000000000/],
  [
    "aws-accepts-waf-rate-based-statement",
    "a 30 s window",
    () => [rate((s) => (s.evaluationWindowSec = 30))],
    /60, 120, 300, 600/,
  ],
  [
    "aws-accepts-waf-metric-name",
    "a dot in the web ACL's metric name",
    () => [mutate(T.webAcl, (i) => (i.visibilityConfig.metricName = "fleet.prod"), "fleet-edge")],
    /letters, digits/,
  ],
  [
    "aws-accepts-waf-metric-name",
    "a rule metric named All",
    () => [mutate(T.webAcl, (i) => (i.rules[0].visibilityConfig.metricName = "All"), "fleet-edge")],
    /reserved/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-waf-rate-based-statement",
    "limits 10 and 2,000,000,000 with 60 and 600 s windows",
    () => [
      rate((s) => Object.assign(s, { limit: 10, evaluationWindowSec: 60 })),
      rate((s) => Object.assign(s, { limit: 2_000_000_000, evaluationWindowSec: 600 })),
    ],
  ],
  [
    "aws-accepts-waf-metric-name",
    "a 128-character metric name",
    () => [mutate(T.webAcl, (i) => (i.visibilityConfig.metricName = "m".repeat(128)), "fleet-edge")],
  ],
];
