import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { PercoreError } from '../errors.js';
import type { HeaderValue } from '../http/api.js';
import { ResponseBase } from '../http/response-base.js';
import { statusHasNoBody } from '../http/status.js';
import type { HandOverFactory } from '../scheduler/task.js';

/** What a response tells the exchange it belongs to. */
export interface Http2ResponseOwner {
  /** A write was refused: tell the response when the stream drains. */
  wantsDrain(): void;
  /** Response bytes went out: the response timeout starts again. */
  progressed(): void;
  /** `end` was called: the exchange is over once the stream closes. */
  finished(): void;
  /** The body came out shorter than the Content-Length the head declared: only a reset says so. */
  cut(error: PercoreError): void;
}

/**
 * RFC 9113 8.2.2: connection-specific fields are malformed in HTTP/2 (node:http2 throws on them).
 * A handler written for HTTP/1.1 may set them; here they mean nothing and are left out.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

// respond()'s options, made once: node:http2 only reads them.
const RESPOND_AND_END = Object.freeze({ endStream: true });
const RESPOND_AND_STREAM = Object.freeze({ endStream: false });
const RESPOND_WITH_TRAILERS = Object.freeze({ endStream: false, waitForTrailers: true });

/**
 * A response on an HTTP/2 stream. The head is a HEADERS frame, the body DATA frames; there is no
 * chunked encoding (RFC 9113 8.1): a streamed body simply has no Content-Length. `write` returns
 * false while the stream's buffer is full, as it stays while the client's flow-control window
 * (RFC 9113 5.2) is spent; `drain()` waits for the window to open.
 */
export class Http2Response extends ResponseBase {
  private sentLength = 0;
  private declaredLength = -1;
  private noBody = false;
  /** The head said a trailer section follows the body. */
  private sendsTrailers = false;
  /** Bytes of body handed to the stream. */
  bodyBytesOut = 0;

  constructor(
    private readonly owner: Http2ResponseOwner,
    private readonly stream: ServerHttp2Stream,
    /** Answering a HEAD: the head only. */ readonly isHead: boolean,
    private readonly serverName: string | null,
  ) {
    super();
  }

  protected get blocked(): boolean {
    return this.stream.writableNeedDrain;
  }

  /** Whether the stream can still take frames (the client may have reset it already). */
  private get writable(): boolean {
    return !this.stream.destroyed && !this.stream.closed;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.aborted) return false;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'write after end');
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (!this.sentHead) {
      const declared = this.headers?.declaredLength ?? -1;
      if (declared >= 0 && length > declared && !this.isHead && !statusHasNoBody(this.status)) {
        throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${declared}`);
      }
      if (!this.sendHead(declared, false)) return false;
    } else if (this.declaredLength >= 0 && this.sentLength + length > this.declaredLength && !this.noBody) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${this.declaredLength}`);
    }
    if (length === 0 || this.noBody || !this.writable) return !this.stream.writableNeedDrain;
    this.sentLength += length;
    this.bodyBytesOut += length;
    this.owner.progressed();
    if (this.stream.write(chunk)) return true;
    this.owner.wantsDrain();
    return false;
  }

  end(body?: string | Uint8Array): void {
    if (this.aborted) return;
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', 'end called twice');
    const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (!this.sentHead) {
      const declared = this.headers?.declaredLength ?? -1;
      // A body given whole says its own length; RFC 9110 9.3.2: a HEAD ended without one reports
      // the length the handler declared (what GET would send), as on HTTP/1.x.
      const contentLength = this.isHead && length === 0 && declared >= 0 ? declared : length > 0 || declared < 0 ? length : declared;
      if (!this.isHead && declared >= 0 && length !== declared && !statusHasNoBody(this.status)) {
        throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `a body of ${length} bytes with Content-Length ${declared}`);
      }
      // Before the response counts as finished: a refused status leaves the handler free to answer.
      checkFinalStatus(this.status);
      this.done = true;
      this.owner.finished();
      if (!this.sendHead(contentLength, length === 0 || this.isHead || statusHasNoBody(this.status))) return;
      if (this.noBody) return;
      if (length === 0) {
        if (this.sendsTrailers) this.stream.end();
        return;
      }
      this.sentLength = length;
      this.bodyBytesOut += length;
      this.stream.end(body);
      return;
    }
    if (this.declaredLength >= 0 && !this.noBody && this.sentLength + length > this.declaredLength) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `body exceeds Content-Length ${this.declaredLength}`);
    }
    this.done = true;
    this.owner.finished();
    if (!this.writable) return;
    if (length > 0 && !this.noBody) {
      this.sentLength += length;
      this.bodyBytesOut += length;
      this.stream.end(body);
    } else {
      this.stream.end();
    }
    if (this.declaredLength >= 0 && !this.noBody && this.sentLength < this.declaredLength) {
      this.owner.cut(
        new PercoreError(
          'PERCORE_ERR_INVALID_RESPONSE_HEADER',
          `the body ended at ${this.sentLength} of Content-Length ${this.declaredLength}`,
        ),
      );
    }
  }

  upgrade(_protocol: string, _factory: HandOverFactory, _headers?: Readonly<Record<string, HeaderValue>>): void {
    // RFC 9113 8.6: HTTP/2 removed Upgrade; a connection switches protocol by ALPN instead.
    throw new PercoreError('PERCORE_ERR_UPGRADE_UNSUPPORTED', 'HTTP/2 has no Upgrade (RFC 9113 8.6)');
  }

  /** Sends the HEADERS frame; false where the stream is gone (then the exchange hears of it). */
  private sendHead(contentLength: number, endStream: boolean): boolean {
    checkFinalStatus(this.status);
    this.sentHead = true;
    this.noBody = this.isHead || statusHasNoBody(this.status);
    this.declaredLength = this.noBody ? -1 : contentLength;
    if (!this.writable) return false;
    const headers = this.headers;
    // RFC 9110 8.6: no Content-Length on 1xx and 204; on 304 and HEAD, the length the handler declared.
    const withLength =
      contentLength >= 0 && !(this.status < 200 || this.status === 204) && !(this.status === 304 && headers?.declaredLength === -1);
    // One literal shape for the common head: node:http2 copies it key by key (for-in) on every respond.
    const head: OutgoingHttpHeaders = withLength ? { ':status': this.status, 'content-length': contentLength } : { ':status': this.status };
    if (headers !== null) {
      const { lowerNames, values } = headers;
      for (let i = 0; i < lowerNames.length; i++) {
        const name = lowerNames[i]!;
        if (!CONNECTION_SPECIFIC.has(name)) head[name] = values[i]!;
      }
    }
    if (this.serverName !== null) head.server = this.serverName;
    // Trailers set (or announced by a Trailer field) before the head: the stream stays open after
    // the last DATA frame for a HEADERS frame of trailers (RFC 9113 8.1).
    this.sendsTrailers = !this.noBody && (this.trailerFields !== null || headers?.has('trailer') === true);
    if (this.sendsTrailers) {
      this.stream.once('wantTrailers', () =>
        this.stream.sendTrailers(trailerObject(this.trailerFields?.lowerNames, this.trailerFields?.values)),
      );
      this.stream.respond(head, RESPOND_WITH_TRAILERS);
    } else {
      this.stream.respond(head, endStream ? RESPOND_AND_END : RESPOND_AND_STREAM);
    }
    this.owner.progressed();
    return true;
  }
}

/** Trailer fields as node:http2 takes them (names in lower case); none: an empty trailer section. */
function trailerObject(names: readonly string[] | undefined, values: readonly string[] | undefined): OutgoingHttpHeaders {
  const fields: OutgoingHttpHeaders = {};
  if (names !== undefined) for (let i = 0; i < names.length; i++) fields[names[i]!] = values![i]!;
  return fields;
}

/** RFC 9113 8.1: a response has one final status; 1xx heads are interim (node:http2 throws on them). */
function checkFinalStatus(status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new PercoreError('PERCORE_ERR_INVALID_STATUS', `${String(status)}: an HTTP/2 response needs a final status from 200 to 599`);
  }
}
