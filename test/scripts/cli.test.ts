/**
 * Smoke tests: each script run as a child process on tiny, bounded inputs (loopback only). Timing goals
 * are reported by the benchmark itself, not asserted here.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tsx <script> ...args` (a path from the repository root) with a hard timeout; never rejects. */
function runScript(script: string, args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, path.join(ROOT, script), ...args],
      { cwd: ROOT, timeout: timeoutMs, killSignal: "SIGINT" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("npm run sum (child process)", () => {
  it("sums 0..1000000 exactly on worker threads and reports speedup and efficiency", async () => {
    const r = await runScript("scripts/sum.ts", ["1000000"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sum 0\.\.1000000 = 500000500000\n/);
    assert.match(r.stdout, /exact/);
    assert.match(r.stdout, /speedup: +[\d.]+×/);
    assert.match(r.stdout, /parallel efficiency: [\d.]+% of \d+ thread/);
  });

  it("--json --threads 3 with 1_000_000 gives three slices and the exact sum", async () => {
    const r = await runScript("scripts/sum.ts", ["1_000_000", "--threads", "3", "--runs", "2", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      sum: string;
      exact: boolean;
      threads: number;
      slices: unknown[];
      efficiency: number;
      allRuns: { parallelMs: number[] };
      othersCpuShare: number;
    };
    assert.equal(j.sum, "500000500000");
    assert.equal(j.exact, true);
    assert.equal(j.threads, 3);
    assert.equal(j.slices.length, 3);
    assert.ok(j.efficiency > 0);
    assert.equal(j.allRuns.parallelMs.length, 2);
    assert.ok(j.othersCpuShare >= 0 && j.othersCpuShare <= 1);
  });

  for (const args of [
    ["-5"],
    ["1.5"],
    ["abc"],
    ["1e12"],
    ["1e6", "7"],
    ["--threads", "0"],
    ["--runs", "x"],
    ["--fast"],
  ]) {
    it(`exits 1 with a message for ${args.join(" ")}`, async () => {
      const r = await runScript("scripts/sum.ts", args);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^sum: .*(n must be an integer from 0 to 1e11|extra argument|--threads must|--runs must|unknown flag)/,
      );
      assert.match(r.stderr, /usage: npm run sum/);
    });
  }
});

describe("npm run capacity (child process)", () => {
  it("prints min / desired / max, the arithmetic and the pulumi config lines", async () => {
    const r = await runScript("scripts/capacity.ts", [
      "--peak-rps",
      "4000",
      "--per-instance-rps",
      "900",
      "--stack",
      "prod",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /min 2 \/ desired 10 \/ max 14/);
    assert.match(r.stdout, /⌈4000 \/ \(900 × 0\.7\)⌉/);
    for (const key of ["minSize 2", "desiredCapacity 10", "maxSize 14", "cpuTargetPercent 70"]) {
      assert.ok(r.stdout.includes(`pulumi config set --stack prod fleet:${key}`), key);
    }
  });

  for (const [args, flag] of [
    [["--per-instance-rps", "900"], "--peak-rps"],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--measure"], "--measure"],
    [["--peak-rps", "4000", "--per-instance-rps", "x"], "--per-instance-rps"],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--target-cpu", "150"], "--target-cpu"],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--azs", "0"], "--azs"],
    [["--peak-rps", "4000", "--per-instance-rps", "900", "--bogus"], "--bogus"],
  ] as [string[], string][]) {
    it(`exits 1 naming ${flag} for ${args.join(" ")}`, async () => {
      const r = await runScript("scripts/capacity.ts", args);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith("capacity: ") && r.stderr.includes(flag), r.stderr);
    });
  }
});

describe("npm run bench --quick (child process, real servers on loopback)", function () {
  this.timeout(100_000);
  before(function () {
    this.timeout(60_000);
    // npm run build, without npm's start-up cost. A service that does not build fails here: the bench
    // is about the fleet, so a smoke test without it would prove nothing.
    execFileSync(
      process.execPath,
      [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
      { cwd: ROOT, stdio: "pipe" },
    );
  });

  it("exits 1 on a bad flag", async () => {
    const r = await runScript("bench/bench.ts", ["--targets", "nginx"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--targets takes a comma-separated subset/);
  });

  it("measures every target briefly and writes JSON, markdown and SVG", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
    try {
      // pm2 instead of fleet-1: the pm2 target and both reloads are the slow parts worth smoking.
      const targets = "fleet,baseline,raw,pm2";
      const args = [
        "--quick",
        "--duration",
        "0.5",
        "--warmup",
        "0",
        "--connections",
        "10",
        "--health-seconds",
        "0.5",
        "--no-build",
        "--targets",
        targets,
        "--out",
        out,
        "--name",
        "smoke",
      ];
      const r = await runScript("bench/bench.ts", args, 95_000);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(fs.readFileSync(path.join(out, "smoke.json"), "utf8")) as {
        targets: { id: string; rps: number; errors: number; peakRssBytes: number; skipped?: string }[];
        health: { id: string; samples: number; p99Ms: number }[];
        checks: { verdict: string }[];
        reloads: { id: string; requests: number; failed: number; problem?: string }[];
        machine: { cores: number; node: string; command: string };
      };
      assert.deepEqual(
        report.targets.map((t) => t.id),
        targets.split(","),
      );
      for (const t of report.targets) {
        assert.equal(t.skipped, undefined, `${t.id} ran`);
        assert.ok(t.rps > 0, `${t.id} served requests`);
        assert.equal(t.errors, 0, `${t.id} had no errors on GET /`);
        assert.ok(t.peakRssBytes > 10 * 2 ** 20, `${t.id} RSS of its process tree was sampled`);
      }
      assert.ok(report.health.some((h) => h.id === "baseline" && h.samples > 0));
      assert.ok(report.health.some((h) => h.id === "fleet" && h.samples > 0));
      // Both reloads ran under load; fleet's lost nothing (pm2's count is what it is: reported, not judged).
      assert.deepEqual(
        report.reloads.map((x) => x.id),
        ["fleet", "pm2"],
      );
      assert.ok(report.reloads.every((x) => x.requests > 0 && x.problem === undefined));
      assert.equal(report.reloads[0]!.failed, 0, "fleet's SIGHUP reload failed no request");
      // Every goal is judged: with all four targets measured, none may be left "n/a".
      assert.deepEqual(
        report.checks.map((c) => ["PASS", "MISS"].includes(c.verdict)),
        report.checks.map(() => true),
      );
      assert.equal(report.machine.cores, os.availableParallelism());
      assert.match(report.machine.command, /^npm run bench -- --quick/);
      const md = fs.readFileSync(path.join(out, "smoke.md"), "utf8");
      assert.match(md, /\| target \| GET \/ req\/s \|/);
      const svg = fs.readFileSync(path.join(out, "smoke.svg"), "utf8");
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal(
        (svg.match(/<rect /g) ?? []).length,
        targets.split(",").length + 1,
        "one bar per target and a background",
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
