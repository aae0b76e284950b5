/**
 * The RESP decoder: bytes from a Redis server in, one JavaScript value per top-level reply out.
 * It reads RESP2 and RESP3 (redis-specifications/protocol/RESP3.md), streamed strings and
 * aggregates included, at any chunk boundary. docs/resp.md has the types, limits and errors.
 *
 * The shape is ws's receiver: a loop where each step either consumes a whole element or stops
 * to wait for more bytes. What makes it O(n) however the bytes are cut:
 * - open aggregates live on a stack of frames, so a reply split across chunks is never parsed twice;
 * - a bulk payload split across chunks is copied once, straight into a buffer of its announced size;
 * - a partial line is kept in a carry buffer that grows geometrically, and a long line is not
 *   rescanned from its start.
 * The chunk passed to feed() is never kept after feed() returns; Buffers handed out are copies.
 */
import { isAscii } from 'node:buffer';
import { PercoreError } from '../errors.js';
import { RespPush, RespReplyError, type RespValue } from './values.js';

export interface DecoderOptions {
  /** Bulk strings (and verbatim strings, streamed strings) as UTF-8 strings (default) or Buffers. */
  bulkAs?: 'string' | 'buffer';
  /** Longest bulk string accepted, and longest line (simple string, error, number), in bytes (default 512 MiB, Redis's proto-max-bulk-len). */
  maxBulkLength?: number;
  /** Most elements announced by one aggregate header; for a map or attribute, its number of pairs (default 16 Mi). */
  maxElements?: number;
  /** Most aggregates open inside one another (default 64). */
  maxDepth?: number;
}

export const DEFAULT_MAX_BULK_LENGTH = 512 * 1024 * 1024;
export const DEFAULT_MAX_ELEMENTS = 16 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;

// The type bytes (RESP3.md "RESP3 types"; RESP2 has the first five).
const SIMPLE_STRING = 0x2b; // '+'
const SIMPLE_ERROR = 0x2d; // '-'
const INTEGER = 0x3a; // ':'
const BULK_STRING = 0x24; // '$'
const ARRAY = 0x2a; // '*'
const NULL = 0x5f; // '_'
const BOOLEAN = 0x23; // '#'
const DOUBLE = 0x2c; // ','
const BIG_NUMBER = 0x28; // '('
const BLOB_ERROR = 0x21; // '!'
const VERBATIM_STRING = 0x3d; // '='
const MAP = 0x25; // '%'
const SET = 0x7e; // '~'
const ATTRIBUTE = 0x7c; // '|'
const PUSH = 0x3e; // '>'
const STREAMED_CHUNK = 0x3b; // ';'
const STREAMED_END = 0x2e; // '.'
// A frame that is not an aggregate type byte: a streamed string "$?" collecting its ';' chunks.
const STREAMED_STRING = 0x100;

const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const QUESTION = 0x3f;
const ZERO = 0x30;
const NINE = 0x39;

/** What a length header holds besides a count. */
const LENGTH_INCOMPLETE = -2;
const LENGTH_NULL = -1;
const LENGTH_STREAMED = -3;
/** A frame's `remaining` while streamed: it ends at '.', not at a count. */
const UNBOUNDED = -1;
/** Digits a length may have: enough for any limit up to 2^53. */
const MAX_LENGTH_DIGITS = 16;
/** Digits an integer ':' may have; RESP3.md has them fit in 64 bits, and bigger ones come as '(' big numbers. */
const MAX_INTEGER_DIGITS = 1024;
/** Short ASCII strings are built in JavaScript: cheaper than a call into C++, and flat below 13 characters. */
const SHORT_STRING = 10;
/** From this length on, an ASCII string is decoded as latin1 (see text()). */
const LONG_STRING = 4096;
/** A carry buffer this big is given back once it holds little. */
const LARGE_CARRY = 1024 * 1024;
const MIN_CARRY = 16 * 1024;

const INCOMPLETE: unique symbol = Symbol('incomplete');
const NOTHING: unique symbol = Symbol('nothing');
type Step = RespValue | typeof INCOMPLETE | typeof NOTHING;

const EMPTY = Buffer.alloc(0);
const DOUBLE_SYNTAX = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BIG_NUMBER_SYNTAX = /^[+-]?\d+$/;

/** An aggregate being read (or a streamed string being gathered). */
class Frame {
  /** Elements still to come, counting a map's keys and values apart; UNBOUNDED when streamed. */
  remaining: number;
  readonly items: RespValue[] = [];
  readonly map: Map<RespValue, RespValue> | null;
  key: RespValue = null;
  haveKey = false;
  /** A streamed string's bytes so far. */
  byteLength = 0;

  constructor(
    readonly kind: number,
    count: number,
  ) {
    const paired = kind === MAP || kind === ATTRIBUTE;
    this.remaining = count === UNBOUNDED ? UNBOUNDED : paired ? count * 2 : count;
    this.map = paired ? new Map() : null;
  }
}

export class RespDecoder {
  private readonly onReply: (value: RespValue) => void;
  private readonly asBuffer: boolean;
  private readonly maxBulkLength: number;
  private readonly maxElements: number;
  private readonly maxDepth: number;

  /** The bytes being parsed: the chunk fed, or the carry buffer when bytes were left over. */
  private buffer: Buffer = EMPTY;
  private position = 0;
  private end = 0;
  /** Stream offset of buffer[0], for error messages. */
  private base = 0;
  /** Our own buffer for bytes left over between chunks (a partial line). */
  private carry: Buffer = EMPTY;
  /** Bytes after the line start known to hold no CR: a long line is not rescanned from its start. */
  private lineScanned = 0;

  private readonly stack: Frame[] = [];
  /** The top frame is a streamed string: only ';' chunks may come. */
  private inStreamedString = false;

  /** A bulk payload and its CRLF being collected across chunks, its type byte and how much has come. */
  private bulk: Buffer | null = null;
  private bulkType = 0;
  private bulkFilled = 0;

  private failure: PercoreError | null = null;
  private feeding = false;
  private readonly queued: Buffer[] = [];
  /** Bumped by reset(): a feed under way stops touching the state. */
  private generation = 0;

  constructor(onReply: (value: RespValue) => void, options: DecoderOptions = {}) {
    this.onReply = onReply;
    const bulkAs = options.bulkAs ?? 'string';
    if (bulkAs !== 'string' && bulkAs !== 'buffer') {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `bulkAs must be 'string' or 'buffer', got ${String(bulkAs)}`);
    }
    this.asBuffer = bulkAs === 'buffer';
    this.maxBulkLength = limit('maxBulkLength', options.maxBulkLength, DEFAULT_MAX_BULK_LENGTH);
    this.maxElements = limit('maxElements', options.maxElements, DEFAULT_MAX_ELEMENTS);
    this.maxDepth = limit('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH);
  }

  /**
   * Feeds bytes; calls onReply once per complete top-level value, in order, synchronously.
   * Throws a PercoreError PERCORE_ERR_RESP_PROTOCOL on malformed input, naming the byte and its
   * offset in the stream; after that every feed throws until reset(). An exception thrown by
   * onReply passes through, and the bytes after that reply stay queued for the next feed.
   * A feed from inside onReply is queued and parsed after the current chunk.
   */
  feed(chunk: Buffer): void {
    if (this.failure !== null) {
      throw new PercoreError(
        'PERCORE_ERR_RESP_PROTOCOL',
        `the decoder stopped at an earlier error; reset() it first (${this.failure.message})`,
        {
          cause: this.failure,
        },
      );
    }
    if (this.feeding) {
      this.queued.push(Buffer.from(chunk));
      return;
    }
    this.feeding = true;
    const generation = this.generation;
    try {
      this.consume(chunk);
      while (this.queued.length > 0 && generation === this.generation && this.failure === null) this.consume(this.queued.shift()!);
    } finally {
      if (generation === this.generation) this.feeding = false;
    }
  }

  /** A value is partly read (bytes kept for the next chunk). */
  get pending(): boolean {
    return this.end > this.position || this.stack.length > 0 || this.bulk !== null;
  }

  /** Forgets everything, a protocol error included (a new connection). */
  reset(): void {
    this.generation++;
    this.feeding = false;
    this.queued.length = 0;
    this.buffer = EMPTY;
    this.position = 0;
    this.end = 0;
    this.base = 0;
    this.carry = EMPTY;
    this.lineScanned = 0;
    this.stack.length = 0;
    this.inStreamedString = false;
    this.bulk = null;
    this.failure = null;
  }

  private consume(chunk: Buffer): void {
    if (this.position < this.end) this.append(chunk);
    else {
      this.buffer = chunk;
      this.position = 0;
      this.end = chunk.length;
    }
    const generation = this.generation;
    try {
      if (this.bulk !== null && !this.continueBulk()) return;
      this.parse();
    } finally {
      if (generation === this.generation && this.failure === null) this.keepLeftover();
    }
  }

  /** Appends a chunk after the bytes left over, which keepLeftover put at the start of the carry buffer. */
  private append(chunk: Buffer): void {
    const needed = this.end + chunk.length;
    if (needed > this.carry.length) {
      // Grow geometrically, so a long line arriving in many chunks costs O(n) copies in all.
      const grown = Buffer.allocUnsafe(Math.max(needed * 2, MIN_CARRY));
      this.carry.copy(grown, 0, 0, this.end);
      this.buffer = this.carry = grown;
    }
    chunk.copy(this.carry, this.end);
    this.end = needed;
  }

  /** Keeps what is left of the chunk in the carry buffer, so the chunk itself is never held. */
  private keepLeftover(): void {
    const left = this.end - this.position;
    if (left === 0) {
      this.base += this.end;
      this.buffer = EMPTY;
      this.position = this.end = 0;
      if (this.carry.length > LARGE_CARRY) this.carry = EMPTY;
      return;
    }
    if (this.buffer === this.carry) {
      if (this.position > 0) {
        this.carry.copyWithin(0, this.position, this.end);
        this.base += this.position;
        this.position = 0;
        this.end = left;
      }
      return;
    }
    if (this.carry.length < left || (this.carry.length > LARGE_CARRY && left * 4 < this.carry.length)) {
      this.carry = Buffer.allocUnsafe(Math.max(left * 2, MIN_CARRY));
    }
    this.buffer.copy(this.carry, 0, this.position, this.end);
    this.base += this.position;
    this.buffer = this.carry;
    this.position = 0;
    this.end = left;
  }

  /** The top-level loop: one element per turn, until the bytes run out. */
  private parse(): void {
    const buffer = this.buffer;
    const end = this.end;
    const generation = this.generation;
    while (this.position < end) {
      const start = this.position;
      const type = buffer[start]!;
      if (this.inStreamedString && type !== STREAMED_CHUNK) {
        throw this.fail(`expected a ';' chunk of a streamed string, got ${describe(type)}`, start);
      }
      let step: Step;
      switch (type) {
        case SIMPLE_STRING:
          step = this.simpleString(buffer, start, end);
          break;
        case INTEGER:
          step = this.integer(buffer, start, end);
          break;
        case BULK_STRING:
          step = this.bulkString(buffer, start, end);
          break;
        case ARRAY:
        case SET:
        case PUSH:
        case MAP:
        case ATTRIBUTE:
          step = this.aggregate(buffer, start, end, type);
          break;
        case SIMPLE_ERROR: {
          const lineEnd = this.lineEnd(buffer, start + 1, end);
          if (lineEnd === -1) return;
          this.position = lineEnd + 2;
          step = new RespReplyError(buffer.toString('utf8', start + 1, lineEnd));
          break;
        }
        case NULL:
          step = this.fixedLine(buffer, start, end, '_') ? null : INCOMPLETE;
          break;
        case BOOLEAN:
          step = this.boolean(buffer, start, end);
          break;
        case DOUBLE:
          step = this.double(buffer, start, end);
          break;
        case BIG_NUMBER:
          step = this.bigNumber(buffer, start, end);
          break;
        case BLOB_ERROR:
        case VERBATIM_STRING:
        case STREAMED_CHUNK:
          step = this.blob(buffer, start, end, type);
          break;
        case STREAMED_END:
          step = this.streamedEnd(buffer, start, end);
          break;
        default:
          throw this.fail(`unknown type byte ${describe(type)}`, start);
      }
      if (step === INCOMPLETE) return;
      if (step === NOTHING) continue;
      if (this.stack.length === 0) this.onReply(step);
      else this.deliver(step);
      if (generation !== this.generation) return; // onReply called reset()
    }
  }

  /** Hands a complete value to the open aggregate, closing those it completes; the outermost goes to onReply. */
  private deliver(value: RespValue): void {
    let element = value;
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) {
        this.onReply(element);
        return;
      }
      if (frame.map !== null) {
        if (frame.haveKey) {
          frame.map.set(frame.key, element);
          frame.key = null;
          frame.haveKey = false;
        } else {
          frame.key = element;
          frame.haveKey = true;
        }
      } else frame.items.push(element);
      if (frame.remaining === UNBOUNDED || --frame.remaining !== 0) return;
      this.stack.pop();
      const done = this.close(frame);
      if (done === NOTHING) return;
      element = done;
    }
  }

  /** The value of a finished frame; NOTHING for an attribute, which is dropped. */
  private close(frame: Frame): RespValue | typeof NOTHING {
    switch (frame.kind) {
      case MAP:
        return frame.map!;
      case ATTRIBUTE:
        // RESP3.md "Attribute type": extra information about the reply that follows; read and dropped.
        return NOTHING;
      case PUSH: {
        const items = frame.items;
        const first = items.length > 0 ? items[0] : '';
        const kind = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
        return new RespPush(kind, items.slice(1));
      }
      default:
        return frame.items; // arrays, and sets as arrays
    }
  }

  private open(kind: number, count: number, start: number): typeof NOTHING {
    if (this.stack.length >= this.maxDepth) throw this.fail(`aggregates nested deeper than maxDepth ${this.maxDepth}`, start);
    const frame = new Frame(kind, count);
    this.stack.push(frame);
    if (kind === STREAMED_STRING) this.inStreamedString = true;
    return NOTHING;
  }

  // ---- Lines ------------------------------------------------------------------------------------

  /**
   * The index of the CR that ends the line whose content starts at `from`, or -1 when the CRLF has
   * not arrived. A CR not followed by LF, or a bare LF, is an error: RESP3.md has lines end in CRLF,
   * and simple strings hold neither.
   */
  private lineEnd(buffer: Buffer, from: number, end: number): number {
    let index = from + this.lineScanned;
    for (; index < end; index++) {
      const byte = buffer[index]!;
      if (byte > CR) continue;
      if (byte === CR) {
        if (index + 1 === end) break;
        if (buffer[index + 1] !== LF) throw this.fail(`CR followed by ${describe(buffer[index + 1]!)} instead of LF`, index + 1);
        this.lineScanned = 0;
        return index;
      }
      if (byte === LF) throw this.fail('LF without CR', index);
    }
    this.lineScanned = index - from;
    if (this.lineScanned > this.maxBulkLength) throw this.fail(`a line longer than maxBulkLength ${this.maxBulkLength} without CRLF`, from);
    return -1;
  }

  /** Checks that the line at `start` is exactly `text` CRLF ('_', '.'). False when it has not all arrived. */
  private fixedLine(buffer: Buffer, start: number, end: number, what: string): boolean {
    if (end - start < 3) {
      // Check what has come, so garbage is refused at once.
      if (end - start === 2 && buffer[start + 1] !== CR)
        throw this.fail(`${describe(buffer[start + 1]!)} after '${what}' instead of CRLF`, start + 1);
      return false;
    }
    if (buffer[start + 1] !== CR || buffer[start + 2] !== LF) {
      const at = buffer[start + 1] !== CR ? start + 1 : start + 2;
      throw this.fail(`${describe(buffer[at]!)} after '${what}' instead of CRLF`, at);
    }
    this.position = start + 3;
    return true;
  }

  /**
   * A length header ("$5", "*-1", "%?"): the count, LENGTH_NULL, LENGTH_STREAMED or
   * LENGTH_INCOMPLETE; leaves the position after its CRLF.
   */
  private length(buffer: Buffer, start: number, end: number, allowNull: boolean, allowStreamed: boolean): number {
    let index = start + 1;
    if (index >= end) return LENGTH_INCOMPLETE;
    const first = buffer[index]!;
    let result: number;
    if (first === MINUS && allowNull) {
      // RESP2 null bulk string and null array: exactly "-1".
      if (index + 1 >= end) return LENGTH_INCOMPLETE;
      if (buffer[index + 1] !== 0x31) throw this.fail(`a negative length other than -1 (${describe(buffer[index + 1]!)})`, index + 1);
      index += 2;
      result = LENGTH_NULL;
    } else if (first === QUESTION && allowStreamed) {
      index += 1;
      result = LENGTH_STREAMED;
    } else {
      let count = 0;
      for (; index < end; index++) {
        const byte = buffer[index]!;
        if (byte < ZERO || byte > NINE) break;
        count = count * 10 + (byte - ZERO);
        if (index - start > MAX_LENGTH_DIGITS) throw this.fail('a length with too many digits', index);
      }
      if (index >= end) return LENGTH_INCOMPLETE;
      if (index === start + 1) throw this.fail(`${describe(buffer[index]!)} where a length was expected`, index);
      result = count;
    }
    if (index >= end) return LENGTH_INCOMPLETE;
    if (buffer[index] !== CR) throw this.fail(`${describe(buffer[index]!)} in a length`, index);
    if (index + 1 >= end) return LENGTH_INCOMPLETE;
    if (buffer[index + 1] !== LF) throw this.fail(`CR followed by ${describe(buffer[index + 1]!)} instead of LF`, index + 1);
    this.position = index + 2;
    return result;
  }

  // ---- Simple types -----------------------------------------------------------------------------

  private simpleString(buffer: Buffer, start: number, end: number): Step {
    const lineEnd = this.lineEnd(buffer, start + 1, end);
    if (lineEnd === -1) return INCOMPLETE;
    this.position = lineEnd + 2;
    return text(buffer, start + 1, lineEnd);
  }

  /** ':' (RESP3.md "Number type"): a signed base-10 integer; beyond Number.MAX_SAFE_INTEGER a bigint. */
  private integer(buffer: Buffer, start: number, end: number): Step {
    let index = start + 1;
    let negative = false;
    if (index < end && (buffer[index] === MINUS || buffer[index] === PLUS)) {
      negative = buffer[index] === MINUS;
      index++;
    }
    const digits = index;
    let value = 0;
    for (; index < end; index++) {
      const byte = buffer[index]!;
      if (byte < ZERO || byte > NINE) break;
      value = value * 10 + (byte - ZERO);
    }
    if (index - digits > MAX_INTEGER_DIGITS) throw this.fail(`an integer of more than ${MAX_INTEGER_DIGITS} digits`, index);
    if (index >= end) return INCOMPLETE;
    if (buffer[index] !== CR) throw this.fail(`${describe(buffer[index]!)} in an integer`, index);
    if (index === digits) throw this.fail('an integer without digits', index);
    if (index + 1 >= end) return INCOMPLETE;
    if (buffer[index + 1] !== LF) throw this.fail(`CR followed by ${describe(buffer[index + 1]!)} instead of LF`, index + 1);
    this.position = index + 2;
    // Summing in doubles is exact up to 2^53; past it, read the digits again exactly.
    if (value > Number.MAX_SAFE_INTEGER) return BigInt(buffer.toString('latin1', start + 1, index));
    return negative ? 0 - value : value;
  }

  private boolean(buffer: Buffer, start: number, end: number): Step {
    if (end - start < 2) return INCOMPLETE;
    const flag = buffer[start + 1];
    if (flag !== 0x74 && flag !== 0x66) throw this.fail(`${describe(flag!)} in a boolean (t or f expected)`, start + 1);
    if (end - start < 4) {
      if (end - start === 3 && buffer[start + 2] !== CR)
        throw this.fail(`${describe(buffer[start + 2]!)} after a boolean instead of CRLF`, start + 2);
      return INCOMPLETE;
    }
    if (buffer[start + 2] !== CR || buffer[start + 3] !== LF) {
      const at = buffer[start + 2] !== CR ? start + 2 : start + 3;
      throw this.fail(`${describe(buffer[at]!)} after a boolean instead of CRLF`, at);
    }
    this.position = start + 4;
    return flag === 0x74;
  }

  /** ',' (RESP3.md "Double type"): [sign] digits [. digits] [e [sign] digits], or inf, -inf, nan. */
  private double(buffer: Buffer, start: number, end: number): Step {
    const lineEnd = this.lineEnd(buffer, start + 1, end);
    if (lineEnd === -1) return INCOMPLETE;
    const source = buffer.toString('latin1', start + 1, lineEnd);
    const value = parseDouble(source);
    if (value === undefined) throw this.fail(`${JSON.stringify(source)} is not a double`, start + 1);
    this.position = lineEnd + 2;
    return value;
  }

  /** '(' (RESP3.md "Big number type"): a signed integer of any size, as a bigint. */
  private bigNumber(buffer: Buffer, start: number, end: number): Step {
    const lineEnd = this.lineEnd(buffer, start + 1, end);
    if (lineEnd === -1) return INCOMPLETE;
    const source = buffer.toString('latin1', start + 1, lineEnd);
    if (!BIG_NUMBER_SYNTAX.test(source)) throw this.fail(`${JSON.stringify(source.slice(0, 64))} is not a big number`, start + 1);
    this.position = lineEnd + 2;
    return BigInt(source);
  }

  // ---- Bulk types -------------------------------------------------------------------------------

  /** '$': a bulk string, RESP2's null "$-1", or a streamed string "$?" (RESP3.md "Streamed strings"). */
  private bulkString(buffer: Buffer, start: number, end: number): Step {
    const length = this.length(buffer, start, end, true, true);
    if (length === LENGTH_INCOMPLETE) return INCOMPLETE;
    if (length === LENGTH_NULL) return null;
    if (length === LENGTH_STREAMED) return this.open(STREAMED_STRING, UNBOUNDED, start);
    return this.payload(buffer, end, BULK_STRING, length, start);
  }

  /** '!' blob error, '=' verbatim string, ';' a streamed string's chunk: a length, then that many bytes. */
  private blob(buffer: Buffer, start: number, end: number, type: number): Step {
    if (type === STREAMED_CHUNK && !this.inStreamedString) throw this.fail("a ';' chunk outside a streamed string", start);
    const length = this.length(buffer, start, end, false, false);
    if (length === LENGTH_INCOMPLETE) return INCOMPLETE;
    if (type === STREAMED_CHUNK && this.stack[this.stack.length - 1]!.byteLength + length > this.maxBulkLength) {
      throw this.fail(`a streamed string over maxBulkLength ${this.maxBulkLength}`, start);
    }
    // RESP3.md "Streamed strings": the terminating ";0\r\n" carries no payload, not even its CRLF.
    if (type === STREAMED_CHUNK && length === 0) return this.streamedChunk(buffer, 0, 0, false);
    if (type === VERBATIM_STRING && length < 4)
      throw this.fail(`a verbatim string of ${length} bytes, shorter than its "xxx:" format`, start);
    return this.payload(buffer, end, type, length, start);
  }

  /** The payload after a length header: taken at once when it is all here, else collected across chunks. */
  private payload(buffer: Buffer, end: number, type: number, length: number, start: number): Step {
    if (length > this.maxBulkLength) throw this.fail(`a bulk of ${length} bytes, over maxBulkLength ${this.maxBulkLength}`, start);
    const from = this.position;
    if (end - from >= length + 2) {
      const to = from + length;
      if (buffer[to] !== CR || buffer[to + 1] !== LF) {
        const at = buffer[to] !== CR ? to : to + 1;
        throw this.fail(`${describe(buffer[at]!)} after a ${length}-byte bulk payload instead of CRLF`, at);
      }
      this.position = to + 2;
      return this.payloadValue(buffer, from, to, type, 0, false);
    }
    // Collect it, with its CRLF, in a buffer of the announced size: one copy however it is cut.
    const bulk = Buffer.allocUnsafe(length + 2);
    buffer.copy(bulk, 0, from, end);
    this.bulk = bulk;
    this.bulkType = type;
    this.bulkFilled = end - from;
    this.position = end;
    return INCOMPLETE;
  }

  /** Goes on collecting a bulk payload; true once it is complete and delivered. */
  private continueBulk(): boolean {
    const bulk = this.bulk!;
    const taken = Math.min(bulk.length - this.bulkFilled, this.end - this.position);
    this.buffer.copy(bulk, this.bulkFilled, this.position, this.position + taken);
    this.bulkFilled += taken;
    this.position += taken;
    if (this.bulkFilled < bulk.length) return false;
    const length = bulk.length - 2;
    this.bulk = null;
    if (bulk[length] !== CR || bulk[length + 1] !== LF) {
      const at = bulk[length] !== CR ? length : length + 1;
      throw this.fail(`${describe(bulk[at]!)} after a ${length}-byte bulk payload instead of CRLF`, this.position - (bulk.length - at));
    }
    // The payload is our own copy already: Buffers are cut from it without another copy.
    const value = this.payloadValue(bulk, 0, length, this.bulkType, this.position - bulk.length, true);
    if (value === NOTHING) return true;
    const generation = this.generation;
    if (this.stack.length === 0) this.onReply(value);
    else this.deliver(value);
    return generation === this.generation;
  }

  /**
   * The value of a complete payload buffer[from, to). `shift` maps an index in `buffer` to one in
   * this.buffer (for error offsets); `owned` says `buffer` is the decoder's own bulk buffer.
   */
  private payloadValue(buffer: Buffer, from: number, to: number, type: number, shift: number, owned: boolean): RespValue | typeof NOTHING {
    switch (type) {
      case BULK_STRING:
        return this.asBuffer ? copy(buffer, from, to, owned) : text(buffer, from, to);
      case BLOB_ERROR:
        return new RespReplyError(buffer.toString('utf8', from, to));
      case VERBATIM_STRING:
        // RESP3.md "Verbatim string type": three bytes of format ("txt", "mkd"), a colon, then the text.
        if (buffer[from + 3] !== 0x3a) {
          throw this.fail(`a verbatim string whose format is not followed by ':' (${describe(buffer[from + 3]!)})`, shift + from + 3);
        }
        return this.asBuffer ? copy(buffer, from + 4, to, owned) : text(buffer, from + 4, to);
      default:
        return this.streamedChunk(buffer, from, to, owned);
    }
  }

  /** A streamed string's chunk: kept until ";0" ends it (RESP3.md "Streamed strings"). */
  private streamedChunk(buffer: Buffer, from: number, to: number, owned: boolean): RespValue | typeof NOTHING {
    const frame = this.stack[this.stack.length - 1]!;
    if (to === from) {
      this.stack.pop();
      this.inStreamedString = false;
      const parts = frame.items as Buffer[];
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, frame.byteLength);
      return this.asBuffer ? whole : text(whole, 0, whole.length);
    }
    frame.byteLength += to - from;
    frame.items.push(copy(buffer, from, to, owned));
    return NOTHING;
  }

  // ---- Aggregates -------------------------------------------------------------------------------

  /** '*' array, '~' set, '>' push, '%' map, '|' attribute: a count, or '?' for a streamed one; RESP2's "*-1" is null. */
  private aggregate(buffer: Buffer, start: number, end: number, type: number): Step {
    const count = this.length(buffer, start, end, type === ARRAY, type !== ATTRIBUTE && type !== PUSH);
    if (count === LENGTH_INCOMPLETE) return INCOMPLETE;
    if (count === LENGTH_NULL) return null;
    if (count > this.maxElements) throw this.fail(`an aggregate of ${count} elements, over maxElements ${this.maxElements}`, start);
    if (count === 0) {
      if (type === MAP) return new Map<RespValue, RespValue>();
      if (type === ATTRIBUTE) return NOTHING;
      if (type === PUSH) return new RespPush('', []);
      return [];
    }
    return this.open(type, count === LENGTH_STREAMED ? UNBOUNDED : count, start);
  }

  /** '.': the end of a streamed aggregate (RESP3.md "Streamed aggregate data types"). */
  private streamedEnd(buffer: Buffer, start: number, end: number): Step {
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined || frame.remaining !== UNBOUNDED) throw this.fail("'.' outside a streamed aggregate", start);
    if (frame.haveKey) throw this.fail("'.' after a map key without its value", start);
    if (!this.fixedLine(buffer, start, end, '.')) return INCOMPLETE;
    this.stack.pop();
    return this.close(frame);
  }

  /** Records the failure (every later feed is refused) and returns the error to throw. */
  private fail(what: string, at: number): PercoreError {
    this.failure = new PercoreError('PERCORE_ERR_RESP_PROTOCOL', `${what} at byte ${this.base + at} of the stream`);
    this.stack.length = 0;
    this.bulk = null;
    this.buffer = EMPTY;
    this.carry = EMPTY;
    this.position = this.end = 0;
    return this.failure;
  }
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * UTF-8 text. Short ASCII strings are built without the call into C++ (see SHORT_STRING); long
 * ones are checked for ASCII first (simdutf, tens of microseconds a MiB), because Node's latin1
 * decoding is many times faster than its UTF-8 decoding on large payloads, and the same for ASCII.
 */
function text(buffer: Buffer, from: number, to: number): string {
  const length = to - from;
  if (length > SHORT_STRING) {
    if (length >= LONG_STRING && isAscii(buffer.subarray(from, to))) return buffer.toString('latin1', from, to);
    return buffer.toString('utf8', from, to);
  }
  let result = '';
  for (let index = from; index < to; index++) {
    const byte = buffer[index]!;
    if (byte > 0x7f) return buffer.toString('utf8', from, to);
    result += String.fromCharCode(byte);
  }
  return result;
}

/** Bytes of our own: a view when `owned` (the decoder's bulk buffer, handed out once), else a copy. */
function copy(buffer: Buffer, from: number, to: number, owned: boolean): Buffer {
  if (owned) return buffer.subarray(from, to);
  const result = Buffer.allocUnsafe(to - from);
  buffer.copy(result, 0, from, to);
  return result;
}

function parseDouble(source: string): number | undefined {
  switch (source.toLowerCase()) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  return DOUBLE_SYNTAX.test(source) ? Number(source) : undefined;
}

/** A byte for an error message: hex, and the character when printable. */
function describe(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x20 && byte < 0x7f ? `${hex} ('${String.fromCharCode(byte)}')` : hex;
}
