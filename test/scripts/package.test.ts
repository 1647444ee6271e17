/**
 * What package.json promises a newcomer: a fresh install that prints no install-script warning, an
 * incremental `npm start`, and `npm run dev` that restarts on change.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"] as const;

/** Every installed package (node_modules, nested ones included) that declares an install script. */
function packagesWithInstallScripts(dir = path.join(ROOT, "node_modules"), found = new Set<string>()): Set<string> {
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith(".")) continue;
    const full = path.join(dir, entry);
    if (entry.startsWith("@")) {
      packagesWithInstallScripts(full, found);
      continue;
    }
    const manifest = path.join(full, "package.json");
    if (!fs.existsSync(manifest)) continue;
    const { name, scripts = {} } = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
      name?: string;
      scripts?: Record<string, string>;
    };
    if (name && INSTALL_SCRIPTS.some((s) => s in scripts)) found.add(name);
    packagesWithInstallScripts(path.join(full, "node_modules"), found);
  }
  return found;
}

describe("package.json", () => {
  it("allowScripts decides every dependency's install scripts, so npm install has nothing to warn about", () => {
    const decided = new Set(Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@.*$/, "$1")));
    const undecided = [...packagesWithInstallScripts()].filter((name) => !decided.has(name)).sort();
    assert.deepEqual(undecided, [], "run `npm install-scripts ls`, decide, and record it in allowScripts");
  });

  it("npm start builds incrementally: tsc's build mode, its state kept inside dist/ (rm -rf dist is a clean build)", () => {
    assert.match(pkg.scripts.start!, /^npm run build && node dist\/service\/main\.js$/);
    assert.equal(pkg.scripts.build, "tsc -b tsconfig.build.json");
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")) as {
      compilerOptions: { incremental?: boolean; tsBuildInfoFile?: string; outDir: string };
    };
    assert.equal(build.compilerOptions.incremental, true);
    assert.ok(build.compilerOptions.tsBuildInfoFile?.startsWith(`${build.compilerOptions.outDir}/`));
  });

  it("npm run dev restarts the service when a file changes, with no dependency beyond tsx", () => {
    assert.match(pkg.scripts.dev!, /^tsx watch .*service\/main\.ts$/);
  });
});
