/** A character the text formats escape: controls, `"`, `\`, DEL, and anything past ASCII. */
// eslint-disable-next-line no-control-regex -- finding control bytes is its purpose
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/;

function hex(byte: number): string {
  return `\\x${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
}

/**
 * A request field as the common and combined formats write it, nginx's way: `"`, `\`, control
 * bytes, DEL and non-ASCII become `\xHH`, so a field can't end its quotes or forge a line. A
 * character up to U+00FF is one byte (the net engine reads header bytes as latin1); past that, its
 * UTF-8 bytes. Fields without such characters (nearly all) are returned as they are.
 */
export function escapeField(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) out += char;
    else if (code <= 0xff) out += hex(code);
    else for (const byte of Buffer.from(char, 'utf8')) out += hex(byte);
  }
  return out;
}
