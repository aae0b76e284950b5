/**
 * Redis's 64-bit integers (util.c string2ll): a value counts as an integer only if it is the
 * canonical decimal form, with no sign but '-', no leading zeros, no spaces, within int64. Small
 * ones stay JavaScript numbers; the rest are bigints, so that INCR overflows where Redis does.
 */
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
/** Up to 15 digits fit a double exactly. */
const SAFE_DIGITS = 15;

export function parseInt64(bytes: Buffer): number | bigint | null {
  const n = bytes.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  const negative = bytes[0] === 0x2d;
  if (negative) {
    if (n === 1) return null;
    i = 1;
  }
  // "0" alone; no leading zeros, and no "-0".
  if (bytes[i] === 0x30) return n === 1 ? 0 : null;
  for (let j = i; j < n; j++) {
    const c = bytes[j]!;
    if (c < 0x30 || c > 0x39) return null;
  }
  if (n - i <= SAFE_DIGITS) {
    let value = 0;
    for (let j = i; j < n; j++) value = value * 10 + (bytes[j]! - 0x30);
    return negative ? -value : value;
  }
  const value = BigInt(bytes.toString('latin1'));
  return value > INT64_MAX || value < INT64_MIN ? null : value;
}

/** `value + delta`, or null if it leaves int64. */
export function addInt64(value: number | bigint, delta: number | bigint): number | bigint | null {
  if (typeof value === 'number' && typeof delta === 'number') {
    const sum = value + delta;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(value) + BigInt(delta);
  return sum > INT64_MAX || sum < INT64_MIN ? null : sum;
}
