/**
 * npm run bench [-- --duration 5 --warmup 5 --connections 50 --rounds 5 --health-seconds 5
 *                  --targets fleet,fleet-1,baseline,raw --no-health --no-build --out bench/results --name latest --quick --request-cpu]
 *
 * Starts each target on its own free loopback port, loads GET / with autocannon (no pipelining) in
 * alternating rounds (ABCD ABCD ...) so that drift on a shared machine cancels in the ratios, then probes
 * /healthcheck while GET /api/2000000000 saturates every worker. Writes <out>/<name>.json, .md and .svg,
 * prints the markdown and PASS/MISS per goal. A miss never fails the process; only a broken run does.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  renderMarkdown,
  renderSvg,
  type BenchReport,
  type Check,
  type HealthSummary,
  type ReloadSummary,
  type TargetSummary,
} from "./bench-report";
import { median, probeUnderLoad, runLoad, startTarget, type LoadResult, type RunningTarget } from "./load";
import { parseOrExit, UsageError } from "../scripts/cli";
import { createPm2Home, PM2_APP_NAME } from "./pm2";
import { ALL_TARGETS, DEFAULT_TARGETS, needsBuild, specs, type TargetId } from "./targets";
import { childPids, childrenReplaced, measureReload } from "./reload";

const ROOT = path.resolve(__dirname, "..");
const CORES = os.availableParallelism();

/** The targets the two per-request CPU goals compare: fleet at info, the tutorial, bare Fastify, bare node:http. */
export const REQUEST_CPU_TARGETS: TargetId[] = ["fleet", "baseline", "fastify", "raw"];

const USAGE = `usage: npm run bench -- [options]
  --duration S        measured seconds per target per round (default 5)
  --warmup S          warm-up seconds per target before its first round (default 5; 1 s before later rounds)
  --connections N     concurrent connections (default 50)
  --rounds N          rounds, targets alternated in each (default 5)
  --health-seconds S  /healthcheck sampling under CPU load (default 5)
  --targets LIST      comma-separated subset of ${ALL_TARGETS.join(",")} (default ${DEFAULT_TARGETS.join(",")};
                      fleet-quiet is the fleet with LOG_LEVEL=warn, fleet-requests with a line per request
                      (LOG_REQUESTS=1): what logging costs)
  --request-cpu       only the per-request CPU goals: --targets ${REQUEST_CPU_TARGETS.join(",")} --no-health
                      --no-reload (flags after it still apply)
  --no-health         skip the health-under-load probe
  --no-reload         skip the reload under load (fleet's SIGHUP, pm2 reload)
  --no-build          do not run the TypeScript build of the service first
  --out DIR           where to write the results (default bench/results)
  --name NAME         file name stem of the results (default latest)
  --quick             smoke run: --duration 1 --warmup 0.5 --rounds 1 --health-seconds 1 (flags after it still apply)`;

export interface BenchArgs {
  durationS: number;
  warmupS: number;
  connections: number;
  rounds: number;
  healthSeconds: number;
  targets: TargetId[];
  health: boolean;
  reload: boolean;
  build: boolean;
  out: string;
  name: string;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    // Many short rounds rather than a few long ones: drift on a shared machine cancels better in the
    // per-round ratios. 4 targets × 5 rounds × (5 s + 1 s warm-up) plus the health probes ≈ 3 minutes.
    durationS: 5,
    warmupS: 5,
    connections: 50,
    rounds: 5,
    healthSeconds: 5,
    targets: [...DEFAULT_TARGETS],
    health: true,
    reload: true,
    build: true,
    out: path.join(ROOT, "bench/results"),
    name: "latest",
  };
  const num = (flag: string, value: string | undefined, min: number, max: number, integer = false): number => {
    const ok = value !== undefined && (integer ? /^\d+$/.test(value) : /^\d+(\.\d+)?$/.test(value));
    const n = Number(value);
    if (!ok || n < min || n > max) {
      throw new UsageError(
        `${flag} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}; got ${value ?? "nothing"}`,
      );
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf("=");
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case "--duration":
        a.durationS = num(flag, value(), 0.5, 120);
        break;
      case "--warmup":
        a.warmupS = num(flag, value(), 0, 60);
        break;
      case "--connections":
        a.connections = num(flag, value(), 1, 1000, true);
        break;
      case "--rounds":
        a.rounds = num(flag, value(), 1, 20, true);
        break;
      case "--health-seconds":
        a.healthSeconds = num(flag, value(), 0.5, 60);
        break;
      case "--targets": {
        const list = (value() ?? "").split(",").filter(Boolean);
        const bad = list.filter((t) => !(ALL_TARGETS as readonly string[]).includes(t));
        if (list.length === 0 || bad.length)
          throw new UsageError(
            `--targets takes a comma-separated subset of ${ALL_TARGETS.join(",")}; got ${bad.join(",") || "nothing"}`,
          );
        a.targets = ALL_TARGETS.filter((t) => list.includes(t));
        break;
      }
      case "--request-cpu":
        a.targets = [...REQUEST_CPU_TARGETS];
        a.health = false;
        a.reload = false;
        break;
      case "--no-health":
        a.health = false;
        break;
      case "--no-reload":
        a.reload = false;
        break;
      case "--no-build":
        a.build = false;
        break;
      case "--out": {
        const v = value();
        if (!v) throw new UsageError("--out needs a directory");
        a.out = path.resolve(v);
        break;
      }
      case "--name": {
        const v = value();
        if (!v || !/^[\w.-]+$/.test(v))
          throw new UsageError(`--name must be a file name stem like latest; got ${v ?? "nothing"}`);
        a.name = v;
        break;
      }
      case "--quick":
        Object.assign(a, { durationS: 1, warmupS: 0.5, rounds: 1, healthSeconds: 1 });
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      default:
        throw new UsageError(`unknown argument ${raw}`);
    }
  }
  return a;
}

/** Builds the service; returns why the fleet cannot run, or undefined when dist/service/main.js is there. */
function buildFleet(build: boolean): string | undefined {
  if (build) {
    if (!fs.existsSync(path.join(ROOT, "service/main.ts"))) return "service/main.ts does not exist yet";
    try {
      execFileSync(
        process.execPath,
        [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    } catch (err) {
      const out = String((err as { stdout?: Buffer }).stdout ?? "") + String((err as { stderr?: Buffer }).stderr ?? "");
      return `the service build failed: ${out.trim().split("\n").slice(0, 3).join(" ")}`;
    }
  }
  return fs.existsSync(path.join(ROOT, "dist/service/main.js"))
    ? undefined
    : "dist/service/main.js is missing (run npm run build)";
}

function machine(argv: string[]): BenchReport["machine"] {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: os.cpus()[0]?.model?.trim() ?? "unknown",
    cores: CORES,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    command: ["npm run bench", ...(argv.length ? ["--", ...argv] : [])].join(" "),
    commit,
  };
}

/** Median over the rounds of a's req/s ÷ b's in the same round. */
function medianRatio(rounds: Map<TargetId, LoadResult>[], a: TargetId, b: TargetId): number | null {
  const ratios = rounds.flatMap((r) => {
    const x = r.get(a);
    const y = r.get(b);
    return x && y && y.rps > 0 ? [x.rps / y.rps] : [];
  });
  return ratios.length ? median(ratios) : null;
}

/** Median over the rounds of a's requests per server CPU-second ÷ b's (= b's CPU per request ÷ a's). */
function medianCpuRatio(rounds: Map<TargetId, LoadResult>[], a: TargetId, b: TargetId): number | null {
  const ratios = rounds.flatMap((r) => {
    const x = r.get(a)?.serverCpuUsPerRequest;
    const y = r.get(b)?.serverCpuUsPerRequest;
    return x && y && Number.isFinite(x) && Number.isFinite(y) ? [y / x] : [];
  });
  return ratios.length ? median(ratios) : null;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseOrExit("bench", USAGE, parseBenchArgs);
  const pm2Home = args.targets.includes("pm2") ? createPm2Home(ROOT) : undefined;
  const all = specs(ROOT, CORES, pm2Home);
  const skipped = new Map<TargetId, string>();
  if (args.targets.some(needsBuild)) {
    const why = buildFleet(args.build);
    if (why) for (const t of args.targets) if (needsBuild(t)) skipped.set(t, why);
  }
  const ids = args.targets.filter((t) => !skipped.has(t));
  const started = new Map<TargetId, RunningTarget>();
  const rounds: Map<TargetId, LoadResult>[] = [];
  const health: HealthSummary[] = [];
  const reloads: ReloadSummary[] = [];
  const notes: string[] = [];
  try {
    for (const id of ids) {
      try {
        started.set(id, await startTarget(all[id]));
        console.error(`started ${id} (pid ${started.get(id)!.pid}) at ${started.get(id)!.baseUrl}`);
      } catch (err) {
        skipped.set(id, `failed to start: ${(err as Error).message.slice(0, 300)}`);
        console.error(`bench: ${id} ${skipped.get(id)}`);
      }
    }
    const live = ids.filter((id) => started.has(id));
    for (let round = 0; round < args.rounds; round++) {
      const results = new Map<TargetId, LoadResult>();
      for (const id of live) {
        const t = started.get(id)!;
        const warmupS = round === 0 ? args.warmupS : Math.min(1, args.warmupS);
        const r = await runLoad({
          url: `${t.baseUrl}/`,
          connections: args.connections,
          durationS: args.durationS,
          warmupS,
          rssPid: t.pid,
        });
        results.set(id, r);
        console.error(
          `round ${round + 1}/${args.rounds} ${id.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  errors ${r.errors}  RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB  server CPU ${r.serverCpuUsPerRequest.toFixed(0)} µs/req  others' CPU ${(r.othersCpuShare * 100).toFixed(0)} %`,
        );
      }
      rounds.push(results);
    }
    if (args.health) {
      for (const id of ["fleet", "baseline"] as const) {
        if (!args.targets.includes(id)) continue;
        const t = started.get(id);
        if (!t) {
          health.push({
            id,
            label: all[id].label,
            samples: 0,
            failures: 0,
            p50Ms: NaN,
            p99Ms: NaN,
            maxMs: NaN,
            cpuBusy: NaN,
            loadByStatus: {},
            skipped: skipped.get(id) ?? "not started",
          });
          continue;
        }
        const p = await probeUnderLoad({
          baseUrl: t.baseUrl,
          loadPath: "/api/2000000000",
          concurrency: CORES * 4,
          probePath: "/healthcheck",
          sampleMs: args.healthSeconds * 1000,
          intervalMs: 50,
          // 5 s, like the ALB's health check timeout; shorter for smoke runs so they stay short.
          probeTimeoutMs: Math.min(5_000, Math.max(1_000, args.healthSeconds * 1000)),
          settleMs: 500,
          rssPid: t.pid,
        });
        console.error(
          `health ${id.padEnd(8)} /healthcheck p50 ${p.p50Ms.toFixed(1)} ms  p99 ${p.p99Ms.toFixed(1)} ms  max ${p.maxMs.toFixed(1)} ms  failed ${p.failures}/${p.samples}  CPU ${(p.cpuBusy * 100).toFixed(0)} %`,
        );
        health.push({
          id,
          label: all[id].label,
          samples: p.samples,
          failures: p.failures,
          p50Ms: p.p50Ms,
          p99Ms: p.p99Ms,
          maxMs: p.maxMs,
          cpuBusy: p.cpuBusy,
          loadByStatus: p.load.byStatus,
        });
      }
    }
    if (args.reload) {
      for (const id of ["fleet", "pm2"] as const) {
        const t = started.get(id);
        if (!t) continue;
        const reload =
          id === "fleet"
            ? async () => {
                const before = childPids(t.pid);
                process.kill(t.pid, "SIGHUP");
                return (await childrenReplaced(t.pid, before, 30_000)) ? undefined : "workers not replaced in 30 s";
              }
            : async () => {
                const r = await pm2Home!.cli(["reload", PM2_APP_NAME], 30_000);
                return r.code === 0 ? undefined : `pm2 reload exited ${r.code}: ${r.output.trim().slice(-300)}`;
              };
        const r = await measureReload({ url: `${t.baseUrl}/`, connections: args.connections, warmupMs: 1_000, reload });
        console.error(
          `reload ${id.padEnd(8)} ${r.failed} failed of ${r.requests} (non-2xx ${r.non2xx}, socket errors ${r.socketErrors}) in ${(r.reloadMs / 1000).toFixed(1)} s${r.problem ? `; ${r.problem}` : ""}`,
        );
        reloads.push({
          id,
          label: all[id].label,
          how: id === "fleet" ? "SIGHUP to the primary" : `pm2 reload ${PM2_APP_NAME}`,
          ...r,
        });
      }
    }
  } finally {
    for (const [id, t] of started) {
      const r = await t.stop();
      if (needsBuild(id) && (r.killed || r.exitCode !== 0)) {
        notes.push(
          `${id} did not exit 0 on SIGTERM after the run (exit ${r.exitCode}, signal ${r.signal}${r.killed ? ", killed after 5 s" : ""}).`,
        );
      }
    }
    await pm2Home?.remove();
  }

  const targets: TargetSummary[] = args.targets.map((id) => {
    const rs = rounds.flatMap((r) => (r.has(id) ? [r.get(id)!] : []));
    if (!rs.length)
      return {
        id,
        label: all[id].label,
        rps: NaN,
        p50Ms: NaN,
        p99Ms: NaN,
        errors: 0,
        requests: 0,
        peakRssBytes: 0,
        othersCpuShare: NaN,
        cpuUsPerRequest: NaN,
        rounds: 0,
        skipped: skipped.get(id) ?? "not measured",
      };
    return {
      id,
      label: all[id].label,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
      requests: rs.reduce((s, r) => s + r.requests, 0),
      peakRssBytes: Math.max(...rs.map((r) => r.peakRssBytes)),
      othersCpuShare: median(rs.map((r) => r.othersCpuShare)),
      cpuUsPerRequest: median(rs.map((r) => r.serverCpuUsPerRequest)),
      cpuVsRaw: (() => {
        const x = medianCpuRatio(rounds, "raw", id);
        return x === null ? undefined : x;
      })(),
      rounds: rs.length,
    };
  });
  const ratios = {
    "fleet / baseline": medianRatio(rounds, "fleet", "baseline"),
    "fleet / raw ceiling": medianRatio(rounds, "fleet", "raw"),
    "fleet all cores / one worker": medianRatio(rounds, "fleet", "fleet-1"),
    "baseline / raw ceiling": medianRatio(rounds, "baseline", "raw"),
    ...(args.targets.includes("fleet-quiet")
      ? { "fleet LOG_LEVEL=warn / fleet LOG_LEVEL=info": medianRatio(rounds, "fleet-quiet", "fleet") }
      : {}),
    "fleet / baseline, requests per server CPU-second": medianCpuRatio(rounds, "fleet", "baseline"),
    "fleet / raw ceiling, requests per server CPU-second": medianCpuRatio(rounds, "fleet", "raw"),
    ...(args.targets.includes("fastify")
      ? {
          "fleet / bare Fastify, requests per server CPU-second": medianCpuRatio(rounds, "fleet", "fastify"),
          "bare Fastify / raw ceiling, requests per server CPU-second": medianCpuRatio(rounds, "fastify", "raw"),
        }
      : {}),
    ...(args.targets.includes("pm2")
      ? {
          "fleet / pm2": medianRatio(rounds, "fleet", "pm2"),
          "fleet / pm2, requests per server CPU-second": medianCpuRatio(rounds, "fleet", "pm2"),
        }
      : {}),
    ...(args.targets.includes("fleet-requests")
      ? {
          "fleet LOG_REQUESTS=1 / default, requests per server CPU-second": medianCpuRatio(
            rounds,
            "fleet-requests",
            "fleet",
          ),
        }
      : {}),
    ...(args.targets.includes("fleet-quiet")
      ? {
          "fleet LOG_LEVEL=warn / LOG_LEVEL=info, requests per server CPU-second": medianCpuRatio(
            rounds,
            "fleet-quiet",
            "fleet",
          ),
        }
      : {}),
  };
  const verdict = (ok: boolean | null): Check["verdict"] => (ok === null ? "n/a" : ok ? "PASS" : "MISS");
  const fb = ratios["fleet / baseline"];
  const fr = ratios["fleet / raw ceiling"];
  // Server CPU per request, fleet ÷ raw: the inverse of raw's CPU per request ÷ fleet's.
  const fleetOverRawCpu = ratios["fleet / raw ceiling, requests per server CPU-second"];
  const cpuVsRaw = fleetOverRawCpu ? 1 / fleetOverRawCpu : null;
  const perCpuVsBaseline = ratios["fleet / baseline, requests per server CPU-second"];
  const fleetReload = reloads.find((r) => r.id === "fleet");
  const pm2Reload = reloads.find((r) => r.id === "pm2");
  const fh = health.find((h) => h.id === "fleet" && !h.skipped);
  const bh = health.find((h) => h.id === "baseline" && !h.skipped);
  const checks: Check[] = [
    {
      name: "fleet vs baseline, GET /",
      target: "≥ 2× req/s",
      measured: fb === null ? "–" : `${fb.toFixed(2)}×`,
      verdict: verdict(fb === null ? null : fb >= 2),
    },
    {
      name: "fleet vs raw node:http ceiling, GET /",
      target: "≥ 0.8× req/s",
      measured: fr === null ? "–" : `${fr.toFixed(2)}×`,
      verdict: verdict(fr === null ? null : fr >= 0.8),
    },
    {
      name: "fleet server CPU per GET / at LOG_LEVEL=info vs bare node:http",
      target: "≤ 1.3×",
      measured: cpuVsRaw === null ? "–" : `${cpuVsRaw.toFixed(2)}×`,
      verdict: verdict(cpuVsRaw === null ? null : cpuVsRaw <= 1.3),
    },
    {
      name: "fleet requests per server CPU-second vs the tutorial Express cluster",
      target: "≥ 1.5×",
      measured: perCpuVsBaseline === null ? "–" : `${perCpuVsBaseline.toFixed(2)}×`,
      verdict: verdict(perCpuVsBaseline === null ? null : perCpuVsBaseline >= 1.5),
    },
    {
      name: "fleet SIGHUP reload under load",
      target: "0 failed requests",
      measured: fleetReload
        ? `${fleetReload.failed} of ${fleetReload.requests}${pm2Reload ? ` (pm2 reload: ${pm2Reload.failed} of ${pm2Reload.requests})` : ""}`
        : "–",
      verdict: verdict(fleetReload ? fleetReload.failed === 0 && !fleetReload.problem : null),
    },
    {
      name: "fleet /healthcheck while CPU saturated",
      target: "p99 < 50 ms",
      measured: fh
        ? `p99 ${fh.p99Ms.toFixed(1)} ms, ${fh.failures} failed${bh ? ` (baseline: p99 ${bh.p99Ms.toFixed(0)} ms, ${bh.failures} failed)` : ""}`
        : "–",
      verdict: verdict(fh ? fh.p99Ms < 50 && fh.failures === 0 : null),
    },
  ];
  notes.push(
    'req/s is what this machine\'s load generator could get through each target; "requests per server CPU-second" divides the ' +
      "requests by the CPU time the target's processes spent, which does not depend on the load generator: it is the better guide " +
      "to what each would serve on an instance of its own behind the ALB.",
  );
  if (CORES <= 2) {
    notes.push(
      `This machine has ${CORES} cores: the load generator (autocannon, one thread in the bench process), the cluster primary and ` +
        "the workers all share them, so no target has the cores to itself and each req/s figure is partly the load generator's limit. " +
        "On the ALB the load comes from elsewhere; compare the CPU-per-request figures for that.",
    );
  }
  const othersAll = rounds.flatMap((r) => [...r.values()].map((x) => x.othersCpuShare));
  if (othersAll.length && median(othersAll) > 0.1) {
    notes.push(
      `Other processes on this machine used a median ${(median(othersAll) * 100).toFixed(0)} % of its CPU during the measurements ` +
        "(last column): the absolute req/s are depressed by that; the ratios, taken between adjacent measurements of the same round, less so.",
    );
  }
  if (health.some((h) => !h.skipped && h.samples < 200)) {
    notes.push(
      "With under 200 probes the health p99 is the slowest probe or close to it: one slow scheduling decision decides it.",
    );
  }
  const report: BenchReport = {
    machine: machine(argv),
    config: {
      durationS: args.durationS,
      warmupS: args.warmupS,
      connections: args.connections,
      rounds: args.rounds,
      healthSeconds: args.healthSeconds,
      logLevel: "info",
    },
    targets,
    ratios,
    health,
    reloads,
    checks,
    notes,
  };
  fs.mkdirSync(args.out, { recursive: true });
  const stem = path.join(args.out, args.name);
  const md = renderMarkdown(report);
  fs.writeFileSync(
    `${stem}.json`,
    JSON.stringify({ ...report, rounds: rounds.map((r) => Object.fromEntries(r)) }, null, 2) + "\n",
  );
  fs.writeFileSync(`${stem}.md`, md);
  fs.writeFileSync(`${stem}.svg`, renderSvg(report));
  console.log(md);
  for (const c of checks) console.log(`${c.verdict.padEnd(4)} ${c.name}: ${c.target}, measured ${c.measured}`);
  console.log(`\nwrote ${stem}.json, .md and .svg`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
