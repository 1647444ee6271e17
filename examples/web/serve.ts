/**
 * `npm run web`: serves the example page (examples/web) on its own origin, http://127.0.0.1:5173 by
 * default, for a local service started with `npm start` (which allows that origin outside production,
 * service/config.ts LOCAL_WEB_ORIGINS). A handful of fixed files and nothing else: no directory listing,
 * no path from the request reaches the file system. Loopback only.
 *
 *   npm run web                      the page, for the API at http://127.0.0.1:3000
 *   npm run web -- --api URL         ... for a local API elsewhere (loopback)
 *   npm run web -- --port N          ... on another port (then add its origin to the service's CORS_ORIGINS)
 *
 * frontend-config.json: the file beside the page if there is one (`npm run frontend-config -- --out-dir
 * examples/web`), else the description of the local API, made on the fly.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { LOCAL_WEB_PORT } from "../../service/config";
import {
  buildFrontendConfig,
  DEFAULT_LOCAL_URL,
  isLoopback,
  JSON_FILE,
  localOutputs,
  type FrontendConfig,
} from "../../scripts/frontend-config";

export const ROOT = __dirname;
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
};

export interface WebServerOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  /**
   * The config the page reads; default: frontend-config.json beside the page, else the local API's. A
   * function is asked at every request (a test learns the API's port after the page's).
   */
  config?: FrontendConfig | (() => FrontendConfig);
}

export function defaultConfig(apiUrl = DEFAULT_LOCAL_URL): FrontendConfig {
  const file = path.join(ROOT, JSON_FILE);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as FrontendConfig;
  return buildFrontendConfig(localOutputs(apiUrl));
}

/** Starts the page's server; resolves with it listening, and its origin. */
export async function startWebServer(options: WebServerOptions = {}): Promise<{ server: http.Server; origin: string }> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`--host ${host}: the example page is served on loopback only`);
  const given = options.config ?? defaultConfig();
  const configText = () => JSON.stringify(typeof given === "function" ? given() : given, null, 2);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, allow: "GET, HEAD" }).end();
      return;
    }
    if (url.pathname === `/${JSON_FILE}`) {
      res
        .writeHead(200, { ...headers, "content-type": "application/json" })
        .end(req.method === "HEAD" ? "" : configText());
      return;
    }
    const entry = FILES[url.pathname];
    if (!entry) {
      res.writeHead(404, { ...headers, "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const body = fs.readFileSync(path.join(ROOT, entry.file));
    res.writeHead(200, { ...headers, "content-type": entry.type }).end(req.method === "HEAD" ? "" : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? LOCAL_WEB_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://${host.includes(":") ? `[${host}]` : host}:${port}` };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write("usage: npm run web [-- --api URL] [--port N] [--host 127.0.0.1]\n");
    return;
  }
  const port = values.port === undefined ? LOCAL_WEB_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port ${values.port}: expected 0 to 65535`);
  const config = values.api !== undefined ? buildFrontendConfig(localOutputs(values.api)) : defaultConfig();
  const { origin } = await startWebServer({ port, ...(values.host ? { host: values.host } : {}), config });
  process.stdout.write(`the example page: ${origin}/  (API ${config.apiUrl}; Ctrl-C stops)\n`);
  if (port !== LOCAL_WEB_PORT)
    process.stdout.write(`start the service with CORS_ORIGINS=${origin} so it accepts this page\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`web: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
