import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/app";
import pino from "pino";
import { LazyChildLogger, RequestStats, type RequestLogOptions } from "../../service/request-log";
import type { SumPool } from "../../service/sum-pool";

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  statusCode?: number;
  url?: string;
  err?: { stack?: string };
  [key: string]: unknown;
}

const TRACE = "Root=1-67891233-abcdef012345678912345678";
const TRACE_2 = "Root=1-67891234-abcdef012345678912345679";
const pool: SumPool = { sum: async (n) => String((BigInt(n) * BigInt(n + 1)) / 2n), close: async () => {} };

/** The real app at LOG_LEVEL=info, its lines captured, plus a route that fails like a bug would. */
function appWithLines(requestLog: RequestLogOptions): { app: FastifyInstance; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const app = buildApp({ apiMaxN: 1000, pool, logger: { level: "info", stream }, requestLog });
  app.get("/boom", async () => {
    throw new Error("a bug");
  });
  return { app, lines };
}

const quiet: RequestLogOptions = { perRequest: false, slowMs: 60_000, summaryIntervalMs: 0 };

describe("request logging at info: what a person needs, not a line per request", () => {
  it("a healthy request writes nothing; a server error writes one line with its stack and the ALB trace id", async () => {
    const { app, lines } = appWithLines(quiet);
    try {
      for (let i = 0; i < 20; i++) assert.equal((await app.inject("/")).statusCode, 200);
      assert.equal((await app.inject("/nope")).statusCode, 404);
      assert.equal((await app.inject("/api/x")).statusCode, 400);
      assert.equal(lines.length, 0, `no line for 200s, 404s and 400s: ${JSON.stringify(lines)}`);
      const res = await app.inject({ url: "/boom", headers: { "x-amzn-trace-id": TRACE } });
      assert.equal(res.statusCode, 500);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      const [line] = lines;
      assert.equal(line!.level, 50);
      assert.equal(line!.msg, "server error");
      assert.equal(line!.reqId, TRACE, "joinable with the ALB's access log");
      assert.equal(line!.url, "/boom");
      assert.match(line!.err?.stack ?? "", /Error: a bug\n\s+at /);
    } finally {
      await app.close();
    }
  });

  it("a request past the slow threshold is a warning with its trace id", async () => {
    const { app, lines } = appWithLines({ ...quiet, slowMs: 0.000001 });
    try {
      await app.inject({ url: "/", headers: { "x-amzn-trace-id": TRACE } });
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg, l.reqId, l.url, l.statusCode]),
        [[40, "slow request", TRACE, "/", 200]],
      );
      assert.equal(typeof lines[0]!.ms, "number");
    } finally {
      await app.close();
    }
  });

  it("LOG_REQUESTS=1: one line per request, each with the trace id", async () => {
    const { app, lines } = appWithLines({ ...quiet, perRequest: true });
    try {
      await app.inject({ url: "/", headers: { "x-amzn-trace-id": TRACE } });
      await app.inject({ url: "/api/10", headers: { "x-amzn-trace-id": TRACE_2 } });
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg, l.reqId, l.url, l.statusCode]),
        [
          [30, "request", TRACE, "/", 200],
          [30, "request", TRACE_2, "/api/10", 200],
        ],
      );
    } finally {
      await app.close();
    }
  });

  it("each worker writes a summary of its requests: counts by status class, p50/p99, the busiest routes", async () => {
    const { app, lines } = appWithLines({ ...quiet, summaryIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await app.inject("/");
    for (let i = 0; i < 3; i++) await app.inject(`/api/${i}`);
    await app.inject("/api/x");
    await app.inject("/boom");
    await app.close(); // the interval is cut short by the close: its summary is written then
    const summary = lines.find((l) => l.msg === "requests");
    assert.ok(summary, JSON.stringify(lines));
    assert.equal(summary.requests, 10);
    assert.deepEqual(summary.byStatus, { "2xx": 8, "4xx": 1, "5xx": 1 });
    assert.deepEqual((summary.busiest as unknown[]).slice(0, 2), [
      { route: "GET /", requests: 5 },
      { route: "GET /api/:n", requests: 4 },
    ]);
    assert.ok((summary.p50Ms as number) <= (summary.p99Ms as number));
  });
});

describe("RequestStats", () => {
  it("reports nothing for an idle interval", () => {
    assert.equal(new RequestStats().take(), undefined);
  });

  it("p50 and p99 within the histogram's 5 %, and each interval starts afresh", () => {
    const stats = new RequestStats();
    // 1..1000 ms: p50 is 500 ms, p99 990 ms.
    for (let ms = 1; ms <= 1000; ms++) stats.record("GET /", ms < 990 ? 200 : 503, ms, ms >= 900);
    stats.aborted();
    const s = stats.take()!;
    assert.equal(s.requests, 1000);
    assert.deepEqual(s.byStatus, { "2xx": 989, "5xx": 11 });
    assert.ok(s.p50Ms >= 500 && s.p50Ms <= 525, `p50 ${s.p50Ms}`);
    assert.ok(s.p99Ms >= 990 && s.p99Ms <= 1040, `p99 ${s.p99Ms}`);
    assert.equal(s.slow, 101);
    assert.equal(s.aborted, 1);
    assert.equal(stats.take(), undefined, "the next interval starts empty");
  });

  it("names at most three routes, busiest first", () => {
    const stats = new RequestStats();
    const counts = { "GET /a": 1, "GET /b": 4, "GET /c": 3, "POST /d": 2 };
    for (const [route, n] of Object.entries(counts)) for (let i = 0; i < n; i++) stats.record(route, 200, 1, false);
    assert.deepEqual(
      stats.take()!.busiest.map((b) => b.route),
      ["GET /b", "GET /c", "POST /d"],
    );
  });
});

describe("LazyChildLogger", () => {
  it("builds the request's child logger on its first line only, with the request's bindings", () => {
    const lines: string[] = [];
    const parent = pino({ level: "info", base: { worker: 1 } }, { write: (l: string) => void lines.push(l) });
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof parent.child;
    const log = new LazyChildLogger(parent, { reqId: TRACE });
    assert.equal(log.level, "info");
    assert.equal(children, 0, "no child for a request that logs nothing");
    log.debug("below the level");
    log.warn({ url: "/x" }, "slow request");
    log.error("again");
    assert.equal(children, 1);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)).map((l) => [l.level, l.msg, l.reqId, l.worker, l.url]),
      [
        [40, "slow request", TRACE, 1, "/x"],
        [50, "again", TRACE, 1, undefined],
      ],
    );
  });
});

describe("the app's request loggers (lazyChildren)", () => {
  it("a request that logs nothing builds no pino child; one that logs builds it once, with its trace id", async () => {
    // pino's child() lives on a prototype every pino logger shares: count its calls while the app serves.
    let proto = Object.getPrototypeOf(pino({ level: "silent" })) as { child: (...a: unknown[]) => unknown };
    while (!Object.hasOwn(proto, "child")) proto = Object.getPrototypeOf(proto) as typeof proto;
    const realChild = proto.child;
    let children = 0;
    proto.child = function (this: unknown, ...args: unknown[]) {
      children++;
      return realChild.apply(this, args);
    };
    try {
      const { app, lines } = appWithLines(quiet);
      await app.ready();
      children = 0;
      for (let i = 0; i < 3; i++) assert.equal((await app.inject("/")).statusCode, 200);
      assert.equal(children, 0, "GET / at info writes nothing, so it needs no child logger");
      await app.inject({ url: "/boom", headers: { "x-amzn-trace-id": TRACE } });
      assert.equal(children, 1);
      assert.equal(lines.find((l) => l.msg === "server error")?.reqId, TRACE);
      await app.close();
    } finally {
      proto.child = realChild;
    }
  });
});
