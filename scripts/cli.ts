/** What the operator scripts share on the command line: a usage error, and how it ends the process. */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** Bad or contradictory arguments: the message names the flag and the fix. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Splits argv into flags and positionals with node:util's parseArgs (strict: an unknown flag or a missing
 * value is refused); its complaint becomes a UsageError, so parseOrExit prints it with the usage.
 */
export function tokenize<O extends ParseArgsOptionsConfig>(argv: string[], options: O) {
  return asUsageError(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options }));
}

/** The flags of a command that takes no positional argument (one is refused, like an unknown flag). */
export function tokenizeFlags<O extends ParseArgsOptionsConfig>(argv: string[], options: O) {
  return asUsageError(() => parseArgs({ args: argv, allowPositionals: false, strict: true, options })).values;
}

function asUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
