/**
 * The SQS side of the AWS backend: a message is a job id and nothing else; its receipt handle never leaves
 * the adapter. Visibility is whole seconds (SQS's unit), so every lease and delay is rounded up to them.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";

/** SQS limits: a long poll waits at most 20 s, a receive returns at most 10 messages, a send delays at most
 * 15 min, and a message stays invisible at most 12 h. */
export const SQS_MAX_WAIT_S = 20;
export const SQS_MAX_RECEIVE = 10;
export const SQS_MAX_DELAY_S = 900;
export const SQS_MAX_VISIBILITY_S = 43_200;

/** Milliseconds to whole seconds, rounded up so a lease or delay is never shorter than asked; at least 1 s
 * for a visibility (0 would make the message visible again at once). */
export function toSqsSeconds(ms: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(ms / 1000)));
}

/** Errors that mean the receipt handle no longer names an in-flight message (deleted, or received again). */
function isStaleReceipt(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name ?? "";
  return /ReceiptHandleIsInvalid|MessageNotInflight|InvalidParameterValue/.test(name);
}

export interface Received {
  jobId: string;
  receipt: string;
}

/**
 * One SQS queue: the jobs queue, or its dead-letter queue (the same calls on another URL). Receives go
 * through `poller`, whose request timeout allows a long poll; every other call through `sqs`, whose
 * timeout is short (client-config.ts), so a stalled send fails fast instead of hanging.
 */
export class JobQueue {
  private readonly sqs: SQSClient;
  constructor(
    private readonly poller: SQSClient,
    private readonly queueUrl: string,
    sqs?: SQSClient,
  ) {
    this.sqs = sqs ?? poller;
  }

  async receive(max: number, waitS: number, visibilityS: number, abortSignal?: AbortSignal): Promise<Received[]> {
    const out = await this.poller.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_RECEIVE, Math.max(1, max)),
        WaitTimeSeconds: Math.min(SQS_MAX_WAIT_S, Math.max(0, waitS)),
        VisibilityTimeout: visibilityS,
      }),
      { abortSignal },
    );
    return (out.Messages ?? []).flatMap((m: Message) =>
      m.Body && m.ReceiptHandle ? [{ jobId: m.Body, receipt: m.ReceiptHandle }] : [],
    );
  }

  async send(jobId: string, delayS = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: jobId,
        DelaySeconds: Math.min(SQS_MAX_DELAY_S, delayS),
      }),
    );
  }

  /** Deletes the message; a stale receipt is not an error (the message reappears and is dealt with then). */
  async delete(receipt: string): Promise<void> {
    try {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
    } catch (err) {
      if (!isStaleReceipt(err)) throw err;
    }
  }

  /**
   * Hides the message for `seconds` from now; false when the receipt is stale. SQS refuses invisibility
   * past 12 h from the receive, so a hide stops a minute short of that (the receive was moments ago).
   */
  async hide(receipt: string, seconds: number): Promise<boolean> {
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receipt,
          VisibilityTimeout: Math.min(SQS_MAX_VISIBILITY_S - 60, Math.max(0, seconds)),
        }),
      );
      return true;
    } catch (err) {
      if (isStaleReceipt(err)) return false;
      throw err;
    }
  }

  /** Messages waiting (visible) plus delayed ones (retries in backoff): approximate, as SQS says. */
  async backlog(): Promise<number> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }
}
