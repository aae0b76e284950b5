// A second protocol on the Task contract: a small RESP2 (Redis) server, PING, ECHO and QUIT.
// Run: PORT=6380 node --import tsx examples/src/resp-server.ts   then   redis-cli -p 6380 PING
// It shows a user protocol on the scheduler without HTTP: a Listener, a Scheduler, a Task per connection.
import { fileURLToPath } from 'node:url';
import { Listener, Scheduler, Task, type TaskContext, type TaskFactory } from '@percore/server';

/**
 * A small RESP2 server (the Redis protocol) written on the Task contract: PING, ECHO and QUIT,
 * as multibulk arrays or inline commands, pipelined. It shows how a user protocol sits on the
 * scheduler: a byte-level state machine in `onData`, the sated rule, replies through `write`
 * (with backpressure), a per-task idle timeout, and a half-close to finish.
 *
 * Try it: `redis-benchmark -p PORT -t ping_inline,ping_mbulk -n 100000 -c 25`.
 */

const CR = 0x0d;
const LF = 0x0a;

const enum State {
  /** Expecting '*' (multibulk) or the first byte of an inline command. */
  CommandStart,
  /** Expecting '$' and a bulk length line. */
  BulkHeader,
  /** Expecting `bulkLength` bytes and CRLF. */
  BulkData,
}

export interface RespOptions {
  /** Close a connection idle for this long (default 60 s; 0 disables). */
  idleTimeout?: number;
  /** The longest bulk string or inline line accepted (default 512 KiB). */
  maxBulkLength?: number;
  /** The most arguments in one command (default 1024). */
  maxArguments?: number;
}

export class RespTask extends Task {
  private state = State.CommandStart;
  /** Unconsumed bytes of an incomplete command, kept until more arrive (the sated rule). */
  private rest: Buffer | null = null;
  private args: Buffer[] = [];
  private argsExpected = 0;
  private bulkLength = 0;
  private readonly idleTimeout: number;
  private readonly maxBulkLength: number;
  private readonly maxArguments: number;

  constructor(context: TaskContext, options: RespOptions = {}) {
    super(context);
    this.idleTimeout = options.idleTimeout ?? 60_000;
    this.maxBulkLength = options.maxBulkLength ?? 512 * 1024;
    this.maxArguments = options.maxArguments ?? 1024;
    if (this.idleTimeout > 0) this.setTimeout(this.idleTimeout);
  }

  override onData(chunk: Buffer): void {
    const data = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    if (this.idleTimeout > 0) this.setTimeout(this.idleTimeout);
    // One write per batch of pipelined replies.
    this.socket.cork();
    const consumed = this.consume(data);
    this.socket.uncork();
    if (consumed < data.length && !this.closed) this.rest = Buffer.from(data.subarray(consumed));
  }

  /** Runs every complete command in `data`; returns how many bytes were consumed. */
  private consume(data: Buffer): number {
    let pos = 0;
    while (pos < data.length && !this.closed) {
      switch (this.state) {
        case State.CommandStart: {
          const lineEnd = this.findLine(data, pos);
          if (lineEnd < 0) return pos;
          if (data[pos] === 0x2a /* * */) {
            const count = parseInteger(data, pos + 1, lineEnd);
            if (count === null || count > this.maxArguments) return this.protocolError('invalid multibulk length');
            pos = lineEnd + 2;
            if (count <= 0) break; // an empty or null array is no command
            this.args = [];
            this.argsExpected = count;
            this.state = State.BulkHeader;
          } else {
            const words = data
              .toString('latin1', pos, lineEnd)
              .split(' ')
              .filter((word) => word.length > 0);
            pos = lineEnd + 2;
            if (words.length > 0) this.execute(words.map((word) => Buffer.from(word, 'latin1')));
          }
          break;
        }
        case State.BulkHeader: {
          const lineEnd = this.findLine(data, pos);
          if (lineEnd < 0) return pos;
          if (data[pos] !== 0x24 /* $ */) return this.protocolError(`expected '$', got '${String.fromCharCode(data[pos]!)}'`);
          const length = parseInteger(data, pos + 1, lineEnd);
          if (length === null || length < 0 || length > this.maxBulkLength) return this.protocolError('invalid bulk length');
          this.bulkLength = length;
          pos = lineEnd + 2;
          this.state = State.BulkData;
          break;
        }
        case State.BulkData: {
          if (data.length - pos < this.bulkLength + 2) return pos;
          const end = pos + this.bulkLength;
          if (data[end] !== CR || data[end + 1] !== LF) return this.protocolError('bulk string not followed by CRLF');
          this.args.push(data.subarray(pos, end));
          pos = end + 2;
          if (this.args.length === this.argsExpected) {
            const args = this.args;
            this.args = [];
            this.state = State.CommandStart;
            this.execute(args);
          } else {
            this.state = State.BulkHeader;
          }
          break;
        }
      }
    }
    return pos;
  }

  /** The offset of the CR of the CRLF ending the line at `pos`, or -1 if it has not arrived. */
  private findLine(data: Buffer, pos: number): number {
    const lf = data.indexOf(LF, pos);
    if (lf === -1) {
      if (data.length - pos > this.maxBulkLength) this.protocolError('line too long');
      return -1;
    }
    if (lf === pos || data[lf - 1] !== CR) {
      this.protocolError('line not ended by CRLF');
      return -1;
    }
    return lf - 1;
  }

  private execute(args: Buffer[]): void {
    const name = args[0]!.toString('latin1').toUpperCase();
    switch (name) {
      case 'PING':
        if (args.length === 1) this.write('+PONG\r\n');
        else if (args.length === 2) this.writeBulk(args[1]!);
        else this.write("-ERR wrong number of arguments for 'ping' command\r\n");
        return;
      case 'ECHO':
        if (args.length === 2) this.writeBulk(args[1]!);
        else this.write("-ERR wrong number of arguments for 'echo' command\r\n");
        return;
      case 'QUIT':
        this.write('+OK\r\n');
        this.halfClose();
        return;
      default:
        this.write(`-ERR unknown command '${sanitize(name)}'\r\n`);
    }
  }

  private writeBulk(value: Buffer): void {
    this.write(`$${value.length}\r\n`);
    this.write(value);
    this.write('\r\n');
  }

  /** A malformed stream cannot be resynchronised: report it, then close. */
  private protocolError(message: string): number {
    this.write(`-ERR Protocol error: ${message}\r\n`);
    this.halfClose();
    return Number.MAX_SAFE_INTEGER;
  }
}

/** An optionally signed decimal integer in data[start, end), or null. */
function parseInteger(data: Buffer, start: number, end: number): number | null {
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

function sanitize(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
}

export function respProtocol(options: RespOptions = {}): { factory: TaskFactory } {
  return { factory: (context) => new RespTask(context, options) };
}

// Run as a program (not when imported, as its test does): one scheduler, one listener.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scheduler = new Scheduler();
  const listener = new Listener(scheduler, respProtocol());
  const address = await listener.listen({ port: Number(process.env.PORT ?? 6380), host: '127.0.0.1' });
  console.log(`listening on redis://127.0.0.1:${address.port}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void listener.close({ graceMs: 1000 }).then(() => process.exit(0)));
  }
}
