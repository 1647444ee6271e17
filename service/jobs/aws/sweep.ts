/**
 * The sweeper of the AWS backend: the table is the truth, SQS only wakes workers, so whatever the table
 * holds as queued or running is made to have a message. It finds, through the sparse sweep index
 * (table-schema.ts), the jobs whose `sweepAt` has come:
 * - a queued job whose send was never confirmed (its writer died between the write and the send, or the
 *   send failed): `sweepAt` was set UNSENT_JOB_SWEEP_S after the write, and the confirmed send moves it on;
 * - a queued job whose message is about to outlive SQS's retention (a backlog waiting days): its last send
 *   plus MESSAGE_RESEND_S, below the queue's retention;
 * - a running job whose lease ran out long ago (RUNNING_SWEEP_GRACE_MS): its worker died and its message
 *   is gone (expired by the retention, or lost) — a live lease's heartbeat keeps moving `sweepAt` ahead.
 * Each is taken with a guarded write (the `sweepAt` it was found with, and for a running job an expired
 * lease), so two sweepers never both send, and a job a worker holds is never sent again; then a message
 * is sent and the send confirmed by moving `sweepAt` to the next re-send. A sweeper that dies after its
 * guarded write leaves `sweepAt` UNSENT_JOB_SWEEP_S ahead: the next sweep takes the job again.
 */
import { createHash } from "node:crypto";
import { QUEUE_RETENTION_S, UNSENT_JOB_SWEEP_S } from "../timing";
import { ATTR, num, str, type Item, type Scalar } from "./items";

/** Partitions of the sweep index: each takes DynamoDB's per-partition write rate, so 16 are ample. */
export const SWEEP_SHARDS = 16;
/** Jobs one sweep takes from each shard; the next sweep takes the rest. */
export const SWEEP_BATCH = 25;
/** A queued job's message is sent again this long after its last send: a day before SQS would drop it. */
export const MESSAGE_RESEND_S = QUEUE_RETENTION_S - 24 * 3600;
/** A running job whose lease ended this long ago without its message bringing it back is re-sent. */
export const RUNNING_SWEEP_GRACE_MS = 5 * 60_000;

export function sweepShard(id: string): string {
  return `sweep#${createHash("sha256").update(id).digest()[0]! % SWEEP_SHARDS}`;
}

/** `sweepAt` of a job just written, before its send is confirmed. */
export const unsentSweepAt = (nowMs: number) => nowMs + UNSENT_JOB_SWEEP_S * 1000;
/** `sweepAt` once a message is known to be in the queue (with the delay it was sent with). */
export const sentSweepAt = (nowMs: number, delayMs = 0) => nowMs + delayMs + MESSAGE_RESEND_S * 1000;
/** `sweepAt` of a running job: its lease end plus the grace; every heartbeat moves it. */
export const leasedSweepAt = (leaseEndMs: number) => leaseEndMs + RUNNING_SWEEP_GRACE_MS;

export interface SweepContext {
  /** Ids in one shard whose sweepAt <= nowMs, with their sweepAt. */
  due(shard: string, nowMs: number, limit: number): Promise<Array<{ id: string; sweepAt: number }>>;
  read(id: string): Promise<Item | undefined>;
  /** Conditional UpdateItem; null when the condition did not hold. */
  update(id: string, update: string, condition: string, values: Record<string, Scalar>): Promise<Item | null>;
  send(id: string, delayMs: number): Promise<void>;
  clock(): number;
  warn(err: unknown, msg: string): void;
}

/** One pass over every shard; resolves with the ids it sent a message for. */
export async function sweep(ctx: SweepContext): Promise<string[]> {
  const nowMs = ctx.clock();
  const shards = Array.from({ length: SWEEP_SHARDS }, (_, i) => `sweep#${i}`);
  const found = (await Promise.all(shards.map((s) => ctx.due(s, nowMs, SWEEP_BATCH)))).flat();
  const sent = await Promise.all(
    found.map(({ id, sweepAt }) =>
      resend(ctx, id, sweepAt, nowMs).catch((err: unknown) => {
        ctx.warn(err, "could not sweep a job; the next sweep tries again");
        return false;
      }),
    ),
  );
  return found.filter((_, i) => sent[i]).map((f) => f.id);
}

async function resend(ctx: SweepContext, id: string, sweepAt: number, nowMs: number): Promise<boolean> {
  const item = await ctx.read(id);
  if (!item) return false;
  const status = str(item, ATTR.status);
  // Take the job: only the sweeper that saw this sweepAt wins, and never while a lease is held.
  const taken = unsentSweepAt(nowMs);
  const guard =
    status === "queued"
      ? `#status = :queued AND #sweepAt = :seen`
      : `#status = :running AND #sweepAt = :seen AND #leaseExpiresAt <= :now`;
  const took = await ctx.update(id, `SET #sweepAt = :taken`, guard, {
    ":queued": "queued",
    ":running": "running",
    ":seen": sweepAt,
    ":now": nowMs,
    ":taken": taken,
  });
  if (!took) return false;
  const delayMs = Math.max(0, (num(item, ATTR.notBefore) ?? 0) - nowMs);
  await ctx.send(id, delayMs);
  // Confirm: unless a claim or a finish moved it meanwhile, the next look is a retention later.
  await ctx.update(id, `SET #sweepAt = :next`, `#sweepAt = :taken`, {
    ":taken": taken,
    ":next": sentSweepAt(ctx.clock(), delayMs),
  });
  return true;
}
