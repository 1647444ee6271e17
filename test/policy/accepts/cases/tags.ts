/** Broken and at-the-limit cases of the AWS-accepts rules for tags on every resource. */
import { type Case, T, chars, mutate } from "../helpers";

const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, "v"]));

export const BROKEN: Case[] = [
  ["aws-accepts-tags", "51 tags", () => [mutate(T.queue, (i) => (i.tags = tags(51)), "fleet-jobs")], /at most 50 tags/],
  [
    "aws-accepts-tags",
    "an aws: tag key",
    () => [mutate(T.queue, (i) => (i.tags["aws:team"] = "x"), "fleet-jobs")],
    /reserved/,
  ],
  [
    "aws-accepts-tags",
    "a 129-character key on a launched instance",
    () => [mutate(T.lt, (i) => (i.tagSpecifications[0].tags[chars(129)] = "x"), "fleet-lt")],
    /tagSpecifications\[0\]/,
  ],
  [
    "aws-accepts-tags",
    "a 257-character value on the group",
    () => [
      mutate(T.asg, (i) => i.tags.push({ key: "note", value: chars(257), propagateAtLaunch: false }), "fleet-asg"),
    ],
    /at most 256/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-tags",
    "50 tags, a 128-character key and a 256-character value",
    () => [mutate(T.queue, (i) => (i.tags = { ...tags(49), [chars(128)]: chars(256) }), "fleet-jobs")],
  ],
];
