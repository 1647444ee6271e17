/**
 * What a job kind is: a JSON schema for its input (the API validates against it before anything is
 * stored) and a run function (the worker calls it in a thread, never on an event loop). A new kind is one
 * file that exports a `JobKind` and one line in `index.ts`.
 */

/** A JSON schema, as Fastify's validator takes it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface KindContext {
  /**
   * Reports progress from 0 to 1. Also the point where the job may stop: a cancel, a lost lease or the
   * timeout ends the thread while it runs, so a run that never reports cannot be stopped gracefully.
   */
  progress(fraction: number): void;
}

/** A file the job produced: the worker stores it under a key that is the same for every attempt. */
export interface Artifact {
  body: Uint8Array;
  contentType: string;
  /** File extension of the key, without the dot. */
  extension: string;
}

export interface KindOutput {
  /** What GET /jobs/:id shows as `result`; with an artifact the worker adds its `url` first. */
  result: Record<string, unknown>;
  artifact?: Artifact;
}

export interface JobKind<Input = never> {
  readonly name: string;
  /** One line for the API's error listing and the README. */
  readonly description: string;
  /** The schema of `input`; closed (unknown fields are refused) so that a typo does not pass silently. */
  readonly inputSchema: JsonSchema;
  /**
   * Rough seconds on one core: what admission charges (the backlog's and each client's seconds of work)
   * and what POST /jobs compares with the job timeout. Without it a job counts as JOB_MIN_COST_S.
   */
  estimateSeconds?(input: Input): number;
  /**
   * The bound on the input that keeps the estimate within `maxSeconds`, naming the fields (the 400 of
   * an input estimated past the job timeout), e.g. `body/input/n must be at most 9e11`.
   */
  describeLimit?(maxSeconds: number): string;
  /** Bytes the run holds at its peak, for the worker's memory gate; omit when small. */
  memoryBytes?(input: Input): number;
  run(input: Input, context: KindContext): KindOutput | Promise<KindOutput>;
}
