import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ConfigError, LOCAL_WEB_ORIGINS, loadConfig, parseCorsOrigins } from "../../service/config";
import { CORS_MAX_AGE_S } from "../../service/cors";
import { buildJobsApp, type JobsTestApp } from "../jobs/helpers";

const PAGE = "http://127.0.0.1:5173";
const CDN_PAGE = "https://app.example.com";
const OTHER = "https://evil.example.net";

describe("CORS_ORIGINS (service/config.ts)", () => {
  it("outside production, unset means the local example page's origins (npm start + npm run web)", () => {
    assert.deepEqual(parseCorsOrigins({}), [...LOCAL_WEB_ORIGINS]);
    assert.deepEqual(parseCorsOrigins({ NODE_ENV: "development" }), [...LOCAL_WEB_ORIGINS]);
    assert.deepEqual(LOCAL_WEB_ORIGINS, ["http://127.0.0.1:5173", "http://localhost:5173"]);
  });

  it("in production, unset means no cross-origin access; set but empty means none anywhere", () => {
    assert.deepEqual(parseCorsOrigins({ NODE_ENV: "production" }), []);
    assert.deepEqual(parseCorsOrigins({ CORS_ORIGINS: "" }), []);
    assert.deepEqual(loadConfig({ NODE_ENV: "production" }).corsOrigins, []);
  });

  it("reads a comma-separated list of exact origins (spaces and duplicates tolerated), and * alone", () => {
    assert.deepEqual(parseCorsOrigins({ CORS_ORIGINS: ` ${CDN_PAGE}, http://localhost:8080 ,${CDN_PAGE}` }), [
      CDN_PAGE,
      "http://localhost:8080",
    ]);
    assert.deepEqual(parseCorsOrigins({ CORS_ORIGINS: "*", NODE_ENV: "production" }), ["*"]);
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      "a path",
      "https://app.example.com/app",
      /"https:\/\/app\.example\.com\/app" is not exactly an origin.*expected "https:\/\/app\.example\.com" for this entry/,
    ],
    ["a trailing slash", "https://app.example.com/", /expected "https:\/\/app\.example\.com"/],
    ["the default port", "https://app.example.com:443", /expected "https:\/\/app\.example\.com"/],
    ["upper case", "https://App.example.com", /expected "https:\/\/app\.example\.com"/],
    ["no scheme", "app.example.com", /"app\.example\.com" is not an origin; expected a comma-separated list/],
    ["another scheme", "ftp://files.example.com", /is not an http or https origin/],
    ["* in a list", `*,${CDN_PAGE}`, /"\*" is mixed with other origins; expected either "\*" alone/],
  ];
  for (const [what, value, message] of bad) {
    it(`refuses ${what} at start, naming CORS_ORIGINS, the entry and the fix`, () => {
      assert.throws(
        () => loadConfig({ CORS_ORIGINS: value }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.startsWith(`CORS_ORIGINS=${JSON.stringify(value)} is invalid: `) &&
          message.test(err.message),
      );
    });
  }
});

describe("CORS on the API (service/cors.ts)", () => {
  let t: JobsTestApp;
  before(async () => {
    t = await buildJobsApp({ corsOrigins: [PAGE, CDN_PAGE] });
    fs.mkdirSync(path.join(t.resultsDir, "a"), { recursive: true });
    fs.writeFileSync(path.join(t.resultsDir, "a", "r.png"), Buffer.from("png"));
  });
  after(() => t.close());

  const preflight = (url: string, origin: string, method = "GET") =>
    t.app.inject({
      method: "OPTIONS",
      url,
      headers: {
        origin,
        "access-control-request-method": method,
        "access-control-request-headers": "content-type,idempotency-key",
      },
    });

  for (const [url, method] of [
    ["/jobs", "POST"],
    ["/jobs/00000000000000000000000000", "GET"],
    ["/jobs/00000000000000000000000000?wait=20", "GET"],
    ["/jobs/00000000000000000000000000", "DELETE"],
    ["/api/10", "GET"],
    ["/results/a/r.png", "GET"],
  ] as const) {
    it(`answers a listed origin's preflight of ${method} ${url}`, async () => {
      const res = await preflight(url, PAGE, method);
      assert.equal(res.statusCode, 204);
      assert.equal(res.headers["access-control-allow-origin"], PAGE);
      assert.ok(String(res.headers["access-control-allow-methods"]).split(", ").includes(method));
      assert.equal(res.headers["access-control-allow-headers"], "content-type, idempotency-key");
      assert.equal(res.headers["access-control-max-age"], String(CORS_MAX_AGE_S));
      assert.equal(res.headers["access-control-allow-credentials"], undefined);
      assert.match(String(res.headers.vary), /Origin/);
    });
  }

  it("lets a listed page read Location, Retry-After and the replay header of POST /jobs", async () => {
    const post = () =>
      t.app.inject({
        method: "POST",
        url: "/jobs",
        headers: { origin: CDN_PAGE, "idempotency-key": "cors-replay-1" },
        payload: { kind: "render", input: { width: 8, height: 8 } },
      });
    await post();
    const replay = await post();
    assert.equal(replay.statusCode, 202);
    assert.equal(replay.headers["access-control-allow-origin"], CDN_PAGE);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    const exposed = String(replay.headers["access-control-expose-headers"]).split(", ");
    for (const name of ["location", "retry-after", "idempotent-replayed"]) assert.ok(exposed.includes(name), name);
    // The replay header's name is the one routes.ts sends: every header it sets is exposed.
    assert.ok(replay.headers.location && exposed.includes("location"));
  });

  it("puts the allowance on errors too, so a page can read a 400's message and a 503's Retry-After", async () => {
    const bad = await t.app.inject({
      method: "POST",
      url: "/jobs",
      headers: { origin: PAGE },
      payload: { kind: "render", input: { width: 0, height: 8 } },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers["access-control-allow-origin"], PAGE);
    assert.match(bad.json().message, /width/);
    const full = await buildJobsApp({ corsOrigins: [PAGE], maxBacklogS: 1, now: () => 0 });
    try {
      // Jobs already waiting (each counts at least a second): past the one second this app queues.
      for (let i = 0; i < 3; i++) await full.backend.enqueue({ kind: "sum", input: { n: 1 } });
      const busy = await full.app.inject({
        method: "POST",
        url: "/jobs",
        headers: { origin: PAGE },
        payload: { kind: "render", input: { width: 8, height: 8 } },
      });
      assert.equal(busy.statusCode, 503);
      assert.equal(busy.headers["access-control-allow-origin"], PAGE);
      assert.ok(Number(busy.headers["retry-after"]) >= 1);
    } finally {
      await full.close();
    }
  });

  it("sends an unlisted origin, or no origin, no CORS header at all (its preflight is a 404)", async () => {
    const pre = await preflight("/jobs", OTHER, "POST");
    assert.equal(pre.statusCode, 404);
    const get = await t.app.inject({ url: "/api/3", headers: { origin: OTHER } });
    const none = await t.app.inject({ url: "/api/3" });
    for (const res of [pre, get, none]) {
      const cors = Object.keys(res.headers).filter((h) => h.startsWith("access-control-"));
      assert.deepEqual(cors, []);
    }
  });

  it("leaves GET / and /healthcheck without CORS even for a listed origin: no page calls them", async () => {
    for (const url of ["/", "/healthcheck"]) {
      const res = await t.app.inject({ url, headers: { origin: PAGE } });
      assert.equal(res.statusCode, 200, url);
      const cors = Object.keys(res.headers).filter((h) => h.startsWith("access-control-"));
      assert.deepEqual(cors, [], url);
      assert.equal(res.headers.vary, undefined, url);
    }
    // The same origin on the API beside them is still allowed.
    const api = await t.app.inject({ url: "/api/3", headers: { origin: PAGE } });
    assert.equal(api.headers["access-control-allow-origin"], PAGE);
  });

  it("with no origins configured, answers no preflight at all", async () => {
    const bare = await buildJobsApp({ corsOrigins: [] });
    try {
      const res = await bare.app.inject({
        method: "OPTIONS",
        url: "/jobs",
        headers: { origin: PAGE, "access-control-request-method": "POST" },
      });
      assert.equal(res.statusCode, 404);
      assert.equal(res.headers["access-control-allow-origin"], undefined);
    } finally {
      await bare.close();
    }
  });

  it("with *, any page may call (and still no credentials)", async () => {
    const any = await buildJobsApp({ corsOrigins: ["*"] });
    try {
      const res = await any.app.inject({ url: "/jobs/00000000000000000000000000", headers: { origin: OTHER } });
      assert.equal(res.headers["access-control-allow-origin"], "*");
      assert.equal(res.headers["access-control-allow-credentials"], undefined);
    } finally {
      await any.close();
    }
  });
});
