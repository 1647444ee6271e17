/**
 * The jobs queue: an SQS standard queue (jobs are independent; FIFO would serialise them) whose lease is
 * the visibility timeout of service/jobs/timing.ts, long polling, a dead-letter queue through a redrive
 * policy after the job's attempts, and SSE on both. The alarm on the first dead letter is the stack's
 * (infra/observability/monitoring.ts, given `deadLetterQueueName`), so it notifies the alarm topic like every other.
 *
 * Pure helpers (`redrivePolicy`) build what the tests assert without Pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_VISIBILITY_TIMEOUT_S,
  DLQ_RETENTION_S,
  QUEUE_RETENTION_S,
} from "../../service/jobs/timing";

/** The queues' retentions live with the job timings (the sweeper re-sends before SQS drops a message). */
export { DLQ_RETENTION_S, QUEUE_RETENTION_S };

/** SQS's longest long poll: fewer empty receives (each one billed) and a job is seen as soon as it lands. */
export const RECEIVE_WAIT_TIME_S = 20;

export interface JobsQueueArgs {
  /** Receives before a message moves to the DLQ (the redrive's maxReceiveCount). Default DEFAULT_MAX_ATTEMPTS (3). */
  maxAttempts?: number;
  /** Lease in seconds (JOBS_VISIBILITY_TIMEOUT_S) extended by the worker's heartbeat. Default DEFAULT_VISIBILITY_TIMEOUT_S (30). */
  visibilityTimeoutS?: number;
  tags?: Record<string, string>;
}

export function redrivePolicy(deadLetterTargetArn: string, maxAttempts: number): string {
  return JSON.stringify({ deadLetterTargetArn, maxReceiveCount: maxAttempts });
}

export class JobsQueue extends pulumi.ComponentResource {
  readonly queueUrl: pulumi.Output<string>;
  readonly queueArn: pulumi.Output<string>;
  /** The CloudWatch dimension `QueueName` of the queue (for the worker fleet's scaling metrics). */
  readonly queueName: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  /** The DLQ's `QueueName` dimension (the stack's DLQ alarm and dashboard). */
  readonly deadLetterQueueName: pulumi.Output<string>;

  constructor(name: string, args: JobsQueueArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:jobsQueue:JobsQueue", name, {}, opts);
    const tags = args.tags ?? {};
    const maxAttempts = args.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DLQ_RETENTION_S, sqsManagedSseEnabled: true, tags },
      { parent: this },
    );
    const queue = new aws.sqs.Queue(
      name,
      {
        visibilityTimeoutSeconds: args.visibilityTimeoutS ?? DEFAULT_VISIBILITY_TIMEOUT_S,
        receiveWaitTimeSeconds: RECEIVE_WAIT_TIME_S,
        messageRetentionSeconds: QUEUE_RETENTION_S,
        sqsManagedSseEnabled: true,
        redrivePolicy: dlq.arn.apply((arn) => redrivePolicy(arn, maxAttempts)),
        tags,
      },
      { parent: this },
    );
    // Only this queue may use the DLQ as its dead-letter target.
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq`,
      {
        queueUrl: dlq.url,
        redriveAllowPolicy: queue.arn.apply((arn) =>
          JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] }),
        ),
      },
      { parent: this },
    );

    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.deadLetterQueueUrl = dlq.url;
    this.deadLetterQueueArn = dlq.arn;
    this.deadLetterQueueName = dlq.name;
    this.registerOutputs({
      queueUrl: this.queueUrl,
      queueArn: this.queueArn,
      queueName: this.queueName,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      deadLetterQueueArn: this.deadLetterQueueArn,
      deadLetterQueueName: this.deadLetterQueueName,
    });
  }
}
