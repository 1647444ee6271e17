/**
 * The one error a bad stack setting raises, naming the key (`fleet:<key>`), the bad value and the fix; and
 * the lookup the parsers read settings through. Its own module so that infra/shared/config.ts and the parsers it
 * calls (infra/jobs/jobsConfig.ts) share them without importing each other.
 */
export class FleetConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: string | undefined,
    problem: string,
    fix: string,
  ) {
    super(`fleet:${key} = ${JSON.stringify(value ?? null)} is invalid: ${problem}. Fix: ${fix}`);
    this.name = "FleetConfigError";
  }
}

export type ConfigLookup = (key: string) => string | undefined;
