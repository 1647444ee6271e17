/**
 * The exact sum of a range of integers, computed by a real loop (it is the CPU load of the demo).
 * Doubles are exact only up to 2^53, and the sum 0..5e9 is about 2^63, so the loop runs in chunks whose
 * partial sums provably stay at or below Number.MAX_SAFE_INTEGER, and the chunks add up as a BigInt.
 */

/**
 * The length of a chunk such that any run of that many integers, none above `max`, sums to at most
 * Number.MAX_SAFE_INTEGER: length × max ≤ MAX_SAFE_INTEGER.
 */
export function chunkLength(max: number): number {
  return Math.max(1, Math.floor(Number.MAX_SAFE_INTEGER / Math.max(1, max)));
}

/** from + (from+1) + ... + to, exactly; 0n for an empty range. Both ends must be safe integers ≥ 0. */
export function sumRange(from: number, to: number): bigint {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0) {
    throw new RangeError(`sumRange needs safe integers 0 ≤ from, got from=${from} to=${to}`);
  }
  const step = chunkLength(to);
  let total = 0n;
  for (let lo = from; lo <= to; lo += step) {
    const hi = Math.min(to, lo + step - 1);
    let partial = 0;
    for (let i = lo; i <= hi; i++) partial += i;
    total += BigInt(partial);
  }
  return total;
}

/** n(n+1)/2: the closed form, to check the loop against. */
export function expectedSum(n: number | bigint): bigint {
  const big = BigInt(n);
  return (big * (big + 1n)) / 2n;
}
