/**
 * npm run cost -- <stack> [--json] [--dir DIR] [assumption flags]
 *
 * What a stack costs a month, offline: the same synth as `npm run synth -- <stack>` (no account), read by
 * scripts/cost/plan.ts, priced from scripts/prices/<aws:region>.json by scripts/cost/model.ts under the
 * usage assumptions below. Prints a table by component with a monthly total (730 h), what the night's
 * drain saves (or the refresh's replacements cost), and what Spot would save on the worker group.
 * A missing stack file, a config error, a plan it cannot read or a region without a price table exits 1
 * with a message naming the file or the resource.
 */
import * as path from "node:path";
import { UsageError, parseOrExit, tokenize } from "./cli";
import { readStackConfig, StackFileError, synth, validateStackConfig } from "./synth";
import { FleetConfigError } from "../infra/shared/config";
import { PlanFactsError, stackFacts } from "./cost/plan";
import { loadPriceTable, PriceTableError, type PriceTable } from "./cost/prices";
import { costReport, DEFAULT_ASSUMPTIONS, type Assumptions, type CostReport } from "./cost/model";

/** Assumption flags: flag name → the Assumptions field it sets (all non-negative numbers). */
export const ASSUMPTION_FLAGS = {
  "web-average": "webAverageInstances",
  rps: "requestsPerSecond",
  "kb-per-request": "kbPerRequest",
  "requests-per-connection": "requestsPerConnection",
  jobs: "jobsPerMonth",
  "sqs-requests-per-job": "sqsRequestsPerJob",
  "idle-polls-per-worker-hour": "idlePollsPerWorkerHour",
  "dynamo-writes-per-job": "dynamoWritesPerJob",
  "dynamo-reads-per-job": "dynamoReadsPerJob",
  "dynamo-gb": "dynamoGb",
  "s3-gb": "s3Gb",
  "s3-puts-per-job": "s3PutsPerJob",
  "s3-gets-per-job": "s3GetsPerJob",
  "cdn-gb": "cdnGbOut",
  "cdn-requests": "cdnRequests",
  "nat-gb": "natGb",
  "log-gb-per-instance-day": "logGbPerInstanceDay",
  "flow-log-gb": "flowLogGb",
  "build-hours": "buildHoursPerNight",
  "refresh-hours": "refreshHours",
  "sfn-transitions": "sfnTransitionsPerMonth",
  "spot-discount": "spotDiscount",
} as const satisfies Record<string, keyof Assumptions>;

export const USAGE = `usage: npm run cost -- <stack> [--json] [--dir DIR] [--instance-price TYPE=USD ...] [assumptions]
  <stack>                 reads Pulumi.<stack>.yaml (in DIR, default the repo root); prices from
                          scripts/prices/<aws:region>.json
  --json                  the report as JSON
  --instance-price T=USD  USD per instance-hour of type T, over the price table (repeatable)
assumptions (monthly unless said; defaults in brackets):
${Object.entries(ASSUMPTION_FLAGS)
  .map(([flag, field]) => {
    const d = (DEFAULT_ASSUMPTIONS as unknown as Record<string, unknown>)[field];
    const shown =
      d !== undefined ? String(d) : field === "spotDiscount" ? "the price table's" : "the group's desired capacity";
    return `  --${flag.padEnd(28)}[${shown}]`;
  })
  .join("\n")}
docs/cost.md says what each one means.`;

export interface CostArgs {
  stack: string;
  json: boolean;
  dir?: string;
  assumptions: Assumptions;
}

export function parseCostArgs(argv: string[]): CostArgs {
  const options = Object.fromEntries(Object.keys(ASSUMPTION_FLAGS).map((f) => [f, { type: "string" as const }]));
  const parsed = tokenize(argv, {
    ...options,
    json: { type: "boolean" },
    dir: { type: "string" },
    "instance-price": { type: "string", multiple: true },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(`give exactly one stack name, e.g. npm run cost -- dev; got ${positionals.length}`);
  const stack = positionals[0]!;
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`invalid stack name "${stack}"`);
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, instancePrices: {} };
  for (const [flag, field] of Object.entries(ASSUMPTION_FLAGS)) {
    const text = (values as Record<string, unknown>)[flag] as string | undefined;
    if (text === undefined) continue;
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number ≥ 0, e.g. --${flag} 1; got "${text}"`);
    if (field === "spotDiscount" && !(n < 1))
      throw new UsageError(`--spot-discount is a fraction of the on-demand price, from 0 to below 1; got "${text}"`);
    if (field === "requestsPerConnection" && n < 1)
      throw new UsageError(`--requests-per-connection must be ≥ 1; got "${text}"`);
    (assumptions as unknown as Record<string, number>)[field] = n;
  }
  for (const pair of (values["instance-price"] as string[] | undefined) ?? []) {
    const m = /^([a-z0-9-]+\.[a-z0-9]+)=(\d+(\.\d+)?)$/.exec(pair);
    if (!m)
      throw new UsageError(
        `--instance-price takes TYPE=USD per hour, e.g. --instance-price c7i.large=0.1; got "${pair}"`,
      );
    assumptions.instancePrices[m[1]!] = Number(m[2]);
  }
  return {
    stack,
    json: values.json === true,
    ...(values.dir ? { dir: path.resolve(values.dir as string) } : {}),
    assumptions,
  };
}

/** Synthesizes the stack from `config` and prices it (from the region's table unless `prices` is given). */
export async function costOfConfig(
  stack: string,
  config: Record<string, string>,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
  prices?: PriceTable,
): Promise<CostReport> {
  validateStackConfig(config);
  const plan = await synth(stack, config);
  const facts = stackFacts(plan, config);
  return costReport(facts, prices ?? loadPriceTable(facts.region), assumptions);
}

const usd = (n: number | null) => (n === null ? "no price" : `$${n.toFixed(2)}`);

export function formatReport(r: CostReport): string {
  const width = Math.max(...r.lines.map((l) => l.component.length));
  const rows = r.lines.map(
    (l) =>
      `  ${l.component.padEnd(width)}  ${usd(l.usd).padStart(10)}  ${l.detail}${l.missing.length ? `  (missing: ${l.missing.join(", ")})` : ""}`,
  );
  const night =
    r.nightly === "drain"
      ? `the night's drain saves ${usd(r.drainSavingsUsd)} a month (instances at zero between the drain and the restore)`
      : r.nightly === "refresh"
        ? `the nightly refresh costs ${usd(r.refreshExtraUsd)} a month of replacements running beside the old instances (a drain would save instead)`
        : "no nightly schedule";
  return [
    `stack ${r.stack} in ${r.region}, USD a month of ${r.hoursPerMonth} hours (prices read ${r.pricesReadOn}; sources and confidence in scripts/prices/${r.region}.json)`,
    "",
    ...rows,
    "",
    `  ${"total".padEnd(width)}  ${usd(r.totalUsd).padStart(10)}${r.unpriced.length ? `  + unpriced: ${r.unpriced.join(", ")}` : ""}`,
    "",
    night,
    r.workerSpotShare > 0
      ? `Spot: the worker group's mixed instances policy buys ${Math.round(r.workerSpotShare * 100)} % of its hours on Spot, ` +
        `saving ${usd(r.planSpotSavingsUsd)} a month at a ${Math.round(r.spotDiscount * 100)} % discount (priced so above; ` +
        `all-Spot would save ${usd(r.spotSavingsUsd)} against on-demand)`
      : `Spot: the worker group buys on-demand; all-Spot at a ${Math.round(r.spotDiscount * 100)} % discount would save ${usd(r.spotSavingsUsd)} a month`,
    "assumptions: see --help and docs/cost.md; a price with no source here is left out, never guessed",
  ].join("\n");
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseOrExit("cost", USAGE, parseCostArgs);
  let report: CostReport;
  try {
    report = await costOfConfig(args.stack, readStackConfig(args.stack, args.dir), args.assumptions);
  } catch (err) {
    if (
      err instanceof StackFileError ||
      err instanceof FleetConfigError ||
      err instanceof PriceTableError ||
      err instanceof PlanFactsError
    ) {
      console.error(`cost ${args.stack}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`cost: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
