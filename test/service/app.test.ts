import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/app";
import { createSumPool, type SumPool } from "../../service/sum-pool";

describe("service app (inject)", () => {
  let pool: SumPool;
  let app: FastifyInstance;
  before(async () => {
    pool = createSumPool({ threads: 1, maxQueue: 1, taskTimeoutMs: 20_000 });
    app = buildApp({ apiMaxN: 5_000_000_000, pool, logger: false });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await pool.close();
  });

  it("GET / says hello with the worker's pid", async () => {
    const res = await app.inject("/");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { message: "Hello World!", pid: process.pid });
  });

  it("GET /healthcheck is ok, and 503 draining with Connection: close once shutdown has begun", async () => {
    assert.deepEqual((await app.inject("/healthcheck")).json(), { status: "ok" });
    app.draining = true;
    try {
      const res = await app.inject("/healthcheck");
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: "draining" });
      assert.equal(res.headers.connection, "close");
    } finally {
      app.draining = false;
    }
  });

  for (const [n, sum] of [
    [0, "0"],
    [1, "1"],
    [10, "55"],
    [1_000_000, "500000500000"],
    // 2^53 is passed here: a plain double loop would be off
    [200_000_000, "20000000100000000"],
  ] as const) {
    it(`GET /api/${n} sums 0..${n} exactly`, async () => {
      const res = await app.inject(`/api/${n}`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { n, sum, pid: process.pid });
    });
  }

  for (const bad of ["-1", "1.5", "abc", "5000000001", "1e30"]) {
    it(`GET /api/${bad} is a 400 naming the bound`, async () => {
      const res = await app.inject(`/api/${bad}`);
      assert.equal(res.statusCode, 400);
      const body = res.json();
      assert.equal(body.code, "FST_ERR_VALIDATION");
      assert.equal(body.message, "params/n must be an integer from 0 to 5000000000 (API_MAX_N)");
    });
  }

  it("answers 503 with Retry-After when the pool and its queue are full, instead of queueing without bound", async () => {
    const n = 1_500_000_000;
    // One thread and a queue of one: the third concurrent request has nowhere to wait.
    const first = app.inject(`/api/${n}`);
    const second = app.inject(`/api/${n}`);
    const third = await app.inject(`/api/${n}`);
    assert.equal(third.statusCode, 503);
    assert.equal(third.headers["retry-after"], "1");
    assert.match(third.json().message, /busy/);
    assert.deepEqual([(await first).statusCode, (await second).statusCode], [200, 200]);
  });

  it("unknown routes are a JSON 404", async () => {
    const res = await app.inject("/nope");
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, "Not Found");
  });
});

describe("a client that hangs up during /api", () => {
  it("frees its thread and is logged once, as 499, not as a server error", async () => {
    const pool = createSumPool({ threads: 1, maxQueue: 0, taskTimeoutMs: 20_000 });
    const lines: Array<{ level: number; msg: string; statusCode?: number; url?: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = buildApp({ apiMaxN: 5_000_000_000, pool, logger: { level: "info", stream } });
    try {
      await app.listen({ port: 0, host: "127.0.0.1" });
      const { port } = app.server.address() as AddressInfo;
      const req = http.get({ host: "127.0.0.1", port, path: "/api/5000000000" });
      req.on("error", () => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      req.destroy();
      // One thread and no queue: /api/10 is refused for as long as the abandoned sum holds the thread (4 s).
      const started = Date.now();
      let answer = await app.inject("/api/10");
      while (answer.statusCode === 503 && Date.now() - started < 3_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        answer = await app.inject("/api/10");
      }
      assert.equal(answer.json().sum, "55", "the thread was freed well before the sum would have ended");
      const gone = lines.filter((l) => l.url === "/api/5000000000");
      assert.deepEqual(
        gone.map((l) => [l.level, l.statusCode, l.msg]),
        [[30, 499, "client went away; its computation was stopped"]],
      );
      assert.ok(!lines.some((l) => l.level >= 50), "no error logged");
    } finally {
      await app.close();
      await pool.close();
    }
  });
});

describe("sum pool deadline", () => {
  it("stops a task that runs past its deadline and answers 503", async () => {
    const pool = createSumPool({ threads: 1, maxQueue: 0, taskTimeoutMs: 1_000 });
    const app = buildApp({ apiMaxN: 5_000_000_000, pool, logger: false });
    try {
      const started = Date.now();
      const res = await app.inject("/api/5000000000");
      assert.equal(res.statusCode, 503);
      assert.match(res.json().message, /ran past 1000 ms/);
      assert.ok(Date.now() - started < 3_000, "the answer did not wait for the whole loop");
      // The thread was replaced: the pool still computes.
      assert.equal((await app.inject("/api/10")).json().sum, "55");
    } finally {
      await app.close();
      await pool.close();
    }
  });
});
