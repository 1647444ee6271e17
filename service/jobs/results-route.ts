/**
 * GET /results/<key>: the embedded backend's result files, served read-only for local use (on AWS the
 * CDN serves the bucket). Only keys made of plain name segments are looked up, and the resolved file must
 * lie inside the results directory (a symlink cannot lead out of it).
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";

/** A segment is a name: no leading dot (so no `..`, no hidden files), no separators. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const MAX_SEGMENTS = 4;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** Keys are per job and written with the same bytes on every attempt: a result never changes. */
const CACHE_CONTROL = "public, max-age=31536000, immutable";

export function registerResults(app: FastifyInstance, resultsDir: string): void {
  const root = path.resolve(resultsDir);
  app.get<{ Params: { "*": string } }>("/results/*", async (request, reply) => {
    const key = request.params["*"];
    const segments = key.split("/");
    const notFound = () =>
      reply.code(404).send({ statusCode: 404, error: "Not Found", message: `no result ${JSON.stringify(key)}` });
    if (segments.length > MAX_SEGMENTS || !segments.every((s) => SEGMENT.test(s))) return notFound();
    let file: string;
    let bytes: number;
    try {
      // realpath of the root too: the directory itself may be reached through a symlink (/tmp on macOS).
      const [realRoot, real] = await Promise.all([realpath(root), realpath(path.join(root, ...segments))]);
      if (!real.startsWith(realRoot + path.sep)) return notFound();
      const info = await stat(real);
      if (!info.isFile()) return notFound();
      file = real;
      bytes = info.size;
    } catch {
      return notFound();
    }
    reply
      .header("content-type", CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream")
      .header("content-length", String(bytes))
      .header("x-content-type-options", "nosniff")
      .header("cache-control", CACHE_CONTROL);
    // `end`: the stream ends as soon as the last byte is read. Without it a stream only ends after one more
    // read finds the end of the file, and a client that hangs up once it has every byte (content-length
    // says when) closes the response first: a complete download logged as cut short, with no request line.
    return reply.send(bytes === 0 ? "" : createReadStream(file, { end: bytes - 1 }));
  });
}
