/**
 * A bucket only this account can use: all four public access blocks, objects owned by the bucket owner
 * (no ACLs, unless a log delivery needs them), default encryption, a policy that denies any request without TLS, and a lifecycle. The bundle
 * bucket, the ALB's access-log bucket (and the jobs' results bucket) are built with it, so the policy pack's
 * storage rules hold for each by construction.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface PrivateBucketArgs {
  /** "AES256" (SSE-S3) unless a KMS key is needed; ELB access-log delivery supports SSE-S3 only. */
  sseAlgorithm: "AES256" | "aws:kms";
  kmsMasterKeyId?: pulumi.Input<string>;
  /** Bucket keys cut KMS requests; harmless with SSE-S3. */
  bucketKeyEnabled?: boolean;
  versioned?: boolean;
  lifecycleRules: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[];
  /** Statements the policy allows beside the TLS-only deny, given the bucket's ARN (written first). */
  allow?: (bucketArn: string) => pulumi.Input<Record<string, unknown>[]>;
  /** Name of the bucket policy resource (default: the bucket's). */
  policyName?: string;
  /**
   * Default BucketOwnerEnforced (ACLs disabled). BucketOwnerPreferred only for a bucket a service must write
   * through ACLs: CloudFront's standard logs (infra/observability/cdnLogs.ts).
   */
  objectOwnership?: "BucketOwnerEnforced" | "BucketOwnerPreferred";
  tags?: Record<string, string>;
}

export interface PrivateBucket {
  bucket: aws.s3.Bucket;
  publicAccess: aws.s3.BucketPublicAccessBlock;
  /** Everything that must exist before objects are written or a service is pointed at the bucket. */
  ready: pulumi.Resource[];
}

/** The bucket policy: `allow` first, then a deny of every request made without TLS. */
export function tlsOnlyPolicy(bucketArn: string, allow: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      ...allow,
      {
        Sid: "DenyPlainHttp",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export function privateBucket(name: string, args: PrivateBucketArgs, parent: pulumi.Resource): PrivateBucket {
  const tags = args.tags ?? {};
  const bucket = new aws.s3.Bucket(name, { forceDestroy: true, tags }, { parent });
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
      rules: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: args.sseAlgorithm,
            ...(args.kmsMasterKeyId !== undefined ? { kmsMasterKeyId: args.kmsMasterKeyId } : {}),
          },
          ...(args.bucketKeyEnabled !== undefined ? { bucketKeyEnabled: args.bucketKeyEnabled } : {}),
        },
      ],
    },
    { parent },
  );
  const versioning = args.versioned
    ? new aws.s3.BucketVersioning(
        name,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        { parent },
      )
    : undefined;
  const ownership = new aws.s3.BucketOwnershipControls(
    name,
    { bucket: bucket.id, rule: { objectOwnership: args.objectOwnership ?? "BucketOwnerEnforced" } },
    { parent },
  );
  const policy = new aws.s3.BucketPolicy(
    args.policyName ?? name,
    {
      bucket: bucket.id,
      policy: bucket.arn.apply((arn) =>
        pulumi.output(args.allow?.(arn) ?? []).apply((allow) => tlsOnlyPolicy(arn, allow as Record<string, unknown>[])),
      ),
    },
    // A bucket policy written while the public access block is still being applied can be refused.
    { parent, dependsOn: [publicAccess] },
  );
  const lifecycle = new aws.s3.BucketLifecycleConfiguration(
    name,
    { bucket: bucket.id, rules: args.lifecycleRules },
    { parent, dependsOn: versioning ? [versioning] : [] },
  );
  return {
    bucket,
    publicAccess,
    ready: [publicAccess, encryption, ...(versioning ? [versioning] : []), ownership, policy, lifecycle],
  };
}
