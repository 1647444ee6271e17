import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";

const FIXTURE = path.join(__dirname, "fixtures/log-writer.ts");

function run(count: number, how: string): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", FIXTURE, String(count), how], { timeout: 15_000 }, (err, stdout) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, lines: stdout.split("\n").filter(Boolean) });
    });
  });
}

describe("batchedStdout: the workers' log lines, batched, none lost on exit", function () {
  this.timeout(30_000);
  // 20,000 lines is ~200 KB: several batches past the 4 KB threshold, and a tail still buffered at exit.
  for (const [how, code] of [
    ["exit", 0],
    ["throw", 1],
    ["idle", 0],
  ] as const) {
    it(`every line reaches stdout, in order, when the process ends by ${how}`, async () => {
      const r = await run(20_000, how);
      assert.equal(r.code, code);
      assert.equal(r.lines.length, 20_000);
      assert.deepEqual(r.lines.slice(-2), ['{"n":19998}', '{"n":19999}']);
      assert.ok(r.lines.every((l, i) => l === `{"n":${i}}`));
    });
  }
});
