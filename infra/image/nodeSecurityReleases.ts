/**
 * Reads infra/image/nodeSecurityReleases.json (the 24.x security releases this repository knows of) and
 * says whether a pinned version is older than the newest of them. Pure: the test that keeps the image's
 * Node pin current (test/infra/image/nodeRelease.test.ts) calls it with the file and NODE_VERSION.
 */

export interface NodeSecurityRelease {
  /** The first 24.x version that carries the fixes, `24.Y.Z`. */
  version: string;
  /** The release date, YYYY-MM-DD. */
  date: string;
  /** The page that announced it (https). */
  source: string;
}

export class NodeSecurityReleasesError extends Error {
  override name = "NodeSecurityReleasesError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    fix: string,
  ) {
    super(`nodeSecurityReleases.json: ${field} is ${JSON.stringify(value)}: ${fix}`);
  }
}

const VERSION = /^24\.(\d+)\.(\d+)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates the file's content; each problem names the entry's field, its value and the fix. */
export function parseSecurityReleases(json: unknown): NodeSecurityRelease[] {
  const releases = (json as { releases?: unknown } | null)?.releases;
  if (!Array.isArray(releases) || releases.length === 0) {
    throw new NodeSecurityReleasesError("releases", releases, "a non-empty list of {version, date, source}");
  }
  return releases.map((entry: Partial<NodeSecurityRelease>, i) => {
    const at = `releases[${i}]`;
    if (typeof entry?.version !== "string" || !VERSION.test(entry.version)) {
      throw new NodeSecurityReleasesError(`${at}.version`, entry?.version, "a 24.x version such as 24.22.1");
    }
    if (typeof entry.date !== "string" || !DATE.test(entry.date) || Number.isNaN(Date.parse(entry.date))) {
      throw new NodeSecurityReleasesError(`${at}.date`, entry.date, "the release date as YYYY-MM-DD");
    }
    if (typeof entry.source !== "string" || !entry.source.startsWith("https://")) {
      throw new NodeSecurityReleasesError(`${at}.source`, entry.source, "the https page that announced it");
    }
    return { version: entry.version, date: entry.date, source: entry.source };
  });
}

/** Negative, zero or positive as 24.a.b is older than, the same as or newer than 24.c.d. */
export function compareVersions(a: string, b: string): number {
  const [, aMinor, aPatch] = VERSION.exec(a) ?? [];
  const [, bMinor, bPatch] = VERSION.exec(b) ?? [];
  if (aMinor === undefined || bMinor === undefined) throw new Error(`not a 24.x version: ${a} / ${b}`);
  return Number(aMinor) - Number(bMinor) || Number(aPatch) - Number(bPatch);
}

/** The newest known security release the pin is older than, or undefined when the pin is current. */
export function securityReleaseAhead(
  pin: string,
  releases: readonly NodeSecurityRelease[],
): NodeSecurityRelease | undefined {
  const newest = [...releases].sort((x, y) => compareVersions(y.version, x.version))[0];
  return newest && compareVersions(pin, newest.version) < 0 ? newest : undefined;
}
