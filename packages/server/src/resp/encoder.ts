/**
 * The RESP encoder: a command is sent as an array of bulk strings, "*N\r\n" then "$len\r\narg\r\n"
 * per argument (RESP3.md "Client handshake" / Redis's protocol spec "Sending commands to a Redis
 * server"). Lengths count UTF-8 bytes.
 *
 * A command of strings and numbers is built as one string and copied into one Buffer: no Buffer
 * per argument. Buffers among the arguments are copied once into the one output Buffer.
 */
import { PercoreError } from '../errors.js';

export type RespArgument = string | Buffer | number | bigint;

/** Strings up to this length are checked for ASCII in JavaScript, which is cheaper than Buffer.byteLength's call into C++. */
const SCAN_LIMIT = 64;
/** "*N\r\n" and "$N\r\n" for small N, made once: no number formatting on the hot path. */
const ARRAY_HEADERS = Array.from({ length: 32 }, (_, count) => `*${count}\r\n`);
const BULK_HEADERS = Array.from({ length: 1024 }, (_, length) => `$${length}\r\n`);

/** Where commands are appended: text not yet cut into parts, then the parts (strings and Buffers) before it. */
class Sink {
  text = '';
  /** Every string in `text` and `parts` is ASCII, so latin1 copies them byte for byte. */
  ascii = true;
  readonly parts: (string | Uint8Array)[] = [];
  bytes = 0;

  clear(): void {
    this.text = '';
    this.ascii = true;
    this.parts.length = 0;
    this.bytes = 0;
  }

  /** The bytes appended so far, in one Buffer. */
  toBuffer(): Buffer {
    const encoding = this.ascii ? 'latin1' : 'utf8';
    if (this.parts.length === 0) return Buffer.from(this.text, encoding);
    const out = Buffer.allocUnsafe(this.bytes);
    let offset = 0;
    for (const part of this.parts) {
      if (typeof part === 'string') offset += out.write(part, offset, encoding);
      else {
        out.set(part, offset);
        offset += part.length;
      }
    }
    out.write(this.text, offset, encoding);
    return out;
  }

  /** Appends one command; on a bad argument nothing is appended and the error names its index. */
  append(args: readonly RespArgument[]): void {
    if (!Array.isArray(args) || args.length === 0) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'a command is a non-empty array of arguments');
    }
    const count = args.length;
    const textBefore = this.text;
    const asciiBefore = this.ascii;
    const partsBefore = this.parts.length;
    const bytesBefore = this.bytes;
    const header = `*${count}\r\n`;
    let text = this.text + header;
    let bytes = this.bytes + header.length;
    for (let index = 0; index < count; index++) {
      const arg: unknown = args[index];
      let value: string;
      let length: number;
      if (typeof arg === 'string') {
        value = arg;
        length = utf8Length(arg);
        if (length !== arg.length) this.ascii = false;
      } else if (typeof arg === 'number' && !Number.isNaN(arg)) {
        value = numberText(arg);
        length = value.length;
      } else if (typeof arg === 'bigint') {
        value = arg.toString();
        length = value.length;
      } else if (arg instanceof Uint8Array) {
        const prefix = `$${arg.length}\r\n`;
        this.parts.push(text + prefix, arg);
        text = '\r\n';
        bytes += prefix.length + arg.length + 2;
        continue;
      } else {
        this.text = textBefore;
        this.ascii = asciiBefore;
        this.parts.length = partsBefore;
        this.bytes = bytesBefore;
        throw new PercoreError(
          'PERCORE_ERR_INVALID_OPTION',
          `argument ${index} of the command is ${describe(arg)}: arguments are strings, Buffers, numbers (not NaN) or bigints`,
        );
      }
      const prefix = `$${length}\r\n`;
      text += prefix + value + '\r\n';
      bytes += prefix.length + length + 2;
    }
    this.text = text;
    this.bytes = bytes;
  }
}

const scratch = new Sink();

/**
 * One command as a RESP array of bulk strings ("*N\r\n$len\r\narg\r\n..."); string lengths in UTF-8
 * bytes, numbers in decimal. Throws PERCORE_ERR_INVALID_OPTION for another type of argument
 * (undefined, null, objects) naming its index, and for an empty command.
 */
export function encodeCommand(args: readonly RespArgument[]): Buffer {
  // The hot path: strings only, one string built and copied once. Anything else takes the Sink.
  const count = Array.isArray(args) ? args.length : 0;
  let text = count < ARRAY_HEADERS.length ? ARRAY_HEADERS[count]! : '*' + count + '\r\n';
  let ascii = true;
  for (let index = 0; index < count; index++) {
    const arg = args[index];
    if (typeof arg !== 'string') return encodeWithSink(args);
    const length = utf8Length(arg);
    if (length !== arg.length) ascii = false;
    text += (length < BULK_HEADERS.length ? BULK_HEADERS[length]! : '$' + length + '\r\n') + arg + '\r\n';
  }
  if (count === 0) return encodeWithSink(args);
  return Buffer.from(text, ascii ? 'latin1' : 'utf8');
}

function encodeWithSink(args: readonly RespArgument[]): Buffer {
  scratch.clear();
  scratch.append(args);
  const out = scratch.toBuffer();
  scratch.clear(); // let go of the arguments
  return out;
}

/** Appends several commands into one buffer for one socket write (pipelining). */
export class CommandBatch {
  private readonly sink = new Sink();
  private commands = 0;

  /** Appends one command; a bad argument throws (as encodeCommand) and leaves the batch as it was. */
  push(args: readonly RespArgument[]): void {
    this.sink.append(args);
    this.commands++;
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.sink.bytes;
  }

  /** Commands appended so far. */
  get count(): number {
    return this.commands;
  }

  /** The commands appended, in one Buffer; the batch is empty after. */
  take(): Buffer {
    const out = this.sink.toBuffer();
    this.sink.clear();
    this.commands = 0;
    return out;
  }
}

/** UTF-8 bytes of a string, without the call into C++ for a short ASCII one. */
function utf8Length(value: string): number {
  const length = value.length;
  if (length > SCAN_LIMIT) return Buffer.byteLength(value, 'utf8');
  for (let index = 0; index < length; index++) {
    if (value.charCodeAt(index) > 0x7f) return Buffer.byteLength(value, 'utf8');
  }
  return length;
}

/**
 * A number in decimal: integers in full digits (1e21 as "1000000000000000000000", not "1e+21"),
 * others in JavaScript's shortest round-trip form; ±Infinity as "inf" and "-inf", as Redis spells
 * them (ZADD, ZRANGEBYSCORE). NaN is refused before this.
 */
function numberText(value: number): string {
  if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return 'NaN';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
