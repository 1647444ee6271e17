import assert from "node:assert/strict";
import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp, type AppOptions } from "../../service/app";
import { MAX_TRACE_ID_LENGTH, SERVER_ERROR_MESSAGE, traceRequestIdGenerator } from "../../service/error-handler";
import { openSqliteBackend } from "../../service/jobs/sqlite/backend";
import type { SumPool } from "../../service/sum-pool";
import { tempDir } from "../jobs/helpers";

const ARN = "arn:aws:sts::123456789012:assumed-role/fleet-web-role/i-0abc";
const TRACE = "Root=1-67891233-abcdef012345678912345678";

/** An error as the AWS SDK throws it when a role lacks a permission: the account and role in the text. */
function accessDenied(): Error {
  const err = new Error(
    `User: ${ARN} is not authorized to perform: dynamodb:GetItem on resource: ` +
      `arn:aws:dynamodb:eu-west-1:123456789012:table/fleet-jobs because no identity-based policy allows it`,
    { cause: new Error("HTTP 400 from dynamodb.eu-west-1.amazonaws.com") },
  );
  err.name = "AccessDeniedException";
  return Object.assign(err, { $metadata: { httpStatusCode: 400, requestId: "AWS-REQ-1" } });
}

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  err?: { message?: string; stack?: string; type?: string };
}

function captured(): { lines: Line[]; logger: AppOptions["logger"] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { lines, logger: { level: "info", stream } };
}

const deniedPool: SumPool = { sum: () => Promise.reject(accessDenied()), close: async () => {} };

/** The answer says nothing of the internal error and quotes the id; the log line has all of it. */
function assertQuiet(res: { statusCode: number; body: string }, lines: Line[], requestId: string): void {
  assert.equal(res.statusCode, 500);
  assert.ok(!res.body.includes("123456789012"), `no account id in the answer: ${res.body}`);
  assert.ok(!/arn:|AccessDenied|dynamodb|not authorized/i.test(res.body), `no internal text: ${res.body}`);
  assert.deepEqual(JSON.parse(res.body), {
    statusCode: 500,
    error: "Internal Server Error",
    message: SERVER_ERROR_MESSAGE,
    requestId,
  });
  const errors = lines.filter((l) => l.level >= 50);
  assert.equal(errors.length, 1, JSON.stringify(lines));
  const [line] = errors;
  assert.equal(line!.msg, "server error");
  assert.equal(line!.reqId, requestId, "the id in the answer finds the log line");
  assert.match(line!.err?.message ?? "", new RegExp(ARN.replace(/[/.]/g, "\\$&")));
  assert.match(line!.err?.stack ?? "", /AccessDeniedException: User: arn:aws:sts::123456789012[^\n]*\n\s+at /);
  assert.match(line!.err?.stack ?? "", /caused by: Error: HTTP 400 from dynamodb/);
}

describe("quiet errors: a 5xx answers a generic message and the request id; the log has the error", () => {
  it("/api/:n whose pool throws an AccessDenied with an ARN: 500 without that text, with the ALB's trace id", async () => {
    const { lines, logger } = captured();
    const app = buildApp({ apiMaxN: 1000, pool: deniedPool, logger });
    try {
      const res = await app.inject({ url: "/api/10", headers: { "x-amzn-trace-id": TRACE } });
      assertQuiet(res, lines, TRACE);
    } finally {
      await app.close();
    }
  });

  it("a route that set a 4xx and then hit an internal error still answers a quiet 500", async () => {
    const { lines, logger } = captured();
    const app = buildApp({ apiMaxN: 1000, pool: deniedPool, logger });
    app.get("/half-done", async (_request, reply) => {
      reply.code(404);
      throw accessDenied();
    });
    try {
      const res = await app.inject({ url: "/half-done", headers: { "x-amzn-trace-id": TRACE } });
      assertQuiet(res, lines, TRACE);
    } finally {
      await app.close();
    }
  });

  describe("the jobs API over a backend that throws", () => {
    let app: FastifyInstance;
    let dir: string;
    let lines: Line[];
    let close: () => Promise<void>;

    beforeEach(async () => {
      dir = tempDir();
      const backend = await openSqliteBackend({
        file: path.join(dir, "jobs.db"),
        resultsDir: path.join(dir, "results"),
        maxAttempts: 3,
      });
      backend.get = () => Promise.reject(accessDenied());
      const log = captured();
      lines = log.lines;
      app = buildApp({
        apiMaxN: 1000,
        pool: deniedPool,
        logger: log.logger,
        jobs: { backend, maxBacklogS: 100, workerSlots: 1 },
      });
      close = async () => {
        await app.close();
        await backend.close();
        fs.rmSync(dir, { recursive: true, force: true });
      };
    });
    afterEach(() => close());

    it("GET /jobs/:id: 500 without the SDK's text, with a generated id when no ALB header came", async () => {
      const res = await app.inject({ url: "/jobs/0b7e3c5a-2f1d-4c3e-9a8b-7d6e5f4a3b2c" });
      const requestId = (JSON.parse(res.body) as { requestId?: string }).requestId ?? "";
      assert.match(requestId, /^req-[0-9a-z]+$/);
      assertQuiet(res, lines, requestId);
    });

    it("a 4xx keeps its useful message: a validation error names the field", async () => {
      const res = await app.inject({ method: "POST", url: "/jobs", payload: { kind: "sum", input: { n: -1 } } });
      assert.equal(res.statusCode, 400);
      assert.match((JSON.parse(res.body) as { message: string }).message, /input\/n/);
      const api = await app.inject("/api/x");
      assert.equal(api.statusCode, 400);
      assert.match((JSON.parse(api.body) as { message: string }).message, /params\/n must be an integer/);
      assert.equal(lines.length, 0, `a client's mistake is not a server error: ${JSON.stringify(lines)}`);
    });
  });
});

describe("the request id: the ALB's trace header only when it has the ALB's shape", () => {
  const gen = traceRequestIdGenerator();
  const idFor = (value: string | undefined) =>
    gen({ headers: value === undefined ? {} : { "x-amzn-trace-id": value } } as IncomingMessage);

  it("takes the header the ALB writes, with or without Self and custom fields", () => {
    for (const ok of [
      TRACE,
      `Self=1-67891233-12456789abcdef0123456789;${TRACE}`,
      `Self=1-67891233-12456789abcdef0123456789;${TRACE};CalledFrom=app`,
    ]) {
      assert.equal(idFor(ok), ok);
    }
  });

  it("generates an id for a missing, malformed, oversized or malicious header", () => {
    const bad = [
      undefined,
      "",
      "hello",
      `${TRACE}-2`, // the id is 24 hex digits, not 26
      "Root=1-6789123-abcdef012345678912345678", // time of 7 digits
      "Root=2-67891233-abcdef012345678912345678", // version 2
      `${TRACE}\n{"level":60,"msg":"forged log line"}`,
      `${TRACE};x=\r\nSet-Cookie: a=b`,
      `${TRACE};note="quoted"`,
      `${TRACE};${"a=b;".repeat(2_500)}`.slice(0, 10_000), // 10 kB
      `${TRACE};a=${"b".repeat(MAX_TRACE_ID_LENGTH)}`,
    ];
    for (const value of bad) assert.match(idFor(value), /^req-[0-9a-z]+$/, JSON.stringify(value?.slice(0, 80)));
  });

  it("through the app: a forged header is neither the answer's id nor the log line's", async () => {
    const { lines, logger } = captured();
    const app = buildApp({ apiMaxN: 1000, pool: deniedPool, logger });
    try {
      const forged = `${TRACE}\n{"level":60,"msg":"forged"}`;
      const res = await app.inject({ url: "/api/10", headers: { "x-amzn-trace-id": forged } });
      const body = JSON.parse(res.body) as { requestId: string };
      assert.match(body.requestId, /^req-[0-9a-z]+$/);
      assert.equal(lines[0]?.reqId, body.requestId);
      const big = await app.inject({
        url: "/api/10",
        headers: { "x-amzn-trace-id": `${TRACE};${"a".repeat(10_000)}` },
      });
      assert.match((JSON.parse(big.body) as { requestId: string }).requestId, /^req-[0-9a-z]+$/);
    } finally {
      await app.close();
    }
  });

  it("is cheap: 1e6 ALB headers in well under a microsecond each", () => {
    const req = { headers: { "x-amzn-trace-id": TRACE } } as unknown as IncomingMessage;
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i++) gen(req);
    const nsEach = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(nsEach < 1_000, `${nsEach} ns per id`);
  });
});
