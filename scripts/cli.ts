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
