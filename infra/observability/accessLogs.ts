/**
 * The ALB's access logs: a bucket of their own (infra/shared/privateBucket.ts: private, TLS-only), encrypted with
 * SSE-S3 (the only encryption ELB log delivery supports), expiring logs after ACCESS_LOG_DAYS, whose policy
 * lets the region's Elastic Load Balancing log delivery write below `<prefix>/AWSLogs/<account>/` only.
 */
import * as pulumi from "@pulumi/pulumi";
import { privateBucket } from "../shared/privateBucket";

/** Days an access log is kept: long enough to investigate a month-old incident. */
export const ACCESS_LOG_DAYS = 90;
export const ACCESS_LOG_PREFIX = "alb";

/**
 * The Elastic Load Balancing account of each region opened before August 2022 (AWS docs, "Enable access
 * logs for your Application Load Balancer"): there, log delivery writes as this account. Regions opened
 * since grant the service principal `logdelivery.elasticloadbalancing.amazonaws.com` instead.
 */
export const ELB_ACCOUNT_OF_REGION: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
};

export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** The principal that writes a region's ALB access logs. */
export function elbLogDeliveryPrincipal(region: string): { AWS: string } | { Service: string } {
  const account = ELB_ACCOUNT_OF_REGION[region];
  return account !== undefined ? { AWS: `arn:aws:iam::${account}:root` } : { Service: ELB_LOG_DELIVERY_SERVICE };
}

/** What the bucket policy allows besides TLS: log delivery may put objects under this account's prefix. */
export function accessLogsDelivery(bucketArn: string, region: string, accountId: string): Record<string, unknown> {
  return {
    Sid: "ElbLogDelivery",
    Effect: "Allow",
    Principal: elbLogDeliveryPrincipal(region),
    Action: "s3:PutObject",
    Resource: `${bucketArn}/${ACCESS_LOG_PREFIX}/AWSLogs/${accountId}/*`,
  };
}

export interface AccessLogsArgs {
  region: string;
  accountId: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class AccessLogs extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  /** The ALB must wait for these: AWS checks it may write to the bucket when access logging is enabled. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: AccessLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:accessLogs:AccessLogs", name, {}, opts);
    const { bucket, ready } = privateBucket(
      `${name}-access-logs`,
      {
        sseAlgorithm: "AES256",
        allow: (arn) =>
          pulumi.output(args.accountId).apply((account) => [accessLogsDelivery(arn, args.region, account)]),
        policyName: `${name}-access-logs`,
        lifecycleRules: [
          {
            id: "expire-access-logs",
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
    this.bucketName = bucket.bucket;
    this.ready = ready;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
