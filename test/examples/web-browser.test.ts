/// <reference lib="dom" />
/**
 * The example page (examples/web) in a real browser: headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core, which downloads no browser) loads the page from one origin and calls the service, built
 * and started as real processes (a web cluster and a job worker), on another. A job is posted, its progress
 * seen through the long poll, the image shown at its real size; a bad input and a 503 are shown as a person
 * would want; a page on an origin the service does not list is refused by the browser itself.
 *
 * Skipped, saying so, when chromium is absent; FLEET_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
 */
import * as assert from "node:assert/strict";
import fs from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { startWebServer } from "../../examples/web/serve";
import { buildFrontendConfig, localOutputs, type FrontendConfig } from "../../scripts/frontend-config";
import { startFleet, stopFleet, type FleetProcess } from "../service/fleet-process";

const CHROMIUM = process.env.FLEET_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = process.env.FLEET_WEB_SCREENSHOT ?? path.join(os.tmpdir(), "fleet-web-page.png");
/** Every wait in the browser is bounded by this, so a broken page fails the test instead of hanging it. */
const STEP_MS = 20_000;

describe("examples/web in headless Chromium: the page on one origin, the service on another", function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let web: FleetProcess | undefined;
  let worker: FleetProcess | undefined;
  const servers: http.Server[] = [];
  let listed = "";
  let unlisted = "";
  let dataDir = "";
  let config: FrontendConfig | undefined;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      const why = `${CHROMIUM} is not installed (apt-get install -y chromium), so the browser test cannot run`;
      if (process.env.FLEET_REQUIRE_CHROMIUM === "1") throw new Error(`${why}; FLEET_REQUIRE_CHROMIUM=1 requires it`);
      console.warn(`      skipped: ${why}`);
      this.skip();
    }
    // Two page origins: A, which the service lists, and C, which it does not.
    for (const server of [
      await startWebServer({ port: 0, config: () => config! }),
      await startWebServer({ port: 0, config: () => config! }),
    ]) {
      servers.push(server.server);
      if (!listed) listed = server.origin;
      else unlisted = server.origin;
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-web-"));
    const env = {
      JOBS_DB: path.join(dataDir, "jobs.db"),
      JOBS_RESULTS_DIR: path.join(dataDir, "results"),
      WEB_CONCURRENCY: "1",
      WORKER_CONCURRENCY: "1",
      CORS_ORIGINS: listed,
    };
    web = await startFleet({ ...env, FLEET_ROLE: "web" });
    worker = await startFleet({ ...env, FLEET_ROLE: "worker" }, false);
    await worker.waitFor((l) => l.msg === "job worker ready");
    config = buildFrontendConfig(localOutputs(`http://127.0.0.1:${web.port}`));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // CI runs as root, and Chromium's sandbox refuses to start as root without user namespaces; the pages
      // it opens here are our own, on loopback, so the sandbox protects nothing in this test.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      timeout: STEP_MS,
    });
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) s.close();
    await Promise.all([stopFleet(web), stopFleet(worker)]);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A page with its status lines recorded (every text the status line shows, in order). */
  async function open(origin: string): Promise<{ page: Page; statuses: string[] }> {
    const page = await browser!.newPage();
    page.setDefaultTimeout(STEP_MS);
    const statuses: string[] = [];
    await page.exposeFunction("recordStatus", (text: string) => void statuses.push(text));
    await page.evaluateOnNewDocument(() => {
      document.addEventListener("DOMContentLoaded", () => {
        const line = document.getElementById("status")!;
        const record = (window as unknown as { recordStatus: (t: string) => void }).recordStatus;
        new MutationObserver(() => record(line.textContent ?? "")).observe(line, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
    });
    await page.goto(`${origin}/`);
    await page.waitForSelector("body[data-state=idle]");
    return { page, statuses };
  }

  async function fill(page: Page, width: string, height: string, iterations: string) {
    for (const [id, value] of [
      ["width", width],
      ["height", height],
      ["maxIterations", iterations],
    ] as const) {
      await page.$eval(`#${id}`, (el, v) => ((el as HTMLInputElement).value = v), value);
    }
  }

  it("posts a render job, shows its progress from the long poll, and shows the image at its real size", async () => {
    const { page, statuses } = await open(listed);
    const polls: string[] = [];
    page.on("request", (r) => {
      if (/\/jobs\/[0-9a-f-]{36}\?wait=20$/.test(r.url())) polls.push(r.url());
    });
    const posted = page.waitForRequest((r) => r.method() === "POST" && r.url() === config!.jobsUrl);
    // About 4.5 s of work on one core of the dev machine (640×480 at 10,000 iterations took 1.15 s: most
    // pixels escape early), so several progress reports (one per 250 ms at most) reach the long poll.
    await fill(page, "1280", "960", "10000");
    await page.click("#submit");
    const post = await posted;
    assert.match(post.headers()["idempotency-key"] ?? "", /^[0-9a-f-]{36}$/);
    await page.waitForSelector("body[data-state=shown]");
    const size = await page.$eval("#image", (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    assert.deepEqual(size, [1280, 960]);
    assert.ok(polls.length >= 1, "the page long-polls GET /jobs/:id?wait=20");
    assert.ok(
      statuses.some((s) => /^Rendering… [1-9]\d? %$/.test(s)),
      `progress seen: ${JSON.stringify(statuses)}`,
    );
    assert.equal(await page.$eval("#status", (el) => el.textContent), "Done: 1280 × 960 px.");
    const src = await page.$eval("#image", (img) => (img as HTMLImageElement).src);
    assert.ok(src.startsWith(`http://127.0.0.1:${web!.port}/results/`), src);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it("shows a 400 naming the field and marks its input", async () => {
    const { page } = await open(listed);
    await fill(page, "0", "64", "100");
    await page.click("#submit");
    await page.waitForSelector("#status.error");
    const text = await page.$eval("#status", (el) => el.textContent ?? "");
    assert.match(text, /^Width \(px\): must be >= 1 \(the API said: body\/input\/width must be >= 1\)$/);
    assert.equal(await page.$eval("#width", (el) => el.getAttribute("aria-invalid")), "true");
    assert.equal(await page.$eval("#height", (el) => el.getAttribute("aria-invalid")), null);
    await page.close();
  });

  it("shows a 503 with its Retry-After, then retries by itself with the same Idempotency-Key", async () => {
    const { page, statuses } = await open(listed);
    await page.setRequestInterception(true);
    const keys: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url() === config!.jobsUrl) {
        keys.push(r.headers()["idempotency-key"] ?? "");
        // The first POST is answered as a full backlog would be (service/jobs/routes.ts BacklogFullError).
        if (keys.length === 1)
          return void r.respond({
            status: 503,
            headers: {
              "access-control-allow-origin": listed,
              "access-control-expose-headers": "retry-after",
              "retry-after": "2",
            },
            contentType: "application/json",
            body: JSON.stringify({
              statusCode: 503,
              error: "Service Unavailable",
              code: "BACKLOG_FULL",
              message: "100 jobs are waiting; retry later",
            }),
          });
      }
      void r.continue();
    });
    await fill(page, "64", "48", "50");
    await page.click("#submit");
    await page.waitForSelector("body[data-state=shown]");
    assert.ok(
      statuses.includes("The service is busy (100 jobs are waiting; retry later). Trying again in 2 s…"),
      JSON.stringify(statuses),
    );
    assert.ok(statuses.includes("The service is busy (100 jobs are waiting; retry later). Trying again in 1 s…"));
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1], "the retry is the same submission");
    await page.close();
  });

  it("is refused by the browser on an origin the service does not list", async () => {
    const { page } = await open(unlisted);
    const errors: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    await fill(page, "64", "48", "50");
    await page.click("#submit");
    await page.waitForSelector("#status.error");
    const text = await page.$eval("#status", (el) => el.textContent ?? "");
    assert.match(
      text,
      new RegExp(`^Could not reach the API at http://127\\.0\\.0\\.1:${web!.port} \\(Failed to fetch\\)`),
    );
    assert.ok(text.includes(`(${unlisted})`), text);
    // The same call from the listed origin goes through: it is the origin that is refused, not the API.
    const fromUnlisted = await page.evaluate(
      (u) =>
        fetch(u).then(
          (r) => `ok ${r.status}`,
          (e: Error) => e.message,
        ),
      `${config!.apiUrl}/healthcheck`,
    );
    assert.equal(fromUnlisted, "Failed to fetch");
    assert.ok(
      errors.some((e) => /CORS|Access-Control-Allow-Origin/.test(e)),
      JSON.stringify(errors),
    );
    await page.close();
  });
});
