/**
 * What both CloudFront distributions (the API's, infra/web/apiCdn.ts, and the results', infra/jobs/results.ts)
 * promise their viewers beside the content: the security headers of a response headers policy, the TLS floor
 * their certificate allows, and standard logging to the stack's CDN log bucket (infra/observability/cdnLogs.ts).
 * Pure data, tested without Pulumi.
 */

/** One year, the HSTS max-age browsers' preload lists ask for; CloudFront takes any whole number of seconds. */
export const HSTS_MAX_AGE_S = 31_536_000;

/**
 * The security headers of a CloudFront response headers policy
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html#understanding-response-headers-policies-security,
 * https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicySecurityHeadersConfig.html):
 * `X-Content-Type-Options: nosniff` (a result PNG is never sniffed as HTML), HSTS (every URL of ours is HTTPS
 * only), `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer` (nothing of ours is framed, and no URL with
 * a job id leaks in a Referer). `override: true`: CloudFront's value wins over the origin's, so the answer
 * is the same whatever S3 or the service sends. No includeSubDomains/preload: the host is CloudFront's
 * `*.cloudfront.net` name, not a domain of ours.
 */
export function securityHeadersConfig() {
  return {
    contentTypeOptions: { override: true },
    strictTransportSecurity: {
      accessControlMaxAgeSec: HSTS_MAX_AGE_S,
      includeSubdomains: false,
      preload: false,
      override: true,
    },
    frameOptions: { frameOption: "DENY", override: true },
    referrerPolicy: { referrerPolicy: "no-referrer", override: true },
  };
}

/**
 * The viewer TLS floor on CloudFront's default certificate. With `CloudFrontDefaultCertificate` CloudFront
 * sets the security policy to TLSv1 whatever MinimumProtocolVersion says
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html); a stricter floor
 * (TLSv1.2_2021 or newer) needs a certificate of our own in ACM us-east-1 and an alias, i.e. a domain, which
 * no stack has yet. Written out so the plan says what viewers get; browsers negotiate TLS 1.3 regardless.
 */
export const DEFAULT_CERTIFICATE_MIN_TLS = "TLSv1";

/** The viewer certificate of a distribution on CloudFront's default certificate, with its honest TLS floor. */
export function defaultViewerCertificate() {
  return { cloudfrontDefaultCertificate: true, minimumProtocolVersion: DEFAULT_CERTIFICATE_MIN_TLS };
}

/** A distribution's `loggingConfig`: standard logging (legacy) to S3, without cookies (they are not ours). */
export function cdnLogging<T>(bucketDomainName: T, prefix: string) {
  return { bucket: bucketDomainName, prefix, includeCookies: false };
}
