/**
 * bench/jobs.ts: its flags, and a tiny run through the embedded backend (BullMQ skipped) that must
 * produce a complete report. Speed is the bench's business, not asserted here.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseJobsBenchArgs } from "../../bench/jobs";
import { UsageError } from "../../scripts/cli";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe("bench:jobs", function () {
  this.timeout(60_000);

  it("parses its flags, with a quick mode", () => {
    const full = parseJobsBenchArgs([]);
    assert.equal(full.jobs, 20_000);
    assert.equal(full.samples, 1_000);
    assert.equal(full.bullmq, true);
    const quick = parseJobsBenchArgs(["--quick", "--no-bullmq", "--name", "smoke"]);
    assert.deepEqual([quick.jobs, quick.samples, quick.bullmq, quick.name], [2_000, 100, false, "smoke"]);
    assert.throws(
      () => parseJobsBenchArgs(["--jobs", "5"]),
      (e: unknown) => e instanceof UsageError && /--jobs must be/.test(e.message),
    );
    assert.throws(() => parseJobsBenchArgs(["--name", "../x"]), UsageError);
    assert.throws(() => parseJobsBenchArgs(["--fast"]), UsageError);
  });

  it("runs the embedded backend end to end and writes the JSON and markdown report", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-bench-jobs-test-"));
    try {
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [TSX, path.join(ROOT, "bench/jobs.ts"), "--jobs", "200", "--samples", "10", "--no-bullmq", "--out", out],
          { cwd: ROOT, timeout: 50_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
        ),
      );
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(fs.readFileSync(path.join(out, "jobs.json"), "utf8"));
      assert.deepEqual(
        report.sqlite.throughput.map((t: { concurrency: number }) => t.concurrency),
        [1, 16],
      );
      for (const t of report.sqlite.throughput) assert.ok(t.jobsPerS > 0 && t.enqueuePerS > 0);
      assert.equal(report.sqlite.latency.samples, 10);
      assert.ok(report.sqlite.latency.p50Ms > 0 && report.sqlite.latency.p50Ms <= report.sqlite.latency.p99Ms);
      assert.deepEqual(report.bullmq, { skipped: "--no-bullmq" });
      const md = fs.readFileSync(path.join(out, "jobs.md"), "utf8");
      assert.match(md, /\| enqueue → start p50 \/ p99, idle worker \| [\d.]+ \/ [\d.]+ ms \| skipped \|/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
