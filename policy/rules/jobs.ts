/**
 * The jobs resources (issue 8): queues encrypted, every work queue with a dead-letter queue (FSBP SQS.1),
 * the job table encrypted with point-in-time recovery where it is protected from deletion (DynamoDB.2),
 * and the results CDN on HTTPS only, reading its bucket through Origin Access Control (CloudFront.3/13;
 * CloudFront.1, a default root object for S3 origins, is not claimed: the results CDN has none, and its root
 * answers 403 because the bucket policy lets it read `results/*` only).
 * The results bucket itself is covered by storage.ts. These rules apply once the jobs infra is merged;
 * until then they see no resource of their types.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forType, list } from "../util";

const QUEUE = "aws:sqs/queue:Queue";
const TABLE = "aws:dynamodb/table:Table";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const HTTPS_POLICIES = ["https-only", "redirect-to-https"];

export const sqsEncrypted: ResourceValidationPolicy = {
  name: "sqs-encrypted",
  description: "SQS.1: a queue is encrypted at rest (SSE-SQS or a KMS key).",
  validateResource: forType("sqs-encrypted", QUEUE, (p, _a, report) => {
    if (p.sqsManagedSseEnabled !== true && !p.kmsMasterKeyId)
      report("not encrypted: set sqsManagedSseEnabled true or a kmsMasterKeyId");
  }),
};

/** A queue is a dead-letter queue when another queue's redrive policy targets it, or it says whom it serves. */
function isDeadLetterQueue(queue: PolicyResource, resources: PolicyResource[]): boolean {
  if (queue.props.redriveAllowPolicy) return true;
  return resources.some(
    (r) =>
      r.type === QUEUE && r !== queue && (r.propertyDependencies.redrivePolicy ?? []).some((d) => d.urn === queue.urn),
  );
}

function redriveTarget(p: Record<string, any>): string | undefined {
  const raw = p.redrivePolicy;
  if (!raw) return undefined;
  const policy = (typeof raw === "string" ? JSON.parse(raw) : raw) as {
    deadLetterTargetArn?: string;
    maxReceiveCount?: number;
  };
  return policy.deadLetterTargetArn && Number(policy.maxReceiveCount) >= 1 ? policy.deadLetterTargetArn : undefined;
}

export const sqsHasDlq: StackValidationPolicy = {
  name: "sqs-dead-letter-queue",
  description: "Every queue that is not itself a dead-letter queue redrives to one (maxReceiveCount >= 1).",
  validateStack: (args, report) => {
    for (const q of args.resources.filter((r) => r.type === QUEUE)) {
      if (isDeadLetterQueue(q, args.resources)) continue;
      if (redriveTarget(q.props) === undefined)
        report(`queue ${q.name} has no dead-letter queue: a poison message would be retried forever`, q.urn);
    }
  },
};

export const dynamodbProtected: ResourceValidationPolicy = {
  name: "dynamodb-sse-pitr",
  description: "DynamoDB.2: a table with deletion protection has point-in-time recovery and explicit SSE.",
  validateResource: forType("dynamodb-sse-pitr", TABLE, (p, _a, report) => {
    if (p.deletionProtectionEnabled !== true) return;
    if (p.pointInTimeRecovery?.enabled !== true) report("point-in-time recovery is off on a protected table");
    if (p.serverSideEncryption?.enabled !== true) report("serverSideEncryption is not enabled on a protected table");
  }),
};

export const cloudfrontHttpsOac: ResourceValidationPolicy = {
  name: "cloudfront-https-oac",
  description: "CloudFront.3/13: viewers use HTTPS only, and S3 origins are read through Origin Access Control.",
  validateResource: forType("cloudfront-https-oac", DISTRIBUTION, (p, _a, report) => {
    const behaviors = [p.defaultCacheBehavior, ...list(p.orderedCacheBehaviors)].filter(Boolean) as Array<{
      viewerProtocolPolicy?: string;
      pathPattern?: string;
    }>;
    for (const b of behaviors)
      if (!HTTPS_POLICIES.includes(String(b.viewerProtocolPolicy)))
        report(
          `${b.pathPattern ?? "default"} behavior allows ${b.viewerProtocolPolicy}: use https-only or redirect-to-https`,
        );
    for (const o of list(p.origins as Array<Record<string, any>>)) {
      const s3 =
        /\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.test(String(o.domainName ?? "")) || o.s3OriginConfig !== undefined;
      if (!s3) continue;
      if (o.s3OriginConfig?.originAccessIdentity)
        report(`origin ${o.originId} uses a legacy origin access identity: use OAC`);
      else if (!o.originAccessControlId) report(`S3 origin ${o.originId} has no originAccessControlId`);
    }
  }),
};

export const JOBS_POLICIES = [sqsEncrypted, sqsHasDlq, dynamodbProtected, cloudfrontHttpsOac];
