/**
 * The validators of a file representation (RFC 9110 8.8): an ETag from its size and mtime, and
 * Last-Modified clamped to the response's Date.
 */

/**
 * A strong ETag (RFC 9110 8.8.3) `"<size hex>-<mtime ms hex>"`, with `-br` or `-gzip` for an
 * encoded sibling so each representation has its own. Strong because the same size and mtime
 * (to the millisecond) mean the same bytes for files changed by ordinary writes; that is what
 * lets If-Range and Range work on it (RFC 9110 13.1.5 needs a strong validator).
 */
export function fileEtag(size: number, mtimeMs: number, encoding: string | null): string {
  const base = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}`;
  return encoding === null ? `${base}"` : `${base}-${encoding}"`;
}

/**
 * The Last-Modified time in whole seconds: the mtime, but never later than the second before
 * `nowMs`. RFC 9110 8.8.2.1: an origin server must not send a Last-Modified later than its Date,
 * so a future mtime is clamped. One second before, not the current one, because uWebSockets.js
 * stamps Date from a clock it updates once a second (it can lag by up to one); and a date at
 * least a second before Date is what 8.8.2.2 calls a strong validator.
 */
export function lastModifiedSeconds(mtimeMs: number, nowMs: number): number {
  return Math.min(Math.floor(mtimeMs / 1000), Math.floor(nowMs / 1000) - 1);
}

/** An IMF-fixdate (RFC 9110 5.6.7) for a time in whole seconds. */
export function httpDateOf(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/** An HTTP-date parsed to whole seconds, or NaN when it is not one (the condition is then ignored, RFC 9110 13.1.3). */
export function parseHttpDate(value: string): number {
  // IMF-fixdate, and the obsolete rfc850 and asctime forms (RFC 9110 5.6.7), all parse with Date.parse.
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? NaN : Math.floor(ms / 1000);
}
