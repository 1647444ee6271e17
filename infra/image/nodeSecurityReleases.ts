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

/**
 * A dated, short acknowledgement that the pin is behind a security release for a reason no commit can fix
 * yet (its signed checksums cannot be read where the pin is made). It names the release it waives and
 * ends after at most MAX_WAIVER_DAYS: then the check fails again until the pin moves.
 */
export interface PinWaiver {
  version: string;
  /** YYYY-MM-DD, the day it was written. */
  since: string;
  /** YYYY-MM-DD, the last day it holds. */
  until: string;
  reason: string;
}

export const MAX_WAIVER_DAYS = 14;
const DAY_MS = 86_400_000;

/** Validates the file's optional `waiver`; each problem names the field, its value and the fix. */
export function parseWaiver(json: unknown): PinWaiver | undefined {
  const w = (json as { waiver?: Partial<PinWaiver> } | null)?.waiver;
  if (w === undefined) return undefined;
  if (typeof w?.version !== "string" || !VERSION.test(w.version)) {
    throw new NodeSecurityReleasesError("waiver.version", w?.version, "the security release it waives, e.g. 24.22.1");
  }
  for (const field of ["since", "until"] as const) {
    const v = w[field];
    if (typeof v !== "string" || !DATE.test(v) || Number.isNaN(Date.parse(v))) {
      throw new NodeSecurityReleasesError(`waiver.${field}`, v, "a date as YYYY-MM-DD");
    }
  }
  const days = (Date.parse(w.until!) - Date.parse(w.since!)) / DAY_MS;
  if (days < 0 || days > MAX_WAIVER_DAYS) {
    throw new NodeSecurityReleasesError(
      "waiver.until",
      w.until,
      `at most ${MAX_WAIVER_DAYS} days after waiver.since (${w.since}): a waiver is a short reprieve, not a policy`,
    );
  }
  if (typeof w.reason !== "string" || w.reason.trim().length < 20) {
    throw new NodeSecurityReleasesError("waiver.reason", w.reason, "say why the pin cannot move yet");
  }
  return { version: w.version, since: w.since!, until: w.until!, reason: w.reason };
}

/** Whether `waiver` excuses the pin being behind `ahead` on `today` (YYYY-MM-DD, UTC). */
export function waived(ahead: NodeSecurityRelease, waiver: PinWaiver | undefined, today: string): boolean {
  return waiver !== undefined && waiver.version === ahead.version && today >= waiver.since && today <= waiver.until;
}
