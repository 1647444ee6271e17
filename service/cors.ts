/**
 * Cross-origin access for pages served elsewhere (a CDN, a dev server): @fastify/cors with the origins of
 * CORS_ORIGINS (service/config.ts), on the routes a page calls (app.ts registers it around /api/:n and the jobs
 * API; GET / and /healthcheck are for people and the ALB, and skip its per-request hook). A listed origin gets
 * its preflight answered (the methods and headers a page needs) and `Access-Control-Allow-Origin` on every
 * response of those routes; an origin not listed, or a request without `Origin`, gets no CORS header at all
 * (the preflight is a 404), so the browser refuses the call. Credentials are never allowed: the API uses no
 * cookies.
 */
import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/** What a page sends: JSON bodies, and the key that makes a retried POST /jobs safe. */
export const CORS_ALLOWED_HEADERS = ["content-type", "idempotency-key"] as const;
/**
 * What a page may read: where the job is (`Location`), when to come back after a 503 (`Retry-After`), and
 * whether a POST was a replay of an earlier one with the same Idempotency-Key (service/jobs/routes.ts).
 */
export const CORS_EXPOSED_HEADERS = ["location", "retry-after", "idempotent-replayed"] as const;
/** GET/HEAD: jobs, results, /api/:n; POST /jobs; DELETE /jobs/:id cancels. */
export const CORS_METHODS = ["GET", "HEAD", "POST", "DELETE"] as const;
/**
 * How long a browser may reuse a preflight: Chromium caps Access-Control-Max-Age at 7200 s (Firefox at
 * 86400), so more buys nothing (https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Access-Control-Max-Age).
 */
export const CORS_MAX_AGE_S = 7200;

/** Registers CORS on `app`'s context (its routes, the ones registered later included). No origins: nothing. */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const any = origins.includes("*");
  app.register(cors, {
    // A function, not the list: with a list @fastify/cors still answers an unlisted origin's preflight
    // (204, methods, headers) and exposes headers to it; `false` here sends no CORS header at all.
    origin: any ? "*" : (origin, done) => done(null, origin !== undefined && origins.includes(origin)),
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: CORS_MAX_AGE_S,
  });
}
