/**
 * An HTTP/2 client (node:http2, trusting the test certificate) with the shape of RawClient, so a
 * test written as HTTP/1.1 bytes runs on HTTP/2 too: `write()` parses the HTTP/1.1 requests it is
 * given (Content-Length or chunked bodies, sent on as they arrive) and sends each as a stream on
 * one session; `readResponse()` gives the streams' answers in request order.
 *
 * What HTTP/2 has no counterpart for is left out rather than faked: there are no response bytes
 * on the wire to look at, so `raw` is the body alone, `statusText` is '' (no reason phrase,
 * RFC 9113 8.3.2), and `framing` says 'length' (a Content-Length was sent), 'data' (DATA frames
 * with no length: a streamed body) or 'none' (no body). A stream the server resets is not a
 * response: `readResponse()` rejects, and `readReset()` reads its RST_STREAM code instead.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Framing, ReadOptions, RawResponse } from './raw-client.js';
import { testCertificate } from './tls-cert.js';

const DEFAULT_DEADLINE_MS = 2000;
const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** RFC 9113 8.2.2: fields an HTTP/1.1 request may carry that mean nothing (and are malformed) in HTTP/2. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export type WireFraming = Framing | 'data';
export type WireResponse = Omit<RawResponse, 'framing'> & { framing: WireFraming };

export interface WireCloseResult {
  closed: boolean;
  reset: boolean;
  responses: WireResponse[];
  leftover: Buffer;
}

/** What the shared tests ask of a connection, on HTTP/1.x (RawClient) and HTTP/2 (H2WireClient). */
export interface WireClient {
  readonly pending: Buffer;
  write(data: string | Buffer, options?: ReadOptions): Promise<void>;
  readResponse(method?: string, options?: ReadOptions): Promise<WireResponse>;
  readResponses(count: number, methods?: string[], options?: ReadOptions): Promise<WireResponse[]>;
  readUntilClose(options?: ReadOptions & { methods?: string[] }): Promise<WireCloseResult>;
  waitForClose(timeoutMs?: number): Promise<boolean>;
  waitForText(text: string, options?: ReadOptions): Promise<void>;
  pause(): void;
  resume(): void;
  destroy(): void;
}

interface Exchange {
  readonly method: string;
  readonly stream: ClientHttp2Stream;
  status: number;
  headers: IncomingHttpHeaders | null;
  readonly chunks: Buffer[];
  trailers: string[];
  ended: boolean;
  closed: boolean;
  rstCode: number;
}

/** The request being sent: its stream, and how much of its body is still to come. */
interface Outgoing {
  stream: ClientHttp2Stream;
  /** Body bytes still to send by Content-Length, or -1 for a chunked body. */
  remaining: number;
}

const openClients = new Set<H2WireClient>();

/** Destroys every HTTP/2 client not yet destroyed. */
export function destroyAllH2Clients(): void {
  for (const client of openClients) client.destroy();
}

/** Opens an HTTP/2 session to https://127.0.0.1:port (ALPN h2, the test CA). */
export function connectH2(port: number, timeoutMs = DEFAULT_DEADLINE_MS): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, { ca: testCertificate().cert, servername: 'localhost' });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`h2: no session with port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    session.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    session.once('connect', () => {
      clearTimeout(timer);
      session.on('error', () => undefined);
      resolve(session);
    });
  });
}

export class H2WireClient implements WireClient {
  private inbound: Buffer = Buffer.alloc(0);
  private outgoing: Outgoing | null = null;
  private readonly exchanges: Exchange[] = [];
  private readIndex = 0;
  private paused = false;
  private sessionClosed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly session: ClientHttp2Session) {
    openClients.add(this);
    session.on('close', () => {
      this.sessionClosed = true;
      openClients.delete(this);
      this.notify();
    });
    session.on('goaway', () => this.notify());
  }

  static async connect(port: number, options: ReadOptions = {}): Promise<H2WireClient> {
    return new H2WireClient(await connectH2(port, options.timeoutMs));
  }

  /** Nothing is ever left unparsed: HTTP/2 frames are read by node:http2, not by this client. */
  get pending(): Buffer {
    return Buffer.alloc(0);
  }

  get localPort(): number {
    return this.session.socket?.localPort ?? 0;
  }

  /** Parses HTTP/1.1 requests out of `data` and sends them as streams; resolves once their bytes are handed on. */
  write(data: string | Buffer, options: ReadOptions = {}): Promise<void> {
    this.inbound = Buffer.concat([this.inbound, typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
    const writes: Array<Promise<void>> = [];
    for (;;) {
      if (this.outgoing === null) {
        if (!this.startRequest()) break;
        continue;
      }
      const sent = this.sendBody(this.outgoing, writes);
      if (!sent) break;
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
    return within(
      Promise.all(writes).then(() => undefined),
      timeoutMs,
      'h2: the request bytes to be sent',
    );
  }

  pause(): void {
    this.paused = true;
    for (const exchange of this.exchanges) exchange.stream.pause();
  }

  resume(): void {
    this.paused = false;
    for (const exchange of this.exchanges) exchange.stream.resume();
  }

  destroy(): void {
    openClients.delete(this);
    if (!this.session.destroyed) this.session.destroy();
  }

  /** Reads the answer to the next request (by request order); rejects when its stream is reset instead. */
  readResponse(_method = 'GET', options: ReadOptions = {}): Promise<WireResponse> {
    const index = this.readIndex++;
    return this.waitFor(`h2: a response on request ${index + 1}`, options.timeoutMs, () => {
      const exchange = this.exchanges[index];
      if (exchange === undefined) {
        if (this.sessionClosed) throw new Error(`h2: the session closed before request ${index + 1} was sent`);
        return undefined;
      }
      if (exchange.ended) return responseOf(exchange);
      if (exchange.closed)
        throw new Error(`h2: stream ${exchange.stream.id ?? '?'} closed before a whole response (RST_STREAM ${exchange.rstCode})`);
      return undefined;
    });
  }

  async readResponses(count: number, methods: string[] = [], options: ReadOptions = {}): Promise<WireResponse[]> {
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_DEADLINE_MS);
    const responses: WireResponse[] = [];
    for (let i = 0; i < count; i++) {
      responses.push(await this.readResponse(methods[i], { timeoutMs: Math.max(1, deadline - Date.now()) }));
    }
    return responses;
  }

  /** Waits for the next request's stream to be reset, and gives its RST_STREAM error code (0 is NO_ERROR). */
  readReset(options: ReadOptions = {}): Promise<{ code: number; status: number; body: Buffer }> {
    const index = this.readIndex++;
    return this.waitFor(`h2: RST_STREAM on request ${index + 1}`, options.timeoutMs, () => {
      const exchange = this.exchanges[index];
      if (exchange === undefined || !exchange.closed) return undefined;
      if (exchange.ended && exchange.rstCode === 0) throw new Error(`h2: request ${index + 1} got a whole response, not a reset`);
      return { code: exchange.rstCode, status: exchange.status, body: Buffer.concat(exchange.chunks) };
    });
  }

  /** Waits for the session to close (or the deadline); gives the whole responses still unread. */
  async readUntilClose(options: ReadOptions = {}): Promise<WireCloseResult> {
    const closed = await this.waitForClose(options.timeoutMs);
    const responses: WireResponse[] = [];
    let leftover = Buffer.alloc(0);
    for (; this.readIndex < this.exchanges.length; this.readIndex++) {
      const exchange = this.exchanges[this.readIndex]!;
      if (!exchange.ended) {
        leftover = Buffer.concat(exchange.chunks);
        break;
      }
      responses.push(responseOf(exchange));
    }
    return { closed, reset: false, responses, leftover };
  }

  waitForClose(timeoutMs = DEFAULT_DEADLINE_MS): Promise<boolean> {
    return this.waitFor('h2: the session to close', timeoutMs, () => (this.sessionClosed ? true : undefined)).catch(() => false);
  }

  /** Resolves when `text` appears in the body of any stream. */
  waitForText(text: string, options: ReadOptions = {}): Promise<void> {
    const wanted = Buffer.from(text, 'latin1');
    return this.waitFor(`h2: ${JSON.stringify(text)} in a body`, options.timeoutMs, () => {
      if (this.exchanges.some((exchange) => Buffer.concat(exchange.chunks).includes(wanted))) return true;
      if (this.sessionClosed) throw new Error(`h2: the session closed without ${JSON.stringify(text)}`);
      return undefined;
    }).then(() => undefined);
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Opens a stream for the next whole request head in `inbound`; false if there is none yet. */
  private startRequest(): boolean {
    const end = this.inbound.indexOf(HEAD_END);
    if (end < 0) return false;
    const lines = this.inbound.subarray(0, end).toString('latin1').split('\r\n');
    this.inbound = this.inbound.subarray(end + HEAD_END.length);
    const [method = 'GET', target = '/'] = lines[0]!.split(' ');
    const headers: OutgoingHttpHeaders = { ':method': method, ':path': target, ':scheme': 'https', ':authority': 'localhost' };
    let remaining = 0;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      // RFC 9113 8.3.1: :authority takes Host's place.
      if (name === 'host') headers[':authority'] = value;
      if (name === 'content-length') remaining = Number(value);
      if (name === 'transfer-encoding' && value.toLowerCase() === 'chunked') remaining = -1;
      if (CONNECTION_SPECIFIC.has(name)) continue;
      const previous = headers[name];
      headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
    }
    const stream = this.session.request(headers, { endStream: remaining === 0 });
    this.track(method, stream);
    if (remaining !== 0) this.outgoing = { stream, remaining };
    return true;
  }

  /** Sends what `inbound` holds of the current body; false when it needs more bytes. */
  private sendBody(outgoing: Outgoing, writes: Array<Promise<void>>): boolean {
    if (outgoing.remaining > 0) {
      if (this.inbound.length === 0) return false;
      const piece = this.inbound.subarray(0, outgoing.remaining);
      this.inbound = this.inbound.subarray(piece.length);
      outgoing.remaining -= piece.length;
      writes.push(writeTo(outgoing.stream, piece));
      if (outgoing.remaining === 0) this.finishBody(outgoing);
      return true;
    }
    // Chunked (RFC 9112 7.1): size line, data, CRLF; the last chunk has size 0 (no trailers here).
    const lineEnd = this.inbound.indexOf(CRLF);
    if (lineEnd < 0) return false;
    const size = parseInt(this.inbound.subarray(0, lineEnd).toString('latin1'), 16);
    if (size === 0) {
      if (this.inbound.length < lineEnd + 4) return false;
      this.inbound = this.inbound.subarray(lineEnd + 4);
      this.finishBody(outgoing);
      return true;
    }
    const dataStart = lineEnd + 2;
    if (this.inbound.length < dataStart + size + 2) return false;
    writes.push(writeTo(outgoing.stream, Buffer.from(this.inbound.subarray(dataStart, dataStart + size))));
    this.inbound = this.inbound.subarray(dataStart + size + 2);
    return true;
  }

  private finishBody(outgoing: Outgoing): void {
    if (!outgoing.stream.destroyed) outgoing.stream.end();
    this.outgoing = null;
  }

  // ---- receiving ---------------------------------------------------------------------------

  private track(method: string, stream: ClientHttp2Stream): void {
    const exchange: Exchange = {
      method,
      stream,
      status: 0,
      headers: null,
      chunks: [],
      trailers: [],
      ended: false,
      closed: false,
      rstCode: 0,
    };
    this.exchanges.push(exchange);
    stream.on('response', (headers) => {
      exchange.status = Number(headers[':status']);
      exchange.headers = headers;
      this.notify();
    });
    stream.on('data', (chunk: Buffer) => {
      exchange.chunks.push(chunk);
      this.notify();
    });
    stream.on('trailers', (trailers) => {
      exchange.trailers = Object.entries(trailers).flatMap(([name, value]) => [name, String(value)]);
    });
    stream.on('end', () => {
      exchange.ended = true;
      this.notify();
    });
    stream.on('close', () => {
      exchange.closed = true;
      exchange.rstCode = stream.rstCode ?? 0;
      this.notify();
    });
    stream.on('error', () => undefined);
    if (this.paused) stream.pause();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private waitFor<T>(what: string, timeoutMs: number | undefined, check: () => T | undefined): Promise<T> {
    const ms = timeoutMs ?? DEFAULT_DEADLINE_MS;
    return new Promise<T>((resolve, reject) => {
      const run = (): void => {
        try {
          const value = check();
          if (value === undefined) return;
          finish();
          resolve(value);
        } catch (error) {
          finish();
          reject(error as Error);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what}: nothing within ${ms} ms`));
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(run);
      };
      this.listeners.add(run);
      run();
    });
  }
}

function writeTo(stream: ClientHttp2Stream, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) {
      reject(new Error('h2: the stream was closed before its body was sent'));
      return;
    }
    stream.write(piece, (error) => (error ? reject(error) : resolve()));
  });
}

function responseOf(exchange: Exchange): WireResponse {
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(exchange.headers ?? {})) {
    if (name.startsWith(':') || value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(', ') : String(value);
    headers[name] = joined;
    rawHeaders.push(name, joined);
  }
  const body = Buffer.concat(exchange.chunks);
  const framing: WireFraming = headers['content-length'] !== undefined ? 'length' : body.length > 0 ? 'data' : 'none';
  return {
    httpVersion: '2.0',
    status: exchange.status,
    statusText: '',
    rawHeaders,
    headers,
    body,
    text: body.toString('utf8'),
    framing,
    chunks: exchange.chunks,
    trailers: exchange.trailers,
    raw: body,
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}
