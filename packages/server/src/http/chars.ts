/** Byte classes for the HTTP/1.x parser: one table lookup per byte, no regular expressions. */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const EQUALS = 0x3d;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;

function table(predicate: (byte: number) => boolean): Uint8Array {
  const result = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) result[byte] = predicate(byte) ? 1 : 0;
  return result;
}

const isAlpha = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/** RFC 9110 5.6.2: tchar, the bytes of a token (method, field name, chunk-ext name). */
export const TOKEN = table((b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/**
 * RFC 9112 3.2 and RFC 3986: the bytes of a request-target: visible ASCII except '#', since a
 * fragment is never part of a request-target. Everything else, obs-text included, is rejected.
 */
export const TARGET = table((b) => b >= 0x21 && b <= 0x7e && b !== 0x23);

/** RFC 9110 5.5: field-vchar, SP and HTAB; obs-text (0x80-0xFF) is allowed as opaque data. */
export const FIELD_VALUE = table((b) => b === HTAB || (b >= 0x20 && b <= 0x7e) || b >= 0x80);

/** RFC 9110 5.6.4: qdtext, the unescaped bytes of a quoted-string. */
export const QDTEXT = table((b) => b === HTAB || b === SP || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80);

/** RFC 9110 5.6.4: the bytes a quoted-pair may escape. */
export const QUOTED_PAIR = table((b) => b === HTAB || (b >= 0x20 && b <= 0x7e) || b >= 0x80);

/** RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), for absolute-form targets. */
export const SCHEME = table((b) => isAlpha(b) || isDigit(b) || b === 0x2b || b === 0x2d || b === 0x2e);

/** Hex digit values, or -1. */
export const HEX_VALUE = (() => {
  const result = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) result[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    result[0x41 + d] = 10 + d;
    result[0x61 + d] = 10 + d;
  }
  return result;
})();

/** Whether buf[start, end) equals `lower` ignoring ASCII case; `lower` holds letters, digits and '-'. */
export function equalsIgnoreCase(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
