/**
 * The image's Node pin is not older than the newest 24.x security release the repository knows of
 * (infra/image/nodeSecurityReleases.json), and scripts/use-node.sh installs the same version with the
 * registry's integrity hash.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { NODE_VERSION } from "../../../infra/image/nodeRelease";
import {
  compareVersions,
  NodeSecurityReleasesError,
  parseSecurityReleases,
  securityReleaseAhead,
} from "../../../infra/image/nodeSecurityReleases";

const ROOT = path.join(__dirname, "..", "..", "..");
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

describe("the Node.js pin is current", () => {
  const releases = parseSecurityReleases(readJson("infra/image/nodeSecurityReleases.json"));

  it("is not older than the newest 24.x security release in nodeSecurityReleases.json", () => {
    const ahead = securityReleaseAhead(NODE_VERSION, releases);
    assert.equal(
      ahead,
      undefined,
      `infra/image/nodeRelease.ts pins Node ${NODE_VERSION}, older than the security release ${ahead?.version} ` +
        `of ${ahead?.date} (${ahead?.source}): bump NODE_VERSION and its SHA-256 sums from the release's signed ` +
        `SHASUMS256.txt (the steps are in nodeRelease.ts's header)`,
    );
  });

  it("says which release is ahead, whatever the order of the file", () => {
    const known = [
      { version: "24.17.0", date: "2026-06-18", source: "https://a" },
      { version: "24.22.1", date: "2026-10-21", source: "https://b" },
      { version: "24.14.1", date: "2026-03-24", source: "https://c" },
    ];
    assert.equal(securityReleaseAhead("24.11.1", known)?.version, "24.22.1");
    assert.equal(securityReleaseAhead("24.17.0", known)?.version, "24.22.1");
    assert.equal(securityReleaseAhead("24.9.9", [known[2]!])?.version, "24.14.1", "minor compared as a number");
    assert.equal(securityReleaseAhead("24.22.1", known), undefined);
    assert.equal(securityReleaseAhead("24.22.10", known), undefined, "patch compared as a number");
    assert.ok(compareVersions("24.100.0", "24.99.9") > 0);
  });

  it("refuses an entry it cannot judge, naming the field and the fix", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ releases: [] }, /releases is \[\]/],
      [{ releases: [{ version: "v24.22.1", date: "2026-10-21", source: "https://x" }] }, /releases\[0\]\.version/],
      [{ releases: [{ version: "22.23.4", date: "2026-10-21", source: "https://x" }] }, /a 24\.x version/],
      [{ releases: [{ version: "24.22.1", date: "21 Oct 2026", source: "https://x" }] }, /releases\[0\]\.date/],
      [{ releases: [{ version: "24.22.1", date: "2026-10-21", source: "nodejs.org" }] }, /releases\[0\]\.source/],
    ];
    for (const [json, message] of bad) {
      assert.throws(
        () => parseSecurityReleases(json),
        (err: unknown) => {
          assert.ok(err instanceof NodeSecurityReleasesError);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});
