/**
 * The monthly bill of a stack, offline: pure functions over the plan's facts (./plan.ts), a price table
 * (./prices.ts) and usage assumptions (defaults below, each a flag of `npm run cost`). A month is 730
 * hours (8,760 / 12). Each line says its arithmetic; a line whose price is missing is unpriced (usd null),
 * named in `unpriced` and left out of the total, never guessed. Free tiers are per account, shared by
 * every stack in it, so none is subtracted except EventBridge Scheduler's (a stack's few schedules never
 * leave it). Errs high where it must choose: no log compression, the upper end of a price range.
 */
import { DAYS_PER_MONTH, HOURS_PER_MONTH, type GroupFacts, type StackFacts } from "./plan";
import { instancePrice, type PriceKey, type PriceTable } from "./prices";

export interface Assumptions {
  /** Average web instances over the month; default the group's desired capacity. */
  webAverageInstances?: number;
  /** Average requests per second through the ALB. */
  requestsPerSecond: number;
  /** Request plus response bytes, KB (1,000 bytes), averaged. */
  kbPerRequest: number;
  /** Requests a client sends on one connection (keep-alive). */
  requestsPerConnection: number;
  jobsPerMonth: number;
  /** SQS requests per job: send, receive, delete and the heartbeats' visibility changes. */
  sqsRequestsPerJob: number;
  /** Empty long polls (20 s each) per worker instance-hour while the queue is empty. */
  idlePollsPerWorkerHour: number;
  dynamoWritesPerJob: number;
  dynamoReadsPerJob: number;
  dynamoGb: number;
  s3Gb: number;
  s3PutsPerJob: number;
  s3GetsPerJob: number;
  cdnGbOut: number;
  cdnRequests: number;
  /** GB a month through the NAT gateways (package installs, AWS API calls, the image build). */
  natGb: number;
  /** GB of journal an instance ships to CloudWatch Logs per day. */
  logGbPerInstanceDay: number;
  /** GB of VPC flow logs a month. */
  flowLogGb: number;
  /** Hours Image Builder's instances run per nightly build (build, then test). */
  buildHoursPerNight: number;
  /** Refresh mode: hours a night the replacement instances run beside the old ones. */
  refreshHours: number;
  /** State transitions a month per state machine. */
  sfnTransitionsPerMonth: number;
  /** Fraction of the on-demand price Spot saves; default the price table's. */
  spotDiscount?: number;
  /** USD per instance-hour by instance type, over the table's (or where it has none). */
  instancePrices: Record<string, number>;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  requestsPerSecond: 5,
  kbPerRequest: 20,
  requestsPerConnection: 10,
  jobsPerMonth: 10_000,
  sqsRequestsPerJob: 5,
  idlePollsPerWorkerHour: 180,
  dynamoWritesPerJob: 4,
  dynamoReadsPerJob: 10,
  dynamoGb: 1,
  s3Gb: 5,
  s3PutsPerJob: 1,
  s3GetsPerJob: 1,
  cdnGbOut: 10,
  cdnRequests: 100_000,
  natGb: 20,
  logGbPerInstanceDay: 0.05,
  flowLogGb: 2,
  buildHoursPerNight: 1.5,
  refreshHours: 0.25,
  sfnTransitionsPerMonth: 1_000,
  instancePrices: {},
};

/** The components, in the order the table prints them. */
export const COMPONENTS = [
  "EC2 web",
  "EC2 workers",
  "EBS",
  "ALB",
  "NAT gateways",
  "CloudFront",
  "SQS",
  "DynamoDB",
  "S3",
  "CloudWatch alarms and dashboards",
  "CloudWatch Logs (instances)",
  "VPC flow logs",
  "Image Builder build instance",
  "KMS",
  "Step Functions",
  "EventBridge Scheduler",
  "WAF",
] as const;
export type Component = (typeof COMPONENTS)[number];

export interface CostLine {
  component: Component;
  /** null: a price it needs is missing. */
  usd: number | null;
  /** The arithmetic, e.g. "730 h × 1 × $0.024/h". */
  detail: string;
  /** The prices it lacks (price keys or instance types). */
  missing: string[];
}

export interface CostReport {
  stack: string;
  region: string;
  hoursPerMonth: number;
  lines: CostLine[];
  /** Sum of the priced lines. */
  totalUsd: number;
  /** Components left out of the total for want of a price. */
  unpriced: Component[];
  nightly: StackFacts["nightly"];
  /** Drain mode: what the drained hours save against running all night; 0 otherwise. */
  drainSavingsUsd: number | null;
  /** Refresh mode: what the replacements running beside the old instances cost; 0 otherwise. */
  refreshExtraUsd: number | null;
  spotDiscount: number;
  /** Share of the worker group's instance-hours the plan already buys on Spot (mixed instances policy). */
  workerSpotShare: number;
  /** What all-Spot would save on the worker group against all on-demand, at `spotDiscount`. */
  spotSavingsUsd: number | null;
  /** What the plan's mixed instances policy saves: its Spot share of the workers' on-demand bill, at `spotDiscount`. */
  planSpotSavingsUsd: number | null;
  assumptions: Assumptions;
  pricesReadOn: string;
}

/** A priced quantity: qty × price, or null when the price is missing and the quantity is not zero. */
interface Term {
  usd: number | null;
  text: string;
  missing?: string;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(4).replace(/\.?0+$/, ""));

function term(qty: number, price: number | null, unit: string, name: string): Term {
  if (qty === 0) return { usd: 0, text: `0 ${unit}` };
  if (price === null) return { usd: null, text: `${fmt(qty)} ${unit} × (no price)`, missing: name };
  return { usd: qty * price, text: `${fmt(qty)} ${unit} × $${fmt(price)}` };
}

function line(component: Component, terms: Term[]): CostLine {
  const missing = terms.flatMap((t) => (t.missing ? [t.missing] : []));
  const usd = missing.length > 0 ? null : terms.reduce((s, t) => s + (t.usd as number), 0);
  return { component, usd, detail: terms.map((t) => t.text).join(" + "), missing };
}

function priceOf(table: PriceTable, key: PriceKey): number | null {
  return table.prices[key].usd;
}

function hourlyPrice(table: PriceTable, a: Assumptions, instanceType: string): number | null {
  return a.instancePrices[instanceType] ?? instancePrice(table, instanceType);
}

/** Instance-hours of the web group: its average over 730 h, less the drain, plus the refresh's extras. */
export function webInstanceHours(f: StackFacts, a: Assumptions): number {
  const average = a.webAverageInstances ?? f.web.desiredCapacity;
  const drained = nightlyDrainedHours(f, webDrainedInstances(f, a));
  return Math.max(0, average * HOURS_PER_MONTH - drained) + refreshExtraHours(f, a, f.web);
}

/** Instance-hours of the worker group: its minimum all month, or the hours the jobs need if more, within max. */
export function workerInstanceHours(f: StackFacts, a: Assumptions): number {
  const w = f.workers;
  if (!w) return 0;
  const jobHours = (a.jobsPerMonth * f.jobSeconds) / 3600 / Math.max(1, w.vcpus ?? 1);
  const running = Math.min(Math.max(w.minSize * HOURS_PER_MONTH, jobHours), w.maxSize * HOURS_PER_MONTH);
  return Math.max(0, running - nightlyDrainedHours(f, w.minSize)) + refreshExtraHours(f, a, w);
}

/** The drain takes down what runs at night: the desired capacity, but no more than the average. */
function webDrainedInstances(f: StackFacts, a: Assumptions): number {
  return Math.min(a.webAverageInstances ?? f.web.desiredCapacity, f.web.desiredCapacity);
}

function nightlyDrainedHours(f: StackFacts, instances: number): number {
  return f.nightly === "drain" ? instances * f.drainedHoursPerDay * DAYS_PER_MONTH : 0;
}

/** MaxHealthyPercentage 200: every instance gets its replacement before it goes. */
function refreshExtraHours(f: StackFacts, a: Assumptions, g: GroupFacts): number {
  return f.nightly === "refresh" ? g.desiredCapacity * a.refreshHours * DAYS_PER_MONTH : 0;
}

function ec2Line(component: Component, hours: number, type: string, price: number | null): CostLine {
  return line(component, [term(hours, price, `instance-h of ${type}`, type)]);
}

/** ALB capacity units per hour: the largest of its dimensions (25 new connections/s, 3,000 active, 1 GB/h). */
export function albLcus(a: Assumptions): number {
  const newPerS = a.requestsPerSecond / a.requestsPerConnection;
  const active = newPerS * 60; // a connection lives about the ALB's 60 s idle timeout
  const gbPerHour = (a.requestsPerSecond * 3600 * a.kbPerRequest) / 1e6;
  return Math.max(newPerS / 25, active / 3000, gbPerHour);
}

function logsLines(f: StackFacts, a: Assumptions, p: PriceTable, instanceHours: number): CostLine[] {
  const retention = (kind: string) => {
    const days = f.logGroups.find((g) => g.kind === kind)?.retentionDays ?? 0;
    return days > 0 ? days : 365; // never-expiring logs: a year's worth stored
  };
  const ingestGb = (instanceHours / 24) * a.logGbPerInstanceDay;
  const instanceStoredGb = (ingestGb / DAYS_PER_MONTH) * retention("instances");
  const flowStoredGb = (a.flowLogGb / DAYS_PER_MONTH) * retention("flow-logs");
  const hasFlowLogs = f.logGroups.some((g) => g.kind === "flow-logs");
  return [
    line("CloudWatch Logs (instances)", [
      term(ingestGb, priceOf(p, "logsIngestGb"), "GB ingested", "logsIngestGb"),
      term(instanceStoredGb, priceOf(p, "logsStorageGbMonth"), "GB stored", "logsStorageGbMonth"),
    ]),
    line(
      "VPC flow logs",
      hasFlowLogs
        ? [
            term(a.flowLogGb, priceOf(p, "vendedLogsGb"), "GB vended", "vendedLogsGb"),
            term(flowStoredGb, priceOf(p, "logsStorageGbMonth"), "GB stored", "logsStorageGbMonth"),
          ]
        : [term(0, null, "GB", "vendedLogsGb")],
    ),
  ];
}

function dataLines(f: StackFacts, a: Assumptions, p: PriceTable, workerHours: number): CostLine[] {
  const cost = (k: PriceKey, qty: number, unit: string) => term(qty, priceOf(p, k), unit, k);
  const sqsRequests = f.queues > 0 ? a.jobsPerMonth * a.sqsRequestsPerJob + workerHours * a.idlePollsPerWorkerHour : 0;
  const jobs = f.tables > 0 ? a.jobsPerMonth : 0;
  const s3 = f.buckets > 0;
  return [
    line("SQS", [cost("sqsMillionRequests", sqsRequests / 1e6, "M requests")]),
    line("DynamoDB", [
      cost("dynamoDbMillionWrites", (jobs * a.dynamoWritesPerJob) / 1e6, "M writes"),
      cost("dynamoDbMillionReads", (jobs * a.dynamoReadsPerJob) / 1e6, "M reads"),
      cost("dynamoDbGbMonth", f.tables > 0 ? a.dynamoGb : 0, "GB"),
    ]),
    line("S3", [
      cost("s3StandardGbMonth", s3 ? a.s3Gb : 0, "GB"),
      cost("s3Put1k", s3 ? (a.jobsPerMonth * a.s3PutsPerJob) / 1000 : 0, "k PUTs"),
      cost("s3Get1k", s3 ? (a.jobsPerMonth * a.s3GetsPerJob) / 1000 : 0, "k GETs"),
    ]),
  ];
}

/** Drain mode: what the drained hours save; refresh mode: what the replacements cost. */
function nightCosts(
  f: StackFacts,
  a: Assumptions,
  webPrice: number | null,
  workerPrice: number | null,
): { drained: number | null; refreshExtra: number | null } {
  const times = (h: number, price: number | null) => (h === 0 ? 0 : price === null ? null : h * price);
  return {
    drained:
      f.nightly === "drain"
        ? sumOrNull([
            times(nightlyDrainedHours(f, webDrainedInstances(f, a)), webPrice),
            times(nightlyDrainedHours(f, f.workers?.minSize ?? 0), workerPrice),
          ])
        : 0,
    refreshExtra:
      f.nightly === "refresh"
        ? sumOrNull([
            times(refreshExtraHours(f, a, f.web), webPrice),
            f.workers ? times(refreshExtraHours(f, a, f.workers), workerPrice) : 0,
          ])
        : 0,
  };
}

/** The nightly build, and what costs by the resource or the call: KMS, Step Functions, Scheduler. */
function nightlyAndFixedLines(f: StackFacts, a: Assumptions, p: PriceTable): CostLine[] {
  const cost = (k: PriceKey, qty: number, unit: string) => term(qty, priceOf(p, k), unit, k);
  const build = f.buildInstanceType;
  const invocations = f.schedules * DAYS_PER_MONTH;
  return [
    build
      ? ec2Line("Image Builder build instance", a.buildHoursPerNight * DAYS_PER_MONTH, build, hourlyPrice(p, a, build))
      : line("Image Builder build instance", [term(0, null, "h", "none")]),
    line("KMS", [cost("kmsKeyMonth", f.kmsKeys, "keys")]),
    line("Step Functions", [
      cost("stepFunctions1kTransitions", (f.stateMachines * a.sfnTransitionsPerMonth) / 1000, "k transitions"),
    ]),
    wafLine(f, a, p),
    line("EventBridge Scheduler", [
      cost(
        "schedulerMillionInvocations",
        Math.max(0, invocations - p.schedulerFreeInvocations) / 1e6,
        `M invocations beyond ${p.schedulerFreeInvocations / 1e6}M free (${fmt(invocations)} a month)`,
      ),
    ]),
  ];
}

/**
 * The web ACLs: a fee per ACL and per rule, and per request inspected. A CLOUDFRONT-scope ACL inspects every
 * request of the distributions it fronts (the API's and the results'); a REGIONAL one on the ALB only
 * requests that bypass CloudFront, which the assumptions do not count.
 */
function wafLine(f: StackFacts, a: Assumptions, p: PriceTable): CostLine {
  const cost = (k: PriceKey, qty: number, unit: string) => term(qty, priceOf(p, k), unit, k);
  const edge = f.webAcls.some((acl) => acl.scope === "CLOUDFRONT");
  const inspected = edge ? a.requestsPerSecond * HOURS_PER_MONTH * 3600 + a.cdnRequests : 0;
  return line("WAF", [
    cost("wafWebAclMonth", f.webAcls.length, "web ACLs"),
    cost(
      "wafRuleMonth",
      f.webAcls.reduce((n, acl) => n + acl.rules, 0),
      "rules",
    ),
    cost("wafMillionRequests", inspected / 1e6, "M requests inspected"),
  ]);
}

/** The whole report. */
export function costReport(f: StackFacts, p: PriceTable, a: Assumptions): CostReport {
  const cost = (k: PriceKey, qty: number, unit: string) => term(qty, priceOf(p, k), unit, k);
  const webHours = webInstanceHours(f, a);
  const workerHours = workerInstanceHours(f, a);
  const webPrice = hourlyPrice(p, a, f.web.instanceType);
  const workerType = f.workers?.instanceType ?? f.web.instanceType;
  const spotDiscount = a.spotDiscount ?? p.spotDiscount.fraction;
  const spotShare = f.workers ? spotShareOf(f.workers, workerHours / HOURS_PER_MONTH) : 0;
  const onDemandWorkerPrice = hourlyPrice(p, a, workerType);
  // A plan that already buys Spot pays the discounted price on its Spot share.
  const workerPrice = onDemandWorkerPrice === null ? null : onDemandWorkerPrice * (1 - spotShare * spotDiscount);
  const ebsGbMonths = (webHours * f.web.volumeGb + workerHours * (f.workers?.volumeGb ?? 0)) / HOURS_PER_MONTH;
  const lines: CostLine[] = [
    ec2Line("EC2 web", webHours, f.web.instanceType, webPrice),
    ec2Line("EC2 workers", workerHours, workerType, workerPrice),
    line("EBS", [cost("ebsGp3GbMonth", ebsGbMonths, "GB-month gp3")]),
    line("ALB", [cost("albHour", HOURS_PER_MONTH, "h"), cost("albLcuHour", HOURS_PER_MONTH * albLcus(a), "LCU-h")]),
    line("NAT gateways", [
      cost("natGatewayHour", f.natGateways * HOURS_PER_MONTH, "gateway-h"),
      cost("natGatewayGb", f.natGateways > 0 ? a.natGb : 0, "GB"),
    ]),
    line("CloudFront", [
      cost("cloudFrontGbOut", f.distributions > 0 ? a.cdnGbOut : 0, "GB out"),
      cost("cloudFrontHttps10k", f.distributions > 0 ? a.cdnRequests / 10_000 : 0, "×10k HTTPS requests"),
    ]),
    ...dataLines(f, a, p, workerHours),
    line("CloudWatch alarms and dashboards", [
      cost("cloudWatchAlarmMetricMonth", f.alarmMetrics, "alarm metrics"),
      cost("cloudWatchDashboardMonth", f.dashboards, "dashboards"),
    ]),
    ...logsLines(f, a, p, webHours + workerHours),
    ...nightlyAndFixedLines(f, a, p),
  ];
  const { drained, refreshExtra } = nightCosts(f, a, webPrice, workerPrice);
  const workerOnDemandUsd =
    workerHours === 0 ? 0 : onDemandWorkerPrice === null ? null : workerHours * onDemandWorkerPrice;
  return {
    stack: f.stack,
    region: f.region,
    hoursPerMonth: HOURS_PER_MONTH,
    lines,
    totalUsd: lines.reduce((s, l) => s + (l.usd ?? 0), 0),
    unpriced: lines.filter((l) => l.usd === null).map((l) => l.component),
    nightly: f.nightly,
    drainSavingsUsd: drained,
    refreshExtraUsd: refreshExtra,
    spotDiscount,
    workerSpotShare: spotShare,
    spotSavingsUsd: workerOnDemandUsd === null ? null : workerOnDemandUsd * spotDiscount,
    planSpotSavingsUsd: workerOnDemandUsd === null ? null : workerOnDemandUsd * spotShare * spotDiscount,
    assumptions: a,
    pricesReadOn: p.readOn,
  };
}

/** Spot's share of a group's instances when it runs `average` of them, per its mixed instances policy. */
export function spotShareOf(g: GroupFacts, average: number): number {
  if (!g.purchase || average <= 0) return 0;
  const above = Math.max(0, average - g.purchase.onDemandBase);
  return (above * (1 - g.purchase.onDemandPercentAbove / 100)) / average;
}

function sumOrNull(xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : xs.reduce((s: number, x) => s + (x as number), 0);
}
