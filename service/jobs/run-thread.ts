/**
 * Runs in a worker thread of the runner's pool: looks the kind up and runs it, posting progress on the
 * task's port. Errors come back as data, because a class (PermanentJobError) does not survive the
 * structured clone between threads.
 */
import { inspect } from "node:util";
import type { MessagePort } from "node:worker_threads";
import { move, transferableSymbol, valueSymbol } from "piscina";
import { PermanentJobError } from "./errors";
import { KINDS } from "./kinds";
import type { KindOutput } from "./kinds";

export interface ThreadTask {
  kind: string;
  input: unknown;
  port: MessagePort;
}

/** A failure carries the error's message and, for the worker's log only, its stack and causes (`detail`). */
export type ThreadAnswer =
  { ok: true; output: KindOutput } | { ok: false; message: string; permanent: boolean; detail: string };

/** A task that only proves the thread is up with the kinds loaded (the runner's warm-up). */
export const WARM_UP = "fleet:warm-up";

export default async function runInThread(task: ThreadTask | typeof WARM_UP): Promise<unknown> {
  if (task === WARM_UP) return WARM_UP;
  const { kind, input, port } = task;
  try {
    const definition = KINDS.get(kind);
    if (!definition) throw new PermanentJobError(`no kind ${JSON.stringify(kind)} in this worker`);
    const output = await definition.run(input as never, { progress: (fraction) => port.postMessage(fraction) });
    const answer: ThreadAnswer = { ok: true, output };
    const body = output.artifact?.body;
    if (!body) return answer;
    // Hand the file's memory over instead of copying it (an 8192² PNG is tens of MB). A Buffer may be a
    // view into a shared pool, which must not be transferred: copy those first.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
    output.artifact!.body = own;
    return move({
      get [transferableSymbol]() {
        return [own.buffer];
      },
      get [valueSymbol]() {
        return answer;
      },
    });
  } catch (err) {
    const answer: ThreadAnswer = {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      permanent: err instanceof PermanentJobError,
      detail: inspect(err),
    };
    return answer;
  } finally {
    port.close();
  }
}
