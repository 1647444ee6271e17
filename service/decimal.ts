/**
 * The one accepted spelling of a number in a path: ASCII decimal digits, no leading zero (except "0"
 * itself), within a bound. JSON-schema coercion (`type: "integer"`) turns " 7", "+7", "7e2", "0x1f",
 * "" and "7.0" into numbers; parsing by hand closes that whole class instead of one case at a time.
 * Leading zeros are refused so that each n has one URL (a cache keys on it) and "010" cannot be read as
 * octal by anyone downstream.
 */

const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** The integer that `raw` spells, or undefined when it is not canonical decimal from 0 to max. */
export function parseDecimal(raw: string, max: number): number | undefined {
  // The length check first: a million digits never reach the regex or Number().
  // Stryker disable next-line ConditionalExpression: equivalent in results, the check saves time only
  if (raw.length > String(max).length) return undefined;
  if (!CANONICAL_DECIMAL.test(raw)) return undefined;
  const value = Number(raw);
  return value <= max ? value : undefined;
}
