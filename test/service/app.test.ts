import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildJobsApp } from "../jobs/helpers";
import { buildApp, trustHops } from "../../service/app";
import { createSumPool, type SumPool } from "../../service/sum-pool";

describe("service app (inject)", () => {
  let pool: SumPool;
  let app: FastifyInstance;
  before(async () => {
    // 1 ns per unit of n, fixed, so that the admission arithmetic below does not depend on this machine.
    pool = createSumPool({ threads: 1, taskTimeoutMs: 20_000, waitBudgetMs: 1_000, msPerUnit: 1e-6 });
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

  // The whole class that schema coercion lets through, not single cases; test/service/decimal.test.ts has
  // the property over arbitrary strings.
  for (const bad of [
    "-1",
    "1.5",
    "abc",
    "5000000001",
    "1e30",
    "1e3",
    "0x10",
    "0b1",
    "0o7",
    "+7",
    "-0",
    "%207",
    "7%20",
    "%09%0A7",
    "007",
    "00",
    "7.",
    ".7",
    "7.0",
    "Infinity",
    "NaN",
    "true",
    "null",
    "%D9%A7", // Arabic-Indic seven
    "%EF%BC%97", // fullwidth seven
    "99999999999999999999999999",
  ]) {
    it(`GET /api/${bad} is a 400 naming the bound`, async () => {
      const res = await app.inject(`/api/${bad}`);
      assert.equal(res.statusCode, 400);
      const body = res.json();
      assert.equal(body.code, "FST_ERR_VALIDATION");
      assert.equal(body.message, "params/n must be an integer from 0 to 5000000000 (API_MAX_N)");
    });
  }

  it("GET /api/ with an empty n is a 400 naming the bound", async () => {
    const res = await app.inject("/api/");
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().message, "params/n must be an integer from 0 to 5000000000 (API_MAX_N)");
  });

  it("GET /api/5000000000, the bound itself, and /api/0 reach the pool as numbers", async () => {
    const asked: number[] = [];
    const fake: SumPool = { sum: async (n) => (asked.push(n), "x"), close: async () => {} };
    const bare = buildApp({ apiMaxN: 5_000_000_000, pool: fake, logger: false });
    try {
      assert.equal((await bare.inject("/api/5000000000")).statusCode, 200);
      assert.equal((await bare.inject("/api/0")).statusCode, 200);
      assert.deepEqual(asked, [5_000_000_000, 0]);
    } finally {
      await bare.close();
    }
  });

  it("refuses by estimated wait, not by count: a big sum gets 503 + Retry-After, small ones are still answered", async () => {
    // 1.5e9 × at least 1 ns = 1.5 s of work admitted; a second one would wait that long, past the 1 s budget.
    const first = app.inject("/api/1500000000");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await app.inject("/api/1500000000");
    assert.equal(second.statusCode, 503);
    // Retry-After is the estimated wait, rounded up to whole seconds (the estimate has learned this
    // machine's speed from the sums above, so it is not exactly 1.5 s).
    const waitMs = Number(/wait about (\d+) ms, past the 1000 ms budget/.exec(second.json().message)?.[1]);
    assert.ok(waitMs > 1_000, second.json().message);
    assert.equal(second.headers["retry-after"], String(Math.ceil(waitMs / 1000)));
    // Any non-trivial sum would wait as long: refused too. A trivial one runs inline: never refused.
    assert.equal((await app.inject("/api/300000")).statusCode, 503);
    const smalls = await Promise.all(Array.from({ length: 20 }, () => app.inject("/api/1000")));
    assert.deepEqual(
      smalls.map((r) => r.statusCode),
      smalls.map(() => 200),
    );
    assert.equal(smalls[0]!.json().sum, "500500");
    assert.equal((await first).statusCode, 200);
  });

  it("GET /api/:n gives each client a share (API_CLIENT_QUOTA_MS) behind the ALB: a flood leaves another client admitted", async () => {
    const shared = createSumPool({
      threads: 1,
      taskTimeoutMs: 20_000,
      waitBudgetMs: 1_000,
      msPerUnit: 1e-6,
      clientQuotaMs: 500,
    });
    const behindAlb = buildApp({ apiMaxN: 5_000_000_000, pool: shared, logger: false, trustProxy: 1 });
    const as = (client: string, n: number, spoof = "") =>
      behindAlb.inject({
        url: `/api/${n}`,
        remoteAddress: "10.0.1.17",
        headers: { "x-forwarded-for": `${spoof}${client}` },
      });
    try {
      // 4e8 at 1 ns: 0.4 s of work each. A's first fits its 0.5 s share, its second would not.
      const first = as("203.0.113.7", 400_000_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await as("203.0.113.7", 400_000_000, "198.51.100.99, ");
      assert.equal(second.statusCode, 503, "the same client, whatever it wrote before the ALB's entry");
      assert.match(second.json().message, /API_CLIENT_QUOTA_MS/);
      assert.ok(Number(second.headers["retry-after"]) >= 1);
      const other = await as("198.51.100.20", 400_000_000);
      assert.equal(other.statusCode, 200, "another client waits 0.4 s, within the 1 s budget: admitted");
      assert.equal((await first).statusCode, 200);
    } finally {
      await behindAlb.close();
      await shared.close();
    }
  });

  it("unknown routes are a JSON 404", async () => {
    const res = await app.inject("/nope");
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, "Not Found");
  });
});

describe("a client that hangs up during /api", () => {
  it("frees its thread and is logged once, as 499, not as a server error", async () => {
    // A budget of 0: nothing non-trivial is admitted while the abandoned sum is still counted.
    const pool = createSumPool({ threads: 1, taskTimeoutMs: 20_000, waitBudgetMs: 0, msPerUnit: 1e-6 });
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
      // /api/1000000 is refused for as long as the abandoned sum (about 5 s) is counted as admitted work.
      const started = Date.now();
      let answer = await app.inject("/api/1000000");
      while (answer.statusCode === 503 && Date.now() - started < 3_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        answer = await app.inject("/api/1000000");
      }
      assert.equal(answer.json().sum, "500000500000", "the thread was freed well before the sum would have ended");
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
    const pool = createSumPool({ threads: 1, taskTimeoutMs: 1_000, waitBudgetMs: 60_000, msPerUnit: 1e-6 });
    const app = buildApp({ apiMaxN: 5_000_000_000, pool, logger: false });
    try {
      const started = Date.now();
      const res = await app.inject("/api/5000000000");
      assert.equal(res.statusCode, 503);
      assert.match(res.json().message, /ran past 1000 ms/);
      assert.ok(Date.now() - started < 3_000, "the answer did not wait for the whole loop");
      // The thread was replaced: the pool still computes (1e6 is past the trivial size, so it uses a thread).
      // The new thread's start-up counts against the 1 s deadline too, which a loaded machine can exceed
      // (under the test loader a thread compiles TypeScript first): a few tries, bounded.
      let again = await app.inject("/api/1000000");
      for (let i = 0; i < 5 && again.statusCode === 503; i++) again = await app.inject("/api/1000000");
      assert.equal(again.json().sum, "500000500000", again.body);
    } finally {
      await app.close();
      await pool.close();
    }
  });
});

describe("request bodies", () => {
  it("a text/plain body is 415 Unsupported Media Type, as for any body that is not JSON", async () => {
    const jobs = await buildJobsApp();
    try {
      const res = await jobs.app.inject({
        method: "POST",
        url: "/jobs",
        headers: { "content-type": "text/plain" },
        payload: '{"kind":"sum","input":{"n":10}}',
      });
      assert.equal(res.statusCode, 415, res.body);
      assert.equal(res.json().code, "FST_ERR_CTP_INVALID_MEDIA_TYPE");
    } finally {
      await jobs.close();
    }
  });
});

describe("draining over a real connection", () => {
  it("a response in flight when draining begins says Connection: close, and so does the next request's", async () => {
    let finish: (sum: string) => void = () => {};
    let begun: () => void = () => {};
    const started = new Promise<void>((resolve) => (begun = resolve));
    const pool: SumPool = {
      sum: () => {
        begun();
        return new Promise<string>((resolve) => (finish = resolve));
      },
      close: async () => {},
    };
    const app = buildApp({ apiMaxN: 100, pool, logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path, agent }, (res) => res.resume().on("end", () => resolve(res)))
          .on("error", reject);
      });
    try {
      assert.equal((await get("/")).headers.connection, "keep-alive");
      const inFlight = get("/api/10");
      await started;
      app.draining = true;
      finish("55");
      const res = await inFlight;
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers.connection, "close");
      assert.equal((await get("/")).headers.connection, "close");
    } finally {
      agent.destroy();
      await app.close();
    }
  });
});

describe("trustHops (TRUST_PROXY)", () => {
  it("trusts the nearest hops, the socket's peer only when private or loopback", () => {
    const trust = trustHops(2);
    for (const peer of [
      "10.0.1.17",
      "172.16.0.1",
      "172.31.255.1",
      "192.168.1.1",
      "127.0.0.1",
      "::1",
      "::ffff:10.0.1.17",
      "fd12:3456::1",
    ])
      assert.ok(trust(peer, 0), peer);
    for (const peer of ["203.0.113.7", "172.32.0.1", "11.0.0.1", "::ffff:198.51.100.1", "2001:db8::1"])
      assert.ok(!trust(peer, 0), peer);
    assert.ok(trust("130.176.0.5", 1), "the hop the ALB appended (a CloudFront edge) is trusted by count");
    assert.ok(!trust("10.0.0.1", 2), "past the count nothing is trusted");
  });
});
