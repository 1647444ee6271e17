/**
 * The price table: one JSON file per supported region (scripts/prices/<region>.json), every price with its
 * unit, the AWS page it belongs to, the copy it was read from, the date and how sure it is. Loading checks
 * the file's shape and names the file and the field that is wrong; a price that could not be found is
 * null, and stays null here: the model reports it as unpriced rather than inventing a number.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const PRICES_DIR = path.resolve(__dirname, "..", "prices");

export const CONFIDENCES = ["exact", "third-party", "other-region", "missing"] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** The service prices the model reads, by key in the file's `prices` object. */
export const PRICE_KEYS = [
  "ebsGp3GbMonth",
  "albHour",
  "albLcuHour",
  "natGatewayHour",
  "natGatewayGb",
  "cloudFrontGbOut",
  "cloudFrontHttps10k",
  "sqsMillionRequests",
  "dynamoDbMillionWrites",
  "dynamoDbMillionReads",
  "dynamoDbGbMonth",
  "s3StandardGbMonth",
  "s3Put1k",
  "s3Get1k",
  "cloudWatchAlarmMetricMonth",
  "cloudWatchDashboardMonth",
  "logsIngestGb",
  "logsStorageGbMonth",
  "vendedLogsGb",
  "kmsKeyMonth",
  "stepFunctions1kTransitions",
  "schedulerMillionInvocations",
  "wafWebAclMonth",
  "wafRuleMonth",
  "wafMillionRequests",
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

export interface PriceEntry {
  /** null: not found; the component that needs it is reported as unpriced. */
  usd: number | null;
  unit: string;
  source: string;
  readFrom: string | null;
  readOn: string;
  confidence: Confidence;
  note?: string;
}

export interface PriceTable {
  region: string;
  currency: "USD";
  readOn: string;
  ec2OnDemandPerHour: Record<string, PriceEntry>;
  prices: Record<PriceKey, PriceEntry>;
  /** Scheduler invocations a month that cost nothing. */
  schedulerFreeInvocations: number;
  spotDiscount: { fraction: number; source: string; confidence: Confidence; note?: string };
}

export class PriceTableError extends Error {
  override name = "PriceTableError";
  constructor(
    message: string,
    readonly file: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function priceFile(region: string, dir = PRICES_DIR): string {
  return path.join(dir, `${region}.json`);
}

/** The regions with a price file. */
export function supportedRegions(dir = PRICES_DIR): string[] {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.slice(0, -".json".length))
        .sort()
    : [];
}

export function loadPriceTable(region: string, dir = PRICES_DIR): PriceTable {
  const file = priceFile(region, dir);
  const shown = path.relative(process.cwd(), file) || file;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) || !fs.existsSync(file)) {
    const known = supportedRegions(dir);
    throw new PriceTableError(
      `no price table for region "${region}": ${shown} not found (priced regions: ${known.join(", ") || "none"}; ` +
        `docs/cost.md says how to add one)`,
      shown,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PriceTableError(`${shown} is not valid JSON: ${(err as Error).message}`, shown);
  }
  return parsePriceTable(raw, shown);
}

function entry(value: unknown, file: string, field: string): PriceEntry {
  const bad = (why: string) => new PriceTableError(`${file}: ${field} ${why}`, file, field);
  if (typeof value !== "object" || value === null) throw bad("is missing or not an object");
  const e = value as Record<string, unknown>;
  if (!(e.usd === null || (typeof e.usd === "number" && Number.isFinite(e.usd) && e.usd >= 0)))
    throw bad(`.usd must be a number ≥ 0 or null (not found); got ${JSON.stringify(e.usd)}`);
  for (const k of ["unit", "source", "readOn"] as const)
    if (typeof e[k] !== "string" || (e[k] as string).length === 0) throw bad(`.${k} must be a non-empty string`);
  if (!/^https:\/\//.test(e.source as string)) throw bad(`.source must be the https URL of the AWS pricing page`);
  if (!(e.readFrom === null || typeof e.readFrom === "string")) throw bad(`.readFrom must be a URL or null`);
  if (!CONFIDENCES.includes(e.confidence as Confidence))
    throw bad(`.confidence must be one of ${CONFIDENCES.join(", ")}; got ${JSON.stringify(e.confidence)}`);
  if ((e.usd === null) !== (e.confidence === "missing"))
    throw bad(`: a null price has confidence "missing", and only a null price has it`);
  return {
    usd: e.usd as number | null,
    unit: e.unit as string,
    source: e.source as string,
    readFrom: e.readFrom as string | null,
    readOn: e.readOn as string,
    confidence: e.confidence as Confidence,
    ...(typeof e.note === "string" ? { note: e.note } : {}),
  };
}

/** Checks a parsed price file; `file` names it in errors. */
export function parsePriceTable(raw: unknown, file: string): PriceTable {
  if (typeof raw !== "object" || raw === null) throw new PriceTableError(`${file}: not a JSON object`, file);
  const r = raw as Record<string, any>;
  if (typeof r.region !== "string") throw new PriceTableError(`${file}: region is missing`, file, "region");
  if (r.currency !== "USD") throw new PriceTableError(`${file}: currency must be "USD"`, file, "currency");
  const ec2: Record<string, PriceEntry> = {};
  for (const [type, v] of Object.entries((r.ec2OnDemandPerHour ?? {}) as Record<string, unknown>))
    ec2[type] = entry(v, file, `ec2OnDemandPerHour.${type}`);
  const prices = {} as Record<PriceKey, PriceEntry>;
  for (const k of PRICE_KEYS) prices[k] = entry(r.prices?.[k], file, `prices.${k}`);
  const free = r.freeTier?.schedulerInvocationsMonth?.count;
  if (!(Number.isInteger(free) && free >= 0))
    throw new PriceTableError(`${file}: freeTier.schedulerInvocationsMonth.count must be an integer ≥ 0`, file);
  const spot = r.spotDiscount ?? {};
  if (!(typeof spot.fraction === "number" && spot.fraction >= 0 && spot.fraction < 1))
    throw new PriceTableError(`${file}: spotDiscount.fraction must be a number from 0 to below 1`, file);
  return {
    region: r.region,
    currency: "USD",
    readOn: String(r.readOn ?? ""),
    ec2OnDemandPerHour: ec2,
    prices,
    schedulerFreeInvocations: free as number,
    spotDiscount: {
      fraction: spot.fraction,
      source: String(spot.readFrom ?? spot.source ?? ""),
      confidence: spot.confidence,
      ...(spot.note ? { note: spot.note } : {}),
    },
  };
}

/** The on-demand hourly price of an instance type, or null when the table has none (or a null one). */
export function instancePrice(table: PriceTable, instanceType: string): number | null {
  return table.ec2OnDemandPerHour[instanceType]?.usd ?? null;
}
