/**
 * What a failed attempt shows in the job's public `error` field (GET /jobs/:id), which anyone holding the
 * job id reads. Promise: only text the service wrote for clients lands there — a kind's PermanentJobError
 * message (the kind chose to say it), or the worker's own fixed sentences (timeout, drain). Anything else (an
 * SDK's AccessDenied with an ARN, a storage error, a bug's TypeError, a thread killed for memory) becomes
 * "internal error" with an `errorId`; the worker logs the full error under the same `errorId`.
 */
import { randomUUID } from "node:crypto";
import { RunError } from "./runner";

/** The fixed text of an internal failure; the id finds the worker's log line. */
export function internalErrorText(errorId: string): string {
  return `internal error (errorId ${errorId}): the attempt failed inside the service; its operators find why in the worker's log under this errorId`;
}

/** The public text for a failure that is not one of the worker's own stops, and the id it was logged under. */
export function publicFailure(err: unknown): { text: string; errorId?: string } {
  if (err instanceof RunError && err.permanent) return { text: err.message };
  const errorId = randomUUID();
  return { text: internalErrorText(errorId), errorId };
}
