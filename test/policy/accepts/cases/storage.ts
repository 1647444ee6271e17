/** Broken and at-the-limit cases of the AWS-accepts rules for S3, DynamoDB, SNS and CloudFront. */
import { type Case, T, chars, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-s3-bucket-name",
    "capitals and an underscore",
    () => [mutate(T.bucket, (i) => (i.bucket = "Fleet_Results"), "fleet-results")],
    /lowercase/,
  ],
  [
    "aws-accepts-s3-bucket-name",
    "64 characters",
    () => [mutate(T.bucket, (i) => (i.bucket = chars(64)), "fleet-results")],
  ],
  [
    "aws-accepts-s3-noncurrent-days",
    "0 noncurrent days",
    () => [mutate(T.lifecycle, (i) => (i.rules[0].noncurrentVersionExpiration.noncurrentDays = 0), "fleet-bundle")],
  ],
  [
    "aws-accepts-dynamodb-names",
    "a 2-character index name",
    () => [mutate(T.table, (i) => (i.globalSecondaryIndexes[0].name = "dl"), "fleet-jobs")],
    /at least 3/,
  ],
  [
    "aws-accepts-dynamodb-names",
    "a table name with a space",
    () => [mutate(T.table, (i) => (i.name = "fleet jobs"), "fleet-jobs")],
  ],
  [
    "aws-accepts-sns-topic-name",
    "a topic name with a space",
    () => [mutate(T.topic, (i) => (i.name = "fleet alarms"))],
  ],
  [
    "aws-accepts-cloudfront-comment",
    "a 129-character comment",
    () => [mutate(T.cdn, (i) => (i.comment = chars(129)))],
    /at most 128/,
  ],
  [
    "aws-accepts-s3-object-key",
    "a key of 1,025 bytes (multi-byte characters count as bytes)",
    () => [mutate("aws:s3/bucketObjectv2:BucketObjectv2", (i) => (i.key = "bundle/" + "é".repeat(509)))],
    /1025/,
  ],
  [
    "aws-accepts-s3-bucket-policy-size",
    "a bucket policy of 20,481 bytes",
    () => [
      mutate(
        "aws:s3/bucketPolicy:BucketPolicy",
        (i) => (i.policy = JSON.stringify({ Sid: chars(20_481 - 10) })),
        "fleet-results",
      ),
    ],
    /20480 bytes, is 20481/,
  ],
  [
    "aws-accepts-origin-access-control-name",
    "65 characters",
    () => [mutate("aws:cloudfront/originAccessControl:OriginAccessControl", (i) => (i.name = chars(65)))],
    /at most 64/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-s3-bucket-name",
    "63 characters",
    () => [mutate(T.bucket, (i) => (i.bucket = "a" + chars(61, "-") + "b"), "fleet-results")],
  ],
  ["aws-accepts-cloudfront-comment", "128 characters", () => [mutate(T.cdn, (i) => (i.comment = chars(128)))]],
  [
    "aws-accepts-s3-object-key",
    "1,024 bytes",
    () => [mutate("aws:s3/bucketObjectv2:BucketObjectv2", (i) => (i.key = "bundle/" + "é".repeat(508) + "x"))],
  ],
  [
    "aws-accepts-s3-bucket-policy-size",
    "exactly 20,480 bytes",
    () => [
      mutate(
        "aws:s3/bucketPolicy:BucketPolicy",
        (i) => (i.policy = JSON.stringify({ Sid: chars(20_480 - 10) })),
        "fleet-results",
      ),
    ],
  ],
  [
    "aws-accepts-origin-access-control-name",
    "64 characters",
    () => [mutate("aws:cloudfront/originAccessControl:OriginAccessControl", (i) => (i.name = chars(64)))],
  ],
];
