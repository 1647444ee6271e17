/**
 * The CloudFront distributions' access logs (FSBP CloudFront.5): one private bucket (infra/shared/privateBucket.ts:
 * public access blocked, SSE-S3, TLS only), each distribution under its own prefix, logs expiring after
 * ACCESS_LOG_DAYS like the ALB's.
 *
 * Unlike every other bucket of ours it has ACLs enabled (object ownership BucketOwnerPreferred): CloudFront's
 * standard logging writes through the `awslogsdelivery` account's ACL grant and refuses a bucket whose
 * ownership is BucketOwnerEnforced (ACLs disabled). When logging is enabled, CloudFront adds that grant to the
 * bucket ACL itself; the deploying identity needs s3:GetBucketAcl and s3:PutBucketAcl on the bucket
 * ("Configure standard logging (legacy)", Permissions,
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
 * The grant is to an AWS account, not the public, so all four public access blocks stay on.
 */
import * as pulumi from "@pulumi/pulumi";
import { privateBucket } from "../shared/privateBucket";
import { ACCESS_LOG_DAYS } from "./accessLogs";

export interface CdnLogsArgs {
  tags?: Record<string, string>;
}

export class CdnLogs extends pulumi.ComponentResource {
  /** `<bucket>.s3.amazonaws.com`: the distributions' `loggingConfig.bucket`. */
  readonly bucketDomainName: pulumi.Output<string>;
  /** The distributions must wait for these: CloudFront checks the bucket's ACLs when logging is enabled. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: CdnLogsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:cdnLogs:CdnLogs", name, {}, opts);
    const { bucket, ready } = privateBucket(
      `${name}-cdn-logs`,
      {
        // SSE-S3: standard logging cannot write to a bucket encrypted with a KMS key it has no grant on.
        sseAlgorithm: "AES256",
        objectOwnership: "BucketOwnerPreferred",
        lifecycleRules: [
          {
            id: "expire-cdn-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: ACCESS_LOG_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
        tags: args.tags ?? {},
      },
      this,
    );
    this.bucketDomainName = bucket.bucketDomainName;
    this.ready = ready;
    this.registerOutputs({ bucketDomainName: this.bucketDomainName });
  }
}
