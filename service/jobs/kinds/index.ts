/**
 * The kinds registry: the API validates a job's input against its kind's schema, the worker's threads
 * look the kind up by name to run it. A new kind is one file and one line here.
 */
import type { JobKind } from "./kind";
import { renderKind } from "./render";
import { sumKind } from "./sum";

export type { Artifact, JobKind, KindContext, KindOutput } from "./kind";

// The registry holds kinds of any input; each kind's own file keeps its input typed.
type AnyKind = JobKind<any>;

export const KINDS: ReadonlyMap<string, AnyKind> = new Map<string, AnyKind>(
  [sumKind, renderKind].map((kind) => [kind.name, kind]),
);

export const KIND_NAMES: readonly string[] = [...KINDS.keys()];
