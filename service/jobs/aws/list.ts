/**
 * `npm run jobs -- list` on the AWS backend: a Scan of the jobs table with the filter as a FilterExpression,
 * page by page, then sorted newest first. A Scan reads the whole table (it is bounded by the table's size,
 * which retention bounds); it is an operator's command, never on a request path, so it needs no index.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.FilterExpression
 */
import { ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { JobFilter, JobRecord } from "../backend";
import { ATTR, expression, isJobItem, num, toJobRecord, type Item, type Scalar } from "./items";

/** Pages read before giving up: 1 MB each, so 100 MB of table; past that the list says it is partial. */
const MAX_SCAN_PAGES = 100;

export async function scanJobs(
  ddb: DynamoDBClient,
  table: string,
  filter: JobFilter,
  nowMs: number,
): Promise<JobRecord[]> {
  const conditions = [`attribute_exists(#${ATTR.kind})`];
  const values: Record<string, Scalar> = {};
  if (filter.status !== undefined) {
    conditions.push(`#${ATTR.status} = :status`);
    values[":status"] = filter.status;
  }
  if (filter.kind !== undefined) {
    conditions.push(`#${ATTR.kind} = :kind`);
    values[":kind"] = filter.kind;
  }
  if (filter.schedule !== undefined) {
    conditions.push(`#${ATTR.scheduleName} = :schedule`);
    values[":schedule"] = filter.schedule;
  }
  const condition = conditions.join(" AND ");
  const items: Item[] = [];
  let start: Item | undefined;
  for (let page = 0; page < MAX_SCAN_PAGES; page++) {
    const out = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: condition,
        ...expression([condition], values),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  // TTL deletes lazily (up to days late): a job past its retention is gone, as get() says.
  const live = items.filter((item) => isJobItem(item) && !((num(item, ATTR.expiresAt) ?? Infinity) * 1000 <= nowMs));
  const jobs = live.map(toJobRecord);
  const when = (job: JobRecord) => (filter.schedule !== undefined ? (job.schedule?.tick ?? "") : job.createdAt);
  jobs.sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0));
  return jobs.slice(0, filter.limit);
}
