/**
 * The embedded backend's result store: a directory (JOBS_RESULTS_DIR) that the web tier serves read-only
 * under `/results/`. A write goes to a temporary file in the same directory and is renamed over the key,
 * so a reader never sees half an object and a redelivered job's second write of the same bytes is
 * harmless. Keys are relative paths of plain segments: nothing can climb out of the directory.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { ResultStore } from "../backend";

/** One to eight segments of letters, digits, `.`, `_` and `-`, none starting with a dot (no `..`). */
const KEY = /^(?!.*\/\.)(?!\.)[A-Za-z0-9._-]{1,200}(\/[A-Za-z0-9._-]{1,200}){0,7}$/;

export class ResultKeyError extends Error {
  override name = "ResultKeyError";
  constructor(readonly key: string) {
    super(
      `result key ${JSON.stringify(key)} is invalid: expected a relative path of segments made of ` +
        `letters, digits, ".", "_" and "-", none starting with ".", such as jobs/<id>/out.png`,
    );
  }
}

export function assertResultKey(key: string): void {
  if (!KEY.test(key)) throw new ResultKeyError(key);
}

export class DirectoryResultStore implements ResultStore {
  constructor(
    readonly dir: string,
    /** Where the web tier serves the directory. */
    private readonly urlPrefix = "/results",
  ) {}

  async put(key: string, body: Buffer, _contentType: string): Promise<void> {
    assertResultKey(key);
    const file = path.join(this.dir, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await fs.writeFile(tmp, body);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  url(key: string): string {
    assertResultKey(key);
    return `${this.urlPrefix}/${key}`;
  }
}
