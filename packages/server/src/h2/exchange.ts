import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { PercoreError, type ErrorCode } from '../errors.js';
import { cannedReply } from '../http/canned.js';
import { decideHandlerFailure } from '../http/handler-failure.js';
import { ObservedExchange, observesEnds, settleFromResponse } from '../http/observer.js';
import type { RequestBody } from '../http/request-body.js';
import { observerNow } from '../http/tracing.js';
import { Timer, type TimerTarget } from '../scheduler/timer-wheel.js';
import type { Http2Host } from './host.js';
import { Http2Request, type Http2RequestOwner } from './request.js';
import { Http2Response, type Http2ResponseOwner } from './response.js';
import type { Http2SessionTask } from './session-task.js';

/**
 * One request and its response on one HTTP/2 stream (RFC 9113 8.1), run through the same handler,
 * failure policy, observer and response timeout as an HTTP/1.x exchange. The stream's lifecycle
 * maps onto the handler API: a RST_STREAM from the client (or the connection going) aborts the
 * response and fails a body being read; a throw before the head answers 500; a throw after it
 * resets the stream with INTERNAL_ERROR, the only way HTTP/2 says a response is incomplete.
 */
export class Http2Exchange implements Http2RequestOwner, Http2ResponseOwner, TimerTarget {
  readonly request: Http2Request;
  readonly response: Http2Response;
  private timer: Timer | null = null;
  private received = 0;
  /** @internal The client's trailer fields, once its HEADERS frame after the body came. */
  trailers: string[] | null = null;
  /** We reset the stream ourselves: its close is no client reset. */
  private resetByUs = false;
  private drainListened = false;
  private closed = false;
  private observed: ObservedExchange | null = null;
  /** Set when the exchange ends without its whole response: the observer hears `aborted`. */
  private abortError: unknown = undefined;

  constructor(
    private readonly host: Http2Host,
    private readonly task: Http2SessionTask,
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flat: readonly string[],
  ) {
    // RFC 9113 8.1: END_STREAM on the HEADERS frame means no body follows.
    const hasBody = !stream.endAfterHeaders;
    this.request = new Http2Request(this, headers, flat, hasBody);
    this.response = new Http2Response(this, stream, this.request.method === 'HEAD', host.options.serverName);
    // Shared listeners with the stream as `this`: no closures per stream on the hello path.
    (stream as ExchangeStream)[kExchange] = this;
    stream.on('close', onStreamClose);
    stream.on('error', ignoreStreamError);
    if (hasBody) {
      stream.on('data', onStreamData);
      stream.on('trailers', onStreamTrailers);
      stream.on('end', onStreamEnd);
    }
    const observer = observerNow(host.observers);
    if (observer !== null) {
      const observed = new ObservedExchange(observer, host.scheduler.logger, 'net', this.request);
      if (observesEnds(observer)) this.observed = observed.keep();
    }
  }

  get remoteAddress(): string {
    return this.task.remoteAddress;
  }

  get remotePort(): number {
    return this.task.remotePort;
  }

  get maxBodySize(): number {
    return this.host.options.maxBodySize;
  }

  get bodyHighWaterMark(): number {
    return this.host.options.bodyHighWaterMark;
  }

  /** Runs the handler; a body declared larger than the limit is refused before it is read. */
  run(headers: IncomingHttpHeaders): void {
    const declared = this.stream.endAfterHeaders ? undefined : headers['content-length'];
    if (declared !== undefined && Number(declared) > this.host.options.maxBodySize) {
      this.reject('PERCORE_ERR_BODY_TOO_LARGE');
      return;
    }
    let result: void | Promise<void>;
    try {
      result = this.host.handler(this.request, this.response);
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.response.finished) return;
    this.armTimeout();
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, (error: unknown) => this.failed(error));
    }
  }

  // ---- Http2ResponseOwner ------------------------------------------------------------------

  /** Listened for only once a write has been refused: most responses never fill the stream's buffer. */
  wantsDrain(): void {
    if (this.drainListened) return;
    this.drainListened = true;
    this.stream.on('drain', onStreamDrain);
  }

  progressed(): void {
    if (this.timer !== null && !this.response.finished) this.armTimeout();
  }

  finished(): void {
    this.cancelTimeout();
    // The rest of an unread body is dropped as it arrives (and the stream reads on, so its window opens).
    this.request.discard();
  }

  cut(error: PercoreError): void {
    this.abortError ??= error;
    this.reset(true);
  }

  // ---- BodyOwner ---------------------------------------------------------------------------

  bodyWanted(_request: RequestBody): void {}

  bodyBackpressure(_request: RequestBody, paused: boolean): void {
    // A paused stream stops consuming its DATA, so node:http2 stops opening the client's window
    // (RFC 9113 5.2): the client is held back by flow control, not by a buffer growing here.
    if (this.closed) return;
    if (paused) this.stream.pause();
    else this.stream.resume();
  }

  // ---- TimerTarget -------------------------------------------------------------------------

  onTimer(): void {
    this.timer = null;
    if (this.response.finished || this.closed) return;
    if (this.response.headersSent && this.stream.writableNeedDrain) {
      // The client stopped reading the response (its window stays shut): not the handler's fault.
      const error = new PercoreError('PERCORE_ERR_ABORTED', 'the client stopped reading');
      this.abortError = error;
      this.request.failBody(error);
      this.response.abort();
      this.reset(true);
      return;
    }
    this.host.scheduler.logger.error(
      'PERCORE_ERR_RESPONSE_TIMEOUT',
      `the handler did not answer within ${this.host.options.responseTimeout} ms`,
    );
    this.reject('PERCORE_ERR_RESPONSE_TIMEOUT');
  }

  // ------------------------------------------------------------------------------------------

  /** @internal */
  onBody(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.observed !== null) this.observed.bytesIn = this.received;
    if (this.received > this.host.options.maxBodySize) {
      this.reject('PERCORE_ERR_BODY_TOO_LARGE');
      return;
    }
    this.request.pushBody(chunk);
  }

  /** @internal */
  onBodyEnd(): void {
    // node:http2 ends the readable side of a stream the client reset, too: that body is not whole.
    if (this.stream.aborted || this.stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
      this.request.failBody(new PercoreError('PERCORE_ERR_ABORTED', `the client reset the stream (${this.stream.rstCode})`));
    } else {
      this.request.endBody(this.trailers);
    }
  }

  /** @internal */
  onStreamClose(): void {
    this.closed = true;
    this.cancelTimeout();
    const clientReset = !this.resetByUs && this.stream.rstCode !== constants.NGHTTP2_NO_ERROR;
    if (!this.response.finished || clientReset) {
      // Reset by the client, or the connection went before the response was whole.
      const error = new PercoreError(
        'PERCORE_ERR_ABORTED',
        clientReset ? `the client reset the stream (${this.stream.rstCode})` : 'the connection closed',
      );
      this.abortError ??= error;
      this.response.abort();
      this.request.failBody(error);
    }
    if (this.observed !== null) this.settleObserved();
    this.task.streamClosed(clientReset);
  }

  private failed(error: unknown): void {
    const response = this.response;
    const decision = decideHandlerFailure(response, error, this.host.scheduler.logger, `HTTP/2 stream ${this.stream.id ?? '?'}`);
    if (decision === 'ignore') return;
    if (this.observed !== null) this.observed.error = error;
    if (decision === 'cut') {
      this.abortError = error;
      response.abort();
      this.reset(true);
      return;
    }
    response.resetForError(decision.status);
    response.end(decision.body);
  }

  /** Ends the exchange with a canned error if no head is out yet, else resets the stream. */
  private reject(code: ErrorCode): void {
    const response = this.response;
    const error = new PercoreError(code);
    this.request.failBody(error);
    if (!response.finished && !response.headersSent) {
      const reply = cannedReply(code);
      // A canned reply is a whole response: the observer hears `ended`, with the error.
      if (this.observed !== null) {
        this.observed.ended(reply.status, 0, error);
        this.observed = null;
      }
      // The handler's response will never be sent: it hears the abort, as on HTTP/1.x.
      response.abort();
      if (!this.closed && !this.stream.destroyed) {
        const { status, contentType, body } = reply;
        this.stream.respond({ ':status': status, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        this.stream.end(body);
      }
      // RFC 9113 8.1: a server may answer before the request is complete, then reset the stream
      // with NO_ERROR to say the rest of the body is not wanted.
      if (!this.stream.endAfterHeaders && !this.stream.readableEnded) this.reset(false);
    } else if (!response.finished) {
      this.abortError ??= error;
      response.abort();
      this.reset(true);
    }
  }

  /**
   * RST_STREAM: NO_ERROR once the response already ended has gone out (RFC 9113 8.1: the rest of
   * the request is not wanted); `failed`: INTERNAL_ERROR at once, through destroy(): node:http2's
   * close(code) would first end the response with END_STREAM, telling the client a cut response
   * was whole.
   */
  private reset(failed: boolean): void {
    if (this.closed || this.stream.destroyed) return;
    this.resetByUs = true;
    if (!failed) this.stream.close(constants.NGHTTP2_NO_ERROR);
    else this.stream.destroy(new PercoreError('PERCORE_ERR_ABORTED', 'the response was cut short'));
  }

  private armTimeout(): void {
    const ms = this.host.options.responseTimeout;
    if (ms <= 0) return;
    this.timer ??= new Timer(this);
    this.host.scheduler.timers.schedule(this.timer, ms);
  }

  private cancelTimeout(): void {
    if (this.timer !== null) this.host.scheduler.timers.cancel(this.timer);
  }

  private settleObserved(): void {
    const observed = this.observed!;
    this.observed = null;
    settleFromResponse(observed, this.response, this.abortError);
  }
}

const kExchange = Symbol('percore.http2Exchange');
type ExchangeStream = ServerHttp2Stream & { [kExchange]: Http2Exchange };

function onStreamClose(this: ExchangeStream): void {
  this[kExchange].onStreamClose();
}
function onStreamDrain(this: ExchangeStream): void {
  this[kExchange].response.drained();
}
function onStreamData(this: ExchangeStream, chunk: Buffer): void {
  this[kExchange].onBody(chunk);
}
function onStreamTrailers(this: ExchangeStream, _fields: IncomingHttpHeaders, _flags: number, rawTrailers: string[]): void {
  this[kExchange].trailers = Http2Request.trailerFields(rawTrailers);
}
function onStreamEnd(this: ExchangeStream): void {
  this[kExchange].onBodyEnd();
}
/** A stream's errors (a reset, a session torn down) end it; its 'close' tells the exchange. */
function ignoreStreamError(): void {}
