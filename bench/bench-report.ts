/**
 * Renders a bench result (bench/bench.ts) as a markdown table and a hand-written SVG bar chart of req/s
 * per target. Pure functions: data in, text out.
 */
import type { ReloadResult } from "./reload";

export interface TargetSummary {
  id: string;
  label: string;
  /** Medians over the rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Sum over the rounds. */
  errors: number;
  requests: number;
  peakRssBytes: number;
  /** Median share of the machine's CPU that other processes (not the target, not the load generator) used. */
  othersCpuShare: number;
  /** Median CPU time of the target's process tree per request, µs. */
  cpuUsPerRequest: number;
  /** Median over the rounds of its CPU per request ÷ bare node:http's in the same round (when raw ran). */
  cpuVsRaw?: number;
  rounds: number;
  skipped?: string;
}

export interface HealthSummary {
  id: string;
  label: string;
  samples: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuBusy: number;
  loadByStatus: Record<string, number>;
  skipped?: string;
}

/** A reload under keep-alive load (bench/reload.ts), for one target. */
export interface ReloadSummary extends ReloadResult {
  id: string;
  label: string;
  /** What triggered it. */
  how: string;
}

export interface Check {
  name: string;
  target: string;
  measured: string;
  /** PASS, MISS, or n/a when a target it needs did not run. */
  verdict: "PASS" | "MISS" | "n/a";
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  date: string;
  command: string;
  commit: string;
}

export interface BenchReport {
  machine: Machine;
  config: {
    durationS: number;
    warmupS: number;
    connections: number;
    rounds: number;
    healthSeconds: number;
    logLevel: string;
  };
  targets: TargetSummary[];
  ratios: Record<string, number | null>;
  health: HealthSummary[];
  reloads?: ReloadSummary[];
  checks: Check[];
  notes: string[];
}

const fmt = (x: number, digits = 0): string =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";
const mib = (bytes: number): string => (bytes > 0 ? `${fmt(bytes / 2 ** 20)} MiB` : "–");
const ms = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? `${fmt(x)} ms` : `${fmt(x, 1)} ms`) : "–");

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `Measured ${m.date} on ${m.cpuModel}, ${m.cores} cores, ${fmt(m.memoryGiB)} GiB, Node ${m.node}, ${m.os}; commit ${m.commit}.`,
  );
  lines.push(
    `Command: \`${m.command}\` — ${r.config.rounds} rounds of ${r.config.durationS} s per target (${r.config.warmupS} s warm-up), ` +
      `${r.config.connections} connections, no pipelining, targets alternated each round; medians shown. Fleet logs at LOG_LEVEL=${r.config.logLevel}.`,
  );
  lines.push("");
  lines.push(
    "| target | GET / req/s | p50 | p99 | errors / requests | server CPU per request | vs node:http | peak RSS (tree) | CPU of other processes |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const t of r.targets) {
    if (t.skipped) lines.push(`| ${t.label} | not run: ${t.skipped} | | | | | | | |`);
    else {
      const vsRaw = t.cpuVsRaw === undefined ? "–" : `${fmt(t.cpuVsRaw, 2)}×`;
      lines.push(
        `| ${t.label} | ${fmt(t.rps)} | ${ms(t.p50Ms)} | ${ms(t.p99Ms)} | ${fmt(t.errors)} / ${fmt(t.requests)} | ${fmt(t.cpuUsPerRequest, 1)} µs | ${vsRaw} | ` +
          `${mib(t.peakRssBytes)} | ${fmt(t.othersCpuShare * 100)} % |`,
      );
    }
  }
  lines.push("");
  lines.push("| ratio (median of per-round ratios) | value |");
  lines.push("| --- | ---: |");
  for (const [k, v] of Object.entries(r.ratios)) lines.push(`| ${k} | ${v === null ? "–" : `${fmt(v, 2)}×`} |`);
  if (r.health.length) {
    lines.push("");
    lines.push(
      `\`GET /healthcheck\` every 50 ms for ${r.config.healthSeconds} s while \`GET /api/2000000000\` requests saturate every worker:`,
    );
    lines.push("");
    lines.push("| target | probes | failed | p50 | p99 | max | CPU busy | load responses |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const h of r.health) {
      if (h.skipped) lines.push(`| ${h.label} | not run: ${h.skipped} | | | | | | |`);
      else {
        const load =
          Object.entries(h.loadByStatus)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ") || "none finished";
        lines.push(
          `| ${h.label} | ${h.samples} | ${h.failures} | ${ms(h.p50Ms)} | ${ms(h.p99Ms)} | ${ms(h.maxMs)} | ${fmt(h.cpuBusy * 100)} % | ${load} |`,
        );
      }
    }
  }
  if (r.reloads?.length) {
    lines.push("");
    lines.push(
      `A reload of every worker while ${r.config.connections} keep-alive connections send \`GET /\`, counted from the trigger until 1 s after it finished:`,
    );
    lines.push("");
    lines.push("| target | trigger | requests | failed | non-2xx | socket errors | reload took |");
    lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for (const x of r.reloads) {
      lines.push(
        `| ${x.label} | \`${x.how}\` | ${fmt(x.requests)} | ${fmt(x.failed)} | ${fmt(x.non2xx)} | ${fmt(x.socketErrors)} | ${fmt(x.reloadMs / 1000, 1)} s${x.problem ? ` (${x.problem})` : ""} |`,
      );
    }
  }
  lines.push("");
  lines.push("| target | goal | measured | verdict |");
  lines.push("| --- | --- | --- | --- |");
  for (const c of r.checks) lines.push(`| ${c.name} | ${c.target} | ${c.measured} | ${c.verdict} |`);
  if (r.notes.length) {
    lines.push("");
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  lines.push("");
  return lines.join("\n");
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A horizontal bar chart of median req/s per target, plain SVG. */
export function renderSvg(r: BenchReport): string {
  const rows = r.targets.filter((t) => !t.skipped);
  const width = 800;
  const left = 290; // room for the longest label at 14 px
  const right = 110;
  const barH = 30;
  const gap = 14;
  const top = 56;
  const height = top + rows.length * (barH + gap) + 40;
  const maxRps = Math.max(1, ...rows.map((t) => t.rps));
  const colors: Record<string, string> = {
    fleet: "#2f6fdf",
    "fleet-1": "#7aa5ef",
    "fleet-quiet": "#1f4fa0",
    baseline: "#d9822b",
    raw: "#8a8a8a",
    fastify: "#b05fc9",
    pm2: "#2b9d6f",
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="14">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="16" y="24" font-size="16" font-weight="bold">GET / requests per second (median of ${r.config.rounds} rounds, higher is better)</text>`,
  );
  out.push(
    `<text x="16" y="44" font-size="12" fill="#555">${esc(`${r.machine.cpuModel}, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.date.slice(0, 10)} — ${r.machine.command}`)}</text>`,
  );
  rows.forEach((t, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, Math.round(((width - left - right) * t.rps) / maxRps));
    out.push(`<text x="${left - 10}" y="${y + barH / 2 + 5}" text-anchor="end">${esc(t.label)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${w}" height="${barH}" rx="3" fill="${colors[t.id] ?? "#555"}"/>`);
    out.push(`<text x="${left + w + 8}" y="${y + barH / 2 + 5}">${esc(fmt(t.rps))}</text>`);
  });
  const axisY = top + rows.length * (barH + gap);
  out.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${axisY - gap + 6}" stroke="#333"/>`);
  out.push(
    `<text x="16" y="${height - 14}" font-size="12" fill="#555">p99 latency: ${esc(rows.map((t) => `${t.id} ${ms(t.p99Ms)}`).join(" · "))}</text>`,
  );
  out.push("</svg>");
  return out.join("\n") + "\n";
}
