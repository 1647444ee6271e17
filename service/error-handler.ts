/**
 * The one place a server error (5xx) becomes an answer, and the check on the request id that answer quotes.
 *
 * Promises:
 *   - A 5xx answers `{ statusCode, error, message, requestId }` with a fixed message: nothing of the internal
 *     error (an SDK's AccessDenied names the role's ARN and the account) reaches the client. The full error
 *     (message, stack, causes) goes to the log, on the "server error" line that carries the same request id.
 *   - A 4xx is Fastify's own answer, unchanged: a client's mistake keeps its useful message (a validation
 *     error names the field).
 *   - The request id is the ALB's `X-Amzn-Trace-Id` when it has the ALB's shape and a sane length, so a log
 *     line joins the ALB's access log; anything else (a header a client forged with a newline, 10 kB of it, a
 *     bare word) is ignored and the id is generated.
 */
import { STATUS_CODES } from "node:http";
import type { IncomingMessage } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** What every 5xx says; the request id beside it finds the log line. */
export const SERVER_ERROR_MESSAGE =
  "the service failed to answer this request; its operators can find why in the log under requestId";

/** The 5xx body. Routes that declare a 5xx response schema include `requestId` in it (or it is dropped). */
export interface ServerErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
}

/** Writes the "server error" log line (service/request-log.ts defaultErrorLog); the reply's status is set. */
export type ServerErrorLog = (err: Error, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Sets the app's root error handler. Plugins with their own handler (the jobs routes) rethrow what they do
 * not map, and it lands here.
 */
export function registerErrorHandler(app: FastifyInstance, logServerError: ServerErrorLog): void {
  app.setErrorHandler(function quietErrors(err: FastifyError, request, reply) {
    const statusCode = statusOf(err);
    // Fastify's default handler answers a 4xx as it always did (headers, validation messages).
    if (statusCode < 500) throw err;
    reply.code(statusCode);
    logServerError(err, request, reply);
    const body: ServerErrorBody = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? "Server Error",
      message: SERVER_ERROR_MESSAGE,
      requestId: String(request.id),
    };
    return reply.send(body);
  });
}

/**
 * The error's own 4xx/5xx (Fastify's errors carry one: validation, media type, body size), else 500. A status
 * the route set before it threw is not trusted: an SDK error after `reply.code(404)` is still ours.
 */
function statusOf(err: FastifyError & { status?: number }): number {
  for (const code of [err.statusCode, err.status]) if (code !== undefined && code >= 400 && code <= 599) return code;
  return 500;
}

/**
 * The ALB's trace header: an optional `Self` field (the ALB adds one when the request already had a
 * `Root`), the `Root` field, then fields an application added, in the syntax
 * `Field=version-time-id` with version 1, time 8 hex digits and id 24 hex digits
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html).
 * Custom fields are limited to letters, digits, `_`, `.` and `-`: enough for `CalledFrom=app`, nothing a log
 * reader could mistake for structure. Linear: each repetition starts with `;`, which no class matches.
 */
const TRACE_ID =
  /^(?:Self=1-[0-9a-f]{8}-[0-9a-f]{24};)?Root=1-[0-9a-f]{8}-[0-9a-f]{24}(?:;[\w.-]{1,64}=[\w.-]{0,64})*$/i;

/** `Root=1-` + 8 + `-` + 24: the header the ALB writes when the client sent none. */
export const MIN_TRACE_ID_LENGTH = 37;

/**
 * Longer headers are not used as ids. Self + Root is 75 characters; the rest leaves room for a few custom
 * fields while keeping every log line's id short.
 */
export const MAX_TRACE_ID_LENGTH = 256;

/** Maximum SMI: the counter stays a small integer (Fastify's default generator does the same). */
const MAX_COUNTER = 2_147_483_647;

/**
 * Fastify's `genReqId`: the trace header when it passes the length check and the pattern, else `req-<n>`.
 * The common path (the ALB's header) is a property read, two comparisons and one precompiled regex test:
 * nothing is allocated.
 */
export function traceRequestIdGenerator(): (req: IncomingMessage) => string {
  let counter = 0;
  return (req) => {
    const trace = req.headers["x-amzn-trace-id"];
    if (
      typeof trace === "string" &&
      trace.length >= MIN_TRACE_ID_LENGTH &&
      trace.length <= MAX_TRACE_ID_LENGTH &&
      TRACE_ID.test(trace)
    ) {
      return trace;
    }
    counter = (counter + 1) & MAX_COUNTER;
    return `req-${counter.toString(36)}`;
  };
}
