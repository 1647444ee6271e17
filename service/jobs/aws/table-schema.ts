/**
 * The jobs table as the AWS backend assumes it, as plain data: the Pulumi program creates the table from
 * this and the emulator tests create the same table from it, so the two cannot drift apart.
 *
 * One item per job (`id` = the job id) and one per idempotency key (`id` = `idem#<key>`), in one table so a
 * POST touches one table. `listDead` reads a sparse GSI: only failed jobs carry `deadPk`, so the index holds
 * the dead letters and nothing else. A scan bounded by `Limit` would read the whole table to find a few
 * failed jobs (Limit counts items read, not items matched) and could not sort newest first; a GSI on
 * `status` would put every queued and running job in one index partition, a hot key at any real rate. The
 * dead letters are few, so their single index partition (`deadPk` = "failed") is not hot.
 *
 * The sweep index is sparse too: only queued and running jobs carry `sweepPk` (one of SWEEP_SHARDS
 * partitions, by the id, so no partition is hot) and `sweepAt` (when the sweeper should look: sweep.ts).
 * A sweep queries each shard for `sweepAt <= now`: it reads only the jobs that need it.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const JOBS_TABLE = {
  partitionKey: { name: "id", type: "S" },
  /** Epoch seconds; DynamoDB deletes the item some time (up to days) after it. */
  ttlAttribute: "expiresAt",
  billingMode: "PAY_PER_REQUEST",
  deadLetterIndex: {
    name: "dead-letters",
    partitionKey: { name: "deadPk", type: "S" },
    /** ISO 8601 UTC, so the string order is the time order: newest first with ScanIndexForward false. */
    sortKey: { name: "finishedAt", type: "S" },
    projectionType: "ALL",
  },
  sweepIndex: {
    name: "sweep",
    partitionKey: { name: "sweepPk", type: "S" },
    /** Epoch ms. */
    sortKey: { name: "sweepAt", type: "N" },
    projectionType: "KEYS_ONLY",
  },
} as const;

/** The value of `deadPk` on a failed job. */
export const DEAD_LETTER_PARTITION = "failed";

/** The CreateTable request for this schema (the tests' emulator; the infra maps the same fields). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, deadLetterIndex, sweepIndex, billingMode } = JOBS_TABLE;
  const indexes = [deadLetterIndex, sweepIndex];
  return {
    TableName: tableName,
    BillingMode: billingMode,
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      ...indexes.flatMap((gsi) => [
        { AttributeName: gsi.partitionKey.name, AttributeType: gsi.partitionKey.type },
        { AttributeName: gsi.sortKey.name, AttributeType: gsi.sortKey.type },
      ]),
    ],
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: "HASH" }],
    GlobalSecondaryIndexes: indexes.map((gsi) => ({
      IndexName: gsi.name,
      KeySchema: [
        { AttributeName: gsi.partitionKey.name, KeyType: "HASH" },
        { AttributeName: gsi.sortKey.name, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: gsi.projectionType },
    })),
  };
}
