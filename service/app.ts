import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { registerCors } from "./cors";
import { parseDecimal } from "./decimal";
import { jobsRoutes, type JobsRoutesOptions } from "./jobs/routes";
import { DEFAULT_SLOW_MS, LazyChildLogger, RequestLog, type RequestLogOptions } from "./request-log";
import { PoolBusyError, TaskTimeoutError, type SumPool } from "./sum-pool";
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "./timing";

declare module "fastify" {
  interface FastifyInstance {
    /** Set once shutdown has begun: /healthcheck answers 503 and responses close their connection. */
    draining: boolean;
  }
}

export interface AppOptions {
  /** Largest n that /api/:n accepts. */
  apiMaxN: number;
  /** Where /api/:n computes, off the event loop. */
  pool: SumPool;
  /** pino options (JSON lines on stdout), or false for silence in tests. */
  logger: FastifyServerOptions["logger"];
  /** The jobs API (/jobs, /results/); without it the app serves no jobs. */
  jobs?: JobsRoutesOptions;
  /** CORS_ORIGINS (service/cors.ts); absent or empty: no cross-origin access. */
  corsOrigins?: readonly string[];
  /** What is logged about requests (service/request-log.ts); by default no line per request and no summary. */
  requestLog?: RequestLogOptions;
  /**
   * TRUST_PROXY: proxies in front that append to X-Forwarded-For; request.ip (the client that admission's
   * quotas charge) is the address that many hops back. 0 or absent: the socket's address.
   */
  trustProxy?: number;
}

/** Seconds a client should wait before retrying a sum that ran past its deadline. */
const RETRY_AFTER_TIMEOUT_S = 1;

const errorSchema = {
  type: "object",
  properties: { statusCode: { type: "integer" }, error: { type: "string" }, message: { type: "string" } },
} as const;

/** Private (RFC 1918, RFC 4193) and loopback addresses: where a proxy in front of the service lives. */
const PRIVATE_ADDRESS =
  /^(?:::ffff:)?(?:10\.|127\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)|^(?:::1$|f[cd][0-9a-f]{2}:)/i;

/**
 * Trusts the nearest `hops` addresses of a request's path (the socket's peer first), and the peer only
 * when it is a private address (the ALB's nodes are in the VPC): a client that reached the service
 * directly from outside, were the security group ever opened, could not name itself through hops. A bare
 * hop count (Fastify's number form) cannot check the peer, which is why Fastify refuses it.
 */
export function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (address, hop) => hop < hops && (hop > 0 || PRIVATE_ADDRESS.test(address));
}

/** Builds the Fastify app; it does not listen, so tests drive it with inject(). */
export function buildApp(options: AppOptions): FastifyInstance {
  const requestLog = new RequestLog(
    options.requestLog ?? { perRequest: false, slowMs: DEFAULT_SLOW_MS, summaryIntervalMs: 0 },
  );
  const app = Fastify({
    logger: options.logger,
    // The ALB's trace id ties a log line to the ALB's access log; without it Fastify numbers requests.
    requestIdHeader: "x-amzn-trace-id",
    logController: requestLog,
    // A request's logger is built only if it logs: at info almost none does (service/request-log.ts).
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger, bindings, options),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // In-flight requests, and new ones on already-open keep-alive sockets, are served while draining
    // (with Connection: close) instead of being refused with Fastify's generic 503.
    return503OnClosing: false,
    // A hop count, never `true`: trusting every hop would let a client name itself in X-Forwarded-For.
    // Hop 0 is the socket's peer, then X-Forwarded-For from its right end; the first untrusted hop is the
    // client (what proxy-addr does with a number). Fastify works request.ip out only when a route reads
    // it (/api/:n, POST /jobs), not on every request.
    trustProxy: options.trustProxy ? trustHops(options.trustProxy) : false,
  });
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  app.decorate("draining", false);
  registerCors(app, options.corsOrigins ?? []);
  const summaryMs = options.requestLog?.summaryIntervalMs ?? 0;
  if (summaryMs > 0) {
    const timer = setInterval(() => requestLog.writeSummary(app.log), summaryMs).unref();
    // The last interval's requests are summarised too when the worker stops.
    app.addHook("onClose", (_app, done) => {
      clearInterval(timer);
      requestLog.writeSummary(app.log);
      done();
    });
  }
  // Only JSON bodies: Fastify's default text/plain parser would hand a string to the body schema, which
  // answers 400 "body must be object" where 415 Unsupported Media Type is the truth.
  app.removeContentTypeParser("text/plain");
  // Draining: every response says Connection: close, in flight ones included. A callback hook, not an
  // async one: an async hook costs every request a promise and a turn of the microtask queue.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (app.draining) reply.header("connection", "close");
    done(null, payload);
  });

  app.get(
    "/",
    {
      schema: {
        response: {
          200: { type: "object", properties: { message: { type: "string" }, pid: { type: "integer" } } },
        },
      },
    },
    async () => ({ message: "Hello World!", pid: process.pid }),
  );

  app.get(
    "/healthcheck",
    {
      schema: {
        response: {
          200: { type: "object", properties: { status: { const: "ok" } } },
          503: { type: "object", properties: { status: { const: "draining" } } },
        },
      },
    },
    async (_request, reply) => (app.draining ? reply.code(503).send({ status: "draining" }) : { status: "ok" }),
  );

  const badN = `params/n must be an integer from 0 to ${options.apiMaxN} (API_MAX_N)`;
  app.get<{ Params: { n: string } }>(
    "/api/:n",
    {
      schema: {
        // A string on purpose: the schema's integer coercion accepts " 7", "+7", "7e2", "0x7"; parseDecimal
        // decides what a number is.
        params: { type: "object", properties: { n: { type: "string" } }, required: ["n"] },
        response: {
          200: {
            type: "object",
            properties: { n: { type: "integer" }, sum: { type: "string" }, pid: { type: "integer" } },
          },
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const n = parseDecimal(request.params.n, options.apiMaxN);
      if (n === undefined) {
        return reply
          .code(400)
          .send({ statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request", message: badN });
      }
      // A client that hangs up no longer needs the answer: free its thread.
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      try {
        return { n, sum: await options.pool.sum(n, gone.signal, request.ip), pid: process.pid };
      } catch (err) {
        if (gone.signal.aborted) {
          requestLog.clientAborted(request, reply, "client went away; its computation was stopped");
          return reply.code(499).send();
        }
        if (err instanceof PoolBusyError || err instanceof TaskTimeoutError) {
          reply.header("retry-after", String(err instanceof PoolBusyError ? err.retryAfterS : RETRY_AFTER_TIMEOUT_S));
          return reply.code(503).send({ statusCode: 503, error: "Service Unavailable", message: err.message });
        }
        throw err;
      }
    },
  );

  if (options.jobs) app.register(jobsRoutes, options.jobs);

  return app;
}
