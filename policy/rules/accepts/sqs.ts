/**
 * SQS values AWS accepts beyond the provider's types (queue attribute ranges), and the documented relation
 * between a standard queue and its dead-letter queue: a message keeps its original enqueue time when it is
 * moved, so a DLQ that retains messages no longer than its source deletes them early.
 */
import { acceptsRule, acceptsStackRule, at, num, rangeProblem, type Finding } from "./rule";

const QUEUE = "aws:sqs/queue:Queue";

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
const ATTRIBUTES_SOURCE =
  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html";
/** [input, min, max] for the attributes whose ranges that page states. */
export const SQS_RANGES = [
  ["messageRetentionSeconds", 60, 1_209_600],
  ["visibilityTimeoutSeconds", 0, 43_200],
  ["delaySeconds", 0, 900],
  ["receiveWaitTimeSeconds", 0, 20],
] as const;
/** SQS's retention when none is set (345,600 s, four days). */
export const SQS_DEFAULT_RETENTION_S = 345_600;

export const queueAttributes = acceptsRule({
  name: "aws-accepts-sqs-attributes",
  description:
    "SQS queue attributes in AWS's ranges: retention 60-1,209,600 s, visibility 0-43,200 s, delay 0-900 s, wait 0-20 s.",
  meta: {
    types: [QUEUE],
    field: SQS_RANGES.map(([f]) => f).join(", "),
    limit: SQS_RANGES.map(([f, min, max]) => `${f} ${min}..${max}`).join("; "),
    source: ATTRIBUTES_SOURCE,
  },
  check: (p) => {
    const out: Finding[] = [];
    for (const [field, min, max] of SQS_RANGES) {
      const n = num(p[field]);
      if (n !== undefined) out.push(...at(field, p[field], rangeProblem(n, min, max, "seconds")));
    }
    return out;
  },
});

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html
export const dlqRetention = acceptsStackRule({
  name: "aws-accepts-dlq-retention",
  description:
    "A standard queue's dead-letter queue retains messages longer than the queue itself (AWS's best practice).",
  meta: {
    types: [QUEUE],
    field: "messageRetentionSeconds (DLQ) vs messageRetentionSeconds (source)",
    limit: "DLQ retention > source retention (standard queues)",
    source:
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html",
  },
  check: (resources) =>
    resources
      .filter((q) => q.type === QUEUE && q.props.redrivePolicy && q.props.fifoQueue !== true)
      .flatMap((q) =>
        (q.propertyDependencies?.redrivePolicy ?? [])
          .filter((d) => d.type === QUEUE)
          .flatMap((dlq) => {
            const source = num(q.props.messageRetentionSeconds) ?? SQS_DEFAULT_RETENTION_S;
            const dead = num(dlq.props.messageRetentionSeconds) ?? SQS_DEFAULT_RETENTION_S;
            return dead > source
              ? []
              : [
                  {
                    resource: dlq,
                    field: "messageRetentionSeconds",
                    problem: `a dead-letter queue must retain messages longer than its source ${q.name} (${source} s), or it deletes them before anyone looks`,
                    value: dead,
                  },
                ];
          }),
      ),
});

export const MAX_SOURCE_QUEUES = 10;

/** Why SQS would refuse this redrive allow policy: byQueue names 1-10 source queues; other modes name none. */
export function redriveAllowProblem(policy: {
  redrivePermission?: unknown;
  sourceQueueArns?: unknown;
}): string | undefined {
  const sources = Array.isArray(policy.sourceQueueArns) ? policy.sourceQueueArns : undefined;
  if (policy.redrivePermission === "byQueue") {
    if (!sources || sources.length === 0) return "byQueue needs sourceQueueArns";
    if (sources.length > MAX_SOURCE_QUEUES)
      return `at most ${MAX_SOURCE_QUEUES} source queues (use allowAll beyond), has ${sources.length}`;
  } else if (sources !== undefined) return `sourceQueueArns only go with redrivePermission byQueue`;
  return undefined;
}

// https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_sqs.RedriveAllowPolicy.html ("When
// redrivePermission is set to BY_QUEUE, this parameter is required. You can specify up to 10 source queues."),
// restating SetQueueAttributes' RedriveAllowPolicy.
export const redriveAllowPolicy = acceptsRule({
  name: "aws-accepts-redrive-allow-policy",
  description: "A redrive allow policy names 1-10 source queues with byQueue, and none otherwise.",
  meta: {
    types: [QUEUE, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"],
    field: "redriveAllowPolicy",
    limit: "byQueue: 1..10 sourceQueueArns; allowAll/denyAll: none",
    source: "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_sqs.RedriveAllowPolicy.html",
  },
  check: (p) => {
    const raw = p.redriveAllowPolicy;
    if (raw === undefined) return [];
    let policy: { redrivePermission?: unknown; sourceQueueArns?: unknown };
    try {
      policy = typeof raw === "string" ? JSON.parse(raw) : raw;
    } catch {
      return at("redriveAllowPolicy", raw, "must be JSON");
    }
    return at("redriveAllowPolicy", raw, redriveAllowProblem(policy));
  },
});

export const SQS_RULES = [queueAttributes, dlqRetention, redriveAllowPolicy];
