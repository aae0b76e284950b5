import { PercoreError } from '../errors.js';
import { ResponseBase } from '../http/response-base.js';
import { httpDate } from '../http/date.js';
import { statusHasNoBody, statusLine } from '../http/status.js';
import type { HeaderValue } from '../http/api.js';
import { TOKEN } from '../http/chars.js';
import type { HandOverFactory } from '../scheduler/task.js';

/** What a response needs from the connection it answers on. */
export interface ResponseOwner {
  /** Whether the connection may persist after this response (request, options, shutdown). */
  mayKeepAlive(response: NetResponse): boolean;
  /** A prefix of header lines the server adds to every response ('' or 'Server: x\r\n'). */
  readonly serverHeader: string;
  /** The line that tells a client how long a kept-alive connection may idle ('' or 'Keep-Alive: timeout=5\r\n'). */
  readonly keepAliveHeader: string;
  /** Writes to the socket; false once its buffer is full. */
  writeResponse(response: NetResponse, data: string | Uint8Array): boolean;
  /** Whether the socket's buffer is full: a write returned false and no drain has come since. */
  readonly writeBlocked: boolean;
  /** Writes several pieces as one (corked) write. */
  writeResponseParts(response: NetResponse, parts: Array<string | Uint8Array>): boolean;
  /** The response finished; `keepAlive` says whether the connection may persist. */
  responseFinished(response: NetResponse): void;
  /** Throws PERCORE_ERR_UPGRADE_NOT_REQUESTED unless this response's request may switch to `protocol`. */
  checkUpgrade(response: NetResponse, protocol: string): void;
  /** Sends the 101 head, then hands the connection to `factory`'s task. */
  upgradeResponse(response: NetResponse, head: string, factory: HandOverFactory): void;
}

const enum Framing {
  /** Content-Length known up front. */
  Fixed,
  /** HTTP/1.1 chunked (RFC 9112 7.1). */
  Chunked,
  /** HTTP/1.0 without a length: the body ends when the connection closes (RFC 9112 6.3 (8)). */
  CloseDelimited,
  /** HEAD, 1xx, 204 and 304: no body at all. */
  None,
}

const LAST_CHUNK = '0\r\n\r\n';

/**
 * A response on the `net` engine. The head is built as one string and goes out with the first
 * body bytes in a single write; status and headers are plain fields until then.
 */
export class NetResponse extends ResponseBase {
  /** Whether the connection may persist after this response; decided when the head is built. */
  keepAlive = false;
  private framing = Framing.Fixed;
  /** For a body of known length: the bytes promised in the head, and those sent so far. */
  private fixedLength = -1;
  private sentLength = 0;

  constructor(
    private readonly owner: ResponseOwner,
    /** Answering a HEAD: the head only. */ readonly isHead: boolean,
    /** Answering HTTP/1.0. */ readonly http10: boolean,
  ) {
    super();
  }

  protected get blocked(): boolean {
    return this.owner.writeBlocked;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.aborted) return false;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'write after end');
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (!this.sentHead) {
      // Refuse a first chunk past the declared length before the head is committed, so a refused
      // write changes nothing and the handler can still answer.
      const declared = this.headers?.declaredLength ?? -1;
      if (declared >= 0 && length > declared && !this.isHead && !statusHasNoBody(this.status)) {
        throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${declared}`);
      }
      const head = this.buildHead(declared);
      if (length === 0 || this.framing === Framing.None) return this.owner.writeResponse(this, head);
      return this.owner.writeResponseParts(this, this.frame(head, chunk, length));
    }
    if (length === 0 || this.framing === Framing.None) return true;
    return this.owner.writeResponseParts(this, this.frame('', chunk, length));
  }

  end(body?: string | Uint8Array): void {
    if (this.aborted) return;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'end called twice');
    if (!this.sentHead) {
      // The whole response at once: head and body in one write, with the exact length.
      const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      // RFC 9110 9.3.2: a HEAD answer may report the length GET would send, as declared.
      const declared = this.headers?.declaredLength ?? -1;
      const head = this.buildHead(this.isHead && length === 0 && declared >= 0 ? declared : length);
      this.done = true;
      if (length === 0 || this.framing === Framing.None) this.owner.writeResponse(this, head);
      else if (typeof body === 'string') this.owner.writeResponse(this, head + body);
      else this.owner.writeResponseParts(this, [head, body!]);
    } else {
      const parts: Array<string | Uint8Array> = [];
      const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      if (length > 0 && this.framing !== Framing.None) parts.push(...this.frame('', body!, length));
      if (this.framing === Framing.Chunked) parts.push(this.trailerFields === null ? LAST_CHUNK : this.lastChunkWithTrailers());
      // A declared length that was not met leaves the message short: the connection must close.
      if (this.framing === Framing.Fixed && this.sentLength !== this.fixedLength) this.keepAlive = false;
      this.done = true;
      if (parts.length > 0) this.owner.writeResponseParts(this, parts);
    }
    this.settleDrainWaiters();
    this.owner.responseFinished(this);
  }

  upgrade(protocol: string, factory: HandOverFactory, headers?: Readonly<Record<string, HeaderValue>>): void {
    if (this.aborted) throw new PercoreError('PERCORE_ERR_ABORTED', 'cannot upgrade');
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'cannot upgrade');
    if (this.sentHead) throw new PercoreError('PERCORE_ERR_HEADERS_SENT', 'cannot upgrade');
    if (!isProtocol(protocol)) throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `Upgrade: ${protocol}`);
    this.owner.checkUpgrade(this, protocol);
    if (headers !== undefined) for (const name of Object.keys(headers)) this.setHeader(name, headers[name]!);
    // RFC 9110 15.2.2: a 101 names the protocol switched to in Upgrade, with Connection: Upgrade
    // (7.6.1); it has no content, so no framing fields.
    let head = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n`;
    const fields = this.headers;
    if (fields !== null) {
      const { names, values } = fields;
      for (let i = 0; i < names.length; i++) {
        const lower = names[i]!.toLowerCase();
        if (lower === 'connection' || lower === 'upgrade' || lower === 'content-length' || lower === 'transfer-encoding') continue;
        head += `${names[i]}: ${values[i]}\r\n`;
      }
    }
    this.status = 101;
    this.sentHead = true;
    this.done = true;
    this.settleDrainWaiters();
    this.owner.upgradeResponse(this, `${head}\r\n`, factory);
  }

  /** RFC 9112 7.1.2: the last chunk, then the trailer section, then the final CRLF. */
  private lastChunkWithTrailers(): string {
    const { names, values } = this.trailerFields!;
    let text = '0\r\n';
    for (let i = 0; i < names.length; i++) text += `${names[i]}: ${values[i]}\r\n`;
    return `${text}\r\n`;
  }

  private buildHead(contentLength: number): string {
    const status = this.status;
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new PercoreError('PERCORE_ERR_INVALID_STATUS', String(status));
    }
    this.sentHead = true;
    let keepAlive = this.owner.mayKeepAlive(this);
    let framing: string;
    if (statusHasNoBody(status)) {
      this.framing = Framing.None;
      framing = '';
    } else if (this.isHead) {
      // RFC 9110 9.3.2: HEAD gets the head GET would, without content.
      this.framing = Framing.None;
      framing = contentLength >= 0 ? `Content-Length: ${contentLength}\r\n` : '';
    } else if (contentLength >= 0) {
      this.framing = Framing.Fixed;
      this.fixedLength = contentLength;
      framing = `Content-Length: ${contentLength}\r\n`;
    } else if (!this.http10) {
      this.framing = Framing.Chunked;
      framing = 'Transfer-Encoding: chunked\r\n';
    } else {
      // RFC 9112 6.3 (8): with no length and no chunked (HTTP/1.0), the close ends the body.
      this.framing = Framing.CloseDelimited;
      framing = '';
      keepAlive = false;
    }
    this.keepAlive = keepAlive;

    let head = statusLine(status);
    const headers = this.headers;
    if (headers === null || !headers.has('date')) head += `Date: ${httpDate()}\r\n`;
    head += this.owner.serverHeader;
    if (headers !== null) {
      const { names, values } = headers;
      for (let i = 0; i < names.length; i++) head += `${names[i]}: ${values[i]}\r\n`;
    }
    head += framing;
    // RFC 9112 9.3: an HTTP/1.0 client keeps the connection only when told "keep-alive"; an
    // HTTP/1.1 client keeps it unless told "close".
    if (!keepAlive) return `${head}Connection: close\r\n\r\n`;
    if (this.http10) head += 'Connection: keep-alive\r\n';
    // The idle timeout, so that a client (or a balancer) can retire the connection before the
    // server closes it under a request already on the wire (the Keep-Alive field of RFC 2068 19.7.1.1).
    if (headers === null || !headers.has('keep-alive')) head += this.owner.keepAliveHeader;
    return `${head}\r\n`;
  }

  /** The pieces that put `chunk` on the wire under the response's framing, after `head`. */
  private frame(head: string, chunk: string | Uint8Array, length: number): Array<string | Uint8Array> {
    if (this.framing === Framing.Chunked) return [`${head}${length.toString(16)}\r\n`, chunk, '\r\n'];
    if (this.framing === Framing.Fixed) {
      // Checked before counting: a refused chunk is not sent, so it must not count as sent.
      if (this.sentLength + length > this.fixedLength) {
        throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${this.fixedLength}`);
      }
      this.sentLength += length;
    }
    return head === '' ? [chunk] : [head, chunk];
  }
}

/** RFC 9110 7.8: protocol = protocol-name ["/" protocol-version], both tokens. */
function isProtocol(protocol: string): boolean {
  if (typeof protocol !== 'string') return false;
  const slash = protocol.indexOf('/');
  const nameEnd = slash === -1 ? protocol.length : slash;
  if (nameEnd === 0 || nameEnd === protocol.length - 1) return false;
  for (let i = 0; i < protocol.length; i++) {
    if (i === slash) continue;
    const code = protocol.charCodeAt(i);
    if (code > 0x7f || TOKEN[code] === 0) return false;
  }
  return true;
}
