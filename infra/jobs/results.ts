/**
 * Where job results live and how clients fetch them: a private bucket (infra/shared/privateBucket.ts) whose
 * objects expire after the configured days, served by a CloudFront distribution through an origin access
 * control. The bucket policy lets that one distribution (AWS:SourceArn) read the results prefix and
 * nothing else read anything, so the bucket stays private while `result.url` is a public CDN URL.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AWS_RESULTS_KEY_PREFIX } from "../../service/jobs/aws-env";
import { privateBucket } from "../shared/privateBucket";

/** AWS's managed cache policy "CachingOptimized": a result never changes under its key (same job, same bytes). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

export interface ResultsArgs {
  /** Days after which a result object is deleted. Default 30. */
  expireDays?: number;
  /** CloudFront price class. Default "PriceClass_100" (North America and Europe edges, the cheapest). */
  priceClass?: string;
  tags?: Record<string, string>;
}

/** The bucket policy statement that lets exactly one distribution read the results prefix. */
export function allowDistributionRead(bucketArn: string, distributionArn: string): Record<string, unknown> {
  return {
    Sid: "AllowCloudFrontReadResults",
    Effect: "Allow",
    Principal: { Service: "cloudfront.amazonaws.com" },
    Action: "s3:GetObject",
    Resource: `${bucketArn}/${AWS_RESULTS_KEY_PREFIX}*`,
    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
  };
}

export class Results extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** `https://<distribution>.cloudfront.net`, no trailing slash (JOBS_RESULTS_BASE_URL). */
  readonly baseUrl: pulumi.Output<string>;

  constructor(name: string, args: ResultsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:results:Results", name, {}, opts);
    const tags = args.tags ?? {};
    // The policy names the distribution, which needs the bucket first: the ARN arrives once it exists.
    let distributionArn: pulumi.Output<string> | undefined;
    const { bucket } = privateBucket(
      name,
      {
        // SSE-S3: CloudFront's origin access control reads it without a KMS key policy.
        sseAlgorithm: "AES256",
        bucketKeyEnabled: true,
        lifecycleRules: [
          {
            id: "expire-results",
            status: "Enabled",
            filter: { prefix: AWS_RESULTS_KEY_PREFIX },
            expiration: { days: args.expireDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
        allow: (bucketArn) => distributionArn!.apply((arn) => [allowDistributionRead(bucketArn, arn)]),
        tags,
      },
      this,
    );
    const oac = new aws.cloudfront.OriginAccessControl(
      name,
      {
        description: "fleet job results: CloudFront signs every request to the private bucket",
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      },
      { parent: this },
    );
    const originId = "results";
    const distribution = new aws.cloudfront.Distribution(
      name,
      {
        enabled: true,
        comment: "fleet job results",
        origins: [{ originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          compress: true,
        },
        priceClass: args.priceClass ?? "PriceClass_100",
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: { cloudfrontDefaultCertificate: true },
        tags,
      },
      { parent: this },
    );
    distributionArn = distribution.arn;

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.baseUrl = pulumi.interpolate`https://${distribution.domainName}`;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, baseUrl: this.baseUrl });
  }
}
