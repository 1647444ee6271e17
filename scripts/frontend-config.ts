/**
 * Turns the stack outputs (`pulumi stack output --json`) into a frontend's config: a JSON file and a
 * `.env` with VITE_API_URL (and, from a stack with the jobs resources, VITE_JOBS_URL and
 * VITE_RESULTS_BASE_URL).
 *
 *   pulumi stack output --json | npm run frontend-config -- --out-dir ../web
 *   npm run frontend-config -- outputs.json --out-dir ../web
 *
 * Writes <out-dir>/frontend-config.json and <out-dir>/.env (out-dir defaults to the current directory).
 * Fails with exit 1 and a message naming the field when `url` is missing or malformed.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export class FrontendConfigError extends Error {}

export interface FrontendConfig {
  /** Base URL of the API: scheme and host only, no trailing slash. */
  apiUrl: string;
  /** The jobs API (`jobsUrl` output): POST here, poll `<jobsUrl>/<id>`. */
  jobsUrl?: string;
  /** Base of result URLs (`resultsBaseUrl` output, the CDN): https, host only. */
  resultsBaseUrl?: string;
  stack?: string;
}

export const JSON_FILE = "frontend-config.json";
export const ENV_FILE = ".env";

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

/** Validates the `url` output: an absolute http(s) URL of a host, without path, query, fragment or credentials. */
export function validateApiUrl(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw new FrontendConfigError(
      'stack output "url" is missing: run `pulumi up` first, and pass `pulumi stack output --json` of that stack',
    );
  }
  if (typeof value !== "string")
    throw new FrontendConfigError(`stack output "url" must be a string, got ${JSON.stringify(value)}`);
  if (value.trim() !== value || /\s/.test(value))
    throw new FrontendConfigError(`stack output "url" contains whitespace: ${JSON.stringify(value)}`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new FrontendConfigError(`stack output "url" is not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new FrontendConfigError(`stack output "url" must be http:// or https://, got ${JSON.stringify(value)}`);
  if (!u.hostname) throw new FrontendConfigError(`stack output "url" has no host: ${JSON.stringify(value)}`);
  if (u.username || u.password)
    throw new FrontendConfigError(`stack output "url" must not contain credentials: ${JSON.stringify(value)}`);
  if (u.pathname !== "/" || u.search || u.hash || /[?#]/.test(value)) {
    throw new FrontendConfigError(
      `stack output "url" must be scheme and host only (no path, query or fragment), got ${JSON.stringify(value)}`,
    );
  }
  return `${u.protocol}//${u.host}`;
}

/** `jobsUrl` must be the API's own `/jobs`: a frontend that posts elsewhere would miss its CORS and cookies. */
export function validateJobsUrl(value: unknown, apiUrl: string): string {
  const expected = `${apiUrl}/jobs`;
  if (value !== expected)
    throw new FrontendConfigError(
      `stack output "jobsUrl" must be ${JSON.stringify(expected)} (the "url" output + /jobs), got ${JSON.stringify(value)}`,
    );
  return expected;
}

/** `resultsBaseUrl`: the CDN's https origin, no path (a result's URL is `<base>/<key>`). */
export function validateResultsBaseUrl(value: unknown): string {
  let u: URL | undefined;
  try {
    u = typeof value === "string" && value.trim() === value ? new URL(value) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || u.protocol !== "https:" || u.pathname !== "/" || u.search || u.hash || u.username || u.password)
    throw new FrontendConfigError(
      `stack output "resultsBaseUrl" must be an https URL of a host only, such as https://d111111abcdef8.cloudfront.net, got ${JSON.stringify(value)}`,
    );
  return `https://${u.host}`;
}

export function buildFrontendConfig(outputs: Record<string, unknown>): FrontendConfig {
  const apiUrl = validateApiUrl(outputs["url"]);
  const stack = outputs["stack"];
  if (stack !== undefined && typeof stack !== "string")
    throw new FrontendConfigError(`stack output "stack" must be a string, got ${JSON.stringify(stack)}`);
  // Both or neither: a stack from before the jobs resources has neither.
  const hasJobs = outputs["jobsUrl"] !== undefined || outputs["resultsBaseUrl"] !== undefined;
  return {
    apiUrl,
    ...(hasJobs
      ? {
          jobsUrl: validateJobsUrl(outputs["jobsUrl"], apiUrl),
          resultsBaseUrl: validateResultsBaseUrl(outputs["resultsBaseUrl"]),
        }
      : {}),
    ...(stack ? { stack } : {}),
  };
}

export function renderEnv(config: FrontendConfig): string {
  return [
    "# Generated by `npm run frontend-config` from `pulumi stack output --json`. Do not edit.",
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

export interface Args {
  file?: string;
  outDir: string;
}

export function parseArgs(argv: string[]): Args {
  let file: string | undefined;
  let outDir = ".";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out-dir") {
      const v = argv[++i];
      if (!v) throw new FrontendConfigError("--out-dir needs a directory");
      outDir = v;
    } else if (a.startsWith("--out-dir=")) outDir = a.slice("--out-dir=".length);
    else if (a.startsWith("-") && a !== "-")
      throw new FrontendConfigError(`unknown option ${a} (usage: frontend-config [file|-] [--out-dir DIR])`);
    else if (file === undefined) file = a;
    else throw new FrontendConfigError(`unexpected argument ${a} (usage: frontend-config [file|-] [--out-dir DIR])`);
  }
  return { ...(file !== undefined && file !== "-" ? { file } : {}), outDir };
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
    if (args.file === undefined && (stdin as NodeJS.ReadStream).isTTY) {
      throw new FrontendConfigError("no input: pipe `pulumi stack output --json` into it, or pass a file");
    }
    const text = args.file !== undefined ? fs.readFileSync(args.file, "utf8") : await readAll(stdin);
    const config = buildFrontendConfig(parseStackOutputs(text));
    fs.mkdirSync(args.outDir, { recursive: true });
    const jsonPath = path.join(args.outDir, JSON_FILE);
    const envPath = path.join(args.outDir, ENV_FILE);
    fs.writeFileSync(jsonPath, renderJson(config));
    fs.writeFileSync(envPath, renderEnv(config));
    io.out(`wrote ${jsonPath} and ${envPath} (VITE_API_URL=${config.apiUrl})\n`);
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
