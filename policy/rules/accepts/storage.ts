/**
 * S3, DynamoDB, SNS and CloudFront names and values AWS accepts beyond the provider's types.
 */
import { acceptsRule, at, charsetProblem, lengthProblem, list, num, str, type Finding } from "./rule";

const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_V2 = "aws:s3/bucketV2:BucketV2";
const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const TABLE = "aws:dynamodb/table:Table";
const TOPIC = "aws:sns/topic:Topic";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";

/** Why S3 would refuse `name` for a general purpose bucket (S3's bucket naming rules, the ones a name can break). */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3..63 characters, is ${name.length}`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "may contain only lowercase letters, numbers, dots and hyphens";
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return "must begin and end with a letter or number";
  if (name.includes("..")) return "cannot contain two adjacent periods";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "cannot be formatted as an IP address";
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"])
    if (name.startsWith(prefix)) return `cannot begin with ${prefix}`;
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap"]) if (name.endsWith(suffix)) return `cannot end with ${suffix}`;
  return undefined;
}

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
export const bucketName = acceptsRule({
  name: "aws-accepts-s3-bucket-name",
  description:
    "An S3 bucket name is 3-63 lowercase letters, numbers, dots, hyphens, and breaks none of S3's naming rules.",
  meta: {
    types: [BUCKET, BUCKET_V2],
    field: "bucket, bucketPrefix",
    limit: "3..63 of [a-z0-9.-], letter/number at both ends, no '..', not an IP, no reserved prefix/suffix",
    source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
  },
  check: (p) => {
    const out: Finding[] = [];
    if (str(p.bucket)) out.push(...at("bucket", p.bucket, s3BucketNameProblem(p.bucket)));
    if (str(p.bucketPrefix)) {
      // The provider appends a unique suffix of digits: the prefix must start a valid name.
      const problem = s3BucketNameProblem(`${p.bucketPrefix}0`);
      out.push(...at("bucketPrefix", p.bucketPrefix, problem && !/^must be 3/.test(problem) ? problem : undefined));
    }
    return out;
  },
});

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_NoncurrentVersionExpiration.html (NoncurrentDays: "The
// value must be a non-zero positive integer.")
export const lifecycleNoncurrentDays = acceptsRule({
  name: "aws-accepts-s3-noncurrent-days",
  description: "An S3 lifecycle rule's noncurrent-version expiration is a non-zero positive whole number of days.",
  meta: {
    types: [LIFECYCLE],
    field: "rules[].noncurrentVersionExpiration.noncurrentDays",
    limit: "whole number >= 1",
    source: "https://docs.aws.amazon.com/AmazonS3/latest/API/API_NoncurrentVersionExpiration.html",
  },
  check: (p) => {
    const out: Finding[] = [];
    list(p.rules as Array<Record<string, any>>).forEach((r, i) => {
      const raw = r?.noncurrentVersionExpiration?.noncurrentDays;
      const n = num(raw);
      if (n !== undefined && (!Number.isInteger(n) || n < 1))
        out.push(
          ...at(
            `rules[${i}].noncurrentVersionExpiration.noncurrentDays`,
            raw,
            "must be a non-zero positive whole number of days",
          ),
        );
    });
    return out;
  },
});

const DYNAMO_NAME = /^[a-zA-Z0-9_.-]$/;

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
export const dynamoNames = acceptsRule({
  name: "aws-accepts-dynamodb-names",
  description: "DynamoDB table and index names are 3-255 of [a-zA-Z0-9_.-]; key attribute names of indexes <= 255.",
  meta: {
    types: [TABLE],
    field: "name, globalSecondaryIndexes[].name, localSecondaryIndexes[].name, attributes[].name, ttl.attributeName",
    limit: "table/index names 3..255 of [a-zA-Z0-9_.-]; index key attribute names 1..255",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html",
  },
  check: (p) => {
    const out: Finding[] = [];
    const nameCheck = (field: string, v: unknown) => {
      if (str(v))
        out.push(...at(field, v, lengthProblem(v, 3, 255), charsetProblem(v, DYNAMO_NAME, "a-z A-Z 0-9 _ - .")));
    };
    nameCheck("name", p.name);
    for (const kind of ["globalSecondaryIndexes", "localSecondaryIndexes"] as const)
      list(p[kind] as Array<{ name?: unknown }>).forEach((ix, i) => nameCheck(`${kind}[${i}].name`, ix?.name));
    // Index key attributes (all declared attributes are keys of the table or an index) are limited to 255.
    list(p.attributes as Array<{ name?: unknown }>).forEach((a, i) => {
      if (str(a?.name)) out.push(...at(`attributes[${i}].name`, a.name, lengthProblem(a.name, 1, 255)));
    });
    if (str(p.ttl?.attributeName))
      out.push(...at("ttl.attributeName", p.ttl.attributeName, lengthProblem(p.ttl.attributeName, 1, 255)));
    return out;
  },
});

// https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Name)
export const topicName = acceptsRule({
  name: "aws-accepts-sns-topic-name",
  description: "An SNS topic name is 1-256 ASCII letters, numbers, underscores and hyphens (FIFO: ending .fifo).",
  meta: {
    types: [TOPIC],
    field: "name",
    limit: "1..256 of [A-Za-z0-9_-], plus a .fifo suffix for FIFO topics",
    source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
  },
  check: (p) => {
    if (!str(p.name)) return [];
    const fifo = p.fifoTopic === true;
    const base = fifo ? p.name.replace(/\.fifo$/, "") : p.name;
    return at(
      "name",
      p.name,
      lengthProblem(p.name, 1, 256),
      charsetProblem(base, /^[A-Za-z0-9_-]$/, "A-Z a-z 0-9 _ -"),
      fifo && !p.name.endsWith(".fifo") ? "a FIFO topic's name must end with .fifo" : undefined,
    );
  },
});

// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html (Comment),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudfront/aws.sdk.kotlin.services.cloudfront.model/-distribution-config/comment.html
export const distributionComment = acceptsRule({
  name: "aws-accepts-cloudfront-comment",
  description: "A CloudFront distribution's comment is at most 128 characters.",
  meta: {
    types: [DISTRIBUTION],
    field: "comment",
    limit: "<= 128 characters",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudfront/aws.sdk.kotlin.services.cloudfront.model/-distribution-config/comment.html",
  },
  check: (p) => (str(p.comment) ? at("comment", p.comment, lengthProblem(p.comment, 0, 128)) : []),
});

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html ("a maximum length of 1,024 bytes")
export const objectKey = acceptsRule({
  name: "aws-accepts-s3-object-key",
  description: "An S3 object key is 1-1,024 bytes of UTF-8, prefixes included.",
  meta: {
    types: ["aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"],
    field: "key",
    limit: "1..1,024 bytes of UTF-8",
    source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html",
  },
  check: (p) => {
    if (!str(p.key)) return [];
    const bytes = Buffer.byteLength(p.key, "utf8");
    return at("key", p.key, bytes < 1 || bytes > 1024 ? `must be 1..1024 bytes of UTF-8, is ${bytes}` : undefined);
  },
});

/** "Bucket policies are limited to 20 KB in size", read as 20 × 1,024 bytes. */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html
export const bucketPolicySize = acceptsRule({
  name: "aws-accepts-s3-bucket-policy-size",
  description: "An S3 bucket policy is at most 20 KB.",
  meta: {
    types: ["aws:s3/bucketPolicy:BucketPolicy"],
    field: "policy",
    limit: "<= 20 KB (20,480 bytes)",
    source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html",
  },
  check: (p) => {
    const text = typeof p.policy === "string" ? p.policy : p.policy ? JSON.stringify(p.policy) : undefined;
    if (text === undefined) return [];
    const bytes = Buffer.byteLength(text, "utf8");
    return at(
      "policy",
      text,
      bytes > BUCKET_POLICY_MAX_BYTES ? `must be at most ${BUCKET_POLICY_MAX_BYTES} bytes, is ${bytes}` : undefined,
    );
  },
});

// https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudfront/aws.sdk.kotlin.services.cloudfront.model/-origin-access-control-config/name.html
// (OriginAccessControlConfig.Name: "You can specify up to 64 characters.")
export const originAccessControlName = acceptsRule({
  name: "aws-accepts-origin-access-control-name",
  description: "A CloudFront origin access control's name is at most 64 characters.",
  meta: {
    types: ["aws:cloudfront/originAccessControl:OriginAccessControl"],
    field: "name",
    limit: "<= 64 characters",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudfront/aws.sdk.kotlin.services.cloudfront.model/-origin-access-control-config/name.html",
  },
  check: (p) => (str(p.name) ? at("name", p.name, lengthProblem(p.name, 1, 64)) : []),
});

export const STORAGE_ACCEPTS_RULES = [
  originAccessControlName,
  objectKey,
  bucketPolicySize,
  bucketName,
  lifecycleNoncurrentDays,
  dynamoNames,
  topicName,
  distributionComment,
];
