/** examples/web/serve.ts (`npm run web`): the page's files and its config, nothing else, on loopback only. */
import * as assert from "node:assert/strict";
import type http from "node:http";
import { startWebServer } from "../../examples/web/serve";
import { buildFrontendConfig, localOutputs } from "../../scripts/frontend-config";

describe("npm run web (examples/web/serve.ts)", () => {
  let server: http.Server;
  let origin: string;
  const config = buildFrontendConfig(localOutputs("http://127.0.0.1:3999"));
  before(async () => {
    ({ server, origin } = await startWebServer({ port: 0, config }));
  });
  after(() => server.close());

  it("serves the page, its script and the config it reads", async () => {
    const page = await fetch(`${origin}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    assert.match(await page.text(), /<script type="module" src="app.js">/);
    assert.match((await fetch(`${origin}/app.js`)).headers.get("content-type")!, /^text\/javascript/);
    assert.deepEqual(await (await fetch(`${origin}/frontend-config.json`)).json(), config);
  });

  it("serves nothing else: no other file, no way out of its directory, no other method", async () => {
    for (const p of ["/serve.ts", "/../package.json", "/%2e%2e/package.json", "/infra/index.ts"])
      assert.equal((await fetch(`${origin}${p}`)).status, 404, p);
    assert.equal((await fetch(`${origin}/`, { method: "POST" })).status, 405);
  });

  it("refuses to listen beyond loopback", async () => {
    await assert.rejects(startWebServer({ host: "0.0.0.0", port: 0, config }), /loopback only/);
  });
});
