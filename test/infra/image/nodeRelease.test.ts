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
  MAX_WAIVER_DAYS,
  parseSecurityReleases,
  parseWaiver,
  securityReleaseAhead,
  waived,
} from "../../../infra/image/nodeSecurityReleases";

const ROOT = path.join(__dirname, "..", "..", "..");
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

describe("the Node.js pin is current", () => {
  const file = readJson("infra/image/nodeSecurityReleases.json");
  const releases = parseSecurityReleases(file);
  const waiver = parseWaiver(file);

  it("is not older than the newest 24.x security release in nodeSecurityReleases.json", () => {
    const ahead = securityReleaseAhead(NODE_VERSION, releases);
    const today = new Date().toISOString().slice(0, 10);
    if (ahead && waived(ahead, waiver, today)) {
      // Visible in every run while it holds; it ends by itself (MAX_WAIVER_DAYS).
      console.warn(
        `      WAIVED until ${waiver!.until}: Node ${NODE_VERSION} is behind the security release ${ahead.version} (${waiver!.reason})`,
      );
      return;
    }
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

  it("accepts a waiver only for the release it names, only between its dates, for two weeks at most", () => {
    const ahead = { version: "24.22.1", date: "2026-10-21", source: "https://b" };
    const w = parseWaiver({
      waiver: {
        version: "24.22.1",
        since: "2026-12-03",
        until: "2026-12-17",
        reason: "the signed sums cannot be read here",
      },
    });
    assert.ok(waived(ahead, w, "2026-12-03"));
    assert.ok(waived(ahead, w, "2026-12-17"), "the last day holds");
    assert.ok(!waived(ahead, w, "2026-12-18"), "then the check fails again");
    assert.ok(!waived(ahead, w, "2026-12-02"));
    assert.ok(!waived({ ...ahead, version: "24.23.0" }, w, "2026-12-05"), "a newer release is not waived");
    assert.ok(!waived(ahead, undefined, "2026-12-05"));
    assert.equal(parseWaiver({}), undefined);
    const bad: Array<[unknown, RegExp]> = [
      [
        { version: "24.22.1", since: "2026-12-03", until: "2026-12-18", reason: "the signed sums cannot be read" },
        /waiver\.until.*at most 14 days/,
      ],
      [
        { version: "24.22.1", since: "2026-12-03", until: "2026-12-01", reason: "the signed sums cannot be read" },
        /waiver\.until/,
      ],
      [
        { version: "v24", since: "2026-12-03", until: "2026-12-04", reason: "the signed sums cannot be read" },
        /waiver\.version/,
      ],
      [
        { version: "24.22.1", since: "3 Dec", until: "2026-12-04", reason: "the signed sums cannot be read" },
        /waiver\.since/,
      ],
      [{ version: "24.22.1", since: "2026-12-03", until: "2026-12-04", reason: "because" }, /waiver\.reason/],
    ];
    for (const [json, message] of bad) assert.throws(() => parseWaiver({ waiver: json }), message);
    assert.equal(MAX_WAIVER_DAYS, 14);
  });
});
