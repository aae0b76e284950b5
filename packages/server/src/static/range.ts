/**
 * The Range header (RFC 9110 14.1, 14.2) for one representation of `size` bytes.
 *
 * - `ignore`: no Range, or one to ignore: another unit, a malformed or invalid ranges-specifier
 *   (14.2 lets a server ignore those), or more than one range (percore answers the whole
 *   representation with 200 instead of multipart/byteranges, which 14.2 also allows).
 * - `unsatisfiable`: a well-formed single range that selects no byte (416, 15.5.17).
 * - `range`: bytes start..end inclusive, within the representation.
 */
export type RangeResult =
  { readonly kind: 'ignore' } | { readonly kind: 'unsatisfiable' } | { readonly kind: 'range'; readonly start: number; readonly end: number };

const IGNORE: RangeResult = { kind: 'ignore' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };
/** Positions are at most 15 digits, so they stay exact integers (2^53 has 16). */
const MAX_DIGITS = 15;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return IGNORE;
  const value = header.trim();
  // 14.1: range-unit is case-insensitive; "bytes=" then the range-set.
  if (value.length < 7 || value.slice(0, 6).toLowerCase() !== 'bytes=') return IGNORE;
  const set = value.slice(6);
  // 14.1.1: ranges-specifier = range-unit "=" range-set; range-set = 1#range-spec. More than one
  // element (empty list elements aside, RFC 9110 5.6.1) is served whole.
  let spec: string | null = null;
  for (const item of set.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    if (spec !== null) return IGNORE;
    spec = trimmed;
  }
  if (spec === null) return IGNORE;
  const dash = spec.indexOf('-');
  if (dash === -1) return IGNORE;
  const firstText = spec.slice(0, dash);
  const lastText = spec.slice(dash + 1);
  if (firstText === '') {
    // suffix-range = "-" suffix-length
    const suffix = digits(lastText);
    if (suffix < 0) return IGNORE;
    // 14.1.2: a suffix-length of 0 selects nothing; of more than the size, the whole.
    if (suffix === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const first = digits(firstText);
  if (first < 0) return IGNORE;
  let last: number;
  if (lastText === '') {
    last = size - 1;
  } else {
    last = digits(lastText);
    // 14.1.1: a range-spec whose last-pos is before its first-pos is invalid: ignored.
    if (last < 0 || last < first) return IGNORE;
  }
  // 14.1.2: satisfiable when first-pos is below the length; last-pos is capped to the end.
  if (first >= size) return UNSATISFIABLE;
  return { kind: 'range', start: first, end: Math.min(last, size - 1) };
}

/** A run of 1 to MAX_DIGITS DIGITs as a number, or -1. */
function digits(text: string): number {
  if (text.length === 0 || text.length > MAX_DIGITS) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) - 0x30;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}
