/**
 * The request half of RESP2: multibulk arrays (`*N\r\n` then N times `$len\r\n<bytes>\r\n`, what
 * clients send) and inline commands (a line of words, what telnet sends), pipelined, in a
 * `switch` on numeric states that either consumes bytes or stops to wait for more (the sated
 * rule). Its bounds and error words follow Redis's networking.c (processMultibulkBuffer,
 * processInlineBuffer); a malformed stream cannot be resynchronised, so an error ends it.
 */
import { splitInlineArgs } from './inline-args.js';

const CR = 0x0d;
const LF = 0x0a;
/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline line, and the longest `*N` or `$N` line. */
export const INLINE_MAX_BYTES = 64 * 1024;
/** Bulk strings at least this long are gathered into one buffer of their size as they arrive. */
const BIG_BULK_BYTES = 32 * 1024;

export interface RequestLimits {
  /** The longest bulk string (Redis's proto-max-bulk-len). */
  maxBulkLength: number;
  /** The most arguments in one command. */
  maxArguments: number;
}

export interface RequestSink {
  /** Runs one command; its arguments are views of the input, valid only during the call. */
  onCommand(args: Buffer[]): void;
  /** The stream is malformed: reply `-ERR Protocol error: <message>` and close. */
  onProtocolError(message: string): void;
  /** Stop parsing (the sink closed, or is in a state that takes no more commands). */
  readonly stopped: boolean;
}

const enum State {
  /** Expecting '*' (multibulk) or the first byte of an inline command. */
  CommandStart,
  /** Expecting '$' and a bulk length line. */
  BulkHeader,
  /** Expecting `bulkLength` bytes and CRLF. */
  BulkData,
  /** A big bulk string: filling `bigBulk` as bytes arrive. */
  BigBulkData,
  /** After a protocol error: input is ignored. */
  Failed,
}

export class RequestParser {
  private state = State.CommandStart;
  /** Unconsumed bytes of an incomplete command, kept until more arrive. */
  private rest: Buffer | null = null;
  private args: Buffer[] = [];
  private argsExpected = 0;
  private bulkLength = 0;
  private bigBulk: Buffer | null = null;
  private bigBulkFilled = 0;

  constructor(
    private readonly sink: RequestSink,
    private readonly limits: RequestLimits,
  ) {}

  /** Bytes held for an incomplete command (the query buffer), for the sink's bounds. */
  get pendingBytes(): number {
    let bytes = (this.rest?.length ?? 0) + (this.bigBulk === null ? 0 : this.bigBulkFilled);
    for (const arg of this.args) bytes += arg.length;
    return bytes;
  }

  feed(chunk: Buffer): void {
    // Node hands every read a buffer of its own, so views of it (the rest, gathered arguments) stay valid.
    const data = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    const consumed = this.consume(data);
    if (consumed < data.length && this.state !== State.Failed && !this.sink.stopped) this.rest = data.subarray(consumed);
  }

  /** Runs every complete command in `data`; returns how many bytes were consumed. */
  private consume(data: Buffer): number {
    let pos = 0;
    while (pos < data.length && !this.sink.stopped) {
      switch (this.state) {
        case State.CommandStart: {
          if (data[pos] === 0x2a /* * */) {
            const cr = data.indexOf(CR, pos);
            if (cr === -1 || cr + 1 >= data.length) {
              if (data.length - pos > INLINE_MAX_BYTES) return this.fail('too big mbulk count string');
              return pos;
            }
            const count = parseLength(data, pos + 1, cr);
            if (count === null || count > this.limits.maxArguments) return this.fail('invalid multibulk length');
            pos = cr + 2;
            if (count <= 0) break; // `*0` and `*-1` are no command
            this.args = [];
            this.argsExpected = count;
            this.state = State.BulkHeader;
          } else {
            const lf = data.indexOf(LF, pos);
            if (lf === -1) {
              if (data.length - pos > INLINE_MAX_BYTES) return this.fail('too big inline request');
              return pos;
            }
            const end = lf > pos && data[lf - 1] === CR ? lf - 1 : lf;
            const args = splitInlineArgs(data.subarray(pos, end));
            pos = lf + 1;
            if (args === null) return this.fail('unbalanced quotes in request');
            if (args.length > 0) this.sink.onCommand(args);
          }
          break;
        }
        case State.BulkHeader: {
          if (data[pos] !== 0x24 /* $ */) return this.fail(`expected '$', got '${String.fromCharCode(data[pos]!)}'`);
          const cr = data.indexOf(CR, pos);
          if (cr === -1 || cr + 1 >= data.length) {
            if (data.length - pos > INLINE_MAX_BYTES) return this.fail('too big bulk count string');
            return pos;
          }
          const length = parseLength(data, pos + 1, cr);
          if (length === null || length < 0 || length > this.limits.maxBulkLength) return this.fail('invalid bulk length');
          this.bulkLength = length;
          pos = cr + 2;
          if (length >= BIG_BULK_BYTES && data.length - pos < length + 2) {
            this.bigBulk = Buffer.allocUnsafe(length + 2);
            this.bigBulkFilled = 0;
            this.state = State.BigBulkData;
          } else {
            this.state = State.BulkData;
          }
          break;
        }
        case State.BulkData: {
          if (data.length - pos < this.bulkLength + 2) return pos;
          const end = pos + this.bulkLength;
          if (data[end] !== CR || data[end + 1] !== LF) return this.fail('bulk string not followed by CRLF');
          pos = end + 2;
          this.pushArg(data.subarray(end - this.bulkLength, end));
          break;
        }
        case State.BigBulkData: {
          const big = this.bigBulk!;
          const copied = data.copy(big, this.bigBulkFilled, pos, Math.min(data.length, pos + big.length - this.bigBulkFilled));
          this.bigBulkFilled += copied;
          pos += copied;
          if (this.bigBulkFilled < big.length) return pos;
          if (big[big.length - 2] !== CR || big[big.length - 1] !== LF) return this.fail('bulk string not followed by CRLF');
          this.bigBulk = null;
          this.pushArg(big.subarray(0, big.length - 2));
          break;
        }
        case State.Failed:
          return data.length;
      }
    }
    return pos;
  }

  private pushArg(arg: Buffer): void {
    this.args.push(arg);
    if (this.args.length < this.argsExpected) {
      this.state = State.BulkHeader;
      return;
    }
    const args = this.args;
    this.args = [];
    this.state = State.CommandStart;
    this.sink.onCommand(args);
  }

  private fail(message: string): number {
    this.state = State.Failed;
    this.args = [];
    this.bigBulk = null;
    this.sink.onProtocolError(message);
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A `*N` or `$N` length: an optionally negative decimal in data[start, end), or null. */
function parseLength(data: Buffer, start: number, end: number): number | null {
  let i = start;
  const negative = data[i] === 0x2d;
  if (negative) i++;
  if (i === end || end - i > 15) return null;
  let value = 0;
  for (; i < end; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}
