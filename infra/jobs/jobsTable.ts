/**
 * The jobs table: one DynamoDB table of job records (and idempotency items) in the shape the AWS backend
 * assumes (its schema is plain data, passed in), on-demand, expiring items through TTL, encrypted with
 * the AWS-managed key, with point-in-time recovery and deletion protection where the stack protects its
 * data (prod).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface KeyAttribute {
  name: string;
  type: "S" | "N" | "B";
}

/** The table as the backend uses it: service/jobs/aws/table-schema.ts JOBS_TABLE, passed in by index.ts. */
export interface JobsTableSchema {
  partitionKey: KeyAttribute;
  /** Epoch-seconds attribute after which DynamoDB deletes the item. */
  ttlAttribute: string;
  /** A secondary index (e.g. the sparse index of dead letters that `jobs dead` lists). */
  deadLetterIndex?: SecondaryIndex;
  /** The sparse index of queued and running jobs the backend's sweeper reads (service/jobs/aws/sweep.ts). */
  sweepIndex?: SecondaryIndex;
}

export interface SecondaryIndex {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  projectionType: "ALL" | "KEYS_ONLY";
}

export interface JobsTableArgs {
  schema: JobsTableSchema;
  /** Point-in-time recovery and deletion protection (35 days of restores; the table survives a stray `destroy`). Default false. */
  protect?: boolean;
  tags?: Record<string, string>;
}

/** The table's inputs from the schema: attributes are exactly the key attributes (DynamoDB refuses others). */
export function tableInputs(schema: JobsTableSchema, protect: boolean) {
  // Adding an index to a table that exists is an in-place UpdateTable (one index per update), never a
  // replacement: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html
  const indexes = [schema.deadLetterIndex, schema.sweepIndex].filter((i): i is SecondaryIndex => i !== undefined);
  const keys = [
    schema.partitionKey,
    ...indexes.flatMap((gsi) => [gsi.partitionKey, ...(gsi.sortKey ? [gsi.sortKey] : [])]),
  ];
  const attributes = [...new Map(keys.map((k) => [k.name, { name: k.name, type: k.type }])).values()];
  return {
    billingMode: "PAY_PER_REQUEST",
    hashKey: schema.partitionKey.name,
    attributes,
    ...(indexes.length > 0
      ? {
          globalSecondaryIndexes: indexes.map((gsi) => ({
            name: gsi.name,
            keySchemas: [
              { attributeName: gsi.partitionKey.name, keyType: "HASH" },
              ...(gsi.sortKey ? [{ attributeName: gsi.sortKey.name, keyType: "RANGE" }] : []),
            ],
            projectionType: gsi.projectionType,
          })),
        }
      : {}),
    ttl: { attributeName: schema.ttlAttribute, enabled: true },
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: protect },
    deletionProtectionEnabled: protect,
  };
}

export class JobsTable extends pulumi.ComponentResource {
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: JobsTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:jobsTable:JobsTable", name, {}, opts);
    const table = new aws.dynamodb.Table(
      name,
      { ...tableInputs(args.schema, args.protect ?? false), tags: args.tags ?? {} },
      { parent: this },
    );
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn });
  }
}
