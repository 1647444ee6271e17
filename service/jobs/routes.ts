/**
 * The jobs API, an encapsulated Fastify plugin: POST /jobs records a job and answers 202 at once,
 * GET /jobs/:id shows it (long-polling with ?wait=), DELETE /jobs/:id cancels it, and, for the embedded
 * backend, /results/* serves the files jobs produced. The web tier never runs job work: it only talks to
 * the backend. One error handler maps JobError codes to statuses.
 */
import { createHash } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { FINISHED_STATES, type JobBackend, type JobRecord } from "./backend";
import { JobError, type JobErrorCode } from "./errors";
import { KINDS, KIND_NAMES } from "./kinds";
import { registerResults } from "./results-route";
import {
  acceptedSchema,
  BAD_IDEMPOTENCY_KEY_MESSAGE,
  BAD_JOB_ID_MESSAGE,
  describeSchemaError,
  errorSchema,
  firstCoercedField,
  IDEMPOTENCY_KEY,
  jobParamsSchema,
  jobSchema,
  MAX_BODY_DEPTH,
  nestsDeeperThan,
  postJobBodySchema,
  waitQuerySchema,
  type PostJobBody,
  type SchemaError,
} from "./schemas";
import { MAX_JOB_BODY_BYTES } from "./timing";

export interface JobsRoutesOptions {
  backend: JobBackend;
  /** JOBS_MAX_BACKLOG: above this many jobs waiting, POST /jobs answers 503 with Retry-After. */
  maxBacklog: number;
  /** Jobs the worker fleet runs at once (WORKER_CONCURRENCY × workers): Retry-After divides by it. */
  workerSlots: number;
  /** Serve the results directory under /results/ (the embedded backend); omit on AWS (the CDN serves). */
  resultsDir?: string;
}

/** The backlog is counted at most this often; admissions in between are added to the count. */
const BACKLOG_REFRESH_MS = 200;

/** Long-poll: the first re-read after this, then doubling up to the cap (each read is a backend query). */
const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 500;

/** Retry-After stays within these bounds whatever the estimate. */
const RETRY_AFTER_MIN_S = 1;
const RETRY_AFTER_MAX_S = 3_600;

/** Weight of the newest job in the running average of estimated job seconds. */
const COST_AVERAGE_WEIGHT = 0.1;

const STATUS_BY_CODE: Record<JobErrorCode, number> = {
  JOB_NOT_FOUND: 404,
  JOB_STATE: 409,
  IDEMPOTENCY_CONFLICT: 409,
  BACKLOG_FULL: 503,
  JOB_PERMANENT: 500,
  JOB_TIMEOUT: 500,
};

/** Too many jobs wait already: the client should come back after `retryAfterS`. */
export class BacklogFullError extends JobError {
  override name = "BacklogFullError";
  readonly code = "BACKLOG_FULL";
  constructor(
    readonly backlog: number,
    readonly maxBacklog: number,
    readonly retryAfterS: number,
  ) {
    super(`${backlog} jobs are waiting, the most this service queues (JOBS_MAX_BACKLOG=${maxBacklog}); retry later`);
  }
}

/**
 * Seconds until the backlog is back under the limit: the jobs above it, at the average estimated cost,
 * shared among the worker slots.
 */
export function retryAfterSeconds(backlog: number, maxBacklog: number, jobSeconds: number, slots: number): number {
  const excess = Math.max(1, backlog - maxBacklog + 1);
  const seconds = Math.ceil((excess * jobSeconds) / Math.max(1, slots));
  return Math.min(RETRY_AFTER_MAX_S, Math.max(RETRY_AFTER_MIN_S, seconds));
}

/** Canonical JSON (sorted keys): the same request body in any key order has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function view(job: JobRecord): Omit<JobRecord, "input"> {
  const { input: _input, ...shown } = job;
  return shown;
}

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ statusCode: 400, error: "Bad Request", code: "FST_ERR_VALIDATION", message });
}

/** A param or query error names the field; a bad id is said plainly instead of quoting the pattern. */
function paramsErrorFormatter(errors: unknown[], dataVar: string): Error {
  return new Error(dataVar === "params" ? BAD_JOB_ID_MESSAGE : describeSchemaError(errors as SchemaError[], dataVar));
}

export async function jobsRoutes(app: FastifyInstance, options: JobsRoutesOptions): Promise<void> {
  const { backend, maxBacklog, workerSlots } = options;
  let backlogCount = 0;
  let backlogReadMs = -Infinity;
  let averageJobSeconds = 1;
  const sentBodies = new WeakMap<object, unknown>();

  async function admit(): Promise<void> {
    if (Date.now() - backlogReadMs >= BACKLOG_REFRESH_MS) {
      backlogCount = await backend.backlog();
      backlogReadMs = Date.now();
    }
    if (backlogCount >= maxBacklog) {
      throw new BacklogFullError(
        backlogCount,
        maxBacklog,
        retryAfterSeconds(backlogCount, maxBacklog, averageJobSeconds, workerSlots),
      );
    }
  }

  app.setErrorHandler((err: FastifyError, _request, reply) => {
    if (err instanceof JobError) {
      const statusCode = STATUS_BY_CODE[err.code];
      // A 5xx other than a full backlog is the app's quiet answer (service/error-handler.ts).
      if (statusCode >= 500 && !(err instanceof BacklogFullError)) throw err;
      if (err instanceof BacklogFullError) reply.header("retry-after", String(err.retryAfterS));
      return reply
        .code(statusCode)
        .send({ statusCode, error: STATUS_CODES[statusCode], code: err.code, message: err.message });
    }
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({
        statusCode: 413,
        error: STATUS_CODES[413],
        code: err.code,
        message: `the request body is over ${MAX_JOB_BODY_BYTES} bytes, the most POST /jobs accepts`,
      });
    }
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return reply.code(415).send({
        statusCode: 415,
        error: STATUS_CODES[415],
        code: err.code,
        message: `POST /jobs takes a JSON body: send it with Content-Type: application/json`,
      });
    }
    throw err; // Fastify's own: validation (400), bad JSON (400), media type (415), too large (413)
  });

  app.post<{ Body: PostJobBody }>(
    "/jobs",
    {
      bodyLimit: MAX_JOB_BODY_BYTES,
      schema: {
        body: postJobBodySchema([...KINDS.values()]),
        response: { 202: acceptedSchema, "4xx": errorSchema, 503: errorSchema },
      },
      schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors as SchemaError[], dataVar)),
      // The kind first: an unknown kind is named with the list of kinds, before its input is judged.
      preValidation: async (request, reply) => {
        const kind = (request.body as { kind?: unknown } | null)?.kind;
        if (typeof kind === "string" && !KINDS.has(kind)) {
          return badRequest(
            reply,
            `body/kind ${JSON.stringify(kind)} is not a kind: expected one of ${KIND_NAMES.join(", ")}`,
          );
        }
        if (nestsDeeperThan(request.body, MAX_BODY_DEPTH)) {
          return badRequest(reply, `body nests deeper than ${MAX_BODY_DEPTH} levels: no kind's input is that deep`);
        }
        sentBodies.set(request, structuredClone(request.body));
      },
    },
    async (request, reply) => {
      const coerced = firstCoercedField(sentBodies.get(request), request.body);
      if (coerced !== undefined) {
        return badRequest(
          reply,
          `body${coerced} has the wrong JSON type: send it as the schema says (a number unquoted)`,
        );
      }
      const { kind, input } = request.body;
      const idempotencyKey = request.headers["idempotency-key"];
      if (Array.isArray(idempotencyKey)) return badRequest(reply, "headers/idempotency-key must be given once");
      if (idempotencyKey && !IDEMPOTENCY_KEY.test(idempotencyKey))
        return badRequest(reply, BAD_IDEMPOTENCY_KEY_MESSAGE);
      const fingerprint = idempotencyKey
        ? createHash("sha256").update(canonical({ kind, input })).digest("hex")
        : undefined;
      // A retry whose key already names a job is answered with it (or 409) before any admission check:
      // a full backlog must not turn an accepted job's retry into a 503.
      const replay = idempotencyKey ? await backend.findByKey(idempotencyKey, fingerprint!) : undefined;
      if (!replay) await admit();
      const { job, created } = replay
        ? { job: replay, created: false }
        : await backend.enqueue({ kind, input, idempotencyKey: idempotencyKey || undefined, fingerprint });
      if (created) {
        backlogCount++;
        const estimate = KINDS.get(kind)!.estimateSeconds?.(input as never);
        if (estimate !== undefined && Number.isFinite(estimate)) {
          averageJobSeconds += COST_AVERAGE_WEIGHT * (estimate - averageJobSeconds);
        }
      } else reply.header("idempotent-replayed", "true");
      reply.header("location", `/jobs/${job.id}`);
      return reply.code(202).send(view(job));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { wait?: number } }>(
    "/jobs/:id",
    {
      schema: {
        params: jobParamsSchema,
        querystring: waitQuerySchema,
        response: { 200: jobSchema, "4xx": errorSchema },
      },
      schemaErrorFormatter: paramsErrorFormatter,
    },
    async (request, reply) => {
      const { id } = request.params;
      reply.header("cache-control", "no-store");
      let job = await backend.get(id);
      if (!job) return notFound(reply, id);
      const waitMs = (request.query.wait ?? 0) * 1000;
      if (waitMs > 0 && !FINISHED_STATES.includes(job.status)) {
        job = await waitForChange(job, waitMs, reply);
      }
      return view(job);
    },
  );

  /** Re-reads the job until its status or progress moves, the time is up, the client leaves or we drain. */
  async function waitForChange(seen: JobRecord, waitMs: number, reply: FastifyReply): Promise<JobRecord> {
    const gone = new AbortController();
    const onClose = () => gone.abort();
    reply.raw.once("close", onClose);
    const deadline = Date.now() + waitMs;
    let pauseMs = POLL_FIRST_MS;
    try {
      while (!gone.signal.aborted && !app.draining) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        await sleep(Math.min(pauseMs, left), undefined, { signal: gone.signal }).catch(() => {});
        pauseMs = Math.min(POLL_MAX_MS, pauseMs * 2);
        const now = await backend.get(seen.id);
        if (!now) break;
        if (now.status !== seen.status || now.progress !== seen.progress) return now;
      }
      return seen;
    } finally {
      reply.raw.off("close", onClose);
    }
  }

  app.delete<{ Params: { id: string } }>(
    "/jobs/:id",
    {
      schema: { params: jobParamsSchema, response: { 200: jobSchema, "4xx": errorSchema } },
      schemaErrorFormatter: paramsErrorFormatter,
    },
    async (request) => view(await backend.cancel(request.params.id)),
  );

  if (options.resultsDir) registerResults(app, options.resultsDir);
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ statusCode: 404, error: "Not Found", code: "JOB_NOT_FOUND", message: `no job ${id}` });
}
