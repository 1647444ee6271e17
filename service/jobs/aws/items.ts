/**
 * The jobs table's items, by hand (lib-dynamodb is not a dependency): the few attribute shapes the backend
 * writes, an expression helper that declares exactly the `#names` and `:values` an expression uses
 * (DynamoDB rejects unused ones), and the mapping from a job item to the contract's JobRecord.
 *
 * Input and result are stored as JSON strings, not as nested maps: they come back byte for byte, and the
 * backend needs no general marshaller.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { JobRecord, JobState } from "../backend";

export type Item = Record<string, AttributeValue>;
export type Scalar = string | number;

/** Attribute names of a job item. */
export const ATTR = {
  id: "id",
  kind: "kind",
  input: "inputJson",
  status: "status",
  attempts: "attempts",
  progress: "progress",
  result: "resultJson",
  error: "error",
  createdAt: "createdAt",
  startedAt: "startedAt",
  finishedAt: "finishedAt",
  /** The current lease's id (Lease.token); absent when no worker holds the job. */
  leaseToken: "leaseToken",
  /** Epoch ms when the current lease runs out, unless extended. */
  leaseExpiresAt: "leaseExpiresAt",
  /** The latest receipt handle of the job's message: heartbeats and the final delete use it. */
  receipt: "receipt",
  /** Epoch ms before which a retrying job is not claimed. */
  notBefore: "notBefore",
  idempotencyKey: "idempotencyKey",
  deadPk: "deadPk",
  expiresAt: "expiresAt",
  /** On a queued or running job: its shard of the sweep index (sweep.ts); removed when it finishes. */
  sweepPk: "sweepPk",
  /** Epoch ms when the sweeper looks at the job: its send is unconfirmed, its message near SQS's
   * retention, or its lease long expired. */
  sweepAt: "sweepAt",
  /** On a job a schedule's tick enqueued: the schedule's name and the tick's ISO time. */
  scheduleName: "scheduleName",
  scheduleTick: "scheduleTick",
  /** On an idempotency item: the job it points to, and the request's fingerprint. */
  jobId: "jobId",
  fingerprint: "fingerprint",
} as const;

/** Idempotency items share the table with jobs under a prefix no job id (a UUID) can start with. */
export const IDEMPOTENCY_PREFIX = "idem#";

export function marshal(value: Scalar): AttributeValue {
  return typeof value === "number" ? { N: String(value) } : { S: value };
}

export function str(item: Item, name: string): string | undefined {
  const value = item[name];
  return value && "S" in value ? value.S : undefined;
}

export function num(item: Item, name: string): number | undefined {
  const value = item[name];
  return value && "N" in value && value.N !== undefined ? Number(value.N) : undefined;
}

export interface Expression {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

/**
 * Declares the `#name` and `:value` tokens that the given expressions use: every `#x` stands for the
 * attribute `x` (so reserved words such as `status` need no thought), and values not used are left out.
 */
export function expression(expressions: (string | undefined)[], values: Record<string, Scalar> = {}): Expression {
  const text = expressions.filter(Boolean).join(" ");
  const names = Object.fromEntries([...new Set(text.match(/#\w+/g) ?? [])].map((token) => [token, token.slice(1)]));
  const used = Object.entries(values).filter(([token]) => new RegExp(`${token}(?!\\w)`).test(text));
  return {
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(used.length > 0
      ? { ExpressionAttributeValues: Object.fromEntries(used.map(([token, value]) => [token, marshal(value)])) }
      : {}),
  };
}

export function isJobItem(item: Item | undefined): item is Item {
  return (
    item !== undefined && str(item, ATTR.kind) !== undefined && !str(item, ATTR.id)?.startsWith(IDEMPOTENCY_PREFIX)
  );
}

export function toJobRecord(item: Item): JobRecord {
  const resultJson = str(item, ATTR.result);
  const record: JobRecord = {
    id: str(item, ATTR.id)!,
    kind: str(item, ATTR.kind)!,
    input: JSON.parse(str(item, ATTR.input) ?? "null"),
    status: str(item, ATTR.status) as JobState,
    attempts: num(item, ATTR.attempts) ?? 0,
    progress: num(item, ATTR.progress) ?? 0,
    createdAt: str(item, ATTR.createdAt)!,
  };
  if (resultJson !== undefined) record.result = JSON.parse(resultJson);
  const error = str(item, ATTR.error);
  if (error !== undefined) record.error = error;
  const startedAt = str(item, ATTR.startedAt);
  if (startedAt !== undefined) record.startedAt = startedAt;
  const finishedAt = str(item, ATTR.finishedAt);
  if (finishedAt !== undefined) record.finishedAt = finishedAt;
  const scheduleName = str(item, ATTR.scheduleName);
  const scheduleTick = str(item, ATTR.scheduleTick);
  if (scheduleName !== undefined && scheduleTick !== undefined)
    record.schedule = { name: scheduleName, tick: scheduleTick };
  return record;
}
