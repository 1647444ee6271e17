/**
 * scripts/frontend-config.ts: every place a frontend runs (a fleet stack, a local `npm start`) becomes the
 * same config, a page resolves a job's result URL the same way in both, and a bad description names its field.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import {
  buildFrontendConfig,
  ENV_FILE,
  FrontendConfigError,
  JSON_FILE,
  localOutputs,
  main,
  parseArgs,
  parseStackOutputs,
  renderEnv,
  renderTs,
  TS_FILE,
  USAGE,
  validateApiUrl,
} from "../../scripts/frontend-config";

const API = "https://d222222abcdef8.cloudfront.net";
const CDN = "https://d111111abcdef8.cloudfront.net";
const STACK = { url: API, jobsUrl: `${API}/jobs`, resultsBaseUrl: CDN, stack: "prod", asgName: "x" };

/** What `resultUrl` in the generated module does: the rule the config states. */
const resolve = (resultUrl: string, base: string) => new URL(resultUrl, base).href;

describe("frontend-config (where the API runs -> a frontend's config)", () => {
  it("turns a stack's outputs into the API, jobs and results URLs, as JSON fields and VITE_ lines", () => {
    const cfg = buildFrontendConfig(parseStackOutputs(JSON.stringify(STACK)));
    assert.deepEqual(cfg, {
      apiUrl: API,
      jobsUrl: `${API}/jobs`,
      resultsBaseUrl: CDN,
      resultUrlBase: API,
      stack: "prod",
    });
    const env = renderEnv(cfg);
    assert.match(env, /^VITE_API_URL=https:\/\/d222222abcdef8\.cloudfront\.net$/m);
    assert.match(env, /^VITE_JOBS_URL=https:\/\/d222222abcdef8\.cloudfront\.net\/jobs$/m);
    assert.match(env, /^VITE_RESULTS_BASE_URL=https:\/\/d111111abcdef8\.cloudfront\.net$/m);
    assert.doesNotMatch(renderEnv(buildFrontendConfig({ url: API })), /VITE_JOBS_URL/);
  });

  it("describes a local service (npm start) with the same fields, on loopback only", () => {
    const cfg = buildFrontendConfig(localOutputs());
    assert.deepEqual(cfg, {
      apiUrl: "http://127.0.0.1:3000",
      jobsUrl: "http://127.0.0.1:3000/jobs",
      resultsBaseUrl: "http://127.0.0.1:3000",
      resultUrlBase: "http://127.0.0.1:3000",
      stack: "local",
    });
    assert.equal(buildFrontendConfig(localOutputs("http://localhost:8080")).jobsUrl, "http://localhost:8080/jobs");
    assert.equal(validateApiUrl("http://[::1]:3000"), "http://[::1]:3000");
    assert.throws(
      () => localOutputs("https://example.com"),
      /--local https:\/\/example\.com: a local service is http:\/\/ on a loopback host/,
    );
    assert.throws(() => localOutputs("http://10.0.0.5:3000"), /loopback/);
  });

  it("gives a page an absolute result URL the same way locally (a path) and on AWS (already absolute)", () => {
    const local = buildFrontendConfig(localOutputs());
    const aws = buildFrontendConfig(STACK);
    assert.equal(resolve("/results/01J/r.png", local.resultUrlBase), "http://127.0.0.1:3000/results/01J/r.png");
    assert.equal(resolve(`${CDN}/results/01J/r.png`, aws.resultUrlBase), `${CDN}/results/01J/r.png`);
    // The typed module states the same rule, and compiles to it.
    const ts = renderTs(local);
    assert.match(
      ts,
      /export const frontendConfig = \{[\s\S]*"resultUrlBase": "http:\/\/127\.0\.0\.1:3000"[\s\S]*\} as const;/,
    );
    assert.match(ts, /return new URL\(url, frontendConfig\.resultUrlBase\)\.href;/);
  });

  const badJobs: Array<[string, Record<string, unknown>, RegExp]> = [
    ["a jobs URL without the CDN", { jobsUrl: `${API}/jobs` }, /stack output "resultsBaseUrl" is missing/],
    ["a CDN without the jobs URL", { resultsBaseUrl: CDN }, /stack output "jobsUrl" is missing/],
    ["a jobs URL on another host", { jobsUrl: "https://other/jobs", resultsBaseUrl: CDN }, /"jobsUrl" must be/],
    [
      "a plain-HTTP CDN",
      { jobsUrl: `${API}/jobs`, resultsBaseUrl: "http://d1.cloudfront.net" },
      /"resultsBaseUrl" must be https:\/\//,
    ],
    [
      "a CDN URL with a path",
      { jobsUrl: `${API}/jobs`, resultsBaseUrl: `${CDN}/x` },
      /"resultsBaseUrl" must be scheme and host only/,
    ],
  ];
  for (const [what, extra, message] of badJobs) {
    it(`refuses ${what}, naming the output`, () => {
      assert.throws(
        () => buildFrontendConfig({ url: API, ...extra }),
        (err: unknown) =>
          err instanceof FrontendConfigError && err.name === "FrontendConfigError" && message.test(err.message),
      );
    });
  }

  it("refuses a local API whose results would come from elsewhere", () => {
    assert.throws(
      () =>
        buildFrontendConfig({
          url: "http://127.0.0.1:3000",
          jobsUrl: "http://127.0.0.1:3000/jobs",
          resultsBaseUrl: "http://127.0.0.1:9999",
        }),
      /on loopback must be the local API itself/,
    );
  });

  it("accepts https and loopback http, normalising a bare trailing slash and keeping a port", () => {
    assert.equal(validateApiUrl(`${API}/`), API);
    assert.equal(validateApiUrl("http://localhost:3000"), "http://localhost:3000");
    assert.equal(validateApiUrl("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["missing", undefined, /"url" is missing/],
    ["empty", "", /"url" is missing/],
    ["not a string", 42, /"url" must be a string/],
    ["not a URL", "fleet-alb.elb.amazonaws.com", /"url" is not an absolute URL/],
    ["another scheme", `ftp://example.com`, /"url" must be https:\/\//],
    ["plain HTTP off loopback", "http://fleet-alb-1.eu-central-1.elb.amazonaws.com", /may not call plain HTTP/],
    ["with a path", `${API}/api`, /"url" must be scheme and host only/],
    ["with a query", `${API}?x=1`, /"url" must be scheme and host only/],
    ["with a fragment", `${API}#x`, /"url" must be scheme and host only/],
    ["with credentials", `https://user:pw@example.com`, /"url" must not contain credentials/],
    ["with whitespace", ` ${API}`, /"url" contains whitespace/],
  ];
  for (const [what, url, message] of bad) {
    it(`refuses a url that is ${what}, naming the field`, () => {
      assert.throws(
        () => buildFrontendConfig(url === undefined ? {} : { url }),
        (err: unknown) => err instanceof FrontendConfigError && err.field === "url" && message.test(err.message),
      );
    });
  }

  it("refuses input that is not a JSON object", () => {
    assert.throws(() => parseStackOutputs("not json"), /not JSON/);
    assert.throws(() => parseStackOutputs("[1]"), /not a JSON object/);
  });

  it("parses its arguments", () => {
    assert.deepEqual(parseArgs([]), { outDir: ".", help: false });
    assert.deepEqual(parseArgs(["out.json", "--out-dir", "web"]), { file: "out.json", outDir: "web", help: false });
    assert.deepEqual(parseArgs(["-", "--out-dir=web"]), { outDir: "web", help: false });
    assert.deepEqual(parseArgs(["--local"]), { local: "http://127.0.0.1:3000", outDir: ".", help: false });
    assert.deepEqual(parseArgs(["--local", "http://localhost:4000"]).local, "http://localhost:4000");
    assert.equal(parseArgs(["-h"]).help, true);
    assert.throws(() => parseArgs(["--bogus"]), /Unknown option '--bogus'[\s\S]*usage:/);
    assert.throws(() => parseArgs(["a", "b"]), /unexpected argument b/);
  });

  describe("main", () => {
    let dir: string;
    let stderr: string;
    let stdout: string;
    const io = { out: (t: string) => void (stdout += t), err: (t: string) => void (stderr += t) };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "frontend-config-"));
      stderr = "";
      stdout = "";
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("--help prints the usage and exits 0, writing nothing", async () => {
      assert.equal(await main(["--help", "--out-dir", dir], Readable.from([]), io), 0);
      assert.equal(stdout, USAGE);
      assert.match(stdout, /--local URL/);
      assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("reads stdin and writes the JSON file, the typed module and the .env", async () => {
      const stdin = Readable.from([JSON.stringify(STACK)]);
      assert.equal(await main(["--out-dir", dir], stdin, io), 0);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, JSON_FILE), "utf8")), buildFrontendConfig(STACK));
      assert.match(fs.readFileSync(path.join(dir, TS_FILE), "utf8"), /export function resultUrl/);
      assert.match(
        fs.readFileSync(path.join(dir, ENV_FILE), "utf8"),
        /^VITE_API_URL=https:\/\/d222222abcdef8\.cloudfront\.net$/m,
      );
    });

    it("--local writes the config of a local service", async () => {
      assert.equal(await main(["--local", "--out-dir", dir], Readable.from([]), io), 0);
      assert.equal(
        JSON.parse(fs.readFileSync(path.join(dir, JSON_FILE), "utf8")).jobsUrl,
        "http://127.0.0.1:3000/jobs",
      );
    });

    it("reads a file argument", async () => {
      const file = path.join(dir, "outputs.json");
      fs.writeFileSync(file, JSON.stringify({ url: API }));
      assert.equal(await main([file, "--out-dir", path.join(dir, "web")], Readable.from([]), io), 0);
      assert.ok(fs.existsSync(path.join(dir, "web", ENV_FILE)));
    });

    it("exits 1 naming the field, writing nothing, when url is malformed", async () => {
      const stdin = Readable.from([JSON.stringify({ url: `${API}/path` })]);
      assert.equal(await main(["--out-dir", dir], stdin, io), 1);
      assert.match(stderr, /stack output "url"/);
      assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("exits 1 when url is missing or the file does not exist", async () => {
      assert.equal(await main(["--out-dir", dir], Readable.from(["{}"]), io), 1);
      assert.match(stderr, /"url" is missing/);
      assert.equal(await main([path.join(dir, "nope.json"), "--out-dir", dir], Readable.from([]), io), 1);
      assert.match(stderr, /ENOENT|no such file/);
    });
  });
});
