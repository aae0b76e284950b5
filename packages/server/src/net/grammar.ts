import type { ErrorCode } from '../errors.js';
import {
  BACKSLASH,
  COLON,
  COMMA,
  DQUOTE,
  EQUALS,
  FIELD_VALUE,
  HEX_VALUE,
  HTAB,
  QDTEXT,
  QUOTED_PAIR,
  SCHEME,
  SEMICOLON,
  SP,
  TOKEN,
} from '../http/chars.js';

/**
 * The HTTP/1.x grammar the request parser checks bytes against (RFC 9110, RFC 9112): pure
 * functions over a buffer range, no state of their own and no allocation. The state machine that
 * drives them is in parser.ts. Functions with a second result leave it in an exported `let`
 * (`listElementEnd`, `chunkSizeEnd`), read right after the call.
 */

/** Significant hex digits of a chunk size: 64 bits. */
const MAX_CHUNK_SIZE_DIGITS = 16;
const MAX_CONTENT_LENGTH_DIGITS = 15;

/** RFC 9112 3.2: origin-form, absolute-form, and asterisk-form (OPTIONS only). */
export function checkTargetForm(buf: Buffer, start: number, end: number, method: string): ErrorCode | null {
  const first = buf[start]!;
  if (first === 0x2f /* / */) return null;
  if (first === 0x2a /* * */ && end - start === 1) {
    // RFC 9112 3.2.4: asterisk-form is only used for a server-wide OPTIONS request.
    return method === 'OPTIONS' ? null : 'PERCORE_ERR_INVALID_TARGET';
  }
  // RFC 9112 3.2.2: absolute-form, scheme "://" ... (authority-form is CONNECT's alone, 3.2.3).
  if (!((first | 0x20) >= 0x61 && (first | 0x20) <= 0x7a)) return 'PERCORE_ERR_INVALID_TARGET';
  let i = start + 1;
  while (i < end && SCHEME[buf[i]!] === 1) i++;
  if (!(end - i >= 3 && buf[i] === COLON && buf[i + 1] === 0x2f && buf[i + 2] === 0x2f)) return 'PERCORE_ERR_INVALID_TARGET';
  // The authority, up to the path, query or end: [ userinfo "@" ] host [ ":" port ] (RFC 3986
  // 3.2). RFC 9110 4.2.1: an http(s) URI with an empty host is invalid and MUST be rejected.
  // Userinfo is skipped, not refused: 4.2.4's "treat as an error" is a SHOULD aimed at phishing
  // links, and the target reaches the handler as sent.
  let authorityStart = i + 3;
  let authorityEnd = authorityStart;
  while (authorityEnd < end && buf[authorityEnd] !== 0x2f && buf[authorityEnd] !== 0x3f /* ? */) {
    if (buf[authorityEnd] === 0x40 /* @ */) authorityStart = authorityEnd + 1;
    authorityEnd++;
  }
  if (authorityStart > i + 3 && !isUserinfo(buf, i + 3, authorityStart - 1)) return 'PERCORE_ERR_INVALID_TARGET';
  const after = hostEnd(buf, authorityStart, authorityEnd);
  if (after === NOT_A_HOST || after === authorityStart || !isPortSuffix(buf, after, authorityEnd)) return 'PERCORE_ERR_INVALID_TARGET';
  return null;
}

/** RFC 3986 3.2.2: reg-name bytes, unreserved / sub-delims ('%' handled apart, as pct-encoded). */
const REG_NAME = (() => {
  const result = new Uint8Array(256);
  for (let b = 0; b < 128; b++) {
    const alnum = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a);
    if (alnum || "-._~!$&'()*+,;=".includes(String.fromCharCode(b))) result[b] = 1;
  }
  return result;
})();

/** RFC 3986 3.2.2: IPvFuture's tail, 1*( unreserved / sub-delims / ":" ). */
const IP_FUTURE = (() => {
  const result = REG_NAME.slice();
  result[COLON] = 1;
  return result;
})();

/** `hostEnd`: the bytes are not a uri-host. */
const NOT_A_HOST = -1;

/**
 * RFC 3986 3.2.2: uri-host = IP-literal / IPv4address / reg-name, from `start`. Returns the
 * offset after it (it may be empty: reg-name = *( ... )), or NOT_A_HOST. IPv4address is a
 * reg-name by its bytes. An IP-literal is checked for its shape, not its meaning: "[" then
 * IPv6 bytes (HEXDIG, ":", ".", at least one ":") or IPvFuture ("v" 1*HEXDIG "." 1*( ... )),
 * then "]".
 */
function hostEnd(buf: Buffer, start: number, end: number): number {
  let i = start;
  if (i < end && buf[i] === 0x5b /* [ */) {
    i++;
    if (i < end && (buf[i]! | 0x20) === 0x76 /* v */) {
      i++;
      const hexStart = i;
      while (i < end && HEX_VALUE[buf[i]!]! >= 0) i++;
      if (i === hexStart || i === end || buf[i] !== 0x2e /* . */) return NOT_A_HOST;
      i++;
      const tailStart = i;
      while (i < end && IP_FUTURE[buf[i]!] === 1) i++;
      if (i === tailStart) return NOT_A_HOST;
    } else {
      let colons = 0;
      while (i < end && (HEX_VALUE[buf[i]!]! >= 0 || buf[i] === COLON || buf[i] === 0x2e)) {
        if (buf[i] === COLON) colons++;
        i++;
      }
      if (colons === 0) return NOT_A_HOST;
    }
    if (i === end || buf[i] !== 0x5d /* ] */) return NOT_A_HOST;
    return i + 1;
  }
  while (i < end) {
    const byte = buf[i]!;
    if (byte === 0x25 /* % */) {
      // pct-encoded = "%" HEXDIG HEXDIG
      if (i + 2 >= end || HEX_VALUE[buf[i + 1]!]! < 0 || HEX_VALUE[buf[i + 2]!]! < 0) return NOT_A_HOST;
      i += 3;
    } else if (REG_NAME[byte] === 1) {
      i++;
    } else {
      break;
    }
  }
  return i;
}

/** RFC 3986 3.2.3: [ ":" port ], port = *DIGIT, from `start` to `end`. */
function isPortSuffix(buf: Buffer, start: number, end: number): boolean {
  if (start === end) return true;
  if (buf[start] !== COLON) return false;
  for (let i = start + 1; i < end; i++) if (buf[i]! < 0x30 || buf[i]! > 0x39) return false;
  return true;
}

/** RFC 3986 3.2.1: userinfo = *( unreserved / pct-encoded / sub-delims / ":" ). */
function isUserinfo(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const byte = buf[i]!;
    if (byte === 0x25 /* % */) {
      if (i + 2 >= end || HEX_VALUE[buf[i + 1]!]! < 0 || HEX_VALUE[buf[i + 2]!]! < 0) return false;
      i += 3;
    } else if (IP_FUTURE[byte] === 1) {
      i++;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * RFC 9112 3.2: Host = uri-host [ ":" port ]. An empty value is valid: a client sends one when
 * the target URI has no authority, and the server then uses its own name (RFC 9112 3.3).
 */
export function isValidHost(buf: Buffer, start: number, end: number): boolean {
  const after = hostEnd(buf, start, end);
  return after !== NOT_A_HOST && isPortSuffix(buf, after, end);
}

/** `versionMinorOf`: the bytes are not an HTTP-version. */
export const INVALID_VERSION = -1;
/** `versionMinorOf`: a well-formed version other than 1.0 and 1.1. */
export const UNSUPPORTED_VERSION = -2;

/**
 * RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; this server speaks 1.0 and 1.1. Returns
 * the minor version (0 or 1), INVALID_VERSION or UNSUPPORTED_VERSION.
 */
export function versionMinorOf(buf: Buffer, start: number, end: number): number {
  if (
    end - start !== 8 ||
    buf[start] !== 0x48 ||
    buf[start + 1] !== 0x54 ||
    buf[start + 2] !== 0x54 ||
    buf[start + 3] !== 0x50 ||
    buf[start + 4] !== 0x2f ||
    buf[start + 6] !== 0x2e
  ) {
    return INVALID_VERSION;
  }
  const major = buf[start + 5]! - 0x30;
  const minor = buf[start + 7]! - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return INVALID_VERSION;
  if (major !== 1 || minor > 1) return UNSUPPORTED_VERSION;
  return minor;
}

/** RFC 9110 5.5: the offset of the first byte not allowed in a field value, or -1. */
export function invalidValueByte(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (FIELD_VALUE[buf[i]!] === 0) return i;
  return -1;
}

/** RFC 9110 8.6: Content-Length = 1*DIGIT, at most 15 digits. Returns the value, or -1. */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  if (end === start || end - start > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Where the hex digits read by the last `parseChunkSize` ended. */
export let chunkSizeEnd = 0;

/**
 * RFC 9112 7.1: chunk-size = 1*HEXDIG, from `start`; sets `chunkSizeEnd`. Leading zeros are
 * legal; more than 16 significant digits overflow 64 bits, which no peer can mean (-1, like no
 * digits at all). The size is exact up to 2^53, past any body limit.
 */
export function parseChunkSize(buf: Buffer, start: number, end: number): number {
  let i = start;
  let size = 0;
  let significant = 0;
  while (i < end && HEX_VALUE[buf[i]!]! >= 0) {
    const digit = HEX_VALUE[buf[i]!]!;
    if (significant > 0 || digit > 0) significant++;
    size = size * 16 + digit;
    i++;
  }
  chunkSizeEnd = i;
  if (i === start || significant > MAX_CHUNK_SIZE_DIGITS) return -1;
  return size;
}

/** Common methods as interned strings, so the hot path allocates none. */
export function methodString(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  const b0 = buf[start];
  if (length === 3 && b0 === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return 'GET';
  if (length === 4 && b0 === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) return 'POST';
  if (length === 4 && b0 === 0x48 && buf[start + 1] === 0x45 && buf[start + 2] === 0x41 && buf[start + 3] === 0x44) return 'HEAD';
  return buf.toString('latin1', start, end);
}

/**
 * Steps through a comma list (RFC 9110 5.6.1) without allocating: returns the next element's
 * start after `from`, OWS trimmed, with its end in `listElementEnd`; -1 when the list is done.
 * Empty elements are skipped.
 */
export let listElementEnd = 0;
export function nextListElement(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end) {
    let elementEnd = i;
    while (elementEnd < end && buf[elementEnd] !== COMMA) elementEnd++;
    let s = i;
    let e = elementEnd;
    while (s < e && (buf[s] === SP || buf[s] === HTAB)) s++;
    while (e > s && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
    if (e > s) {
      listElementEnd = e;
      return s;
    }
    i = elementEnd + 1;
  }
  return -1;
}

/**
 * RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ),
 * chunk-ext-val = token / quoted-string. Extensions are validated, then ignored. Whitespace that
 * leads to no ';' is outside the grammar and refused.
 */
export function parseChunkExtensions(buf: Buffer, start: number, end: number): ErrorCode | null {
  let i = start;
  while (i < end) {
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i === end || buf[i] !== SEMICOLON) return 'PERCORE_ERR_INVALID_CHUNK_EXTENSION';
    i++;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    const nameStart = i;
    while (i < end && TOKEN[buf[i]!] === 1) i++;
    if (i === nameStart) return 'PERCORE_ERR_INVALID_CHUNK_EXTENSION';
    let j = i;
    while (j < end && (buf[j] === SP || buf[j] === HTAB)) j++;
    if (j === end || buf[j] !== EQUALS) continue;
    i = j + 1;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i < end && buf[i] === DQUOTE) {
      i = skipQuotedString(buf, i + 1, end);
      if (i < 0) return 'PERCORE_ERR_INVALID_CHUNK_EXTENSION';
    } else {
      const valueStart = i;
      while (i < end && TOKEN[buf[i]!] === 1) i++;
      if (i === valueStart) return 'PERCORE_ERR_INVALID_CHUNK_EXTENSION';
    }
  }
  return null;
}

/** RFC 9110 5.6.4: returns the offset after a quoted-string's closing quote, or -1. */
function skipQuotedString(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const byte = buf[i]!;
    if (byte === DQUOTE) return i + 1;
    if (byte === BACKSLASH) {
      if (i + 1 === end || QUOTED_PAIR[buf[i + 1]!] === 0) return -1;
      i += 2;
    } else if (QDTEXT[byte] === 0) {
      return -1;
    } else {
      i++;
    }
  }
  return -1;
}
