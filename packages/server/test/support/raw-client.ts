/**
 * A raw-socket HTTP/1.x client for tests: it sends exactly the bytes it is given (whole, in
 * pieces, or one byte at a time) and parses what comes back with a small, strict response parser.
 *
 * Every wait has a deadline (2 s unless told), so a test can never hang on a server that stays
 * silent: the operation rejects with an error that says what it waited for and what it got.
 * Every client is tracked, and `destroyAllClients()` (run after each test) destroys the stragglers.
 */
import { connect, type Socket } from 'node:net';

export const DEFAULT_DEADLINE_MS = 2000;

/** How a response's body was delimited (RFC 9112 6.3). */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface RawResponse {
  /** '1.1' or '1.0', from the status line. */
  httpVersion: string;
  status: number;
  statusText: string;
  /** Field names and values as received: [name0, value0, name1, value1, ...]. */
  rawHeaders: string[];
  /** Lower-case names; repeated fields joined with ', '. */
  headers: Record<string, string>;
  /** The body, chunked framing removed. */
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
  framing: Framing;
  /** For a chunked body: each chunk's data, in order (the last, empty chunk excluded). */
  chunks: Buffer[];
  /** Trailer fields of a chunked body: [name0, value0, ...]. */
  trailers: string[];
  /** The response's exact bytes, head and framed body. */
  raw: Buffer;
}

export interface ReadOptions {
  /** Milliseconds before the read rejects. Default 2000. */
  timeoutMs?: number;
}

export interface CloseResult {
  /** Whether the server closed (FIN, or reset) before the deadline. */
  closed: boolean;
  /** Whether the connection ended with a reset or socket error rather than a clean FIN. */
  reset: boolean;
  /** Every complete response received before the close, in order. */
  responses: RawResponse[];
  /** Bytes received after the last complete response. */
  leftover: Buffer;
}

export interface UntilCloseOptions extends ReadOptions {
  /**
   * The request methods the responses answer, in order (HEAD responses have no body). Responses
   * past the end of the list answer 'GET'.
   */
  methods?: string[];
}

export class ResponseFormatError extends Error {
  override name = 'ResponseFormatError';
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const openClients = new Set<RawClient>();

/** Destroys every client not yet destroyed. Safe to call at any time. */
export function destroyAllClients(): void {
  for (const client of openClients) client.destroy();
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class RawClient {
  private readonly socket: Socket;
  private readonly receivedChunks: Buffer[] = [];
  private receivedLength = 0;
  /**
   * Received bytes not yet taken by a read: storage[readStart, readEnd). Storage grows by doubling, so
   * appending is amortized O(1) however large a response; it is never written below `readEnd`, so
   * views taken of it stay valid.
   */
  private storage: Buffer = Buffer.alloc(0);
  private readStart = 0;
  private readEnd = 0;
  /** The unread length a response needs before parsing again is worth it (a large body). */
  private needed = 0;
  private neededFor = '';
  private finReceived = false;
  private socketClosed = false;
  private socketError: Error | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    openClients.add(this);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.receivedChunks.push(chunk);
      this.receivedLength += chunk.length;
      this.append(chunk);
      this.notify();
    });
    socket.on('end', () => {
      this.finReceived = true;
      this.notify();
    });
    socket.on('error', (error) => {
      this.socketError = error;
      this.notify();
    });
    socket.on('close', () => {
      this.socketClosed = true;
      openClients.delete(this);
      this.notify();
    });
  }

  /** Connects to 127.0.0.1:`port`; rejects with the socket error (e.g. ECONNREFUSED) or after the deadline. */
  static connect(port: number, options: ReadOptions & { host?: string } = {}): Promise<RawClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: options.host ?? '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw-client: could not connect to port ${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new RawClient(socket));
      });
    });
  }

  // ---- state -------------------------------------------------------------------------------

  /** Every byte received so far, whether or not a read has taken it. */
  get received(): Buffer {
    if (this.receivedChunks.length > 1) {
      const all = Buffer.concat(this.receivedChunks, this.receivedLength);
      this.receivedChunks.length = 0;
      this.receivedChunks.push(all);
    }
    return this.receivedChunks[0] ?? Buffer.alloc(0);
  }

  get bytesReceived(): number {
    return this.receivedLength;
  }

  /** Bytes received that no read has taken yet. */
  get pending(): Buffer {
    return this.unread;
  }

  private get unread(): Buffer {
    return this.storage.subarray(this.readStart, this.readEnd);
  }

  private append(chunk: Buffer): void {
    if (this.readEnd + chunk.length > this.storage.length) {
      const length = this.readEnd - this.readStart;
      const next = Buffer.allocUnsafe(Math.max(64 * 1024, (length + chunk.length) * 2));
      this.storage.copy(next, 0, this.readStart, this.readEnd);
      this.storage = next;
      this.readStart = 0;
      this.readEnd = length;
    }
    chunk.copy(this.storage, this.readEnd);
    this.readEnd += chunk.length;
  }

  /** Parses the next response from the unread bytes and takes it, or returns null. */
  private take(method: string, closed: boolean): RawResponse | null {
    if (!closed && method === this.neededFor && this.readEnd - this.readStart < this.needed) return null;
    const parsed = parseResponse(this.unread, method, closed);
    if (parsed === null || 'needed' in parsed) {
      this.needed = parsed === null ? 0 : parsed.needed;
      this.neededFor = method;
      return null;
    }
    this.needed = 0;
    this.readStart += parsed.length;
    return parsed.response;
  }

  /** Whether the server has closed its side (FIN), or the connection has been reset or closed. */
  get serverClosed(): boolean {
    return this.finReceived || this.socketClosed || this.socketError !== null;
  }

  /** The socket error seen, if any (ECONNRESET when the server reset the connection). */
  get error(): Error | null {
    return this.socketError;
  }

  /** The client's own port, as the server sees it in `remotePort`. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  // ---- sending -----------------------------------------------------------------------------

  /**
   * Sends `data` (a string is sent as latin1: one char, one byte) in one write; resolves once it
   * is handed to the kernel, rejects if it is not within the deadline (a server not reading).
   */
  write(data: string | Buffer, options: ReadOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const timeoutMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || this.socket.writableEnded) {
        reject(new Error('raw-client: write on a closed socket'));
        return;
      }
      const timer = setTimeout(
        () => reject(new Error(`raw-client: a write of ${bytes.length} bytes was not taken within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.write(bytes, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /**
   * Sends `data` in pieces of `pieceSize` bytes (1: one byte at a time), waiting `gapMs` between
   * writes (0: one turn of the event loop), so the server sees them as separate reads.
   */
  async writeInPieces(data: string | Buffer, pieceSize: number, gapMs = 0): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (!(pieceSize >= 1)) throw new RangeError('pieceSize must be >= 1');
    for (let i = 0; i < bytes.length; i += pieceSize) {
      await this.write(bytes.subarray(i, i + pieceSize));
      if (i + pieceSize < bytes.length) await (gapMs > 0 ? delay(gapMs) : new Promise((r) => setImmediate(r)));
    }
  }

  /** Sends `data` one byte per write. */
  writeBytewise(data: string | Buffer, gapMs = 0): Promise<void> {
    return this.writeInPieces(data, 1, gapMs);
  }

  /**
   * Sends `data` one byte every `intervalMs` (a slowloris) until it is all sent or the server
   * closes. Resolves with the number of bytes sent; never rejects on a closed socket.
   */
  async trickle(data: string | Buffer, intervalMs: number): Promise<number> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let sent = 0;
    while (sent < bytes.length && !this.serverClosed && !this.socket.destroyed) {
      try {
        await this.write(bytes.subarray(sent, sent + 1));
      } catch {
        break;
      }
      sent++;
      await delay(intervalMs);
    }
    return sent;
  }

  /** Half-closes: sends FIN after what is queued; the client can still read. */
  end(options: ReadOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw-client: end() did not finish within ${timeoutMs} ms`)), timeoutMs);
      this.socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops reading from the socket (the server then meets backpressure). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes the socket at once. Idempotent. */
  destroy(): void {
    openClients.delete(this);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  // ---- reading -----------------------------------------------------------------------------

  /** Reads the next response; `method` is the request method it answers (HEAD has no body). */
  readResponse(method = 'GET', options: ReadOptions = {}): Promise<RawResponse> {
    return this.waitFor(`a response to ${method}`, options.timeoutMs, () => {
      const closed = this.serverClosed;
      const response = this.take(method, closed);
      if (response !== null) return response;
      if (closed) {
        throw new Error(`raw-client: the server closed before a whole response to ${method} (${preview(this.unread)})`);
      }
      return undefined;
    });
  }

  /** Reads `count` responses, answering `methods` in order ('GET' past the end of the list). */
  async readResponses(count: number, methods: string[] = [], options: ReadOptions = {}): Promise<RawResponse[]> {
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_DEADLINE_MS);
    const responses: RawResponse[] = [];
    for (let i = 0; i < count; i++) {
      const left = Math.max(1, deadline - Date.now());
      responses.push(await this.readResponse(methods[i] ?? 'GET', { timeoutMs: left }));
    }
    return responses;
  }

  /**
   * Reads responses until the server closes or the deadline passes; never rejects for the
   * deadline (`closed` says which), only for malformed responses.
   */
  async readUntilClose(options: UntilCloseOptions = {}): Promise<CloseResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
    const methods = options.methods ?? [];
    const closed = await this.waitForClose(timeoutMs);
    const responses: RawResponse[] = [];
    for (;;) {
      const response = this.take(methods[responses.length] ?? 'GET', closed);
      if (response === null) break;
      responses.push(response);
      if (response.raw.length === 0) break;
    }
    return { closed, reset: this.socketError !== null, responses, leftover: this.unread };
  }

  /** Resolves true once the server has closed, or false if it is still open after `timeoutMs`. */
  waitForClose(timeoutMs = DEFAULT_DEADLINE_MS): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.serverClosed) {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = (): void => {
        if (!this.serverClosed) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(true);
      };
      this.listeners.add(check);
    });
  }

  /** Resolves once at least `count` bytes have been received in all. */
  waitForBytes(count: number, options: ReadOptions = {}): Promise<Buffer> {
    return this.waitFor(`${count} bytes`, options.timeoutMs, () => {
      if (this.receivedLength >= count) return this.received;
      if (this.serverClosed) throw new Error(`raw-client: the server closed after ${this.receivedLength} of ${count} bytes`);
      return undefined;
    });
  }

  /** Resolves when `text` (latin1) appears in the received bytes. */
  waitForText(text: string, options: ReadOptions = {}): Promise<void> {
    return this.waitFor(JSON.stringify(text), options.timeoutMs, () => {
      if (this.received.includes(Buffer.from(text, 'latin1'))) return true;
      if (this.serverClosed) throw new Error(`raw-client: the server closed without sending ${JSON.stringify(text)}`);
      return undefined;
    }).then(() => undefined);
  }

  /**
   * Runs `check` now and after every socket event until it returns a value (resolve), throws
   * (reject), or the deadline passes (reject with a description of what was received).
   */
  private waitFor<T>(what: string, timeoutMs: number | undefined, check: () => T | undefined): Promise<T> {
    const ms = timeoutMs ?? DEFAULT_DEADLINE_MS;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        this.listeners.delete(run);
      };
      const run = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      run();
      if (done) return;
      timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `raw-client: timed out after ${ms} ms waiting for ${what}; ` +
              `received ${this.receivedLength} bytes, unread: ${preview(this.unread)}, server closed: ${this.serverClosed}`,
          ),
        );
      }, ms);
      this.listeners.add(run);
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function preview(bytes: Buffer): string {
  const text = bytes.subarray(0, 300).toString('latin1');
  return JSON.stringify(text) + (bytes.length > 300 ? ` (+${bytes.length - 300} more bytes)` : '');
}

// ---- the response parser -------------------------------------------------------------------

/**
 * Parses one response at the start of `buf`. Returns it with the number of bytes it took; or, when
 * more bytes are needed, null or `{ needed }`, the least length of `buf` worth parsing again (a
 * close-delimited body completes only when `closed`). Throws ResponseFormatError on bytes that are
 * not a valid HTTP/1.x response.
 */
export function parseResponse(
  buf: Buffer,
  method: string,
  closed: boolean,
): { response: RawResponse; length: number } | { needed: number } | null {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd === -1) {
    if (buf.length > 0 && !buf.subarray(0, 5).equals(Buffer.from('HTTP/').subarray(0, Math.min(5, buf.length)))) {
      throw new ResponseFormatError(`not an HTTP response: ${preview(buf)}`);
    }
    return null;
  }
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const statusMatch = /^HTTP\/(\d\.\d) (\d{3}) ?([^\r\n]*)$/.exec(lines[0]!);
  if (statusMatch === null) throw new ResponseFormatError(`bad status line: ${JSON.stringify(lines[0])}`);
  const status = Number(statusMatch[2]);
  const rawHeaders: string[] = [];
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (match === null || line.includes('\n') || line.includes('\r')) {
      throw new ResponseFormatError(`bad header line: ${JSON.stringify(line)}`);
    }
    const name = match[1]!;
    const value = match[2]!;
    rawHeaders.push(name, value);
    const lower = name.toLowerCase();
    headers[lower] = lower in headers ? `${headers[lower]}, ${value}` : value;
  }

  let pos = headEnd + 4;
  let framing: Framing;
  let body: Buffer;
  const chunks: Buffer[] = [];
  const trailers: string[] = [];
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) {
    framing = 'none';
    body = Buffer.alloc(0);
  } else if (transferEncoding !== undefined) {
    if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding)) throw new ResponseFormatError(`Transfer-Encoding: ${transferEncoding}`);
    if (contentLength !== undefined) throw new ResponseFormatError('both Content-Length and Transfer-Encoding');
    framing = 'chunked';
    for (;;) {
      const lineEnd = buf.indexOf(CRLF, pos);
      if (lineEnd === -1) return null;
      const sizeLine = buf.toString('latin1', pos, lineEnd);
      const sizeMatch = /^([0-9A-Fa-f]+)(;.*)?$/.exec(sizeLine);
      if (sizeMatch === null) throw new ResponseFormatError(`bad chunk size line: ${JSON.stringify(sizeLine)}`);
      const size = parseInt(sizeMatch[1]!, 16);
      pos = lineEnd + 2;
      if (size === 0) break;
      if (buf.length < pos + size + 2) return { needed: pos + size + 2 };
      chunks.push(buf.subarray(pos, pos + size));
      pos += size;
      if (buf[pos] !== 0x0d || buf[pos + 1] !== 0x0a) throw new ResponseFormatError('chunk data not followed by CRLF');
      pos += 2;
    }
    for (;;) {
      const lineEnd = buf.indexOf(CRLF, pos);
      if (lineEnd === -1) return null;
      const line = buf.toString('latin1', pos, lineEnd);
      pos = lineEnd + 2;
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ResponseFormatError(`bad trailer line: ${JSON.stringify(line)}`);
      trailers.push(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    body = Buffer.concat(chunks);
    for (let i = 0; i < chunks.length; i++) chunks[i] = Buffer.from(chunks[i]!);
  } else if (contentLength !== undefined) {
    if (!/^\d+$/.test(contentLength)) throw new ResponseFormatError(`Content-Length: ${contentLength}`);
    framing = 'length';
    const length = Number(contentLength);
    if (buf.length < pos + length) return { needed: pos + length };
    body = Buffer.from(buf.subarray(pos, pos + length));
    pos += length;
  } else {
    // RFC 9112 6.3 (8): no length and no chunked: the body runs until the server closes.
    if (!closed) return null;
    framing = 'close';
    body = Buffer.from(buf.subarray(pos));
    pos = buf.length;
  }
  const response: RawResponse = {
    httpVersion: statusMatch[1]!,
    status,
    statusText: statusMatch[3]!,
    rawHeaders,
    headers,
    body,
    text: body.toString('utf8'),
    framing,
    chunks,
    trailers,
    raw: Buffer.from(buf.subarray(0, pos)),
  };
  return { response, length: pos };
}
