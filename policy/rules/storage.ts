/**
 * Buckets: every bucket has all four public access blocks, default encryption, and a policy that denies
 * plain HTTP (AWS FSBP S3.8, S3.4, S3.5). S3.1 is the account's Block Public Access setting (resource type
 * AWS::::Account, https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1): no bucket
 * of a stack can meet or break it, so no rule here claims it; S3.8 is the bucket-level block. The companion resources are matched to their bucket through
 * the engine's property dependencies (`bucket`), as `pulumi preview` reports them.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forType, statements } from "../util";

const BUCKET = "aws:s3/bucket:Bucket";
const PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const publicAccessBlocked: ResourceValidationPolicy = {
  name: "s3-public-access-blocked",
  description: "S3.8: a bucket's public access block sets all four flags (bucket level; S3.1 is the account's).",
  validateResource: forType("s3-public-access-blocked", PAB, (p, _a, report) => {
    const off = PAB_FLAGS.filter((f) => p[f] !== true);
    if (off.length) report(`public access block leaves ${off.join(", ")} off`);
  }),
};

export const encryptedByDefault: ResourceValidationPolicy = {
  name: "s3-encrypted",
  description: "S3.4: a bucket's default encryption is SSE-S3 or SSE-KMS.",
  validateResource: forType("s3-encrypted", SSE, (p, _a, report) => {
    const algorithms = (p.rules ?? []).map(
      (r: { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }) =>
        r.applyServerSideEncryptionByDefault?.sseAlgorithm,
    );
    if (!algorithms.some((a: string | undefined) => a === "AES256" || a === "aws:kms" || a === "aws:kms:dsse"))
      report("no default encryption algorithm (AES256 or aws:kms)");
  }),
};

/** True if the policy denies every request without TLS to the bucket and its objects. */
export function deniesPlainHttp(policy: unknown): boolean {
  return statements(policy).some((s) => {
    if (s.Effect !== "Deny") return false;
    const cond = s.Condition?.Bool?.["aws:SecureTransport"];
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return (
      String(cond) === "false" &&
      actions.some((a) => a === "s3:*" || a === "*") &&
      resources.some((r) => typeof r === "string" && r.endsWith("/*"))
    );
  });
}

function companions(resources: PolicyResource[], bucket: PolicyResource, type: string): PolicyResource[] {
  return resources.filter(
    (r) => r.type === type && (r.propertyDependencies.bucket ?? []).some((d) => d.urn === bucket.urn),
  );
}

export const bucketsComplete: StackValidationPolicy = {
  name: "s3-bucket-hardened",
  description: "S3.8/S3.4/S3.5: every bucket has a public access block, default encryption and a TLS-only policy.",
  validateStack: (args, report) => {
    for (const bucket of args.resources.filter((r) => r.type === BUCKET)) {
      if (companions(args.resources, bucket, PAB).length === 0)
        report(`bucket ${bucket.name} has no public access block`, bucket.urn);
      if (companions(args.resources, bucket, SSE).length === 0)
        report(`bucket ${bucket.name} has no default encryption configuration`, bucket.urn);
      if (!companions(args.resources, bucket, POLICY).some((p) => deniesPlainHttp(p.props.policy)))
        report(`bucket ${bucket.name} has no policy denying plain HTTP (aws:SecureTransport false)`, bucket.urn);
    }
  },
};

export const STORAGE_POLICIES = [publicAccessBlocked, encryptedByDefault, bucketsComplete];
