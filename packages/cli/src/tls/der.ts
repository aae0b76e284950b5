/**
 * A small DER writer (ITU-T X.690), enough for one X.509 certificate: each function returns the
 * whole encoding (tag, length, contents) of one value, so values nest by passing them along.
 */

/** X.690 8.1.3: the short form below 128, else 0x80 | the count of length bytes, then the length big-endian. */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One value: its identifier octet, its length, its contents. */
export function tagged(tag: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(contents.length), contents]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tagged(0x30, Buffer.concat(items));
}

export function set(...items: Buffer[]): Buffer {
  return tagged(0x31, Buffer.concat(items));
}

export function boolean(value: boolean): Buffer {
  // X.690 11.1: DER's TRUE is 0xff.
  return tagged(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * A non-negative INTEGER from its big-endian bytes (or a safe integer). X.690 8.3.2: the fewest
 * bytes, so leading zeros go, and a 0x00 goes first where the top bit would make it negative.
 */
export function integer(value: Buffer | number): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`integer() takes a non-negative safe integer, got ${value}`);
    const hex = value.toString(16);
    bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  } else {
    bytes = value;
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = bytes.subarray(start);
  const contents = minimal.length === 0 ? Buffer.from([0]) : minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return tagged(0x02, contents);
}

/** An OBJECT IDENTIFIER from dotted text. X.690 8.19: the first two arcs as 40 * a + b, each arc base 128, high bit on all but its last byte. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`not an OID: ${dotted}`);
    return Number(arc);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`not an OID: ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    if (!Number.isSafeInteger(arc)) throw new RangeError(`an arc of ${dotted} is too large`);
    const groups = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tagged(0x06, Buffer.from(bytes));
}

/** A BIT STRING: the count of unused bits in the last byte, then the bytes. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`a bit string's unused bits are 0 to 7 (0 when empty), got ${unusedBits}`);
  }
  return tagged(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

export function octetString(bytes: Buffer): Buffer {
  return tagged(0x04, bytes);
}

export function utf8String(text: string): Buffer {
  return tagged(0x0c, Buffer.from(text, 'utf8'));
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

function secondsOf(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('an invalid date');
  return `${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}Z`;
}

/** UTCTime YYMMDDHHMMSSZ (X.690 11.8: seconds, in UTC, with Z), for the years 1950 to 2049. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime holds the years 1950 to 2049, got ${year}`);
  return tagged(0x17, Buffer.from(`${twoDigits(year % 100)}${secondsOf(date)}`, 'ascii'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, whole seconds (X.690 11.7). */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime holds the years 0 to 9999, got ${year}`);
  return tagged(0x18, Buffer.from(`${String(year).padStart(4, '0')}${secondsOf(date)}`, 'ascii'));
}

/** RFC 5280 4.1.2.5: a certificate's times are UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** `[n] EXPLICIT`: a constructed context-specific tag around a whole value. */
export function explicit(tagNumber: number, value: Buffer): Buffer {
  return tagged(0xa0 | contextNumber(tagNumber), value);
}

/** `[n] IMPLICIT` of a primitive type: the context-specific tag replaces the type's, around its contents. */
export function implicit(tagNumber: number, contents: Buffer): Buffer {
  return tagged(0x80 | contextNumber(tagNumber), contents);
}

/** Tag numbers 0 to 30 fit in the identifier octet (X.690 8.1.2.2); a certificate needs no more. */
function contextNumber(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) throw new RangeError(`context tags 0 to 30 only, got ${tagNumber}`);
  return tagNumber;
}
