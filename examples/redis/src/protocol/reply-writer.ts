/**
 * Encodes RESP2 replies (https://redis.io/docs/reference/protocol-spec/) into one shared slab, so
 * that a batch of pipelined replies leaves as one socket write. Only the task running commands
 * writes here; its part of the slab (from `start`) goes out with `flush`, and the slab's bytes
 * already handed to a socket are never written again.
 */
import type { Task } from '@percore/server';

const SLAB_SIZE = 64 * 1024;
/** Values at least this long go to the socket as they are, not copied into the slab. */
const DIRECT_WRITE_BYTES = 16 * 1024;

export class ReplyWriter {
  private slab = Buffer.allocUnsafe(SLAB_SIZE);
  private start = 0;
  private pos = 0;
  private task: Task | null = null;

  /** Starts a batch of replies for `task`. */
  begin(task: Task): void {
    this.task = task;
    this.start = this.pos;
  }

  /** Sends what the batch wrote so far to its task's socket. */
  flush(): void {
    if (this.pos > this.start && this.task !== null) this.task.write(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  /** Ends the batch: flushes it. */
  end(): void {
    this.flush();
    this.task = null;
  }

  /** The task whose batch is open, if any. */
  get owner(): Task | null {
    return this.task;
  }

  /** `+text` (RESP2 simple string; `text` holds no CR or LF). */
  simple(text: string): void {
    this.ascii(`+${text}\r\n`);
  }

  /** `-text` (an error reply: "ERR ..." or "WRONGTYPE ..."). */
  error(text: string): void {
    this.ascii(`-${text}\r\n`);
  }

  integer(value: number | bigint): void {
    this.ascii(`:${value}\r\n`);
  }

  arrayHeader(count: number): void {
    this.ascii(`*${count}\r\n`);
  }

  /** `$-1`: RESP2's null bulk string. */
  nullBulk(): void {
    this.ascii('$-1\r\n');
  }

  bulk(value: Buffer | null): void {
    if (value === null) return this.nullBulk();
    const length = value.length;
    if (length >= DIRECT_WRITE_BYTES) {
      this.ascii(`$${length}\r\n`);
      this.flush();
      this.task?.write(value);
      this.ascii('\r\n');
      return;
    }
    this.reserve(length + 16);
    this.pos += this.slab.write(`$${length}\r\n`, this.pos, 'latin1');
    this.pos += value.copy(this.slab, this.pos);
    this.slab[this.pos++] = 0x0d;
    this.slab[this.pos++] = 0x0a;
  }

  /** A bulk string of `text`'s UTF-8 bytes. */
  bulkText(text: string): void {
    this.bulk(Buffer.from(text, 'utf8'));
  }

  private ascii(text: string): void {
    this.reserve(text.length);
    this.pos += this.slab.write(text, this.pos, 'latin1');
  }

  /** Makes room for `bytes` more: flushes the batch and starts a new slab when this one is full. */
  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.slab.length) return;
    this.flush();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, bytes));
    this.start = this.pos = 0;
  }
}

/** Encodes one reply on its own, for a message sent to many tasks (pub/sub). */
export function encodeArray(items: ReadonlyArray<Buffer | string>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${items.length}\r\n`, 'latin1')];
  for (const item of items) {
    const bytes = typeof item === 'string' ? Buffer.from(item, 'utf8') : item;
    parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n', 'latin1');
