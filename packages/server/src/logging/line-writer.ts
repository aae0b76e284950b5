import { closeSync, fstatSync, openSync, write as fsWrite, writeSync as fsWriteSync } from 'node:fs';
import { PercoreError } from '../errors.js';
import type { Logger } from './logger.js';

/**
 * POSIX guarantees a write of at most PIPE_BUF bytes to a pipe or FIFO is atomic: it is never
 * interleaved with other processes' writes (write(2), "Pipes and FIFOs"). 4096 on Linux.
 */
export const PIPE_BUF = 4096;
/** The default bound on lines held waiting for the destination; past it, lines are dropped and counted. */
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** A batch this large is written at once, not at the end of the event loop's turn. */
const FLUSH_AT_BYTES = 64 * 1024;
/** How long to wait before retrying a write the destination refused with EAGAIN (a full non-blocking pipe). */
const RETRY_MS = 5;
/** Dropped lines are reported at most this often. */
const REPORT_INTERVAL_MS = 1000;
/** At exit, how long a synchronous flush keeps retrying a destination that answers EAGAIN. */
const EXIT_FLUSH_DEADLINE_MS = 1000;

/** fs.write and fs.writeSync as the writer uses them: replaceable in tests. */
export interface LineWriterIo {
  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    callback: (error: NodeJS.ErrnoException | null, written: number) => void,
  ): void;
  writeSync(fd: number, buffer: Buffer, offset: number, length: number): number;
}

const nodeIo: LineWriterIo = {
  write: (fd, buffer, offset, length, callback) => fsWrite(fd, buffer, offset, length, null, callback),
  writeSync: (fd, buffer, offset, length) => fsWriteSync(fd, buffer, offset, length),
};

export interface LineWriterOptions {
  /** 'stdout' (fd 1), a file path (opened for appending, created if missing), or an open fd. */
  destination: string | number;
  /** Where dropped lines and failed writes are reported. */
  logger: Logger;
  /** Default 8 MiB (counted in string length, which is bytes for ASCII lines). */
  maxPendingBytes?: number;
  /**
   * Write with writeSync (the default for a regular file: a write to the page cache costs less
   * than a hand-over to the thread pool), or with fs.write, one write in flight at a time (the
   * default for pipes, sockets and terminals, so a slow reader never stalls the event loop).
   */
  sync?: boolean;
  /**
   * How long a line may wait for the lines after it, to share their write (default 0: until the
   * end of the event loop's turn). Past 64 KiB a batch is written at once.
   */
  flushIntervalMs?: number;
  /** @internal For tests. */
  io?: LineWriterIo;
}

/** The writers not yet closed, flushed synchronously when the process exits. */
const open = new Set<LineWriter>();
let exitHookInstalled = false;

function flushAllAtExit(): void {
  for (const writer of open) writer.flushSync();
}

function countLines(buffer: Buffer, from: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(10, from); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
  return lines;
}

/** Sleeps the thread briefly: only in the synchronous flush at exit, when the event loop is gone. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Whole lines to one destination shared by many processes, each line never split or interleaved
 * with another process's. Lines are batched (per turn of the event loop, or for `flushIntervalMs`;
 * sooner past 64 KiB):
 * - to a regular file opened with O_APPEND, each batch is one synchronous write(2), which lands
 *   whole at the end (on local filesystems; not on NFS);
 * - to a pipe, FIFO, socket or terminal, writes are cut at line boundaries to at most PIPE_BUF
 *   bytes, which POSIX makes atomic for pipes, and made with fs.write, one in flight at a time;
 *   a single longer line is written alone, and may be interleaved.
 * A destination that answers EAGAIN (a non-blocking stdout) is retried shortly. At most
 * `maxPendingBytes` wait; past that, lines are dropped, counted, and reported through the logger
 * at most once a second. Pending lines are written synchronously when the process exits.
 */
export class LineWriter {
  /** Lines dropped because too much was pending, a write failed, or the writer was closed. */
  dropped = 0;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  /** Whether writes must stay within PIPE_BUF at line boundaries: anything but a regular file. */
  private readonly atomicChunks: boolean;
  private readonly sync: boolean;
  private readonly maxPending: number;
  private readonly logger: Logger;
  private readonly io: LineWriterIo;
  /** Lines not yet handed to a write. */
  private batch = '';
  /** The bytes being written, from `offset`; null when idle. */
  private buffer: Buffer | null = null;
  private offset = 0;
  /** A write is with the thread pool (as opposed to waiting to retry, or idle). */
  private inFlight = false;
  private flushScheduled = false;
  private readonly flushIntervalMs: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Lines dropped for want of room, and lost to failed writes, since the last report. */
  private unreportedDrops = 0;
  private unreportedLosses = 0;
  private lastFailure: NodeJS.ErrnoException | null = null;
  private lastReport = 0;
  private reportTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private drained: (() => void) | null = null;
  private readonly flushBound = () => this.flush();
  private readonly writtenBound = (error: NodeJS.ErrnoException | null, written: number) => this.written(error, written);
  private readonly retryBound = () => {
    this.retryTimer = null;
    this.writeChunk();
  };

  /** Opens a file destination at once: throws PERCORE_ERR_INVALID_OPTION if it can't be opened for appending. */
  constructor(options: LineWriterOptions) {
    this.logger = options.logger;
    this.io = options.io ?? nodeIo;
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.flushIntervalMs = options.flushIntervalMs ?? 0;
    const { destination } = options;
    if (typeof destination === 'number') {
      this.fd = destination;
      this.ownsFd = false;
    } else if (destination === 'stdout') {
      this.fd = 1;
      this.ownsFd = false;
    } else {
      this.fd = openForAppend(destination);
      this.ownsFd = true;
    }
    const isFile = fstatSync(this.fd).isFile();
    this.atomicChunks = !isFile;
    this.sync = options.sync ?? isFile;
    open.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  /** Queues one line, which must end in '\n' and hold no other. */
  write(line: string): void {
    if (this.closed) {
      this.dropped++;
      return;
    }
    if (this.batch.length + line.length + this.inBuffer() > this.maxPending) {
      this.drop(1, null);
      return;
    }
    this.batch += line;
    if (this.buffer !== null) return; // written when the current batch is done
    if (this.batch.length >= FLUSH_AT_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.flushIntervalMs === 0) setImmediate(this.flushBound);
      else (this.flushTimer = setTimeout(this.flushBound, this.flushIntervalMs)).unref();
    }
  }

  /** Writes what is pending, then closes a file it opened. Later lines are dropped. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.flush();
    }
    return new Promise<void>((resolve) => {
      if (this.buffer === null && this.batch === '') {
        this.finish();
        resolve();
      } else {
        const previous = this.drained;
        this.drained = () => {
          previous?.();
          resolve();
        };
      }
    });
  }

  /**
   * @internal Writes what is pending now, blocking: for process exit, when no callback will run.
   * A write already with the thread pool is left to it; everything queued after it goes out here.
   */
  flushSync(): void {
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const parts: Buffer[] = [];
    if (this.buffer !== null && !this.inFlight) {
      parts.push(this.buffer.subarray(this.offset));
      this.buffer = null;
    }
    if (this.batch !== '') parts.push(Buffer.from(this.batch));
    this.batch = '';
    if (parts.length === 0) return this.report();
    const buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const deadline = Date.now() + EXIT_FLUSH_DEADLINE_MS;
    let offset = 0;
    while (offset < buffer.length) {
      try {
        offset += this.io.writeSync(this.fd, buffer, offset, this.chunkEnd(buffer, offset) - offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < deadline) {
          pause(1);
          continue;
        }
        this.drop(countLines(buffer, offset), error as NodeJS.ErrnoException);
        break;
      }
    }
    // No timer runs after exit: report now what a timer would have.
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    this.report();
  }

  /** Bytes of the current batch not yet written. */
  private inBuffer(): number {
    return this.buffer === null ? 0 : this.buffer.length - this.offset;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.buffer !== null || this.batch === '') return;
    this.buffer = Buffer.from(this.batch);
    this.batch = '';
    this.offset = 0;
    this.writeChunk();
  }

  /** Where the write starting at `offset` ends: a whole batch to a file; to a pipe, whole lines up to PIPE_BUF. */
  private chunkEnd(buffer: Buffer, offset: number): number {
    if (!this.atomicChunks || buffer.length - offset <= PIPE_BUF) return buffer.length;
    const lastNewline = buffer.lastIndexOf(10, offset + PIPE_BUF - 1);
    if (lastNewline >= offset) return lastNewline + 1;
    // One line longer than PIPE_BUF: alone, as one write (the kernel may still split it).
    const newline = buffer.indexOf(10, offset);
    return newline === -1 ? buffer.length : newline + 1;
  }

  /** Writes the current batch from `offset`: at once (sync), or one write in flight at a time. */
  private writeChunk(): void {
    if (!this.sync) {
      const buffer = this.buffer!;
      this.inFlight = true;
      this.io.write(this.fd, buffer, this.offset, this.chunkEnd(buffer, this.offset) - this.offset, this.writtenBound);
      return;
    }
    for (;;) {
      const buffer = this.buffer!;
      try {
        this.offset += this.io.writeSync(this.fd, buffer, this.offset, this.chunkEnd(buffer, this.offset) - this.offset);
      } catch (error) {
        this.failed(error as NodeJS.ErrnoException);
        return;
      }
      if (this.offset >= buffer.length) break;
    }
    this.buffer = null;
    this.next();
  }

  /** An asynchronous write's outcome. */
  private written(error: NodeJS.ErrnoException | null, written: number): void {
    this.inFlight = false;
    const buffer = this.buffer;
    if (buffer === null) return; // flushed synchronously meanwhile
    if (error !== null) {
      this.failed(error);
      return;
    }
    this.offset += written;
    if (this.offset < buffer.length) {
      this.writeChunk();
      return;
    }
    this.buffer = null;
    this.next();
  }

  private failed(error: NodeJS.ErrnoException): void {
    if (error.code === 'EAGAIN') {
      this.retryTimer = setTimeout(this.retryBound, RETRY_MS);
      return;
    }
    // EPIPE, ENOSPC, EBADF…: this batch is lost; later ones are tried again.
    const lost = countLines(this.buffer!, this.offset);
    this.buffer = null;
    this.drop(lost, error);
    this.next();
  }

  /** The current batch is done: on to the lines queued meanwhile, or, once closed and drained, finish. */
  private next(): void {
    if (this.batch !== '') this.flush();
    else if (this.closed) this.finish();
  }

  private finish(): void {
    if (!open.delete(this)) return;
    if (this.ownsFd) closeSync(this.fd);
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    this.report();
    const drained = this.drained;
    this.drained = null;
    drained?.();
  }

  /** Counts lines dropped (`failure` null: no room) or lost to a failed write, and reports them, at most once a second. */
  private drop(lines: number, failure: NodeJS.ErrnoException | null): void {
    this.dropped += lines;
    if (failure === null) this.unreportedDrops += lines;
    else {
      this.unreportedLosses += lines;
      this.lastFailure = failure;
    }
    if (this.reportTimer !== null) return;
    const wait = this.lastReport + REPORT_INTERVAL_MS - Date.now();
    if (wait <= 0) this.report();
    else {
      this.reportTimer = setTimeout(() => {
        this.reportTimer = null;
        this.report();
      }, wait);
      this.reportTimer.unref();
    }
  }

  private report(): void {
    if (this.unreportedDrops === 0 && this.unreportedLosses === 0) return;
    this.lastReport = Date.now();
    if (this.unreportedDrops > 0) {
      const message = `${this.unreportedDrops} log lines dropped: more than ${this.maxPending} bytes were waiting for the destination`;
      this.unreportedDrops = 0;
      if (this.logger.warn !== undefined) this.logger.warn('PERCORE_ERR_LOG_LINES_DROPPED', message);
      else this.logger.error('PERCORE_ERR_LOG_LINES_DROPPED', message);
    }
    if (this.unreportedLosses > 0) {
      const failure = this.lastFailure!;
      const message = `${this.unreportedLosses} log lines lost: writing them failed (${failure.code ?? failure.message})`;
      this.unreportedLosses = 0;
      this.lastFailure = null;
      this.logger.error('PERCORE_ERR_LOG_WRITE_FAILED', message, failure);
    }
  }
}

function openForAppend(path: string): number {
  if (typeof path !== 'string' || path.length === 0) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', "a log destination must be 'stdout' or a file path");
  }
  try {
    // O_APPEND: every write goes to the end as one step, whichever process makes it.
    return openSync(path, 'a');
  } catch (cause) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `cannot open ${path} for appending: ${(cause as Error).message}`, { cause });
  }
}
