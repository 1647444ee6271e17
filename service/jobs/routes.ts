/**
 * The jobs API, an encapsulated Fastify plugin: POST /jobs records a job and answers 202 at once,
 * GET /jobs/:id shows it (long-polling with ?wait=), DELETE /jobs/:id cancels it, and, for the embedded
 * backend, /results/* serves the files jobs produced. The web tier never runs job work: it only talks to
 * the backend. One error handler maps JobError codes to statuses.
 *
 * Bounded work (docs/security.md): an input estimated past the job timeout is refused (400); jobs are
 * admitted by estimated seconds of work, with a share per client (the address TRUST_PROXY names), not by
 * count; long polls share one poller per job (watch.ts).
 */
import { createHash } from "node:crypto";
import { STATUS_CODES } from "node:http";
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
import { Admission } from "../admission";
import { DEFAULT_CLIENT_QUOTA_S, DEFAULT_MAX_WAITERS, JOB_MIN_COST_S } from "./config";
import { DEFAULT_JOB_TIMEOUT_S, MAX_JOB_BODY_BYTES } from "./timing";
import { JobWatch, WaitersFullError } from "./watch";

export interface JobsRoutesOptions {
  backend: JobBackend;
  /** JOBS_MAX_BACKLOG_S: above this many estimated seconds of work waiting, POST /jobs answers 503. */
  maxBacklogS: number;
  /** JOBS_CLIENT_QUOTA_S: estimated seconds of work one client may have outstanding here (429 past it). */
  clientQuotaS?: number;
  /** JOBS_TIMEOUT_S: an input estimated to run longer is refused with 400 (it could never finish). */
  jobTimeoutS?: number;
  /** JOBS_MAX_WAITERS: long polls this process holds at once (503 past it). */
  maxWaiters?: number;
  /** Jobs the worker fleet runs at once (WORKER_CONCURRENCY × workers): the backlog drains this much faster. */
  workerSlots: number;
  /** Serve the results directory under /results/ (the embedded backend); omit on AWS (the CDN serves). */
  resultsDir?: string;
  /** The admission clock (ms); tests move it. */
  now?: () => number;
}

/** The backlog is counted at most this often; admissions in between are added to the count. */
const BACKLOG_REFRESH_MS = 200;

/** Retry-After stays within these bounds whatever the estimate. */
const RETRY_AFTER_MAX_S = 3_600;

/** Weight of the newest job in the running average of estimated job seconds. */
const COST_AVERAGE_WEIGHT = 0.1;

const STATUS_BY_CODE: Record<JobErrorCode, number> = {
  JOB_NOT_FOUND: 404,
  JOB_STATE: 409,
  IDEMPOTENCY_CONFLICT: 409,
  BACKLOG_FULL: 503,
  CLIENT_QUOTA: 429,
  WAITERS_FULL: 503,
  JOB_PERMANENT: 500,
  JOB_TIMEOUT: 500,
};

/** The work waiting is estimated past the bound: the client should come back after `retryAfterS`. */
export class BacklogFullError extends JobError {
  override name = "BacklogFullError";
  readonly code = "BACKLOG_FULL";
  constructor(
    readonly backlogS: number,
    readonly maxBacklogS: number,
    readonly retryAfterS: number,
  ) {
    super(
      `the jobs waiting are estimated at ${Math.round(backlogS)} s of work, past the most this service queues (JOBS_MAX_BACKLOG_S=${maxBacklogS}); retry later`,
    );
  }
}

/** This client's own jobs already fill its share: others are still admitted. */
export class ClientQuotaError extends JobError {
  override name = "ClientQuotaError";
  readonly code = "CLIENT_QUOTA";
  constructor(
    readonly outstandingS: number,
    readonly quotaS: number,
    readonly retryAfterS: number,
  ) {
    super(
      `your jobs waiting or running are estimated at ${Math.round(outstandingS)} s of work; with this one they would pass the ${quotaS} s one client may have at once (JOBS_CLIENT_QUOTA_S); retry once some have finished`,
    );
  }
}

/** The seconds a job counts for in admission: its kind's estimate, at least JOB_MIN_COST_S. */
export function jobCostS(kind: string, input: unknown): number {
  const estimate = KINDS.get(kind)?.estimateSeconds?.(input as never);
  return estimate !== undefined && Number.isFinite(estimate) ? Math.max(JOB_MIN_COST_S, estimate) : JOB_MIN_COST_S;
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
  const { backend, maxBacklogS, workerSlots } = options;
  const clientQuotaS = options.clientQuotaS ?? DEFAULT_CLIENT_QUOTA_S;
  const jobTimeoutS = options.jobTimeoutS ?? DEFAULT_JOB_TIMEOUT_S;
  let backlogCount = 0;
  let backlogReadMs = -Infinity;
  let averageJobSeconds = JOB_MIN_COST_S;
  const sentBodies = new WeakMap<object, unknown>();
  /**
   * The work this process admitted, in estimated seconds (units of 1000 ms), draining over the worker
   * slots and forgotten at its estimated end (the web tier never hears when a job ends): the backlog's
   * bound and each client's quota are measured against it, the shared backlog's count (times the average
   * job) standing in for what other processes admitted.
   */
  const admission = new Admission({
    servers: Math.max(1, workerSlots),
    budgetMs: (maxBacklogS * 1000) / Math.max(1, workerSlots),
    msPerUnit: 1000,
    clientQuotaMs: clientQuotaS * 1000,
    forgetAtEstimatedEnd: true,
    now: options.now,
  });
  const watch = new JobWatch({
    read: (id) => backend.get(id),
    maxWaiters: options.maxWaiters ?? DEFAULT_MAX_WAITERS,
    stopped: () => app.draining,
  });

  /** Admits a job of `costS` for `client`, or throws BacklogFullError / ClientQuotaError. */
  async function admit(costS: number, client: string): Promise<void> {
    if (Date.now() - backlogReadMs >= BACKLOG_REFRESH_MS) {
      backlogCount = await backend.backlog();
      backlogReadMs = Date.now();
    }
    const verdict = admission.admit(costS, client, backlogCount * averageJobSeconds * 1000);
    if (verdict.admitted) return;
    const retryAfterS = Math.min(RETRY_AFTER_MAX_S, verdict.retryAfterS);
    if (verdict.reason === "client-quota")
      throw new ClientQuotaError(verdict.clientMs / 1000, clientQuotaS, retryAfterS);
    throw new BacklogFullError((verdict.waitMs * Math.max(1, workerSlots)) / 1000, maxBacklogS, retryAfterS);
  }

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof JobError) {
      const statusCode = STATUS_BY_CODE[err.code];
      if (err instanceof BacklogFullError || err instanceof ClientQuotaError || err instanceof WaitersFullError)
        reply.header("retry-after", String(err.retryAfterS));
      // A 5xx other than a full backlog or a full waiters' list is the app's quiet answer (service/error-handler.ts).
      if (statusCode >= 500 && !(err instanceof BacklogFullError) && !(err instanceof WaitersFullError)) throw err;
      // What is answered here with a 5xx (a full backlog, a full waiters' list) is still logged: an operator
      // needs to see the service refusing work.
      if (statusCode >= 500) request.log.error({ err }, "job error");
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
      const definition = KINDS.get(kind)!;
      const estimateS = definition.estimateSeconds?.(input as never);
      if (estimateS !== undefined && estimateS > jobTimeoutS) {
        // It could never finish: refused here rather than run for JOBS_TIMEOUT_S and then failed.
        const limit = definition.describeLimit?.(jobTimeoutS) ?? "body/input must be smaller";
        return badRequest(
          reply,
          `${limit} (an estimated ${jobTimeoutS} s, the job timeout JOBS_TIMEOUT_S): this input is estimated at ${Math.ceil(estimateS)} s`,
        );
      }
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
      const costS = jobCostS(kind, input);
      // The client is the address TRUST_PROXY's hops say (service/app.ts); read here, never on other routes.
      if (!replay) await admit(costS, request.ip);
      const { job, created } = replay
        ? { job: replay, created: false }
        : await backend.enqueue({ kind, input, idempotencyKey: idempotencyKey || undefined, fingerprint });
      if (created) {
        backlogCount++;
        averageJobSeconds += COST_AVERAGE_WEIGHT * (costS - averageJobSeconds);
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
        response: { 200: jobSchema, "4xx": errorSchema, 503: errorSchema },
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
        const gone = new AbortController();
        const onClose = () => gone.abort();
        reply.raw.once("close", onClose);
        try {
          job = await watch.wait(job, waitMs, gone.signal);
        } finally {
          reply.raw.off("close", onClose);
        }
      }
      return view(job);
    },
  );

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
