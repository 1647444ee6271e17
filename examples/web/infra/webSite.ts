/**
 * The example page as a static site: a private bucket (infra/shared/privateBucket.ts: public access blocked,
 * objects owned by the bucket owner, encrypted, TLS only) read by one CloudFront distribution through an
 * origin access control, serving index.html, app.js and the frontend-config.json made from the fleet
 * stack's outputs, checked by the same rules as `npm run frontend-config` (scripts/frontend-config.ts), so
 * a stack whose API is not HTTPS fails here, before anything is uploaded.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { privateBucket } from "../../../infra/shared/privateBucket";
import { CACHING_OPTIMIZED_POLICY_ID } from "../../../infra/jobs/results";
import { buildFrontendConfig, renderJson, JSON_FILE } from "../../../scripts/frontend-config";

/** The page's files, beside this project (examples/web), and how they are served. */
export const PAGE_FILES = [
  { key: "index.html", contentType: "text/html; charset=utf-8" },
  { key: "app.js", contentType: "text/javascript; charset=utf-8" },
] as const;
export const PAGE_DIR = path.resolve(__dirname, "..");

/**
 * The fleet stack to read: `fleet-web:fleetStack` as given (`org/project/stack`, or `project/stack` in the
 * current organisation), else the fleet project's stack of the same name as this one.
 */
export function fleetStackName(configured: string | undefined, organization: string, stack: string): string {
  const name = configured?.trim() || `fleet/${stack}`;
  const parts = name.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p)))
    throw new Error(
      `fleet-web:fleetStack = ${JSON.stringify(configured)} is invalid: expected "<project>/<stack>" or "<org>/<project>/<stack>", e.g. "fleet/${stack}"`,
    );
  return parts.length === 3 ? name : `${organization}/${name}`;
}

export interface WebSiteArgs {
  /** The fleet stack's outputs the page needs. */
  api: { url: pulumi.Input<string>; jobsUrl: pulumi.Input<string>; resultsBaseUrl: pulumi.Input<string> };
  /** Shown on the page (frontend-config.json `stack`). */
  stack: string;
  priceClass?: string;
  tags?: Record<string, string>;
}

export class WebSite extends pulumi.ComponentResource {
  /** `https://<distribution>.cloudfront.net`: the page, and its origin. */
  readonly pageUrl: pulumi.Output<string>;
  readonly apiUrl: pulumi.Output<string>;

  constructor(name: string, args: WebSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet-web:webSite:WebSite", name, {}, opts);
    const tags = args.tags ?? {};
    // Validated as the frontend-config CLI validates: an http API off loopback, a mismatched jobsUrl or a
    // missing output is an error naming the output.
    const config = pulumi
      .all([args.api.url, args.api.jobsUrl, args.api.resultsBaseUrl])
      .apply(([url, jobsUrl, resultsBaseUrl]) =>
        buildFrontendConfig({ url, jobsUrl, resultsBaseUrl, stack: args.stack }),
      );

    let distributionArn: pulumi.Output<string> | undefined;
    const { bucket, ready } = privateBucket(
      name,
      {
        sseAlgorithm: "AES256",
        bucketKeyEnabled: true,
        lifecycleRules: [
          {
            id: "abort-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
        // The one distribution reads objects; nothing else reads anything.
        allow: (bucketArn) =>
          distributionArn!.apply((arn) => [
            {
              Sid: "AllowCloudFrontReadPage",
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: `${bucketArn}/*`,
              Condition: { StringEquals: { "AWS:SourceArn": arn } },
            },
          ]),
        tags,
      },
      this,
    );
    const oac = new aws.cloudfront.OriginAccessControl(
      name,
      {
        description: "fleet example page: CloudFront signs every request to the private bucket",
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      },
      { parent: this },
    );
    const originId = "page";
    const distribution = new aws.cloudfront.Distribution(
      name,
      {
        enabled: true,
        comment: "fleet example page",
        defaultRootObject: "index.html",
        origins: [{ originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          // The objects say `no-cache`: a new upload is seen at once, each edge revalidating with S3.
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

    const object = (
      key: string,
      contentType: string,
      source: { source: pulumi.asset.Asset } | { content: pulumi.Input<string> },
    ) =>
      new aws.s3.BucketObjectv2(
        `${name}-${key}`,
        { bucket: bucket.id, key, contentType, cacheControl: "no-cache", ...source, tags },
        { parent: this, dependsOn: ready },
      );
    for (const file of PAGE_FILES)
      object(file.key, file.contentType, { source: new pulumi.asset.FileAsset(path.join(PAGE_DIR, file.key)) });
    object(JSON_FILE, "application/json", { content: config.apply(renderJson) });

    this.pageUrl = pulumi.interpolate`https://${distribution.domainName}`;
    this.apiUrl = config.apply((c) => c.apiUrl);
    this.registerOutputs({ pageUrl: this.pageUrl, apiUrl: this.apiUrl });
  }
}
