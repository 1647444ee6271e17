/**
 * Render memory: the gate holds runs back while their bytes would pass the worker's budget, the worker
 * reserves a render's bytes before running it (two 8192² renders never run at once on a budget for one),
 * and a render allocates its image once (pngjs's constructor would add 4 bytes a pixel more).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { renderBytes, renderPng } from "../../service/jobs/kinds/render";
import { MemoryGate, processMemoryLimit, runMemoryBudget } from "../../service/jobs/memory-gate";
import type { JobRunner } from "../../service/jobs/runner";
import { openSqliteBackend } from "../../service/jobs/sqlite/backend";
import { startJobWorker } from "../../service/jobs/worker";
import { tempDir } from "./helpers";

describe("memory gate", () => {
  it("lets runs start only while their bytes fit the budget, in arrival order", async () => {
    const gate = new MemoryGate(100);
    const first = await gate.acquire(60);
    let secondIn = false;
    const second = gate.acquire(60).then((release) => ((secondIn = true), release));
    await new Promise((r) => setImmediate(r));
    assert.equal(secondIn, false, "60 + 60 > 100: the second waits");
    assert.equal(gate.inUseBytes, 60);
    first();
    (await second)();
    assert.equal(gate.inUseBytes, 0);
  });

  it("runs a run bigger than the whole budget, alone", async () => {
    const gate = new MemoryGate(100);
    const big = await gate.acquire(500);
    let smallIn = false;
    const small = gate.acquire(1).then((release) => ((smallIn = true), release));
    await new Promise((r) => setImmediate(r));
    assert.equal(smallIn, false);
    big();
    (await small)();
  });

  it("drops a waiter whose signal aborts, with the signal's reason", async () => {
    const gate = new MemoryGate(10);
    const held = await gate.acquire(10);
    const stop = new AbortController();
    const waiting = gate.acquire(5, stop.signal);
    stop.abort(new Error("canceled"));
    await assert.rejects(waiting, /canceled/);
    held();
    assert.equal(gate.inUseBytes, 0);
  });

  it("derives the budget from the process's memory limit (MemoryMax=, else the machine)", () => {
    const gib = 2 ** 30;
    assert.equal(processMemoryLimit(gib, 4 * gib), gib, "a cgroup limit below the machine's memory counts");
    assert.equal(processMemoryLimit(0, 4 * gib), 4 * gib, "no limit: the machine");
    assert.equal(processMemoryLimit(2 ** 62, 4 * gib), 4 * gib, "an unlimited cgroup reports a huge number");
    assert.ok(runMemoryBudget(1.6 * gib) >= renderBytes(8192, 8192), "one largest render fits a t3.small's unit");
    assert.equal(runMemoryBudget(0), 0);
  });
});

describe("render memory", () => {
  it("allocates the image once: no buffer of 4 bytes a pixel (pngjs's constructor's) beside its RGB pixels", () => {
    const sizes: number[] = [];
    const alloc = Buffer.alloc;
    Buffer.alloc = ((size: number, ...rest: unknown[]) => {
      sizes.push(size);
      return (alloc as (...a: unknown[]) => Buffer)(size, ...rest);
    }) as typeof Buffer.alloc;
    try {
      const png = renderPng({ width: 64, height: 32, maxIterations: 10 }, () => {});
      assert.equal(png.data.length, 64 * 32 * 3);
    } finally {
      Buffer.alloc = alloc;
    }
    assert.ok(!sizes.includes(64 * 32 * 4), `allocations: ${sizes.join(", ")}`);
    assert.equal(sizes.filter((s) => s >= 64 * 32 * 3).length, 1, "one image-sized buffer");
  });

  it("reserves a render's bytes in the worker: two largest renders never run at once on a budget for one", async function () {
    this.timeout(20_000);
    const dir = tempDir();
    const backend = await openSqliteBackend({
      file: path.join(dir, "jobs.db"),
      resultsDir: path.join(dir, "results"),
      maxAttempts: 1,
    });
    let running = 0;
    let most = 0;
    const runner: JobRunner = {
      async run() {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 150));
        running--;
        return { result: {} };
      },
      close: async () => {},
    };
    const worker = startJobWorker({
      backend,
      runner,
      concurrency: 2,
      leaseMs: 10_000,
      jobTimeoutMs: 10_000,
      memoryBudgetBytes: renderBytes(8192, 8192),
      log: pino({ level: "silent" }),
      claimWaitMs: 100,
      once: true,
    });
    try {
      for (let i = 0; i < 2; i++) await backend.enqueue({ kind: "render", input: { width: 8192, height: 8192 } });
      await worker.done;
      assert.equal(most, 1, "the second render waited for the first's memory");
    } finally {
      await worker.stop(0);
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
