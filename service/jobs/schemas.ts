/**
 * The jobs API's schemas, in one module: request bodies, params, query and responses. The POST body's
 * `input` is checked against its kind's own schema (kinds/) by the same validator, so a bad field is
 * refused, named, before anything is stored.
 */
import { JOB_STATES } from "./backend";
import type { JobKind } from "./kinds";
import { MAX_POLL_WAIT_S } from "./timing";

/**
 * What a job id looks like: both backends mint `crypto.randomUUID()` ids. Anything else cannot be a job,
 * so it is a 400 without a lookup.
 */
export const JOB_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/** The 400 for an id that cannot be a job's. */
export const BAD_JOB_ID_MESSAGE = "params/id must be a job id: a UUID as POST /jobs returned it";

/**
 * An Idempotency-Key the backends can store: printable ASCII without spaces, at most 255 characters
 * (DynamoDB caps a partition key at 2048 bytes; a key is an id, not a payload). The CLI checks the same.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const BAD_IDEMPOTENCY_KEY_MESSAGE =
  "headers/idempotency-key must be 1 to 255 printable ASCII characters without spaces";

/**
 * Deepest nesting of a POST /jobs body. No kind's input is deeper than a few levels; a body nested
 * thousands deep (60 KB of brackets fits under the size limit) would overflow the stack of every recursive
 * walk over it (the clone, the coercion check, the fingerprint) and answer 500.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `max` (iterative: the check itself cannot overflow). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export const jobParamsSchema = {
  type: "object",
  properties: { id: { type: "string", pattern: JOB_ID_PATTERN } },
  required: ["id"],
} as const;

export const waitQuerySchema = {
  type: "object",
  properties: { wait: { type: "number", minimum: 0, maximum: MAX_POLL_WAIT_S } },
} as const;

/** `{"kind", "input"}`; `input` must match the kind's schema (one if/then per kind). */
export function postJobBodySchema(kinds: readonly JobKind<never>[]) {
  return {
    type: "object",
    properties: { kind: { type: "string", enum: kinds.map((kind) => kind.name) }, input: { type: "object" } },
    required: ["kind", "input"],
    propertyNames: { enum: ["kind", "input"] },
    allOf: kinds.map((kind) => ({
      if: { properties: { kind: { const: kind.name } } },
      then: { properties: { input: kind.inputSchema } },
    })),
  };
}

const time = { type: "string", format: "date-time" } as const;

export const jobSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    status: { type: "string", enum: JOB_STATES },
    attempts: { type: "integer" },
    progress: { type: "number", minimum: 0, maximum: 1 },
    // Whatever the kind returns: serialised as is.
    result: {},
    error: { type: "string" },
    createdAt: time,
    startedAt: time,
    finishedAt: time,
    // Set on a periodic job (schedules.ts): which schedule's tick enqueued it.
    schedule: {
      type: "object",
      properties: { name: { type: "string" }, tick: time },
      required: ["name", "tick"],
    },
  },
  required: ["id", "kind", "status", "attempts", "progress", "createdAt"],
} as const;

export const acceptedSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    status: { type: "string", enum: JOB_STATES },
    createdAt: time,
  },
  required: ["id", "kind", "status", "createdAt"],
} as const;

export const errorSchema = {
  type: "object",
  properties: {
    statusCode: { type: "integer" },
    error: { type: "string" },
    code: { type: "string" },
    message: { type: "string" },
    /** On a 5xx: the id under which the log holds the error (service/error-handler.ts). */
    requestId: { type: "string" },
  },
} as const;

export interface PostJobBody {
  kind: string;
  input: Record<string, unknown>;
}

/**
 * Fastify's validator coerces types ("5" passes as 5), which is right for a URL's params and query but
 * hides a client's bug in a JSON body. This finds the first field whose JSON type the validator changed,
 * comparing the body as sent with the body as validated.
 */
export function firstCoercedField(sent: unknown, validated: unknown, at = ""): string | undefined {
  if (Array.isArray(sent)) {
    if (!Array.isArray(validated)) return at;
    for (let i = 0; i < sent.length; i++) {
      const found = firstCoercedField(sent[i], validated[i], `${at}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (sent !== null && typeof sent === "object") {
    if (validated === null || typeof validated !== "object" || Array.isArray(validated)) return at;
    for (const [key, value] of Object.entries(sent)) {
      const found = firstCoercedField(value, (validated as Record<string, unknown>)[key], `${at}/${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return typeof sent === typeof validated && (sent === null) === (validated === null) ? undefined : at;
}

/** The validator's error, as ajv reports it; only the fields the message uses. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  propertyName?: string;
}

/**
 * One line naming the field and what it must be, e.g. `body/input/n must be <= 100000000000`,
 * `body/input/witdh is not a field of this kind: expected one of width, height, ...`.
 */
export function describeSchemaError(errors: readonly SchemaError[], dataVar: string): string {
  const unknown = errors.find((e) => e.propertyName !== undefined && e.keyword === "enum");
  if (unknown) {
    const allowed = (unknown.params.allowedValues as string[] | undefined)?.join(", ");
    return `${dataVar}${unknown.instancePath}/${unknown.propertyName} is not a known field: expected ${allowed}`;
  }
  const first = errors.find((e) => e.keyword !== "if") ?? errors[0];
  if (!first) return `${dataVar} is invalid`;
  if (first.keyword === "required")
    return `${dataVar}${first.instancePath}/${String(first.params.missingProperty)} is required`;
  return `${dataVar}${first.instancePath} ${first.message ?? "is invalid"}`;
}
