import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { registerCors } from "./cors";
import { parseDecimal } from "./decimal";
import { registerErrorHandler, traceRequestIdGenerator } from "./error-handler";
import { jobsRoutes, type JobsRoutesOptions } from "./jobs/routes";
import { DEFAULT_SLOW_MS, lazyChildren, RequestLog, type RequestLogOptions } from "./request-log";
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
  properties: {
    statusCode: { type: "integer" },
    error: { type: "string" },
    message: { type: "string" },
    requestId: { type: "string" },
  },
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
    // The ALB's trace id ties a log line to the ALB's access log, used only when it has the ALB's shape
    // (service/error-handler.ts); otherwise requests are numbered.
    requestIdHeader: false,
    genReqId: traceRequestIdGenerator(),
    logController: requestLog,
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
  // A request's logger is built only if it logs: at info almost none does (service/request-log.ts). Not on
  // Fastify's silent logger (logger: false), which is one object shared by every app in the process.
  if (options.logger) lazyChildren(app.log);
  decorateDraining(app, requestLog);
  registerErrorHandler(app, (err, request, reply) => requestLog.defaultErrorLog(err, request, reply));
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

  // CORS only where a page calls (the sum and the jobs API): GET / and /healthcheck are not for pages, and
  // @fastify/cors's hook costs every request it covers about 1 µs even without an Origin header.
  app.register(async (api) => {
    registerCors(api, options.corsOrigins ?? []);
    sumRoute(api, options, requestLog);
    if (options.jobs) api.register(jobsRoutes, options.jobs);
  });

  return app;
}

/**
 * `app.draining`: once set, every response says Connection: close, in-flight ones included. New requests get
 * it from the log controller (a flag test Fastify's per-request call makes anyway; no onSend hook on every
 * request); the responses already in flight when draining begins are found through their connections.
 */
function decorateDraining(app: FastifyInstance, requestLog: RequestLog): void {
  const open = new Set<Socket>();
  // Per connection, not per request: the ALB keeps its connections for many requests.
  app.server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  app.decorate("draining", {
    getter: () => requestLog.draining,
    setter(draining: boolean) {
      if (draining && !requestLog.draining) {
        for (const socket of open) {
          // The response the socket is serving (node:http's own field, which its closeIdleConnections reads).
          const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
          if (res && !res.headersSent) res.setHeader("connection", "close");
        }
      }
      requestLog.draining = draining;
    },
  });
}

/** GET /api/:n: the exact sum 0..n, computed off the event loop. */
function sumRoute(app: FastifyInstance, options: AppOptions, requestLog: RequestLog): void {
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
}
