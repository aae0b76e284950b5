import { isUtf8 } from 'node:buffer';

/**
 * Incremental UTF-8 validation (RFC 3629 4, as RFC 6455 8.1 asks of text messages): bytes are fed
 * as they arrive, and `update` answers false at the first byte that no valid UTF-8 can continue
 * with: a bad lead or continuation byte, an overlong form, a surrogate (U+D800-DFFF) or a code
 * point above U+10FFFF. The bounds on the byte after each lead byte are RFC 3629's table, so the
 * second byte of a sequence already rules out overlongs, surrogates and values past U+10FFFF.
 */

/** Runs at least this long go to node's native validator (a call costs more than a short loop). */
const NATIVE_MIN_BYTES = 64;

export class Utf8Validator {
  /** Continuation bytes still owed by the code point under way; 0 between code points. */
  private needed = 0;
  /** The range the next continuation byte must fall in (narrower than 80-BF only after some lead bytes). */
  private lower = 0x80;
  private upper = 0xbf;
  private failed = false;

  /** Feeds `bytes[start, end)`; false once the bytes fed so far cannot begin valid UTF-8 (and from then on, until `reset`). */
  update(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (this.failed) return false;
    let i = start;
    if (this.needed === 0 && end - start >= NATIVE_MIN_BYTES) {
      // Validate natively up to the start of a code point cut off by `end`, then walk the rest below.
      const cut = incompleteTailStart(bytes, start, end);
      if (!isUtf8(bytes.subarray(start, cut))) return this.fail();
      i = cut;
    }
    let needed = this.needed;
    let lower = this.lower;
    let upper = this.upper;
    while (i < end) {
      const byte = bytes[i++]!;
      if (needed === 0) {
        if (byte < 0x80) {
          // ASCII run.
          while (i < end && bytes[i]! < 0x80) i++;
          continue;
        }
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          needed = 2;
          if (byte === 0xe0)
            lower = 0xa0; // not overlong
          else if (byte === 0xed) upper = 0x9f; // not a surrogate
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          needed = 3;
          if (byte === 0xf0)
            lower = 0x90; // not overlong
          else if (byte === 0xf4) upper = 0x8f; // not above U+10FFFF
        } else {
          // 80-BF continuation without a lead, C0-C1 overlong, F5-FF beyond U+10FFFF.
          return this.fail();
        }
      } else {
        if (byte < lower || byte > upper) return this.fail();
        lower = 0x80;
        upper = 0xbf;
        needed--;
      }
    }
    this.needed = needed;
    this.lower = lower;
    this.upper = upper;
    return true;
  }

  /** True when everything fed was valid and did not end inside a code point. */
  finish(): boolean {
    return !this.failed && this.needed === 0;
  }

  /** Forgets all that was fed, for the next message. */
  reset(): void {
    this.needed = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
    this.failed = false;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }
}

/** True when `bytes` are wholly valid UTF-8 (a close reason, a whole message). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

/**
 * Where a code point that `end` cuts off begins, or `end` when the last sequence is whole (or not
 * UTF-8 at all, which the native check then reports). Looks back at most 3 bytes.
 */
function incompleteTailStart(bytes: Uint8Array, start: number, end: number): number {
  let i = end - 1;
  const stop = Math.max(start, end - 4);
  while (i > stop && (bytes[i]! & 0xc0) === 0x80) i--;
  const lead = bytes[i]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + length > end ? i : end;
}
