/**
 * npm run capacity -- --peak-rps 4000 (--per-instance-rps 900 | --measure) [--target-cpu 70] [--azs 2]
 *                     [--stack dev] [--instance-vcpus 2] [--instance-type c7i.large] [--path /] [--seconds 5]
 *                     [--region eu-central-1] [--instance-price USD]
 *
 * The paper math of capacity estimation (scripts/capacity-math.ts), done for the reader: min / desired /
 * max instances for the Auto Scaling group, the arithmetic behind each, and the `pulumi config set` lines.
 * --measure builds the service, starts it on a free loopback port with WEB_CONCURRENCY=1 (one worker: one
 * core's worth), measures GET <path> req/s for a few seconds and scales that by --instance-vcpus.
 * With --jobs-per-minute, --job-seconds and --max-wait-seconds it sizes the worker fleet instead
 * (scripts/capacity-jobs.ts).
 * With --instance-type it also prints what min / desired / max instances of that type cost a month
 * (scripts/cost/capacity-cost.ts, prices from scripts/prices/<--region>.json or --instance-price).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { infraCaveats, planCapacity, pulumiConfigLines, requestsPerTargetPerMinute } from "./capacity-math";
import { runLoad, startTarget } from "../bench/load";
import { parseOrExit, UsageError } from "./cli";
import { isJobsMode, jobsCapacityReport, JOBS_USAGE, parseJobsCapacityArgs } from "./capacity-jobs";
import { capacityCostLines } from "./cost/capacity-cost";
import { loadPriceTable, PriceTableError, type PriceTable } from "./cost/prices";

const USAGE = `usage: npm run capacity -- --peak-rps N (--per-instance-rps N | --measure) [options]
  --peak-rps N          peak load the fleet must serve, req/s (required)
  --per-instance-rps N  req/s one instance serves at 100 % CPU (or:)
  --measure             measure it: one service worker on this machine, scaled by --instance-vcpus
  --target-cpu P        the autoscaler's CPU target, percent 1..100 (default 70)
  --azs N               availability zones, integer ≥ 1 (default 2)
  --stack NAME          Pulumi stack for the config lines (default dev)
  --instance-vcpus N    vCPUs of the instance type (default 2)
  --instance-type T     also print fleet:instanceType T and the monthly cost of min/desired/max of T
  --region R            price table for that cost: scripts/prices/R.json (default eu-central-1)
  --instance-price USD  on-demand USD per instance-hour of T, over (or instead of) the table's
  --path P              with --measure: the path to load (default /)
  --seconds S           with --measure: measuring time, 1..60 s (default 5)`;

export interface CapacityArgs {
  peakRps: number;
  perInstanceRps?: number;
  measure: boolean;
  targetCpu: number;
  azs: number;
  stack: string;
  instanceVcpus: number;
  instanceType?: string;
  region: string;
  instancePrice?: number;
  path: string;
  seconds: number;
}

const FLAGS = new Set([
  "--peak-rps",
  "--per-instance-rps",
  "--measure",
  "--target-cpu",
  "--azs",
  "--stack",
  "--instance-vcpus",
  "--instance-type",
  "--region",
  "--instance-price",
  "--path",
  "--seconds",
]);

export function parseCapacityArgs(argv: string[]): CapacityArgs {
  const values = new Map<string, string>();
  let measure = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.includes("=")
      ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)]
      : [raw, undefined];
    if (!FLAGS.has(flag!)) {
      throw new UsageError(
        raw.startsWith("-")
          ? `unknown flag ${flag}`
          : `unexpected argument "${raw}": every value follows its flag, e.g. --peak-rps 4000`,
      );
    }
    if (flag === "--measure") {
      if (inline !== undefined) throw new UsageError("--measure takes no value");
      measure = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--")))
      throw new UsageError(`${flag} needs a value, e.g. ${flag} ${example(flag!)}`);
    if (values.has(flag!)) throw new UsageError(`${flag} is given twice`);
    values.set(flag!, value);
  }
  const num = (
    flag: string,
    { integer = false, min = 0, max = Infinity, positive = false } = {},
  ): number | undefined => {
    const text = values.get(flag);
    if (text === undefined) return undefined;
    const ok = integer ? /^\d+$/.test(text) : /^\d+(\.\d+)?$/.test(text);
    const n = Number(text);
    if (!ok || n < min || n > max || (positive && n <= 0)) {
      const kind = integer ? "an integer" : "a number";
      const range = positive ? `${kind} > 0` : max === Infinity ? `${kind} ≥ ${min}` : `${kind} from ${min} to ${max}`;
      throw new UsageError(`${flag} must be ${range}, e.g. ${flag} ${example(flag)}; got "${text}"`);
    }
    return n;
  };
  const peakRps = num("--peak-rps", { positive: true });
  if (peakRps === undefined)
    throw new UsageError("--peak-rps is required: the peak load in req/s, e.g. --peak-rps 4000");
  const perInstanceRps = num("--per-instance-rps", { positive: true });
  if (perInstanceRps !== undefined && measure) {
    throw new UsageError("give either --per-instance-rps N (a known figure) or --measure (measure it here), not both");
  }
  if (perInstanceRps === undefined && !measure) {
    throw new UsageError("say what one instance serves: --per-instance-rps N (req/s at 100 % CPU) or --measure");
  }
  if (!measure) {
    for (const f of ["--path", "--seconds"])
      if (values.has(f)) throw new UsageError(`${f} only applies with --measure`);
  }
  const p = values.get("--path") ?? "/";
  if (!p.startsWith("/")) throw new UsageError(`--path must start with /, e.g. --path /api/100000; got "${p}"`);
  const stack = values.get("--stack") ?? "dev";
  if (!/^[\w.\-/]+$/.test(stack))
    throw new UsageError(`--stack must be a Pulumi stack name, e.g. --stack prod; got "${stack}"`);
  const instanceType = values.get("--instance-type");
  if (instanceType !== undefined && !/^[a-z0-9]+\.[a-z0-9]+$/.test(instanceType)) {
    throw new UsageError(
      `--instance-type must be an EC2 instance type, e.g. --instance-type c7i.large; got "${instanceType}"`,
    );
  }
  const region = values.get("--region") ?? "eu-central-1";
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new UsageError(`--region must be an AWS region, e.g. --region eu-central-1; got "${region}"`);
  const instancePrice = num("--instance-price", { positive: true });
  if (instanceType === undefined)
    for (const f of ["--region", "--instance-price"])
      if (values.has(f)) throw new UsageError(`${f} only applies with --instance-type (the type it prices)`);
  return {
    peakRps,
    perInstanceRps,
    measure,
    targetCpu: num("--target-cpu", { min: 1, max: 100 }) ?? 70,
    azs: num("--azs", { integer: true, min: 1 }) ?? 2,
    stack,
    instanceVcpus: num("--instance-vcpus", { integer: true, min: 1, max: 448 }) ?? 2,
    instanceType,
    region,
    ...(instancePrice !== undefined ? { instancePrice } : {}),
    path: p,
    seconds: num("--seconds", { min: 1, max: 60 }) ?? 5,
  };
}

function example(flag: string): string {
  return (
    (
      {
        "--peak-rps": "4000",
        "--per-instance-rps": "900",
        "--target-cpu": "70",
        "--azs": "2",
        "--stack": "prod",
        "--instance-vcpus": "2",
        "--instance-type": "c7i.large",
        "--region": "eu-central-1",
        "--instance-price": "0.1",
        "--path": "/",
        "--seconds": "5",
      } as Record<string, string>
    )[flag] ?? "VALUE"
  );
}

const ROOT = path.resolve(__dirname, "..");

/** Builds the service and measures one worker's req/s on GET <path>, on a free loopback port. */
async function measurePerCore(
  urlPath: string,
  seconds: number,
): Promise<{ perCoreRps: number; measuredRps: number; cpuUsPerRequest: number; p99Ms: number; errors: number }> {
  console.log("building the service (npm run build)...");
  execFileSync(
    process.execPath,
    [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
    {
      stdio: "inherit",
    },
  );
  const main = path.join(ROOT, "dist/service/main.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing after the build`);
  const target = await startTarget({
    id: "fleet-1",
    label: "fleet, one worker",
    command: process.execPath,
    args: [main],
    env: { WEB_CONCURRENCY: "1", LOG_LEVEL: "info" },
    readyPath: "/healthcheck",
  });
  try {
    console.log(
      `measuring GET ${urlPath} on one worker (WEB_CONCURRENCY=1, LOG_LEVEL=info) at ${target.baseUrl}: 2 s warm-up, ${seconds} s measured...`,
    );
    const r = await runLoad({
      url: target.baseUrl + urlPath,
      connections: 20,
      durationS: seconds,
      warmupS: 2,
      rssPid: target.pid,
    });
    if (r.requests === 0) throw new Error(`no request answered on GET ${urlPath}`);
    if (r.errors > 0) console.warn(`warning: ${r.errors} of ${r.requests} requests failed or were not 2xx`);
    // A core serves 1 s / (CPU per request); req/s alone would be capped by the load generator on this same machine.
    const perCoreRps =
      Number.isFinite(r.serverCpuUsPerRequest) && r.serverCpuUsPerRequest > 0 ? 1e6 / r.serverCpuUsPerRequest : r.rps;
    return {
      perCoreRps,
      measuredRps: r.rps,
      cpuUsPerRequest: r.serverCpuUsPerRequest,
      p99Ms: r.p99Ms,
      errors: r.errors,
    };
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  if (isJobsMode(process.argv.slice(2))) {
    const jobArgs = parseOrExit("capacity", `${USAGE}\n${JOBS_USAGE}`, parseJobsCapacityArgs);
    for (const line of jobsCapacityReport(jobArgs)) console.log(line);
    return;
  }
  const args = parseOrExit("capacity", `${USAGE}\n${JOBS_USAGE}`, parseCapacityArgs);
  let perInstance: number;
  if (args.measure) {
    const m = await measurePerCore(args.path, args.seconds);
    perInstance = m.perCoreRps * args.instanceVcpus;
    console.log(
      `measured ${m.measuredRps.toFixed(0)} req/s on one worker (p99 ${m.p99Ms} ms, ${m.errors} errors), ` +
        `the service's processes spending ${m.cpuUsPerRequest.toFixed(0)} µs of CPU per request:\n` +
        `one core at 100 % serves 1 s / ${m.cpuUsPerRequest.toFixed(0)} µs = ${m.perCoreRps.toFixed(0)} req/s; ` +
        `× ${args.instanceVcpus} vCPUs = ${perInstance.toFixed(0)} req/s per instance at 100 % CPU`,
    );
    console.log(
      "  (CPU per request rather than req/s, because here the load generator shares the machine and caps req/s.\n" +
        "   GET / by default: the cost every request pays — HTTP, routing, a log line — so it is an upper bound;\n" +
        "   /api/n adds CPU in proportion to n, so pass --path /api/<typical n> if that is your traffic.\n" +
        "   One worker per vCPU is assumed to scale linearly; `npm run bench` shows how far it does.\n" +
        "   Leave headroom for the ALB's health checks, TLS (terminated at the ALB) and noisy neighbours.)",
    );
  } else {
    perInstance = args.perInstanceRps!;
  }
  const plan = planCapacity({
    peakRps: args.peakRps,
    perInstanceRps: perInstance,
    targetCpuPercent: args.targetCpu,
    azs: args.azs,
  });
  console.log(
    `\npeak ${args.peakRps} req/s, ${perInstance.toFixed(0)} req/s per instance at 100 % CPU, CPU target ${args.targetCpu} %, ${args.azs} AZ(s)\n`,
  );
  for (const step of plan.steps) console.log(`  ${step}`);
  console.log(`\nmin ${plan.minSize} / desired ${plan.desiredCapacity} / max ${plan.maxSize}`);
  for (const note of [...plan.notes, ...infraCaveats(args.targetCpu, args.azs)]) console.log(`note: ${note}`);
  if (args.instanceType) {
    let table: PriceTable | undefined;
    try {
      table = loadPriceTable(args.region);
    } catch (err) {
      if (!(err instanceof PriceTableError)) throw err;
      if (args.instancePrice === undefined) console.log(`cost: ${err.message}`);
    }
    if (table || args.instancePrice !== undefined)
      for (const line of capacityCostLines(plan, args.instanceType, args.region, table, args.instancePrice))
        console.log(line);
  }
  console.log("\napply to the stack:");
  for (const line of pulumiConfigLines(plan, args.stack, args.targetCpu, args.instanceType)) console.log(`  ${line}`);
  const perMinute = requestsPerTargetPerMinute(perInstance, args.targetCpu);
  console.log(
    `optionally, to scale on request count too (${perInstance.toFixed(0)} req/s × ${args.targetCpu / 100} × 60 s):\n` +
      `  pulumi config set --stack ${args.stack} fleet:requestsPerTargetPerMinute ${perMinute}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`capacity: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
