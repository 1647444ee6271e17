/** Broken and at-the-limit cases of the AWS-accepts rules for KMS keys. */
import { type Case, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-kms-deletion-window",
    "a 6-day deletion window",
    () => [mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 6))],
    /7\.\.30/,
  ],
  [
    "aws-accepts-kms-deletion-window",
    "a 31-day deletion window",
    () => [mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 31))],
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-kms-deletion-window",
    "7 and 30 days",
    () => [
      mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 7)),
      mutate("aws:kms/key:Key", (i) => (i.deletionWindowInDays = 30)),
    ],
  ],
];
