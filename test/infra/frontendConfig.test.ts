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
  main,
  parseArgs,
  parseStackOutputs,
  renderEnv,
  validateApiUrl,
} from "../../scripts/frontend-config";

const DNS = "fleet-alb-1234567890.eu-central-1.elb.amazonaws.com";

describe("frontend-config (stack outputs -> frontend config)", () => {
  it("turns the stack outputs into the API URL and a VITE_API_URL line", () => {
    const cfg = buildFrontendConfig(
      parseStackOutputs(JSON.stringify({ url: `https://${DNS}`, stack: "prod", asgName: "x" })),
    );
    assert.deepEqual(cfg, { apiUrl: `https://${DNS}`, stack: "prod" });
    assert.match(renderEnv(cfg), new RegExp(`^VITE_API_URL=https://${DNS.replace(/\./g, "\\.")}$`, "m"));
  });

  it("passes the jobs endpoint and the results CDN on, as JSON fields and VITE_ lines", () => {
    const cfg = buildFrontendConfig({
      url: `https://${DNS}`,
      jobsUrl: `https://${DNS}/jobs`,
      resultsBaseUrl: "https://d111111abcdef8.cloudfront.net",
      stack: "prod",
    });
    assert.deepEqual(cfg, {
      apiUrl: `https://${DNS}`,
      jobsUrl: `https://${DNS}/jobs`,
      resultsBaseUrl: "https://d111111abcdef8.cloudfront.net",
      stack: "prod",
    });
    const env = renderEnv(cfg);
    assert.match(env, new RegExp(`^VITE_JOBS_URL=https://${DNS.replace(/\./g, "\\.")}/jobs$`, "m"));
    assert.match(env, /^VITE_RESULTS_BASE_URL=https:\/\/d111111abcdef8\.cloudfront\.net$/m);
    assert.doesNotMatch(renderEnv(buildFrontendConfig({ url: `https://${DNS}` })), /VITE_JOBS_URL/);
  });

  const badJobs: Array<[string, Record<string, unknown>, RegExp]> = [
    ["a jobs URL without the CDN", { jobsUrl: `http://${DNS}/jobs` }, /"resultsBaseUrl"/],
    ["a CDN without the jobs URL", { resultsBaseUrl: "https://d1.cloudfront.net" }, /"jobsUrl"/],
    [
      "a jobs URL on another host",
      { jobsUrl: "http://other/jobs", resultsBaseUrl: "https://d1.cloudfront.net" },
      /"jobsUrl" must be/,
    ],
    [
      "a plain-HTTP CDN",
      { jobsUrl: `http://${DNS}/jobs`, resultsBaseUrl: "http://d1.cloudfront.net" },
      /"resultsBaseUrl" must be an https URL/,
    ],
    [
      "a CDN URL with a path",
      { jobsUrl: `http://${DNS}/jobs`, resultsBaseUrl: "https://d1.cloudfront.net/x" },
      /"resultsBaseUrl"/,
    ],
  ];
  for (const [what, extra, message] of badJobs) {
    it(`refuses ${what}, naming the output`, () => {
      assert.throws(
        () => buildFrontendConfig({ url: `http://${DNS}`, ...extra }),
        (err: unknown) => err instanceof FrontendConfigError && message.test(err.message),
      );
    });
  }

  it("accepts http and https, normalising a bare trailing slash and keeping a port", () => {
    assert.equal(validateApiUrl(`http://${DNS}`), `http://${DNS}`);
    assert.equal(validateApiUrl(`https://${DNS}/`), `https://${DNS}`);
    assert.equal(validateApiUrl("http://localhost:3000"), "http://localhost:3000");
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["missing", undefined, /"url" is missing/],
    ["empty", "", /"url" is missing/],
    ["not a string", 42, /"url" must be a string/],
    ["not a URL", "fleet-alb.elb.amazonaws.com", /"url" is not an absolute URL/],
    ["another scheme", `ftp://${DNS}`, /"url" must be http:\/\/ or https:\/\//],
    ["with a path", `http://${DNS}/api`, /"url" must be scheme and host only/],
    ["with a query", `http://${DNS}?x=1`, /"url" must be scheme and host only/],
    ["with a fragment", `http://${DNS}#x`, /"url" must be scheme and host only/],
    ["with credentials", `http://user:pw@${DNS}`, /"url" must not contain credentials/],
    ["with whitespace", ` http://${DNS}`, /"url" contains whitespace/],
  ];
  for (const [what, url, message] of bad) {
    it(`refuses a url that is ${what}, naming the field`, () => {
      assert.throws(
        () => buildFrontendConfig(url === undefined ? {} : { url }),
        (err: unknown) => err instanceof FrontendConfigError && message.test(err.message),
      );
    });
  }

  it("refuses input that is not a JSON object", () => {
    assert.throws(() => parseStackOutputs("not json"), /not JSON/);
    assert.throws(() => parseStackOutputs("[1]"), /not a JSON object/);
  });

  it("parses its arguments", () => {
    assert.deepEqual(parseArgs([]), { outDir: "." });
    assert.deepEqual(parseArgs(["out.json", "--out-dir", "web"]), { file: "out.json", outDir: "web" });
    assert.deepEqual(parseArgs(["-", "--out-dir=web"]), { outDir: "web" });
    assert.throws(() => parseArgs(["--bogus"]), /unknown option/);
  });

  describe("main", () => {
    let dir: string;
    let stderr: string;
    const io = { out: () => {}, err: (t: string) => void (stderr += t) };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "frontend-config-"));
      stderr = "";
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads stdin and writes the JSON file and the .env", async () => {
      const stdin = Readable.from([JSON.stringify({ url: `http://${DNS}`, stack: "dev" })]);
      assert.equal(await main(["--out-dir", dir], stdin, io), 0);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, JSON_FILE), "utf8")), {
        apiUrl: `http://${DNS}`,
        stack: "dev",
      });
      assert.match(
        fs.readFileSync(path.join(dir, ENV_FILE), "utf8"),
        new RegExp(`^VITE_API_URL=http://${DNS.replace(/\./g, "\\.")}$`, "m"),
      );
    });

    it("reads a file argument", async () => {
      const file = path.join(dir, "outputs.json");
      fs.writeFileSync(file, JSON.stringify({ url: `https://${DNS}` }));
      assert.equal(await main([file, "--out-dir", path.join(dir, "web")], Readable.from([]), io), 0);
      assert.ok(fs.existsSync(path.join(dir, "web", ENV_FILE)));
    });

    it("exits 1 naming the field, writing nothing, when url is malformed", async () => {
      const stdin = Readable.from([JSON.stringify({ url: `http://${DNS}/path` })]);
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
