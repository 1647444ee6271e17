/**
 * What a web worker logs about requests. Every request is already in the ALB's access log, so at `info` the
 * service writes only what a person needs from the service itself:
 *   - a server error (5xx) with its stack, and a response that failed to be written;
 *   - a request slower than `slowMs` ("slow request", warn);
 *   - a client that went away before its answer (info);
 *   - every `summaryIntervalMs`, one "requests" line per worker: counts by status class, p50/p99 and the
 *     busiest routes of that interval (none when the worker served nothing).
 * With `perRequest` (LOG_REQUESTS=1, or LOG_LEVEL=debug/trace) every request also gets its own "request" line.
 * Each line that concerns one request carries `reqId`, the ALB's `x-amzn-trace-id` when the request came
 * through the ALB, so it joins the ALB's access log.
 *
 * Why: a line per request was measured at about 8 µs of a 31 µs request (GET /, one worker, 2026-12-03); a
 * counter and a histogram bucket cost well under 1 µs. The hot path (`requestCompleted` of a request that
 * logs nothing) allocates nothing: the route's name is built once per route, not per request.
 *
 * The controller also carries the draining switch (`draining`): Fastify calls `incomingRequest` for every
 * request anyway, so a draining worker's `Connection: close` costs one flag test instead of a hook.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
// Fastify's own key to a request's route context (the route's config: its method and URL pattern). The public
// `request.routeOptions` builds a fresh 12-field object on every read, a measurable share of a GET / here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kRouteContext } = require("fastify/lib/symbols") as { kRouteContext: symbol };

export interface RequestLogOptions {
  /** One "request" line per request. */
  perRequest: boolean;
  /** A request that took at least this long, ms, is logged as "slow request". */
  slowMs: number;
  /** How often each worker writes its "requests" summary, ms; 0 writes none. */
  summaryIntervalMs: number;
}

export const DEFAULT_SLOW_MS = 1_000;
export const DEFAULT_SUMMARY_INTERVAL_MS = 10_000;
/** How many routes the summary names. */
const BUSIEST = 3;
/**
 * Latency histogram: bucket i holds durations up to BASE_MS × GROWTH^i. 5 % wide buckets give p50/p99 within
 * 5 %, from 10 µs to past 10 minutes in 400 buckets; recording one is a log and an increment.
 */
const BASE_MS = 0.01;
const GROWTH = 1.05;
const BUCKETS = 400;
const LOG_GROWTH = Math.log(GROWTH);

export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** One interval's worth of requests, as the summary line reports it. */
export interface RequestSummary {
  requests: number;
  byStatus: Partial<Record<StatusClass, number>>;
  p50Ms: number;
  p99Ms: number;
  /** The most requested routes (method and route pattern, e.g. "GET /api/:n"), most first. */
  busiest: Array<{ route: string; requests: number }>;
  slow: number;
  aborted: number;
}

/** Counts and a latency histogram for one interval; `take()` returns the summary and starts a new interval. */
export class RequestStats {
  #requests = 0;
  #byStatus = [0, 0, 0, 0, 0];
  #histogram = new Uint32Array(BUCKETS);
  // One counter object per route name, so that a request costs one lookup and an increment.
  #routes = new Map<string, { requests: number }>();
  #slow = 0;
  #aborted = 0;

  record(route: string, statusCode: number, ms: number, slow: boolean): void {
    this.#requests++;
    const cls = Math.floor(statusCode / 100) - 1;
    if (cls >= 0 && cls < 5) this.#byStatus[cls]!++;
    const bucket = ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
    this.#histogram[bucket]!++;
    const counter = this.#routes.get(route);
    if (counter) counter.requests++;
    else this.#routes.set(route, { requests: 1 });
    if (slow) this.#slow++;
  }

  aborted(): void {
    this.#aborted++;
  }

  /** The interval's summary, or undefined when nothing happened in it; either way a new interval begins. */
  take(): RequestSummary | undefined {
    if (this.#requests === 0 && this.#aborted === 0) return undefined;
    const byStatus: RequestSummary["byStatus"] = {};
    STATUS_CLASSES.forEach((c, i) => {
      if (this.#byStatus[i]) byStatus[c] = this.#byStatus[i];
    });
    const summary: RequestSummary = {
      requests: this.#requests,
      byStatus,
      p50Ms: this.#quantile(0.5),
      p99Ms: this.#quantile(0.99),
      busiest: [...this.#routes]
        .filter(([, c]) => c.requests > 0)
        .sort((a, b) => b[1].requests - a[1].requests)
        .slice(0, BUSIEST)
        .map(([route, c]) => ({ route, requests: c.requests })),
      slow: this.#slow,
      aborted: this.#aborted,
    };
    this.#requests = this.#slow = this.#aborted = 0;
    this.#byStatus.fill(0);
    this.#histogram.fill(0);
    // The counters stay (a worker serves the same few routes every interval); a route that goes quiet is
    // left out of the next summary by its zero.
    for (const c of this.#routes.values()) c.requests = 0;
    return summary;
  }

  /** The upper bound of the bucket holding the q-quantile, ms (2 decimals); 0 without requests. */
  #quantile(q: number): number {
    if (this.#requests === 0) return 0;
    const rank = Math.ceil(q * this.#requests);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#histogram[i]!;
      if (seen >= rank) return Math.round(BASE_MS * GROWTH ** i * 100) / 100;
    }
    return Infinity;
  }
}

interface RouteConfig {
  url?: string;
  method?: string | string[];
}

/** The route a request matched ("GET /api/:n"), or "GET (no route)" when none did (a 404). */
function routeName(method: string, config: RouteConfig | undefined): string {
  return `${method} ${config?.url ?? "(no route)"}`;
}

/** The fields of every line about one request (reqId comes from the request's logger). */
function requestFields(request: FastifyRequest, reply: FastifyReply, statusCode = reply.statusCode) {
  return { method: request.method, url: request.url, statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
}

/** Fastify's log controller for fleet's web workers (see the header). */
export class RequestLog extends LogController {
  readonly stats = new RequestStats();
  /** Set once shutdown has begun: every response from then on says Connection: close (app.ts). */
  draining = false;
  readonly #options: RequestLogOptions;
  /** Each route's name, built on its first request: a route config is one object for the app's life. */
  readonly #routeNames = new Map<RouteConfig, string>();

  constructor(options: RequestLogOptions) {
    super();
    this.#options = options;
  }

  override incomingRequest(_request: FastifyRequest, reply: FastifyReply): void {
    if (this.draining) reply.header("connection", "close");
  }

  // A client's mistake (4xx) is counted in the summary; only our own failures get a stack.
  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ ...requestFields(request, reply), err: error }, "server error");
  }

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = reply.elapsedTime;
    const slow = ms >= this.#options.slowMs;
    this.stats.record(this.#routeOf(request), reply.statusCode, ms, slow);
    if (error) reply.log.error({ ...requestFields(request, reply), err: error }, "response failed");
    else if (slow) reply.log.warn(requestFields(request, reply), "slow request");
    else if (this.#options.perRequest) reply.log.info(requestFields(request, reply), "request");
  }

  #routeOf(request: FastifyRequest): string {
    const config = (request as unknown as Record<symbol, { config?: RouteConfig } | undefined>)[kRouteContext]?.config;
    // A route of several methods shares one config: its name depends on the request's method, so it is not cached.
    if (config?.url === undefined || typeof config.method !== "string") return routeName(request.method, config);
    let name = this.#routeNames.get(config);
    if (name === undefined) this.#routeNames.set(config, (name = routeName(config.method, config)));
    return name;
  }

  /** A streamed response that ended early: a client that hung up on a download, or a failing stream. */
  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    if (error.code === "ERR_STREAM_PREMATURE_CLOSE" && reply.raw.destroyed && !reply.raw.writableFinished) {
      this.clientAborted(request, reply, "client went away during the download");
    } else {
      reply.log.warn({ ...requestFields(request, reply), err: error }, "response stream failed");
    }
  }

  /** A request whose client hung up before its answer (its socket is gone, so no other line is written). */
  clientAborted(request: FastifyRequest, reply: FastifyReply, msg: string): void {
    this.stats.aborted();
    // 499 is nginx's "client closed request": it keeps an abort out of the server-error counts.
    reply.log.info(requestFields(request, reply, 499), msg);
  }

  /** Writes the summary line of the interval just ended, if anything happened in it. */
  writeSummary(log: FastifyBaseLogger): void {
    const summary = this.stats.take();
    if (summary) log.info(summary, "requests");
  }
}

/**
 * Makes `root.child()` hand out LazyChildLoggers: Fastify gives every request a child of the app's logger.
 * Set on the logger itself rather than passed as Fastify's `childLoggerFactory`, because Fastify checks the
 * methods of every child a custom factory returns (an array and a closure per request) and skips that check
 * for its default factory, which calls `logger.child`.
 */
export function lazyChildren(root: FastifyBaseLogger): void {
  const real: ChildParent = {
    child: root.child.bind(root),
    get level() {
      return root.level;
    },
  };
  root.child = (bindings, options) => new LazyChildLogger(real, bindings, options);
}

/** What a LazyChildLogger needs of its parent: a real `child()` and the level it inherits until then. */
type ChildParent = Pick<FastifyBaseLogger, "child" | "level">;

/**
 * A request's logger, made only when the request logs something. Fastify gives every request a child of
 * the app's logger carrying its reqId; pino builds a child eagerly (its bindings serialised at once), about
 * 2 µs per request, while at `info` almost no request writes a line. This stands in for that child and
 * builds it on the first call.
 */
// `any[]`: pino's LogFn overloads, forwarded as they are.
export class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: ChildParent;
  readonly #bindings: Record<string, unknown>;
  readonly #options: object | undefined;
  #real: FastifyBaseLogger | undefined;

  constructor(parent: ChildParent, bindings: Record<string, unknown>, options?: object) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #log(): FastifyBaseLogger {
    return (this.#real ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): string {
    return this.#real?.level ?? this.#parent.level;
  }
  set level(level: string) {
    this.#log().level = level;
  }

  // Methods on the prototype, not arrow fields: nothing is allocated per request beyond the object itself.
  fatal(...args: any[]): void {
    (this.#log().fatal as (...a: any[]) => void)(...args);
  }
  error(...args: any[]): void {
    (this.#log().error as (...a: any[]) => void)(...args);
  }
  warn(...args: any[]): void {
    (this.#log().warn as (...a: any[]) => void)(...args);
  }
  info(...args: any[]): void {
    (this.#log().info as (...a: any[]) => void)(...args);
  }
  debug(...args: any[]): void {
    (this.#log().debug as (...a: any[]) => void)(...args);
  }
  trace(...args: any[]): void {
    (this.#log().trace as (...a: any[]) => void)(...args);
  }
  silent(...args: any[]): void {
    (this.#log().silent as (...a: any[]) => void)(...args);
  }

  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.#log().child(bindings, options);
  }
}
