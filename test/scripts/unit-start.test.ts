/**
 * The instance's start, reproduced: the built service (dist/, from `npm run build`; nothing is built here)
 * run exactly as each systemd unit of the image runs it on an instance launched without user data
 * (scripts/unit-start.ts: the unit's user as uid 65534, its Environment= lines and no environment file,
 * STATE_DIRECTORY as StateDirectory= sets it, a root-owned read-only install directory, a private /tmp).
 * Only PORT and HOST are overridden (a free port on 127.0.0.1: the unit's 3000 may be taken on a shared
 * machine, and tests bind loopback only).
 *
 * Skips only when nothing can drop privileges here (as root: no setpriv; not root: no working bwrap).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYOUT, renderServiceUnit, renderWorkerUnit } from "../../infra/image/serviceUnit";
import { SERVICE_PORT } from "../../service/timing";
import { checkWebUnit, checkWorkerUnit, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from "../../scripts/unit-checks";
import { detectSandbox, parseUnit, type SandboxKind } from "../../scripts/unit-start";

const ROOT = path.resolve(__dirname, "..", "..");
const RUN_TIMEOUT_MS = START_TIMEOUT_MS + STOP_TIMEOUT_MS + 10_000;

describe("the units' start, as on an instance without user data", function () {
  this.timeout(RUN_TIMEOUT_MS);
  let sandbox: SandboxKind;

  before(function () {
    const found = detectSandbox();
    if (found.kind === "none") {
      console.log(`    skipped: nothing here can drop privileges to an unprivileged user (${found.why})`);
      this.skip();
    }
    sandbox = found.kind;
    assert.ok(
      fs.existsSync(path.join(ROOT, "dist", "service", "main.js")),
      "dist/service/main.js is missing: run `npm run build` (npm test does) before this test",
    );
  });

  it("reads the rendered units as systemd does: user, working directory, environment, state directory", () => {
    const web = parseUnit(renderServiceUnit());
    assert.equal(web.user, LAYOUT.user);
    assert.equal(web.workingDirectory, LAYOUT.installDir);
    assert.deepEqual(web.execStart, [LAYOUT.node, `${LAYOUT.installDir}/dist/service/main.js`]);
    assert.equal(web.stateDirectory, LAYOUT.stateDirectoryName);
    assert.ok(web.privateTmp);
    assert.deepEqual(web.environmentFiles, [`-${LAYOUT.envFile}`]);
    const env = new Map(web.environment);
    assert.equal(env.get("FLEET_ROLE"), "web");
    assert.equal(env.get("PORT"), String(SERVICE_PORT));
    assert.equal(new Map(parseUnit(renderWorkerUnit()).environment).get("FLEET_ROLE"), "worker");
  });

  it(`${LAYOUT.unitName}: /healthcheck answers 200, nothing warns, SIGTERM stops it with exit 0`, async () => {
    assert.deepEqual(await checkWebUnit(ROOT, sandbox), [], `sandbox ${sandbox}`);
  });

  it(`${LAYOUT.workerUnitName}: ready, idle without a crash, its database in the state directory, stops with exit 0`, async () => {
    assert.deepEqual(await checkWorkerUnit(ROOT, sandbox), [], `sandbox ${sandbox}`);
  });

  it("catches a unit that would write into its read-only install directory (no StateDirectory=)", async () => {
    const withoutState = renderWorkerUnit()
      .split("\n")
      .filter((l) => !l.startsWith("StateDirectory"))
      .join("\n");
    const problems = await checkWorkerUnit(ROOT, sandbox, withoutState);
    assert.ok(
      problems.some((p) => p.field === "start") &&
        // /opt/fleet/.data under bwrap, the install copy's .data under setpriv alone.
        problems.some((p) => p.field === "stderr" && /cannot create \S*\/\.data for JOBS_DB/.test(p.message)),
      JSON.stringify(problems, null, 2),
    );
  });
});
