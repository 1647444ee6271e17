/**
 * Where job results live and how clients fetch them: a private bucket (infra/shared/privateBucket.ts) whose
 * objects expire after the configured days, served by a CloudFront distribution through an origin access
 * control. The bucket policy lets that one distribution (AWS:SourceArn) read the results prefix and
 * nothing else read anything, so the bucket stays private while `result.url` is a public CDN URL.
 * Its response headers policy adds the security headers (nosniff, HSTS: infra/shared/cdnSecurity.ts) and,
 * with origins to allow (`fleet:corsOrigins`, the API's own list), the same CORS allowance as the API, so a
 * page may fetch() a result or draw it on a canvas, not only show it in an <img>. Access logs go to the CDN
 * log bucket; in a stack with `fleet:waf`, the WAF web ACL's rate limit stands in front.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AWS_RESULTS_KEY_PREFIX } from "../../service/jobs/aws-env";
import { CORS_MAX_AGE_S } from "../../service/cors";
import { privateBucket } from "../shared/privateBucket";
import { cdnLogging, defaultViewerCertificate, securityHeadersConfig } from "../shared/cdnSecurity";

/** AWS's managed cache policy "CachingOptimized": a result never changes under its key (same job, same bytes). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

export interface ResultsArgs {
  /** Days after which a result object is deleted. Default 30. */
  expireDays?: number;
  /** Page origins allowed to read results (the API's CORS_ORIGINS); empty or absent: no CORS headers. */
  corsOrigins?: readonly string[];
  /** CloudFront price class. Default "PriceClass_100" (North America and Europe edges, the cheapest). */
  priceClass?: string;
  /** The CDN log bucket (infra/observability/cdnLogs.ts): logs under `results/`. Absent: no logs. */
  accessLogs?: { bucketDomainName: pulumi.Input<string>; ready: pulumi.Resource[] };
  /** A CLOUDFRONT-scope WAF web ACL's ARN (infra/web/waf.ts) in front of the results. Absent: none. */
  webAclArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/** The results' log prefix in the CDN log bucket. */
export const RESULTS_LOG_PREFIX = "results/";

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

/**
 * The CORS part of a CloudFront response headers policy for the results. Every field is required by AWS but
 * the expose list and max age; methods are from AWS's closed set (GET | POST | OPTIONS | PUT | DELETE |
 * PATCH | HEAD | ALL); origins are exact origins or `*` alone; credentials are never allowed
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html,
 * https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyAccessControlAllowMethods.html).
 * A page reads a result with a simple GET (no custom header, so no preflight); `originOverride` replaces any
 * CORS header S3 might send, so the answer is the same whatever the bucket says.
 */
export function resultsCorsConfig(origins: readonly string[]) {
  return {
    accessControlAllowCredentials: false,
    accessControlAllowHeaders: { items: ["content-type"] },
    accessControlAllowMethods: { items: ["GET", "HEAD"] },
    accessControlAllowOrigins: { items: [...origins] },
    accessControlExposeHeaders: { items: ["content-length", "content-type"] },
    accessControlMaxAgeSec: CORS_MAX_AGE_S,
    originOverride: true,
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
    const origins = args.corsOrigins ?? [];
    // Always: the security headers (cdnSecurity.ts); with origins to allow, their CORS too. It was the CORS
    // policy alone (`<name>-cors`), hence the alias.
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-headers`,
      {
        comment:
          origins.length > 0
            ? "fleet job results: security headers, and CORS for the pages the API allows (fleet:corsOrigins)"
            : "fleet job results: security headers",
        securityHeadersConfig: securityHeadersConfig(),
        ...(origins.length > 0 ? { corsConfig: resultsCorsConfig(origins) } : {}),
      },
      { parent: this, aliases: [{ name: `${name}-cors` }] },
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
          responseHeadersPolicyId: headers.id,
          compress: true,
        },
        priceClass: args.priceClass ?? "PriceClass_100",
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: defaultViewerCertificate(),
        ...(args.accessLogs ? { loggingConfig: cdnLogging(args.accessLogs.bucketDomainName, RESULTS_LOG_PREFIX) } : {}),
        ...(args.webAclArn !== undefined ? { webAclId: args.webAclArn } : {}),
        tags,
      },
      { parent: this, dependsOn: args.accessLogs?.ready ?? [] },
    );
    distributionArn = distribution.arn;

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.baseUrl = pulumi.interpolate`https://${distribution.domainName}`;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, baseUrl: this.baseUrl });
  }
}
