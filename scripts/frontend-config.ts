/**
 * Turns a description of where the API runs into a frontend's config: the stack outputs of a fleet stack
 * (`pulumi stack output --json`), or a local service (`--local`). Writes, into --out-dir (default: here):
 *   frontend-config.json  { apiUrl, jobsUrl, resultsBaseUrl, resultUrlBase, stack? }
 *   frontend-config.ts    the same, typed, with resultUrl() (for TypeScript frontends)
 *   .env                  VITE_API_URL, VITE_JOBS_URL, VITE_RESULTS_BASE_URL (for Vite)
 *
 * A job's `result.url` is absolute on AWS (the results CDN) and a path (`/results/...`) on a local service;
 * a page resolves it the same way in both places: `new URL(result.url, resultUrlBase)` (resultUrl() does).
 * The API must be HTTPS (a page served over HTTPS may not call plain HTTP), except a local service on a
 * loopback address. Fails with exit 1 and a message naming the field when one is missing or malformed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs as parseArgv } from "node:util";

export const USAGE = `usage: npm run frontend-config -- [FILE|-] [--out-dir DIR]
       npm run frontend-config -- --local [URL] [--out-dir DIR]

  FILE|-       the outputs of a fleet stack: \`pulumi stack output --json\` (a file, or stdin)
  --local URL  a local service started with \`npm start\` (default http://127.0.0.1:3000; loopback only)
  --out-dir    where to write frontend-config.json, frontend-config.ts and .env (default: .)
  -h, --help   this text

  e.g.  pulumi stack output --json --stack dev | npm run frontend-config -- --out-dir examples/web
        npm run frontend-config -- --local --out-dir examples/web
`;

/** A description that cannot become a frontend config; `field` is the stack output (or option) at fault. */
export class FrontendConfigError extends Error {
  override name = "FrontendConfigError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface FrontendConfig {
  /** Base URL of the API: scheme and host only, no trailing slash. */
  apiUrl: string;
  /** The jobs API (`jobsUrl` output): POST here, poll `<jobsUrl>/<id>`. */
  jobsUrl?: string;
  /** Where results are served (`resultsBaseUrl` output): the CDN on AWS, the service itself locally. */
  resultsBaseUrl?: string;
  /** Resolve a job's `result.url` against this: `new URL(result.url, resultUrlBase)`, the same everywhere. */
  resultUrlBase: string;
  stack?: string;
}

export const JSON_FILE = "frontend-config.json";
export const TS_FILE = "frontend-config.ts";
export const ENV_FILE = ".env";
export const DEFAULT_LOCAL_URL = "http://127.0.0.1:3000";

export function parseStackOutputs(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FrontendConfigError(
      `input is not JSON (expected the output of \`pulumi stack output --json\`): ${(err as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FrontendConfigError(
      "input is not a JSON object of stack outputs (expected `pulumi stack output --json`)",
    );
  }
  return parsed as Record<string, unknown>;
}

/** A host only this machine reaches: the one place plain HTTP is fine (no page elsewhere can be mixed). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function missing(field: string, hint: string): FrontendConfigError {
  return new FrontendConfigError(`stack output "${field}" is missing: ${hint}`, field);
}

/** A URL of a host only (no path, query, fragment or credentials), as `scheme://host[:port]`. */
function hostUrl(field: string, value: unknown): URL {
  if (typeof value !== "string")
    throw new FrontendConfigError(`stack output "${field}" must be a string, got ${JSON.stringify(value)}`, field);
  if (value.trim() !== value || /\s/.test(value))
    throw new FrontendConfigError(`stack output "${field}" contains whitespace: ${JSON.stringify(value)}`, field);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new FrontendConfigError(`stack output "${field}" is not an absolute URL: ${JSON.stringify(value)}`, field);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new FrontendConfigError(
      `stack output "${field}" must be https:// (or http:// on loopback), got ${JSON.stringify(value)}`,
      field,
    );
  if (u.username || u.password)
    throw new FrontendConfigError(
      `stack output "${field}" must not contain credentials: ${JSON.stringify(value)}`,
      field,
    );
  if (u.pathname !== "/" || u.search || u.hash || /[?#]/.test(value))
    throw new FrontendConfigError(
      `stack output "${field}" must be scheme and host only (no path, query or fragment), got ${JSON.stringify(value)}`,
      field,
    );
  if (u.protocol === "http:" && !isLoopback(u.hostname))
    throw new FrontendConfigError(
      `stack output "${field}" must be https:// (a page served over HTTPS may not call plain HTTP; every fleet stack's URLs are HTTPS), or http:// on a loopback host for a local service such as ${DEFAULT_LOCAL_URL}, got ${JSON.stringify(value)}`,
      field,
    );
  return u;
}

/** Validates the `url` output: https of a host, or http of a loopback host (a local service). */
export function validateApiUrl(value: unknown): string {
  if (value === undefined || value === null || value === "")
    throw missing("url", "run `pulumi up` first and pass `pulumi stack output --json` of that stack, or use --local");
  const u = hostUrl("url", value);
  return `${u.protocol}//${u.host}`;
}

/** `jobsUrl` must be the API's own `/jobs`: a frontend that posts elsewhere would miss its CORS allowance. */
export function validateJobsUrl(value: unknown, apiUrl: string): string {
  const expected = `${apiUrl}/jobs`;
  if (value === undefined || value === null || value === "")
    throw missing("jobsUrl", `a stack with the jobs API exports it (expected ${JSON.stringify(expected)})`);
  if (value !== expected)
    throw new FrontendConfigError(
      `stack output "jobsUrl" must be ${JSON.stringify(expected)} (the "url" output + /jobs), got ${JSON.stringify(value)}`,
      "jobsUrl",
    );
  return expected;
}

/** `resultsBaseUrl`: the CDN's https origin (a result's URL is `<base>/<key>`), or a local API itself. */
export function validateResultsBaseUrl(value: unknown, apiUrl: string): string {
  if (value === undefined || value === null || value === "")
    throw missing(
      "resultsBaseUrl",
      "a stack with the jobs API exports it (the results CDN, https://<id>.cloudfront.net)",
    );
  const u = hostUrl("resultsBaseUrl", value);
  const base = `${u.protocol}//${u.host}`;
  // A local service serves its results itself, under /results/ of the API.
  if (u.protocol === "http:" && base !== apiUrl)
    throw new FrontendConfigError(
      `stack output "resultsBaseUrl" on loopback must be the local API itself (${JSON.stringify(apiUrl)}), got ${JSON.stringify(value)}`,
      "resultsBaseUrl",
    );
  return base;
}

export function buildFrontendConfig(outputs: Record<string, unknown>): FrontendConfig {
  const apiUrl = validateApiUrl(outputs["url"]);
  const stack = outputs["stack"];
  if (stack !== undefined && typeof stack !== "string")
    throw new FrontendConfigError(`stack output "stack" must be a string, got ${JSON.stringify(stack)}`, "stack");
  // Both or neither: a stack from before the jobs resources has neither.
  const hasJobs = outputs["jobsUrl"] !== undefined || outputs["resultsBaseUrl"] !== undefined;
  return {
    apiUrl,
    ...(hasJobs
      ? {
          jobsUrl: validateJobsUrl(outputs["jobsUrl"], apiUrl),
          resultsBaseUrl: validateResultsBaseUrl(outputs["resultsBaseUrl"], apiUrl),
        }
      : {}),
    resultUrlBase: apiUrl,
    ...(stack ? { stack } : {}),
  };
}

/** The description of a local service (`npm start`): the same fields a stack exports, on loopback. */
export function localOutputs(url: string = DEFAULT_LOCAL_URL): Record<string, unknown> {
  const apiUrl = validateApiUrl(url);
  if (!apiUrl.startsWith("http://") || !isLoopback(new URL(apiUrl).hostname))
    throw new FrontendConfigError(
      `--local ${url}: a local service is http:// on a loopback host, such as ${DEFAULT_LOCAL_URL}`,
      "--local",
    );
  return { url: apiUrl, jobsUrl: `${apiUrl}/jobs`, resultsBaseUrl: apiUrl, stack: "local" };
}

export function renderEnv(config: FrontendConfig): string {
  return [
    "# Generated by `npm run frontend-config`. Do not edit.",
    ...(config.stack ? [`# stack: ${config.stack}`] : []),
    `VITE_API_URL=${config.apiUrl}`,
    ...(config.jobsUrl ? [`VITE_JOBS_URL=${config.jobsUrl}`] : []),
    ...(config.resultsBaseUrl ? [`VITE_RESULTS_BASE_URL=${config.resultsBaseUrl}`] : []),
    "",
  ].join("\n");
}

export function renderJson(config: FrontendConfig): string {
  return JSON.stringify(config, null, 2) + "\n";
}

/** A typed module with the same values, and the one way to turn a job's `result.url` into an absolute URL. */
export function renderTs(config: FrontendConfig): string {
  return `// Generated by \`npm run frontend-config\`. Do not edit.
export const frontendConfig = ${JSON.stringify(config, null, 2)} as const;

export type FrontendConfig = typeof frontendConfig;

/** A job's \`result.url\` as an absolute URL: already absolute on AWS (the CDN), a path locally. */
export function resultUrl(url: string): string {
  return new URL(url, frontendConfig.resultUrlBase).href;
}
`;
}

export interface Args {
  file?: string;
  /** Describe a local service at this URL instead of reading stack outputs. */
  local?: string;
  outDir: string;
  help: boolean;
}

export function parseArgs(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgv({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "out-dir": { type: "string" },
        local: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new FrontendConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new FrontendConfigError(`unexpected argument ${positionals[1]}\n${USAGE}`);
  if (values["out-dir"] === "") throw new FrontendConfigError("--out-dir needs a directory", "--out-dir");
  const [first] = positionals;
  return {
    ...(values.local
      ? { local: first ?? DEFAULT_LOCAL_URL }
      : first !== undefined && first !== "-"
        ? { file: first }
        : {}),
    outDir: values["out-dir"] ?? ".",
    help: values.help === true,
  };
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (data += chunk));
    stream.on("end", () => resolve(data));
    stream.on("error", reject);
  });
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

export async function main(
  argv: string[],
  stdin: NodeJS.ReadableStream = process.stdin,
  io: Io = processIo,
): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      io.out(USAGE);
      return 0;
    }
    let outputs: Record<string, unknown>;
    if (args.local !== undefined) outputs = localOutputs(args.local);
    else {
      if (args.file === undefined && (stdin as NodeJS.ReadStream).isTTY) {
        throw new FrontendConfigError(
          `no input: pipe \`pulumi stack output --json\` into it, pass a file, or use --local\n${USAGE}`,
        );
      }
      outputs = parseStackOutputs(args.file !== undefined ? fs.readFileSync(args.file, "utf8") : await readAll(stdin));
    }
    const config = buildFrontendConfig(outputs);
    fs.mkdirSync(args.outDir, { recursive: true });
    const written = [
      [JSON_FILE, renderJson(config)],
      [TS_FILE, renderTs(config)],
      [ENV_FILE, renderEnv(config)],
    ].map(([name, text]) => {
      const file = path.join(args.outDir, name!);
      fs.writeFileSync(file, text!);
      return file;
    });
    io.out(`wrote ${written.join(", ")} (API ${config.apiUrl})\n`);
    return 0;
  } catch (err) {
    if (err instanceof FrontendConfigError || (err as NodeJS.ErrnoException).code === "ENOENT") {
      io.err(`frontend-config: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`frontend-config failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
