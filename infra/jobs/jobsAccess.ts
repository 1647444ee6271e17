/**
 * Least privilege for the two instance roles on the jobs resources, as pure policy documents over plain
 * ARNs (tested without Pulumi). Every action is named (no `*`), every resource is one of ours; each
 * statement says which code path of the AWS backend needs it.
 */
import { AWS_RESULTS_KEY_PREFIX } from "../../service/jobs/aws-env";
import { JOBS_TABLE } from "../../service/jobs/aws/table-schema";

export interface JobsResourceArns {
  queueArn: string;
  deadLetterQueueArn: string;
  tableArn: string;
  resultsBucketArn: string;
}

export interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  /** Only where an action takes no resource and AWS narrows it by a condition key instead. */
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

const doc = (Statement: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/** The web tier: records jobs, enqueues their ids, reads them back, cancels; never runs or receives one. */
export function webJobsPolicy(arns: JobsResourceArns): PolicyDocument {
  return doc([
    {
      Sid: "EnqueueAndMeasureBacklog",
      Effect: "Allow",
      // POST /jobs sends the id; the backlog limit (503) reads the queue's approximate counts; canceling a
      // running job deletes its message by the receipt the table holds.
      Action: ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"],
      Resource: [arns.queueArn],
    },
    {
      Sid: "JobRowsAndIdempotencyItems",
      Effect: "Allow",
      // Create with attribute_not_exists, read, confirm a send, cancel. Nothing is deleted: a key expires by
      // TTL, never freed while its job may run. No Query: listing the dead letters (their index) and redriving
      // them is the operator's `npm run jobs` (scripts/jobs.ts), run off-instance with the operator's role.
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: [arns.tableArn],
    },
  ]);
}

/** The worker: leases messages, updates the rows of the jobs it runs, writes results. */
export function workerJobsPolicy(arns: JobsResourceArns): PolicyDocument {
  return doc([
    {
      Sid: "LeaseMessages",
      Effect: "Allow",
      // Receive (long poll), heartbeat (change visibility), finish (delete), retry later or give back
      // (send the id again, delayed), and read the backlog.
      Action: [
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
      ],
      Resource: [arns.queueArn],
    },
    {
      Sid: "RecordAndReconcileDeadLetters",
      Effect: "Allow",
      // A job out of attempts is recorded in the DLQ (whose alarm tells the operator); messages SQS's redrive
      // moved there are reconciled with the table: requeued, hidden for the operator, or deleted.
      Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
      Resource: [arns.deadLetterQueueArn],
    },
    {
      Sid: "UpdateJobRows",
      Effect: "Allow",
      // Claims, progress and finishing are conditional updates of rows the web tier created.
      Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      Resource: [arns.tableArn],
    },
    {
      Sid: "SweepJobs",
      Effect: "Allow",
      // The sweeper (service/jobs/aws/sweep.ts) finds the jobs the queue may have lost in its index.
      Action: ["dynamodb:Query"],
      Resource: [`${arns.tableArn}/index/${JOBS_TABLE.sweepIndex.name}`],
    },
    {
      Sid: "PutResults",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${arns.resultsBucketArn}/${AWS_RESULTS_KEY_PREFIX}*`],
    },
  ]);
}

/** The worker on its own group only: keep a busy instance from scale-in, finish its termination hook. */
export function workerGroupPolicy(groupArn: string): PolicyDocument {
  return doc([
    {
      Sid: "OwnGroupLifecycle",
      Effect: "Allow",
      Action: ["autoscaling:SetInstanceProtection", "autoscaling:CompleteLifecycleAction"],
      Resource: [groupArn],
    },
  ]);
}
