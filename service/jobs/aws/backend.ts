/**
 * The AWS job backend (JOBS_BACKEND=aws): SQS carries job ids, DynamoDB holds the state, S3 the results.
 *
 * The table is the source of truth; the queue only wakes workers. Every transition is one conditional
 * UpdateItem/PutItem, so a stale lease, a duplicate delivery or a message that outlived its job cannot
 * overwrite a newer state, and a message whose job is finished or gone is deleted when it shows up.
 *
 * Attempts are counted in the table (`attempts`), never from SQS's ApproximateReceiveCount, which also
 * counts receives that start no attempt: a duplicate delivery, a worker killed between receive and claim,
 * a long poll whose client went away. A retry or a release puts a fresh message (DelaySeconds for the
 * backoff) and deletes the old one, so only such receives and crashes count against the redrive
 * (maxReceiveCount = JOBS_MAX_ATTEMPTS, as the infra sets it). Whatever the redrive moves, the claims
 * settle from the DLQ by the table (reconcileDeadLetters): a job with attempts left goes back to the
 * queue, one whose last lease expired ends failed (as SQLite's claim does), so maxAttempts means the same
 * on both backends, and the DLQ is emptied: the failed jobs are in the table.
 *
 * Write orders, each chosen so that a crash between two writes loses nothing:
 * - enqueue: idempotency item (attribute_not_exists) → job item (attribute_not_exists, with an unconfirmed
 *   send: `sweepAt` a minute ahead) → message → confirm (`sweepAt` a retention ahead). A crash after the
 *   first write leaves a key pointing at a job id that does not exist yet: the client's retry with the same
 *   key creates that very id, so one key never yields two jobs. A crash or a failed send after the job
 *   write leaves it recorded and unsent: the sweeper (sweep.ts) sends it, so the job is accepted (202)
 *   as soon as it is written, and a retry with the same key answers that job, which will run. Nothing
 *   is ever "abandoned", so no key is freed while its job may run.
 * - retry / release: fresh message → table → delete the old message. A crash in between leaves two messages
 *   for one job; the claim of the second finds the job taken and leaves it to the lease.
 * - redrive (retryDead): table (queued, unconfirmed) → message → confirm, as enqueue.
 * - finish: table → (DLQ signal for a failed job) → delete the message.
 * The DLQ is never storage: a failed job lives in the table (until JOBS_RETENTION_S); its id is sent to
 * the DLQ only as a signal (the failed-jobs alarm counts those sends), and the next reconciliation deletes
 * every DLQ message whose job the table has settled.
 */
import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type {
  BackendCapabilities,
  ClaimOptions,
  FailOptions,
  JobBackend,
  JobFilter,
  JobRecord,
  Lease,
  LeaseStatus,
  NewJob,
} from "../backend";
import { FINISHED_STATES, type JobState } from "../backend";
import { IdempotencyConflictError, JobNotFoundError, JobStateError } from "../errors";
import { DEFAULT_JOBS_RETENTION_S, idempotencyKeyTtlS, SWEEP_INTERVAL_MS } from "../timing";
import { isTickMessage, takeTickMessage } from "../ticks";
import { boundedClientConfig, DEFAULT_SDK_TIMEOUTS, type SdkTimeouts } from "./client-config";
import type { AwsJobsConfig } from "./config";
import { scanJobs } from "./list";
import {
  ATTR,
  IDEMPOTENCY_PREFIX,
  expression,
  isJobItem,
  num,
  str,
  toJobRecord,
  type Item,
  type Scalar,
} from "./items";
import {
  JobQueue,
  SQS_MAX_DELAY_S,
  SQS_MAX_RECEIVE,
  SQS_MAX_VISIBILITY_S,
  SQS_MAX_WAIT_S,
  toSqsSeconds,
  type Received,
} from "./queue";
import { pause } from "./pause";
import { S3ResultStore } from "./results";
import { leasedSweepAt, sentSweepAt, sweep, sweepShard, unsentSweepAt } from "./sweep";
import { DEAD_LETTER_PARTITION, JOBS_TABLE } from "./table-schema";

/** DynamoDB's item limit is 400 KB for everything in the item; the input gets most of it, leaving room for
 * the result and the bookkeeping attributes. */
export const AWS_MAX_INPUT_BYTES = 256 * 1024;

export const AWS_CAPABILITIES: BackendCapabilities = {
  name: "aws",
  fifo: false,
  maxInputBytes: AWS_MAX_INPUT_BYTES,
  leaseGranularityMs: 1000,
  approximateBacklog: true,
};

/**
 * A received message stays hidden this long until its claim is written and `hide` sets the lease's own
 * visibility. Short, because a long poll that is aborted (a draining worker) may still have taken a
 * message that nobody will see: it comes back after this, not after a whole lease. Long enough for one
 * conditional write on a loaded machine; a claim slower than that only meets a duplicate, which the table
 * guard turns away.
 */
const CLAIM_VISIBILITY_S = 2;

/**
 * A claim also settles the DLQ (reconcileDeadLetters) whenever its receive came back empty, and at least
 * this often while the queue is busy, so a job redriven by receives that started no attempt waits seconds
 * in the DLQ, not until the fleet is idle.
 */
const DEAD_LETTER_POLL_MS = 10_000;
/** A DLQ message is hidden this long while its job is looked up and settled. */
const DEAD_LETTER_CLAIM_VISIBILITY_S = 5;
/**
 * A DLQ message that is not a job id (not ours) is hidden this long for the operator, so the claims do not
 * re-read it in a loop. SQS caps a message's invisibility at 12 h from its receive, so an hour below that.
 */
const FOREIGN_DEAD_LETTER_HIDE_S = SQS_MAX_VISIBILITY_S - 3600;

/** An upload of a large result may legitimately take longer than a table or queue call. */
const RESULT_UPLOAD_EXTRA_MS = 30_000;

/** How long an empty short poll waits before the next one while a sub-second claim wait runs out. */
const SHORT_POLL_PAUSE_MS = 100;

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AwsBackendOptions {
  config: AwsJobsConfig;
  /** JOBS_MAX_ATTEMPTS. */
  maxAttempts: number;
  /** Epoch ms; tests may move time. */
  clock?: () => number;
  /** Where best-effort cleanups (a message delete, a DLQ record) report failures they do not throw. */
  warn?: (err: unknown, msg: string) => void;
  /** JOBS_RETENTION_S: a finished job's item expires (TTL) this long after it finished. */
  retentionS?: number;
  /** Bounded SDK timeouts (timing.ts); tests shorten them. */
  sdkTimeouts?: SdkTimeouts;
}

export class AwsJobBackend implements JobBackend {
  readonly capabilities = AWS_CAPABILITIES;
  readonly results: S3ResultStore;
  private readonly ddb: DynamoDBClient;
  /** Long polls only. */
  private readonly sqs: SQSClient;
  /** Every other SQS call: within the short bound. */
  private readonly sqsShort: SQSClient;
  private readonly s3: S3Client;
  private readonly queue: JobQueue;
  private readonly table: string;
  private readonly maxAttempts: number;
  private readonly clock: () => number;
  private readonly warn: (err: unknown, msg: string) => void;
  private readonly deadLetters: JobQueue;
  private readonly retentionS: number;
  private lastDeadLetterPollMs = 0;
  private lastSweepMs = 0;
  /** Housekeeping (DLQ reconciliation, the sweep) in flight: one at a time, awaited by close(). */
  private housekeeping: Promise<void> | undefined;
  /** Aborts long polls in flight when the backend closes. */
  private readonly closing = new AbortController();

  constructor(options: AwsBackendOptions) {
    const { config } = options;
    // Endpoints come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables (emulators in tests).
    const timeouts = options.sdkTimeouts ?? DEFAULT_SDK_TIMEOUTS;
    this.ddb = new DynamoDBClient({ ...boundedClientConfig(timeouts), region: config.region });
    // The client's endpoint, not the queue URL's host: they are the same on AWS, and an emulator's queue
    // URLs name a host (sqs.<region>.localhost) that does not resolve. Its request timeout leaves room for
    // a long poll (SQS_MAX_WAIT_S); every other SQS call still gives up within the bound.
    this.sqs = new SQSClient({
      ...boundedClientConfig(timeouts, SQS_MAX_WAIT_S * 1000),
      region: config.region,
      useQueueUrlAsEndpoint: false,
    });
    this.sqsShort = new SQSClient({
      ...boundedClientConfig(timeouts),
      region: config.region,
      useQueueUrlAsEndpoint: false,
    });
    // Path-style for an emulator (its buckets are not DNS names); virtual-hosted on AWS. Only the worker
    // uploads, and a result may be tens of MB: its requests get RESULT_UPLOAD_EXTRA_MS more.
    this.s3 = new S3Client({
      ...boundedClientConfig(timeouts, RESULT_UPLOAD_EXTRA_MS),
      region: config.region,
      forcePathStyle: config.s3ForcePathStyle,
    });
    this.queue = new JobQueue(this.sqs, config.queueUrl, this.sqsShort);
    this.deadLetters = new JobQueue(this.sqs, config.deadLetterQueueUrl, this.sqsShort);
    this.retentionS = options.retentionS ?? DEFAULT_JOBS_RETENTION_S;
    this.results = new S3ResultStore(this.s3, config.resultsBucket, config.resultsBaseUrl, this.retentionS, () =>
      this.clock(),
    );
    this.table = config.table;
    this.maxAttempts = options.maxAttempts;
    this.clock = options.clock ?? Date.now;
    this.warn = options.warn ?? warnOnStderr;
  }

  // --- the table ---------------------------------------------------------------------------------------

  private async read(id: string): Promise<Item | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { [ATTR.id]: { S: id } }, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** A conditional UpdateItem: the returned attributes, or null when the condition did not hold. */
  private async update(
    id: string,
    update: string,
    condition: string,
    values: Record<string, Scalar>,
    returnValues: "ALL_NEW" | "ALL_OLD" | "NONE" = "ALL_NEW",
  ): Promise<Item | null> {
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [ATTR.id]: { S: id } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ReturnValues: returnValues,
          ...expression([update, condition], values),
        }),
      );
      return out.Attributes ?? {};
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return null;
      throw err;
    }
  }

  /** A PutItem that only creates: false when an item with that id exists (and `unless` does not hold). */
  private async create(item: Item, unless?: { condition: string; values: Record<string, Scalar> }): Promise<boolean> {
    const condition = `attribute_not_exists(#${ATTR.id})${unless ? ` OR ${unless.condition}` : ""}`;
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: condition,
          ...expression([condition], unless?.values),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  private expiry(fromMs: number, retentionS: number): number {
    return Math.floor(fromMs / 1000) + retentionS;
  }

  // --- enqueue -----------------------------------------------------------------------------------------

  async enqueue(job: NewJob, now = new Date(this.clock())): Promise<{ job: JobRecord; created: boolean }> {
    const inputJson = JSON.stringify(job.input ?? null);
    if (Buffer.byteLength(inputJson) > AWS_MAX_INPUT_BYTES) {
      throw new RangeError(
        `job input is ${Buffer.byteLength(inputJson)} bytes: the AWS backend stores at most ${AWS_MAX_INPUT_BYTES}`,
      );
    }
    let id: string = randomUUID();
    const key = job.idempotencyKey;
    if (key !== undefined) {
      const reserved = await this.reserveKey(key, job.fingerprint ?? "", id, now.getTime());
      if (reserved !== id) {
        const existing = await this.get(reserved);
        if (existing) return { job: existing, created: false };
        // The request that reserved the key has not written its job yet (or died before it did): create
        // the job under the reserved id; attribute_not_exists lets exactly one of us succeed.
        id = reserved;
      }
    }
    const pendingSweepAt = unsentSweepAt(this.clock());
    const item: Item = {
      [ATTR.id]: { S: id },
      [ATTR.kind]: { S: job.kind },
      [ATTR.input]: { S: inputJson },
      [ATTR.status]: { S: "queued" },
      [ATTR.attempts]: { N: "0" },
      [ATTR.progress]: { N: "0" },
      [ATTR.createdAt]: { S: now.toISOString() },
      [ATTR.sweepPk]: { S: sweepShard(id) },
      [ATTR.sweepAt]: { N: String(pendingSweepAt) },
      ...(key !== undefined ? { [ATTR.idempotencyKey]: { S: key } } : {}),
      ...(job.schedule
        ? { [ATTR.scheduleName]: { S: job.schedule.name }, [ATTR.scheduleTick]: { S: job.schedule.tick } }
        : {}),
    };
    if (!(await this.create(item))) {
      const existing = await this.get(id);
      if (!existing) throw new Error(`job ${id} was created and vanished at once`);
      return { job: existing, created: false };
    }
    // Recorded: from here the job is accepted, whatever happens to this process or this send.
    await this.sendAndConfirm(id, pendingSweepAt);
    return { job: toJobRecord(item), created: true };
  }

  /**
   * Sends a recorded job's message and confirms it (its next sweep a retention later). A send that fails is
   * only a warning: the job stays recorded with its unconfirmed `sweepAt`, and the sweeper sends it.
   */
  private async sendAndConfirm(id: string, pendingSweepAt: number): Promise<void> {
    try {
      await this.queue.send(id);
    } catch (err) {
      this.warn(err, "could not send a recorded job's message; the sweeper will");
      return;
    }
    try {
      await this.update(id, `SET #sweepAt = :next`, `#status = :queued AND #sweepAt = :pending`, {
        ":queued": "queued",
        ":pending": pendingSweepAt,
        ":next": sentSweepAt(this.clock()),
      });
    } catch (err) {
      // Unconfirmed, the sweeper sends it once more: a duplicate message, which the claim turns away.
      this.warn(err, "could not confirm a job's send; the sweeper will send it again");
    }
  }

  /** Reserves the key for `id`, or answers the id it already points to; a different body is a conflict. */
  private async reserveKey(key: string, fingerprint: string, id: string, nowMs: number): Promise<string> {
    const itemId = IDEMPOTENCY_PREFIX + key;
    const created = await this.create(
      {
        [ATTR.id]: { S: itemId },
        [ATTR.jobId]: { S: id },
        [ATTR.fingerprint]: { S: fingerprint },
        [ATTR.expiresAt]: { N: String(this.expiry(nowMs, idempotencyKeyTtlS(this.retentionS))) },
      },
      // TTL deletes lazily (up to days late): an expired key is free even while its item lingers.
      { condition: `#${ATTR.expiresAt} < :nowS`, values: { ":nowS": Math.floor(nowMs / 1000) } },
    );
    if (created) return id;
    const existing = await this.read(itemId);
    if (!existing) return this.reserveKey(key, fingerprint, id, nowMs); // expired and deleted in between
    if (str(existing, ATTR.fingerprint) !== fingerprint) throw new IdempotencyConflictError(key);
    return str(existing, ATTR.jobId)!;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    const item = await this.read(id);
    // TTL deletes lazily (up to days late): a job past its retention is gone, as on SQLite.
    const expiresAtS = item && num(item, ATTR.expiresAt);
    if (expiresAtS !== undefined && expiresAtS * 1000 <= this.clock()) return undefined;
    return isJobItem(item) ? toJobRecord(item) : undefined;
  }

  /** The job a key names, if the key is live: what a retry is answered with before any admission check. */
  async findByKey(key: string, fingerprint: string, now = new Date(this.clock())): Promise<JobRecord | undefined> {
    const item = await this.read(IDEMPOTENCY_PREFIX + key);
    if (!item || (num(item, ATTR.expiresAt) ?? 0) < Math.floor(now.getTime() / 1000)) return undefined;
    if (str(item, ATTR.fingerprint) !== fingerprint) throw new IdempotencyConflictError(key);
    return this.get(str(item, ATTR.jobId)!);
  }

  // --- claim -------------------------------------------------------------------------------------------

  async claim(options: ClaimOptions): Promise<Lease[]> {
    // Real time for the wait (the injected clock is the table's time, which tests may hold still).
    const deadline = Date.now() + Math.max(0, options.waitMs);
    const visibilityS = Math.min(CLAIM_VISIBILITY_S, toSqsSeconds(options.leaseMs, 1, SQS_MAX_VISIBILITY_S));
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    for (;;) {
      if (signal.aborted) return [];
      const remainingMs = deadline - Date.now();
      let received: Received[];
      try {
        received = await this.queue.receive(options.max, Math.floor(remainingMs / 1000), visibilityS, signal);
      } catch (err) {
        if (signal.aborted) return [];
        throw err;
      }
      // allSettled: a lease already written for one message must reach the worker even if another
      // message's claim failed, or that job would sit leased to nobody until the lease ran out.
      const settled = await Promise.allSettled(received.map((m) => this.claimMessage(m, options.leaseMs)));
      const leases = settled.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failure) {
        if (leases.length === 0) throw failure.reason;
        this.warn(
          failure.reason,
          "could not claim a received job (its message comes back after the claim's visibility)",
        );
      }
      if (received.length === 0 || this.clock() - this.lastDeadLetterPollMs >= DEAD_LETTER_POLL_MS) {
        // With leases in hand, not awaited: their heartbeats start only once the claim returns, and a slow
        // DLQ or table must not let them run out (the leases already count from their write).
        const chores = this.houseKeep();
        if (leases.length === 0) await chores;
      }
      const left = deadline - Date.now();
      if (leases.length > 0 || left <= 0) return leases;
      if (left < 1000 && received.length === 0) {
        await pause(Math.min(left, SHORT_POLL_PAUSE_MS), signal);
      }
    }
  }

  /** Turns a delivered message into a lease, or settles the message when its job cannot be claimed. */
  private async claimMessage(message: Received, leaseMs: number): Promise<Lease | undefined> {
    const { jobId: id, receipt } = message;
    if (isTickMessage(id)) {
      // EventBridge Scheduler's tick (ticks.ts): recorded as a job under the tick's key, then deleted; a
      // failed enqueue leaves the message to come back after the claim's visibility.
      const outcome = await takeTickMessage(this, id, this.clock());
      if (outcome === "invalid") this.warn(new Error(id.slice(0, 200)), "deleting a tick message that is not valid");
      await this.queue.delete(receipt);
      return undefined;
    }
    if (!JOB_ID.test(id)) {
      this.warn(new Error(`not a job id: ${JSON.stringify(id.slice(0, 80))}`), "deleting a foreign message");
      await this.queue.delete(receipt);
      return undefined;
    }
    // Two rounds: the state read after a failed condition may already have moved on.
    for (let round = 0; round < 2; round++) {
      const nowMs = this.clock();
      const token = randomUUID();
      const claimed = await this.update(
        id,
        `SET #status = :running, #attempts = #attempts + :one, #leaseToken = :token, #leaseExpiresAt = :leaseEnd, ` +
          `#receipt = :receipt, #startedAt = if_not_exists(#startedAt, :nowIso), #sweepAt = :sweepAt REMOVE #notBefore`,
        `#attempts < :max AND ((#status = :queued AND (attribute_not_exists(#notBefore) OR #notBefore <= :now)) ` +
          `OR (#status = :running AND #leaseExpiresAt <= :now))`,
        {
          ":running": "running",
          ":queued": "queued",
          ":one": 1,
          ":token": token,
          ":leaseEnd": nowMs + leaseMs,
          ":sweepAt": leasedSweepAt(nowMs + leaseMs),
          ":receipt": receipt,
          ":nowIso": this.iso(nowMs),
          ":max": this.maxAttempts,
          ":now": nowMs,
        },
      );
      if (claimed) {
        // Restart the message's invisibility now, after the table's lease began: the message then
        // reappears no earlier than the lease ends, so the next receive finds the lease expired.
        // A failed hide must not orphan the lease just written (the job would sit leased to nobody, its
        // attempt spent): the message then reappears after the receive's short hide, another worker's
        // claim finds the lease held and turns it away, and this worker's first heartbeat hides it again.
        await this.queue
          .hide(receipt, toSqsSeconds(leaseMs, 1, SQS_MAX_VISIBILITY_S))
          .catch((err: unknown) => this.warn(err, "could not hide a claimed job's message; its heartbeat will"));
        const job = toJobRecord(claimed);
        return { job, attempt: job.attempts, token };
      }
      const item = await this.read(id);
      if (!isJobItem(item) || FINISHED_STATES.includes(str(item, ATTR.status) as JobState)) {
        await this.queue.delete(receipt); // finished, canceled or gone: the message has done its work
        return undefined;
      }
      const status = str(item, ATTR.status);
      const attempts = num(item, ATTR.attempts) ?? 0;
      const leaseEnd = num(item, ATTR.leaseExpiresAt) ?? 0;
      const notBefore = num(item, ATTR.notBefore) ?? 0;
      if (status === "running" && leaseEnd > nowMs) {
        // A duplicate delivery while a worker holds the job: its heartbeats must now use this newest
        // receipt (SQS honours only the latest); the message shows up again when the lease would end.
        await this.update(id, `SET #receipt = :receipt`, `#status = :running AND #leaseToken = :token`, {
          ":receipt": receipt,
          ":running": "running",
          ":token": str(item, ATTR.leaseToken) ?? "",
        });
        await this.queue.hide(receipt, toSqsSeconds(leaseEnd - nowMs, 1, SQS_MAX_VISIBILITY_S) + 1);
        return undefined;
      }
      if (status === "queued" && notBefore > nowMs && attempts < this.maxAttempts) {
        await this.queue.hide(receipt, toSqsSeconds(notBefore - nowMs, 1, SQS_MAX_VISIBILITY_S));
        return undefined;
      }
      if (this.exhausted(item, nowMs)) {
        if (await this.endExhausted(item, nowMs)) {
          await this.recordDead(id);
          await this.queue.delete(receipt);
          return undefined;
        }
      }
    }
    return undefined; // still contended: the message comes back after its visibility timeout
  }

  /** DLQ reconciliation, and the sweep when it is due: one run at a time; failures are warnings. */
  private houseKeep(): Promise<void> {
    this.housekeeping ??= (async () => {
      await this.reconcileDeadLetters().catch((err: unknown) => this.warn(err, "could not reconcile the DLQ"));
      if (this.clock() - this.lastSweepMs >= SWEEP_INTERVAL_MS) {
        await this.sweep().catch((err: unknown) => this.warn(err, "could not sweep the jobs table"));
      }
    })().finally(() => (this.housekeeping = undefined));
    return this.housekeeping;
  }

  /** No attempt left, and none running: a queued job with its attempts used, or the last lease expired. */
  private exhausted(item: Item, nowMs: number): boolean {
    const attempts = num(item, ATTR.attempts) ?? 0;
    const status = str(item, ATTR.status);
    const leaseEnd = num(item, ATTR.leaseExpiresAt) ?? 0;
    return attempts >= this.maxAttempts && (status === "queued" || (status === "running" && leaseEnd <= nowMs));
  }

  /** Ends an exhausted job failed, as SQLite's claim does; false when its state moved on meanwhile. */
  private async endExhausted(item: Item, nowMs: number): Promise<boolean> {
    const attempts = num(item, ATTR.attempts) ?? 0;
    const status = str(item, ATTR.status) ?? "";
    const error =
      status === "running"
        ? `lease expired on the last attempt (${attempts} of ${this.maxAttempts}): the worker stopped heartbeating`
        : (str(item, ATTR.error) ?? `no attempts left (${attempts} of ${this.maxAttempts})`);
    const ended = await this.update(
      str(item, ATTR.id)!,
      `SET #status = :failed, #error = :error, #finishedAt = :nowIso, #deadPk = :dead, #expiresAt = :exp ` +
        `REMOVE #leaseToken, #leaseExpiresAt, #receipt, #notBefore, #sweepPk, #sweepAt`,
      status === "running"
        ? `#status = :status AND #attempts = :attempts AND #leaseToken = :token AND #leaseExpiresAt <= :now`
        : `#status = :status AND #attempts = :attempts`,
      {
        ":failed": "failed",
        ":error": error,
        ":nowIso": this.iso(nowMs),
        ":dead": DEAD_LETTER_PARTITION,
        ":exp": this.expiry(nowMs, this.retentionS),
        ":status": status,
        ":attempts": attempts,
        ":token": str(item, ATTR.leaseToken) ?? "",
        ":now": nowMs,
      },
      "NONE",
    );
    return ended !== null;
  }

  /**
   * Settles what the redrive moved to the DLQ. SQS counts every receive, also those that start no attempt
   * (a duplicate, a worker killed between receive and claim, a long poll whose client is gone), so a job
   * with attempts left can be redriven; and when every attempt's worker died, the receive that would end
   * the job is redriven too. The table decides: a job with attempts left gets a fresh message in the jobs
   * queue (its receive count starts again); an exhausted one ends failed; the message of a job the table
   * has settled (failed, succeeded, canceled, gone) is deleted. Holding failed jobs' messages here (hidden
   * for hours) would make the DLQ's in-flight count track days of failures, and past SQS's in-flight quota
   * (~120,000) the receive fails with OverLimit and reconciliation stops.
   */
  private async reconcileDeadLetters(): Promise<void> {
    this.lastDeadLetterPollMs = this.clock();
    const received = await this.deadLetters.receive(SQS_MAX_RECEIVE, 0, DEAD_LETTER_CLAIM_VISIBILITY_S);
    await Promise.all(
      received.map(async ({ jobId: id, receipt }) => {
        const item = JOB_ID.test(id) ? await this.read(id) : undefined;
        const nowMs = this.clock();
        const status = item && isJobItem(item) ? str(item, ATTR.status) : undefined;
        if (status === undefined || status === "succeeded" || status === "canceled") {
          if (JOB_ID.test(id)) await this.deadLetters.delete(receipt);
          else await this.deadLetters.hide(receipt, FOREIGN_DEAD_LETTER_HIDE_S); // not ours: for the operator
          return;
        }
        // Failed in the table (where the dead letters are listed and redriven from): the copy goes.
        if (status === "failed" || (this.exhausted(item!, nowMs) && (await this.endExhausted(item!, nowMs)))) {
          await this.deadLetters.delete(receipt);
          return;
        }
        const notBefore = num(item!, ATTR.notBefore) ?? 0;
        await this.queue.send(id, toSqsSeconds(Math.max(0, notBefore - nowMs), 0, SQS_MAX_DELAY_S));
        await this.deadLetters.delete(receipt);
      }),
    );
  }

  private async recordDead(id: string): Promise<void> {
    try {
      await this.deadLetters.send(id);
    } catch (err) {
      this.warn(err, "could not record a dead job in the DLQ (the table has it)");
    }
  }

  // --- a held lease ------------------------------------------------------------------------------------

  /** Why a guarded write on a lease did not hold: the job was canceled, or the lease is not ours. */
  private async lostOrCanceled(lease: Lease): Promise<LeaseStatus> {
    const item = await this.read(lease.job.id);
    return item && str(item, ATTR.status) === "canceled" ? "canceled" : "lost";
  }

  private held(lease: Lease): { condition: string; values: Record<string, Scalar> } {
    return {
      condition: `#status = :running AND #leaseToken = :token`,
      values: { ":running": "running", ":token": lease.token },
    };
  }

  /** A guarded no-op write: a stale lease sends no fresh message (only a race between the two can). */
  private async stillHeld(lease: Lease): Promise<boolean> {
    const guard = this.held(lease);
    return (
      (await this.update(lease.job.id, `SET #leaseToken = :token`, guard.condition, guard.values, "NONE")) !== null
    );
  }

  async extendLease(lease: Lease, leaseMs: number): Promise<LeaseStatus> {
    const guard = this.held(lease);
    const leaseEnd = this.clock() + leaseMs;
    const item = await this.update(
      lease.job.id,
      `SET #leaseExpiresAt = :leaseEnd, #sweepAt = :sweepAt`,
      guard.condition,
      {
        ...guard.values,
        ":leaseEnd": leaseEnd,
        ":sweepAt": leasedSweepAt(leaseEnd),
      },
    );
    if (!item) return this.lostOrCanceled(lease);
    const receipt = str(item, ATTR.receipt);
    // A stale receipt is no loss: the table's lease keeps others off, and the next receive records a new one.
    if (receipt) await this.queue.hide(receipt, toSqsSeconds(leaseMs, 1, SQS_MAX_VISIBILITY_S));
    return "held";
  }

  async progress(lease: Lease, fraction: number): Promise<LeaseStatus> {
    const guard = this.held(lease);
    const value = Math.min(1, Math.max(0, fraction));
    const item = await this.update(
      lease.job.id,
      `SET #progress = :p`,
      guard.condition,
      { ...guard.values, ":p": value },
      "NONE",
    );
    return item ? "held" : this.lostOrCanceled(lease);
  }

  async complete(lease: Lease, result: unknown): Promise<boolean> {
    const guard = this.held(lease);
    const nowMs = this.clock();
    const old = await this.update(
      lease.job.id,
      `SET #status = :succeeded, #resultJson = :result, #progress = :one, #finishedAt = :nowIso, #expiresAt = :exp ` +
        `REMOVE #leaseToken, #leaseExpiresAt, #receipt, #error, #sweepPk, #sweepAt`,
      guard.condition,
      {
        ...guard.values,
        ":succeeded": "succeeded",
        ":result": JSON.stringify(result ?? null),
        ":one": 1,
        ":nowIso": this.iso(nowMs),
        ":exp": this.expiry(nowMs, this.retentionS),
      },
      "ALL_OLD",
    );
    if (!old) return false;
    await this.settle(str(old, ATTR.receipt));
    return true;
  }

  async fail(lease: Lease, error: string, options: FailOptions): Promise<"retrying" | "failed" | "lost"> {
    const guard = this.held(lease);
    const nowMs = this.clock();
    if (options.permanent || lease.attempt >= this.maxAttempts) {
      const old = await this.update(
        lease.job.id,
        `SET #status = :failed, #error = :error, #finishedAt = :nowIso, #deadPk = :dead, #expiresAt = :exp ` +
          `REMOVE #leaseToken, #leaseExpiresAt, #receipt, #sweepPk, #sweepAt`,
        guard.condition,
        {
          ...guard.values,
          ":failed": "failed",
          ":error": error,
          ":nowIso": this.iso(nowMs),
          ":dead": DEAD_LETTER_PARTITION,
          ":exp": this.expiry(nowMs, this.retentionS),
        },
        "ALL_OLD",
      );
      if (!old) return "lost";
      await this.recordDead(lease.job.id);
      await this.settle(str(old, ATTR.receipt));
      return "failed";
    }
    if (!(await this.stillHeld(lease))) return "lost";
    const delayMs = Math.max(0, options.retryDelayMs);
    // The fresh message first: if it cannot be sent, the lease (still ours in the table) runs out and the
    // old message brings the job back, so the job is never queued without a message.
    await this.queue.send(lease.job.id, toSqsSeconds(delayMs, 0, SQS_MAX_DELAY_S));
    const old = await this.update(
      lease.job.id,
      `SET #status = :queued, #error = :error, #notBefore = :due, #sweepAt = :sweepAt ` +
        `REMOVE #leaseToken, #leaseExpiresAt, #receipt`,
      guard.condition,
      {
        ...guard.values,
        ":queued": "queued",
        ":error": error,
        ":due": nowMs + delayMs,
        ":sweepAt": sentSweepAt(nowMs, delayMs),
      },
      "ALL_OLD",
    );
    if (!old) return "lost"; // the fresh message finds the job in someone else's hands and is dropped
    await this.settle(str(old, ATTR.receipt));
    return "retrying";
  }

  async release(lease: Lease): Promise<void> {
    const guard = this.held(lease);
    if (!(await this.stillHeld(lease))) return;
    await this.queue.send(lease.job.id);
    const old = await this.update(
      lease.job.id,
      `SET #status = :queued, #attempts = #attempts - :one, #sweepAt = :sweepAt ` +
        `REMOVE #leaseToken, #leaseExpiresAt, #receipt, #notBefore`,
      guard.condition,
      { ...guard.values, ":queued": "queued", ":one": 1, ":sweepAt": sentSweepAt(this.clock()) },
      "ALL_OLD",
    );
    if (old) await this.settle(str(old, ATTR.receipt));
  }

  /** Deletes the message of a job whose state is written; a failure only means it is delivered once more. */
  private async settle(receipt: string | undefined): Promise<void> {
    if (!receipt) return;
    try {
      await this.queue.delete(receipt);
    } catch (err) {
      this.warn(err, "could not delete a finished job's message (it will be dropped when redelivered)");
    }
  }

  // --- operator and API --------------------------------------------------------------------------------

  async cancel(id: string, now = new Date(this.clock())): Promise<JobRecord> {
    if (!JOB_ID.test(id)) throw new JobNotFoundError(id);
    const item = await this.update(
      id,
      `SET #status = :canceled, #finishedAt = :nowIso, #expiresAt = :exp ` +
        `REMOVE #leaseToken, #leaseExpiresAt, #notBefore, #sweepPk, #sweepAt`,
      `#status IN (:queued, :running)`,
      {
        ":canceled": "canceled",
        ":queued": "queued",
        ":running": "running",
        ":nowIso": now.toISOString(),
        ":exp": this.expiry(now.getTime(), this.retentionS),
      },
    );
    if (item) {
      // A running job's message goes now; a queued one's is dropped by the worker that receives it.
      await this.settle(str(item, ATTR.receipt));
      return toJobRecord(item);
    }
    const current = await this.read(id);
    if (!isJobItem(current)) throw new JobNotFoundError(id);
    throw new JobStateError(id, str(current, ATTR.status) ?? "unknown", "canceled");
  }

  backlog(): Promise<number> {
    return this.queue.backlog();
  }

  async list(filter: JobFilter): Promise<JobRecord[]> {
    return scanJobs(this.ddb, this.table, filter, this.clock());
  }

  async listDead(limit: number): Promise<JobRecord[]> {
    if (limit < 1) return [];
    const { deadLetterIndex: index } = JOBS_TABLE;
    const condition = `#${index.partitionKey.name} = :dead`;
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: index.name,
        KeyConditionExpression: condition,
        ScanIndexForward: false,
        Limit: limit,
        ...expression([condition], { ":dead": DEAD_LETTER_PARTITION }),
      }),
    );
    return (out.Items ?? []).filter(isJobItem).map(toJobRecord);
  }

  async retryDead(id: string): Promise<JobRecord> {
    if (!JOB_ID.test(id)) throw new JobNotFoundError(id);
    const pendingSweepAt = unsentSweepAt(this.clock());
    // Queued with an unconfirmed send first: if the send below fails or this process dies, the sweeper
    // sends it (never a failed job with a message, nor a queued one without a sweep).
    const item = await this.update(
      id,
      `SET #status = :queued, #attempts = :zero, #progress = :zero, #sweepPk = :shard, #sweepAt = :pending ` +
        `REMOVE #deadPk, #finishedAt, #expiresAt, #notBefore, #leaseToken, #leaseExpiresAt, #receipt`,
      `#status = :failed`,
      { ":queued": "queued", ":failed": "failed", ":zero": 0, ":shard": sweepShard(id), ":pending": pendingSweepAt },
    );
    if (!item) {
      const current = await this.read(id);
      if (!isJobItem(current)) throw new JobNotFoundError(id);
      throw new JobStateError(id, str(current, ATTR.status) ?? "unknown", "retried");
    }
    await this.sendAndConfirm(id, pendingSweepAt);
    return toJobRecord(item);
  }

  /**
   * One pass of the sweeper (sweep.ts): sends a message for every queued or running job the queue may have
   * lost. Resolves with the ids it sent. Workers run it from their claims every SWEEP_INTERVAL_MS.
   */
  async sweep(): Promise<string[]> {
    this.lastSweepMs = this.clock();
    const { sweepIndex: index } = JOBS_TABLE;
    return sweep({
      due: async (shard, nowMs, limit) => {
        const condition = `#${index.partitionKey.name} = :shard AND #${index.sortKey.name} <= :now`;
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index.name,
            KeyConditionExpression: condition,
            Limit: limit,
            ...expression([condition], { ":shard": shard, ":now": nowMs }),
          }),
        );
        return (out.Items ?? []).flatMap((it) => {
          const id = str(it, ATTR.id);
          const at = num(it, ATTR.sweepAt);
          return id && at !== undefined ? [{ id, sweepAt: at }] : [];
        });
      },
      read: (id) => this.read(id),
      update: (id, update, condition, values) => this.update(id, update, condition, values, "NONE"),
      send: (id, delayMs) => this.queue.send(id, toSqsSeconds(delayMs, 0, SQS_MAX_DELAY_S)),
      clock: () => this.clock(),
      warn: (err, msg) => this.warn(err, msg),
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.housekeeping;
    this.ddb.destroy();
    this.sqs.destroy();
    this.sqsShort.destroy();
    this.s3.destroy();
  }
}

/** Without a logger (openBackend has none), a cleanup that failed still leaves a line an operator sees. */
function warnOnStderr(err: unknown, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level: "warn", msg, err: errorText(err) })}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
