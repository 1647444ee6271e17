/** Broken and at-the-limit cases of the AWS-accepts rules for SQS: attribute ranges, dead-letter retention, redrive allow policies. */
import { type Case, T, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-sqs-attributes",
    "a 59 s retention",
    () => [mutate(T.queue, (i) => (i.messageRetentionSeconds = 59), "fleet-jobs")],
    /messageRetentionSeconds: must be in 60\.\.1209600/,
  ],
  [
    "aws-accepts-sqs-attributes",
    "a 43,201 s visibility timeout",
    () => [mutate(T.queue, (i) => (i.visibilityTimeoutSeconds = 43_201), "fleet-jobs")],
  ],
  [
    "aws-accepts-sqs-attributes",
    "a 21 s receive wait",
    () => [mutate(T.queue, (i) => (i.receiveWaitTimeSeconds = 21), "fleet-jobs")],
  ],
  ["aws-accepts-sqs-attributes", "a 901 s delay", () => [mutate(T.queue, (i) => (i.delaySeconds = 901), "fleet-jobs")]],
  [
    "aws-accepts-dlq-retention",
    "a DLQ that keeps messages as long as its queue",
    () => [
      mutate(T.queue, () => undefined, "fleet-jobs"),
      mutate(T.queue, (i) => (i.messageRetentionSeconds = 345_600), "fleet-jobs-dlq"),
    ],
    /longer than its source fleet-jobs/,
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "byQueue with 11 source queues",
    () => [
      mutate(
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "byQueue",
            sourceQueueArns: Array.from({ length: 11 }, (_, k) => `arn:aws:sqs:eu-central-1:123456789012:q${k}`),
          })),
      ),
    ],
    /at most 10/,
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "source queues with allowAll",
    () => [
      mutate(
        T.queue,
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "allowAll",
            sourceQueueArns: ["arn:aws:sqs:eu-central-1:123456789012:q"],
          })),
        "fleet-jobs-dlq",
      ),
    ],
    /only go with/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-sqs-attributes",
    "the ends of every range",
    () => [
      mutate(
        T.queue,
        (i) =>
          Object.assign(i, {
            messageRetentionSeconds: 60,
            visibilityTimeoutSeconds: 43_200,
            delaySeconds: 900,
            receiveWaitTimeSeconds: 0,
          }),
        "fleet-jobs",
      ),
      mutate(T.queue, (i) => (i.messageRetentionSeconds = 1_209_600), "fleet-jobs-dlq"),
    ],
  ],
  [
    "aws-accepts-redrive-allow-policy",
    "byQueue with 10 source queues",
    () => [
      mutate(
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        (i) =>
          (i.redriveAllowPolicy = JSON.stringify({
            redrivePermission: "byQueue",
            sourceQueueArns: Array.from({ length: 10 }, (_, k) => `arn:aws:sqs:eu-central-1:123456789012:q${k}`),
          })),
      ),
    ],
  ],
];
