/**
 * A bucket nobody reaches but through its policy: public access blocked, objects owned by this account
 * (no ACLs), encrypted at rest, plain HTTP refused. The caller adds its own Allow statements (which see
 * the bucket's ARN) and lifecycle rules. The bundle bucket in infra/image.ts predates this helper and
 * builds the same by hand.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The statement that refuses every request not made over TLS (S3's aws:SecureTransport). */
export function denyPlainHttp(bucketArn: pulumi.Input<string>): Record<string, unknown> {
  return {
    Sid: "DenyPlainHttp",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

export interface PrivateBucket {
  bucket: aws.s3.Bucket;
  /** The access block, encryption and ownership: in place before the policy and any object. */
  guards: pulumi.Resource[];
}

export function privateBucket(name: string, parent: pulumi.Resource, tags: Record<string, string>): PrivateBucket {
  const bucket = new aws.s3.Bucket(name, { tags }, { parent });
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { parent },
  );
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      // SSE-S3: CloudFront's origin access control reads it without a KMS key policy.
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    },
    { parent },
  );
  const ownership = new aws.s3.BucketOwnershipControls(
    name,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    { parent },
  );
  return { bucket, guards: [publicAccess, encryption, ownership] };
}

/** The bucket's policy: plain HTTP refused, plus the caller's statements. */
export function tlsOnlyPolicy(
  name: string,
  { bucket, guards }: PrivateBucket,
  parent: pulumi.Resource,
  statements: pulumi.Input<Record<string, unknown>>[] = [],
): aws.s3.BucketPolicy {
  return new aws.s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [denyPlainHttp(bucket.arn), ...statements] }),
    },
    // A bucket policy written while the public access block is still being applied can be refused.
    { parent, dependsOn: guards },
  );
}
