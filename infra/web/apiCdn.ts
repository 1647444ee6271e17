/**
 * HTTPS for a stack without a certificate of its own: a CloudFront distribution in front of the ALB, on
 * CloudFront's default certificate (`https://<id>.cloudfront.net`), so the API a page calls is HTTPS in
 * every stack (a page served over HTTPS may not call plain HTTP at all: mixed content).
 *
 * It promises: nothing is cached (every request reaches the service, which owns Cache-Control and the
 * long poll); every method, the query string and every viewer header but Host reach the ALB (Origin and
 * the Access-Control-Request-* of preflights, Content-Type, Idempotency-Key); the longest request the
 * service serves fits within CloudFront's origin response timeout; and CloudFront proves itself to the
 * ALB with a secret custom header (infra/web/loadBalancer.ts forwards only requests that carry it, and
 * its security group admits only CloudFront's origin-facing addresses), so the ALB's own name cannot be
 * used to go around this front door. Every answer carries the security headers (nosniff, HSTS:
 * infra/shared/cdnSecurity.ts); access logs go to the CDN log bucket; with `fleet:waf`, the WAF web ACL's rate
 * limit per client address stands in front.
 *
 * The CloudFront-to-ALB hop is plain HTTP: an ALB's *.elb.amazonaws.com name can carry no certificate
 * CloudFront would accept. A stack with a domain sets `fleet:certificateArn`, and the ALB serves HTTPS
 * itself instead of this component.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { MAX_POLL_WAIT_S } from "../../service/jobs/timing";
import { ALB_IDLE_TIMEOUT_S, LONGEST_REQUEST_MS } from "../../service/timing";
import { cdnLogging, defaultViewerCertificate, securityHeadersConfig } from "../shared/cdnSecurity";

/**
 * AWS's managed cache policy "CachingDisabled" (TTLs 0, nothing in the cache key)
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html).
 */
export const CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/**
 * AWS's managed origin request policy "AllViewerExceptHostHeader": every viewer header except Host, all
 * cookies, all query strings. Host must not be forwarded: the ALB is reached by its own name
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
 */
export const ALL_VIEWER_EXCEPT_HOST_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/**
 * The header CloudFront adds to every origin request. Not one CloudFront refuses to add (Host, X-Amz-*,
 * X-Edge-*, ... : https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html),
 * and under the ALB's 40 characters for a header condition's name
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_HttpHeaderConditionConfig.html).
 */
export const ORIGIN_SECRET_HEADER = "X-Fleet-Origin-Secret";

/**
 * How long CloudFront waits for the ALB's response: the default, 30 s. CloudFront accepts 1 to 60 s on any
 * account (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html,
 * "Response timeout"); more needs a quota increase (https://repost.aws/knowledge-center/cloudfront-custom-origin-response),
 * so the check below keeps to 1..60.
 * It must exceed the longest answer the service takes: the long poll (`?wait=` at most MAX_POLL_WAIT_S, plus
 * one re-read) and a /api/:n computation (LONGEST_REQUEST_MS).
 */
export const API_ORIGIN_READ_TIMEOUT_S = 30;
/** Headroom above the longest request for the last re-read of a long poll and the two network hops. */
export const ORIGIN_READ_MARGIN_S = 2;
/**
 * How long CloudFront keeps an idle connection to the ALB (default 5 s, 1..60): below the ALB's idle
 * timeout, so CloudFront never reuses a connection the ALB is closing.
 */
export const API_ORIGIN_KEEPALIVE_S = 5;

/** The longest time the service takes to answer (s): what the origin read timeout must cover. */
export function longestAnswerS(): number {
  return Math.max(MAX_POLL_WAIT_S, LONGEST_REQUEST_MS / 1000);
}

/** Throws unless the timings agree (checked at construction, tested in test/infra/apiCdn.test.ts). */
export function checkOriginTimings(readTimeoutS = API_ORIGIN_READ_TIMEOUT_S, keepaliveS = API_ORIGIN_KEEPALIVE_S) {
  if (readTimeoutS < 1 || readTimeoutS > 60)
    throw new Error(`ApiCdn: origin read timeout ${readTimeoutS} s is outside the 1..60 s CloudFront accepts`);
  if (longestAnswerS() + ORIGIN_READ_MARGIN_S > readTimeoutS)
    throw new Error(
      `ApiCdn: the service may take ${longestAnswerS()} s to answer, CloudFront waits only ${readTimeoutS} s: lower MAX_POLL_WAIT_S / LONGEST_REQUEST_MS or raise the timeout`,
    );
  if (keepaliveS >= ALB_IDLE_TIMEOUT_S)
    throw new Error(`ApiCdn: keep-alive ${keepaliveS} s is not below the ALB's idle timeout (${ALB_IDLE_TIMEOUT_S} s)`);
}

export interface ApiCdnArgs {
  /** The ALB's DNS name: the distribution's only origin. */
  albDnsName: pulumi.Input<string>;
  /** The value of ORIGIN_SECRET_HEADER (`fleet:originSecret`, a stack secret). */
  originSecret: pulumi.Input<string>;
  /** CloudFront price class. Default "PriceClass_100" (North America and Europe edges, the cheapest). */
  priceClass?: string;
  /** The CDN log bucket (infra/observability/cdnLogs.ts): logs under `api/`. Absent: no logs. */
  accessLogs?: { bucketDomainName: pulumi.Input<string>; ready: pulumi.Resource[] };
  /** A CLOUDFRONT-scope WAF web ACL's ARN (infra/web/waf.ts). Absent: none. */
  webAclArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/** The API's log prefix in the CDN log bucket. */
export const API_LOG_PREFIX = "api/";

export class ApiCdn extends pulumi.ComponentResource {
  /** `https://<distribution>.cloudfront.net`, no trailing slash: the stack's `url`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ApiCdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:apiCdn:ApiCdn", name, {}, opts);
    checkOriginTimings();
    const originId = "alb";
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-headers`,
      { comment: "fleet API: security headers", securityHeadersConfig: securityHeadersConfig() },
      { parent: this },
    );
    const distribution = new aws.cloudfront.Distribution(
      name,
      {
        enabled: true,
        comment: "fleet API: HTTPS in front of the ALB, nothing cached",
        origins: [
          {
            originId,
            domainName: args.albDnsName,
            customOriginConfig: {
              httpPort: 80,
              httpsPort: 443,
              originProtocolPolicy: "http-only",
              originSslProtocols: ["TLSv1.2"],
              originReadTimeout: API_ORIGIN_READ_TIMEOUT_S,
              originKeepaliveTimeout: API_ORIGIN_KEEPALIVE_S,
            },
            customHeaders: [{ name: ORIGIN_SECRET_HEADER, value: args.originSecret }],
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: originId,
          // An API client that speaks plain HTTP gets a 403, not a redirect that would turn its POST into a GET.
          viewerProtocolPolicy: "https-only",
          // POST needs the full set; CloudFront accepts only the three sets of its API.
          allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
          cachedMethods: ["GET", "HEAD"],
          cachePolicyId: CACHING_DISABLED_POLICY_ID,
          originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
          responseHeadersPolicyId: headers.id,
          compress: false,
        },
        priceClass: args.priceClass ?? "PriceClass_100",
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: defaultViewerCertificate(),
        ...(args.accessLogs ? { loggingConfig: cdnLogging(args.accessLogs.bucketDomainName, API_LOG_PREFIX) } : {}),
        ...(args.webAclArn !== undefined ? { webAclId: args.webAclArn } : {}),
        tags: args.tags ?? {},
      },
      { parent: this, dependsOn: args.accessLogs?.ready ?? [] },
    );
    this.url = pulumi.interpolate`https://${distribution.domainName}`;
    this.registerOutputs({ url: this.url });
  }
}
