/**
 * The ALB's access logs: a bucket of their own, private, encrypted (SSE-S3: the only encryption ELB log
 * delivery supports), TLS-only, expiring logs after ACCESS_LOG_DAYS, and a bucket policy that lets the
 * region's Elastic Load Balancing log delivery write below `<prefix>/AWSLogs/<account>/` and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

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

/** The bucket policy: log delivery may put objects under this account's prefix; nobody may use plain HTTP. */
export function accessLogsBucketPolicy(bucketArn: string, region: string, accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ElbLogDelivery",
        Effect: "Allow",
        Principal: elbLogDeliveryPrincipal(region),
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${ACCESS_LOG_PREFIX}/AWSLogs/${accountId}/*`,
      },
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
    const tags = args.tags ?? {};
    const bucket = new aws.s3.Bucket(`${name}-access-logs`, { forceDestroy: true, tags }, { parent: this });
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-access-logs`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-access-logs`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
    );
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-access-logs`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-access-logs`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: ACCESS_LOG_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this },
    );
    const policy = new aws.s3.BucketPolicy(
      `${name}-access-logs`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, args.accountId])
          .apply(([arn, account]) => accessLogsBucketPolicy(arn, args.region, account)),
      },
      { parent: this, dependsOn: [publicAccess] },
    );
    this.bucketName = bucket.bucket;
    this.ready = [policy, encryption, ownership, lifecycle];
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
