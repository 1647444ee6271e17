/** What the operator scripts share on the command line: a usage error, and how it ends the process. */

/** Bad or contradictory arguments: the message names the flag and the fix. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses argv, or prints "<script>: <problem>" and the usage on stderr and exits 1. */
export function parseOrExit<T>(script: string, usage: string, parse: (argv: string[]) => T): T {
  try {
    return parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${script}: ${err.message}\n${usage}`);
    process.exit(1);
  }
}

/**
 * An integer flag: ASCII digits within min..max, or the fallback when the flag is absent. The message
 * names the flag, the range and an example (the fallback).
 */
export function integerFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(
      `--${flag} must be an integer from ${min} to ${max}, e.g. --${flag} ${fallback}; got "${text}"`,
    );
  }
  return n;
}
