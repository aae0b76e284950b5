import type { Socket } from 'node:net';
import { PercoreError, type ErrorCode } from '../errors.js';
import { DEFAULT_LINGER_MS, Task, type CloseReason, type HandOverFactory, type TaskContext, type TaskFactory } from '../scheduler/task.js';
import type { Handler } from '../http/api.js';
import { checkHandler } from '../http/engine-options.js';
import { decideHandlerFailure } from '../http/handler-failure.js';
import { ObservedExchange, observesEnds, type ExchangeObserver } from '../http/observer.js';
import { observerNow, withTracing, type ObserverChoice } from '../http/tracing.js';
import { cannedResponse, CONTINUE_RESPONSE } from '../http/canned.js';
import { resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions } from '../http/options.js';
import { ParseEvent, type ParserSink, type RequestParser } from './parser.js';
import { ParserPool } from './parser-pool.js';
import { NetRequest, type RequestOwner } from './request.js';
import { NetResponse, type ResponseOwner } from './response.js';

/** Which of the connection's timeouts its one timer is running. */
const enum Wait {
  None,
  /** Between requests on a kept-alive connection (keepAliveTimeout; half-close quietly). */
  Idle,
  /** For the rest of a request head (headerTimeout; 408). */
  Head,
  /** For the next piece of a request body (bodyTimeout; 408). */
  Body,
  /** For the handler's next response bytes (responseTimeout; 503). */
  Response,
}

/**
 * Where reading the current exchange's request is. Moves Head → (Continue →) Body → Done, or
 * Head → Done for a request without a body; Discard when the response finished first.
 */
const enum ReadState {
  /** No exchange: reading the next request head (`parser.idle` says whether any of it came). */
  Head,
  /** The request has a body the client holds back until 100 (Continue) (RFC 9110 10.1.1). */
  Continue,
  /** Its body is arriving for the handler. */
  Body,
  /** Its body is arriving and dropped: the response has finished (answered before the body). */
  Discard,
  /** The request has been received whole; later bytes are held, unparsed (pipelining). */
  Done,
  /** No request will be read again: a framing error, the exchange cut short, or a 101 sent. */
  Closed,
}

/** Where writing the current exchange's response is. Moves Idle → Handler (→ Continued) → Streaming → Idle. */
const enum WriteState {
  /** No exchange. */
  Idle,
  /** The handler has sent nothing yet. */
  Handler,
  /** An interim 100 (Continue) went out; the final response has not started. */
  Continued,
  /** The head is out; the body goes out as the handler writes it. */
  Streaming,
  /** The response has finished while the request's body is still being dropped (ReadState.Discard). */
  Done,
}

/**
 * The HTTP/1.x protocol task: one per connection. Bytes flow one way: socket → onData → parser →
 * handler → response → socket. One exchange runs at a time; bytes of pipelined requests that
 * arrive meanwhile wait, unparsed, so responses go out strictly in request order.
 *
 * Where the exchange is lives in two states, `readState` and `writeState`. Whether the
 * connection persists is decided apart from them, in `mayKeepAlive`; the flags beside them are
 * conditions, not positions: a peer FIN, shutdown, a reader behind, re-entry into `parse`. After
 * a 101 (`res.upgrade`) the connection goes to another task with the bytes held (`finishUpgrade`).
 */
export class HttpTask extends Task implements ParserSink, RequestOwner, ResponseOwner {
  /**
   * Held from the first byte of a request until the connection is idle again (`settle`), so
   * always while `request` is set; between requests it is back in the pool and this is null.
   */
  private parser: RequestParser | null = null;
  private request: NetRequest | null = null;
  private response: NetResponse | null = null;
  private readState = ReadState.Head;
  private writeState = WriteState.Idle;
  /** Unparsed bytes held while an exchange is in progress (pipelining). */
  private held: Buffer | null = null;
  private wait = Wait.None;
  /** Whether the request in progress asked to keep the connection (RFC 9112 9.3). */
  private requestKeepAlive = false;
  /** The current request's reader is behind, so reading is paused for it. */
  private bodyPaused = false;
  /**
   * The listener is shutting down: the next response closes the connection (Connection: close).
   * Until one goes out the connection stays open, since a request may already be on the wire.
   */
  private draining = false;
  /** The client sent FIN: answer what it sent, then close. */
  private peerEnded = false;
  /** Inside `parse`, which settles the connection itself once its bytes are consumed. */
  private parsing = false;
  /** The current exchange's record, only while an observer is set. */
  private observed: ObservedExchange | null = null;
  /** After a 101: the task the connection goes to once the bytes read so far are held. */
  private upgradeTo: HandOverFactory | null = null;

  constructor(
    context: TaskContext,
    private readonly handler: Handler,
    private readonly options: ResolvedHttpOptions,
    readonly serverHeader: string,
    readonly keepAliveHeader: string,
    private readonly observers: ObserverChoice,
    private readonly parsers: ParserPool,
  ) {
    super(context);
    this.arm(Wait.Head);
  }

  // ---- Task --------------------------------------------------------------------------------

  override onData(chunk: Buffer): void {
    this.parse(chunk, 0);
  }

  override onDrain(): void {
    // The client is reading: that is progress for a response waiting on it.
    if (this.wait === Wait.Response) this.arm(Wait.Response);
    this.response?.drained();
  }

  override onEnd(): void {
    // The client sent FIN: every request it sent whole is still answered, in order (pipelined
    // ones wait in `held`); a partial one can never complete.
    this.peerEnded = true;
    if (this.request === null) this.halfClose();
    else if (
      this.parser!.upgrade &&
      this.writeState === WriteState.Handler &&
      upgradeOffers(this.request.header('upgrade') ?? '', 'websocket')
    ) {
      // A WebSocket upgrade not yet answered: a client that has stopped sending cannot hold the
      // two-way connection it asked for (RFC 6455 1.5), so the upgrade hook sees the abort. Other
      // protocols may start half-closed: their task is told of the FIN after the hand-over.
      this.abortExchange('the client left during a WebSocket upgrade');
    } else if (this.readState === ReadState.Discard) {
      // Answered already, and the body being dropped can never come whole: nothing is left to do.
      this.endExchange(ReadState.Closed);
      this.halfClose();
    } else if (this.readState !== ReadState.Done) {
      this.request.failBody(new PercoreError('PERCORE_ERR_ABORTED', 'the client closed before sending the whole body'));
    }
  }

  override onTimeout(): void {
    const wait = this.wait;
    this.wait = Wait.None;
    switch (wait) {
      case Wait.Idle:
        // A lingering close: a request that crosses our FIN is read and dropped, never reset
        // (RFC 9112 9.6), so the client sees a plain close it may retry on (RFC 9112 9.3.1).
        this.halfClose(DEFAULT_LINGER_MS, 'timeout');
        return;
      case Wait.Head:
        // A connection that sent nothing is closed quietly; a partial head gets a 408.
        if (this.parser === null || this.parser.idle) this.halfClose(DEFAULT_LINGER_MS, 'timeout');
        else this.reject('PERCORE_ERR_HEADER_TIMEOUT');
        return;
      case Wait.Body:
        this.reject('PERCORE_ERR_BODY_TIMEOUT');
        return;
      case Wait.Response:
        if (this.writeBlocked) {
          // The client stopped reading the response: nothing to answer, and not the handler's fault.
          this.abortExchange('the client stopped reading');
          this.close('timeout');
          return;
        }
        this.scheduler.logger.error(
          'PERCORE_ERR_RESPONSE_TIMEOUT',
          `task #${this.id}: the handler did not answer within ${this.options.responseTimeout} ms`,
        );
        this.reject('PERCORE_ERR_RESPONSE_TIMEOUT');
        return;
      case Wait.None:
        return;
    }
  }

  override onShutdown(): void {
    // An idle keep-alive connection is not closed here: the client may have sent its next
    // request already, and a close crossing it would reset it or leave it unanswered. It is
    // answered instead, with Connection: close; a connection that stays idle closes when its
    // idle timeout or the grace period ends (onShutdownDeadline).
    this.draining = true;
  }

  override onShutdownDeadline(): void {
    // A short linger: the grace is over, and the cluster kills a worker KILL_MARGIN_MS after it
    // (a pooled idle connection, as a browser keeps, is not closed by its client on our FIN).
    if (this.request === null && (this.parser === null || this.parser.idle)) this.halfClose(SHUTDOWN_LINGER_MS, 'shutdown');
    else this.close('shutdown');
  }

  override onClose(reason: CloseReason, error?: unknown): void {
    this.abortExchange(`connection closed (${reason})`, error);
  }

  // ---- parsing -----------------------------------------------------------------------------

  private parse(data: Buffer, offset: number): void {
    this.parsing = true;
    this.parseLoop(data, offset);
    this.parsing = false;
    if (this.upgradeTo !== null) this.finishUpgrade();
  }

  private parseLoop(data: Buffer, offset: number): void {
    const parser = (this.parser ??= this.parsers.take(this));
    while (!this.closed) {
      if (this.readState >= ReadState.Done) {
        // An exchange is in progress and its request is whole: later bytes wait their turn (after
        // a 101 they are the new protocol's).
        if (offset < data.length) this.hold(data.subarray(offset));
        return;
      }
      offset = parser.execute(data, offset);
      switch (parser.event) {
        case ParseEvent.NeedMore:
          if (this.request === null) this.settle();
          return;
        case ParseEvent.HeadComplete:
          this.startExchange();
          break;
        case ParseEvent.MessageComplete:
          this.completeMessage();
          break;
        case ParseEvent.Error:
          this.reject(parser.error!);
          return;
      }
    }
  }

  /** ParserSink: a piece of the current request's body. */
  onBody(chunk: Buffer): void {
    if (this.observed !== null) this.observed.bytesIn += chunk.length;
    this.request!.pushBody(chunk);
    if (this.wait === Wait.Body) this.arm(Wait.Body);
  }

  private hold(bytes: Buffer): void {
    this.held = this.held === null ? bytes : Buffer.concat([this.held, bytes]);
    this.updateReading();
  }

  /**
   * Reads only while nobody is behind: not a body reader (bodyPaused), and not the pipeline
   * (held bytes over their limit). Each reason alone keeps reading paused.
   */
  private updateReading(): void {
    const heldTooMuch = this.held !== null && this.held.length > this.options.pipelineHighWaterMark;
    if (this.bodyPaused || heldTooMuch) this.pauseReading();
    else this.resumeReading();
  }

  // ---- exchanges ---------------------------------------------------------------------------

  private startExchange(): void {
    const parser = this.parser!;
    const hasBody = parser.hasBody;
    const request = new NetRequest(this, parser.method, parser.target, parser.versionMinor, parser.fields, parser.expectContinue, hasBody);
    const response = new NetResponse(this, parser.method === 'HEAD', parser.versionMinor === 0);
    this.request = request;
    this.response = response;
    this.readState = !hasBody ? ReadState.Done : request.expectContinue ? ReadState.Continue : ReadState.Body;
    this.writeState = WriteState.Handler;
    this.bodyPaused = false;
    this.requestKeepAlive = parser.keepAlive;
    const observer = observerNow(this.observers);
    if (observer !== null) this.observe(request, observer);

    let result: void | Promise<void>;
    try {
      result = this.handler(request, response);
    } catch (error) {
      this.handlerFailed(response, error);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, (error: unknown) => this.handlerFailed(response, error));
    }
    // A handler that answered at once needs no response timer (the hello path). RFC 9110 10.1.1: a
    // client that expects 100-continue holds its body back until asked, so until the handler reads
    // (bodyWanted) it is the handler being waited for, not the body.
    if (this.response === response && !response.finished) {
      const readState = this.readState;
      this.arm(readState === ReadState.Done || readState === ReadState.Continue ? Wait.Response : Wait.Body);
    }
  }

  private completeMessage(): void {
    this.readState = ReadState.Done;
    const request = this.request!;
    request.endBody(this.parser!.trailers);
    if (this.response!.finished) this.endExchange(ReadState.Head);
    else this.arm(Wait.Response);
  }

  /** ResponseOwner */
  responseFinished(response: NetResponse): void {
    if (response !== this.response) return;
    if (this.observed !== null) this.settleObserved(true, response.status);
    const request = this.request!;
    const whole = this.readState === ReadState.Done;
    if (!response.keepAlive || (!whole && this.peerEnded)) {
      request.discard();
      this.endExchange(ReadState.Closed);
      this.halfClose();
      return;
    }
    if (!whole) {
      // Answered before the body was read: the rest of the body is dropped as it arrives.
      request.discard();
      this.readState = ReadState.Discard;
      this.writeState = WriteState.Done;
      this.arm(Wait.Body);
      return;
    }
    this.endExchange(ReadState.Head);
    const held = this.held;
    if (held === null) {
      if (!this.parsing) this.settle();
    } else {
      this.held = null;
      this.updateReading();
      this.parse(held, 0);
    }
  }

  // ---- protocol upgrade (RFC 9110 7.8) ------------------------------------------------------

  /** ResponseOwner */
  checkUpgrade(response: NetResponse, protocol: string): void {
    const request = this.request;
    if (response !== this.response || request === null) throw new PercoreError('PERCORE_ERR_ABORTED', 'cannot upgrade');
    // The parser's facts about this head stay set until the next request line, which is not
    // parsed while this exchange is in progress.
    if (!this.parser!.upgrade) {
      throw new PercoreError('PERCORE_ERR_UPGRADE_NOT_REQUESTED', 'the request has no Upgrade with Connection: upgrade on HTTP/1.1');
    }
    if (!upgradeOffers(request.header('upgrade') ?? '', protocol)) {
      throw new PercoreError('PERCORE_ERR_UPGRADE_NOT_REQUESTED', `the request's Upgrade does not offer ${protocol}`);
    }
    // The new protocol starts right after the request message ends (RFC 9110 7.8): its body, if
    // any, must have been received whole first, or its rest would reach the new protocol.
    if (this.readState !== ReadState.Done) {
      throw new PercoreError('PERCORE_ERR_UPGRADE_NOT_REQUESTED', 'the request body has not been received whole');
    }
  }

  /** ResponseOwner */
  upgradeResponse(response: NetResponse, head: string, factory: HandOverFactory): void {
    if (response !== this.response) return;
    // RFC 9110 7.8: with Expect: 100-continue as well, a 100 (Continue) MUST precede the 101.
    if (this.request!.expectContinue && this.writeState === WriteState.Handler) this.send(CONTINUE_RESPONSE);
    this.send(head);
    if (this.observed !== null) this.settleObserved(true, 101);
    // Closed: the parse loop holds the rest of the read for the new protocol.
    this.endExchange(ReadState.Closed);
    this.upgradeTo = factory;
    // Inside `parse`, the rest of the read is held first; `parse` then finishes the hand-over.
    if (!this.parsing) this.finishUpgrade();
  }

  /** Hands the socket over, with the bytes read past the upgrade request, in order. */
  private finishUpgrade(): void {
    const factory = this.upgradeTo!;
    const head = this.held ?? Buffer.alloc(0);
    this.upgradeTo = null;
    this.held = null;
    this.handOver(factory, head);
  }

  /** Drops the current exchange; `next` says whether another request may be read. */
  private endExchange(next: ReadState.Head | ReadState.Closed): void {
    this.request = this.response = null;
    this.readState = next;
    this.writeState = WriteState.Idle;
  }

  /**
   * No exchange is in progress and every byte received has been parsed: wait for the next
   * request, or close if none can come.
   */
  private settle(): void {
    if (this.peerEnded) this.halfClose();
    else if (this.parser === null || this.parser.idle) {
      this.releaseParser();
      this.arm(Wait.Idle);
    }
    // A partial head: its timer runs from its first byte and is not reset by later ones.
    else if (this.wait !== Wait.Head) this.arm(Wait.Head);
  }

  /** Between requests: the parser goes back to the pool, without the last head (`releaseMessage`). */
  private releaseParser(): void {
    const parser = this.parser;
    if (parser === null) return;
    this.parser = null;
    parser.releaseMessage();
    this.parsers.give(parser);
  }

  private handlerFailed(response: NetResponse, error: unknown): void {
    const decision = decideHandlerFailure(response, error, this.scheduler.logger, `task #${this.id}`);
    // A later exchange owns the connection now: this failure can only be logged.
    if (decision === 'ignore' || response !== this.response) return;
    if (decision === 'cut') {
      // Part of the response is out: the only honest signal left is to cut the connection.
      this.close('task-error', error);
      return;
    }
    if (this.observed !== null) this.observed.error = error;
    response.resetForError(decision.status);
    response.end(decision.body);
  }

  /**
   * Ends the connection with a canned error reply, if nothing of a response is out yet. After a
   * framing error nothing more can be read safely, so no later request is ever answered.
   */
  private reject(code: ErrorCode): void {
    const response = this.response;
    const request = this.request;
    this.endExchange(ReadState.Closed);
    this.held = null;
    const error = new PercoreError(code);
    request?.failBody(error);
    if (response === null || !response.headersSent) {
      response?.abort();
      this.send(cannedResponse(code));
      if (this.observed !== null) this.settleObserved(true, error.status, error);
      else if (response === null) this.tellRejected(error);
      this.halfClose();
    } else if (response.finished) {
      // Its response is complete (the body was being dropped): close gently so that a reset
      // cannot destroy it in flight (RFC 9112 9.6).
      this.halfClose();
    } else {
      // Part of a response is out: only cutting the connection tells the client it is incomplete.
      if (this.observed !== null) this.settleObserved(false, response.status, error);
      response.abort();
      this.close('done');
    }
  }

  /** Ends the exchange in progress without a reply: its handler sees the abort. */
  private abortExchange(why: string, cause?: unknown): void {
    const request = this.request;
    const response = this.response;
    this.endExchange(ReadState.Closed);
    this.held = null;
    // Between exchanges there is no one to tell: no error is made (a stack capture per closed
    // connection was 3% of the CPU of `ab -c25`).
    if (request === null && response === null && this.observed === null) return;
    const error = new PercoreError('PERCORE_ERR_ABORTED', why, { cause });
    if (this.observed !== null) this.settleObserved(false, response?.headersSent ? response.status : 0, error);
    response?.abort();
    request?.failBody(error);
  }

  // ---- the exchange observer (only while one is set) ---------------------------------------

  private observe(request: NetRequest, observer: ExchangeObserver): void {
    const observed = new ObservedExchange(observer, this.scheduler.logger, 'net', request);
    // Kept, with the request's fields copied (the socket's address is gone once it closes) and its
    // bytes counted (`send`), only for an observer that waits for the end.
    if (observesEnds(observer)) this.observed = observed.keep();
  }

  /**
   * Writes for the exchange, counting its bytes while an observer waits for the end (counted
   * here: node's socket.bytesWritten copies the write queue on every read).
   */
  private send(data: string | Uint8Array): boolean {
    const observed = this.observed;
    if (observed !== null) observed.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return this.write(data);
  }

  /** Input refused before an exchange began: only the server's own observer hears it. */
  private tellRejected(error: PercoreError): void {
    const observer = this.observers.plain;
    if (observer?.rejected === undefined) return;
    try {
      observer.rejected(error, 'net');
    } catch (thrown) {
      this.scheduler.logger.error('PERCORE_ERR_OBSERVER_FAILED', 'the exchange observer threw in rejected', thrown);
    }
  }

  private settleObserved(whole: boolean, status: number, error?: unknown): void {
    const observed = this.observed!;
    this.observed = null;
    const bytesOut = observed.bytesOut;
    if (whole) observed.ended(status, bytesOut, error);
    else observed.aborted(status, bytesOut, error);
  }

  // ---- RequestOwner ------------------------------------------------------------------------

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get maxBodySize(): number {
    return this.options.maxBodySize;
  }

  get bodyHighWaterMark(): number {
    return this.options.bodyHighWaterMark;
  }

  bodyWanted(request: NetRequest): void {
    // RFC 9110 10.1.1: the client waits for 100 (Continue) before sending the body; send it
    // only when the handler reads, so a handler may refuse without receiving the body.
    if (request === this.request && request.expectContinue && this.writeState === WriteState.Handler) {
      this.writeState = WriteState.Continued;
      if (this.readState === ReadState.Continue) this.readState = ReadState.Body;
      this.send(CONTINUE_RESPONSE);
      // The client was told to send the body: from now on it is the body being waited for
      // (unless the reader is already behind and reading is paused).
      if (!this.bodyPaused && this.wait === Wait.Response) this.arm(Wait.Body);
    }
  }

  bodyBackpressure(request: NetRequest, paused: boolean): void {
    if (request !== this.request) return;
    this.bodyPaused = paused;
    this.updateReading();
    if (paused) {
      // The reader is behind, not the client: time the handler, not the body.
      if (this.wait === Wait.Body) this.arm(Wait.Response);
    } else {
      if (this.readState !== ReadState.Done && this.wait === Wait.Response) this.arm(Wait.Body);
    }
  }

  // ---- ResponseOwner -----------------------------------------------------------------------

  mayKeepAlive(response: NetResponse): boolean {
    if (response !== this.response || !this.requestKeepAlive || this.draining || this.options.noKeepAlive) return false;
    if (response.wantsClose) return false;
    // The client holds back its body until 100 (Continue); answered without it, the connection's
    // next bytes could be either that body or a new request, so it must close (RFC 9110 10.1.1).
    if (this.readState === ReadState.Continue) return false;
    return true;
  }

  writeResponse(response: NetResponse, data: string | Uint8Array): boolean {
    if (response !== this.response) return false;
    this.writeState = WriteState.Streaming;
    if (this.wait === Wait.Response) this.arm(Wait.Response);
    return this.send(data);
  }

  writeResponseParts(response: NetResponse, parts: Array<string | Uint8Array>): boolean {
    if (response !== this.response) return false;
    this.writeState = WriteState.Streaming;
    if (this.wait === Wait.Response) this.arm(Wait.Response);
    const socket = this.socket;
    socket.cork();
    let ok = true;
    for (let i = 0; i < parts.length; i++) ok = this.send(parts[i]!);
    socket.uncork();
    return ok;
  }

  // ---- timers ------------------------------------------------------------------------------

  private arm(wait: Wait): void {
    const ms = this.timeoutFor(wait);
    this.wait = wait;
    if (ms > 0) this.setTimeout(ms);
    else this.clearTimeout();
  }

  private timeoutFor(wait: Wait): number {
    switch (wait) {
      case Wait.Idle:
        return this.options.keepAliveTimeout;
      case Wait.Head:
        return this.options.headerTimeout;
      case Wait.Body:
        return this.options.bodyTimeout;
      case Wait.Response:
        return this.options.responseTimeout;
      case Wait.None:
        return 0;
    }
  }
}

/** The HTTP/1.x protocol for a Listener: a task factory, and a 503 for connections over the limit. */
export interface HttpProtocol {
  factory: TaskFactory;
  refuse: (socket: Socket) => void;
  options: ResolvedHttpOptions;
  /** Told of every exchange; null when none is set (then no observer work is done). */
  observer: ExchangeObserver | null;
}

/** How long an idle connection closed at the shutdown deadline lingers for a request already crossing. */
const SHUTDOWN_LINGER_MS = 500;

export function httpProtocol(handler: Handler, options: HttpOptions = {}, observer: ExchangeObserver | null = null): HttpProtocol {
  checkHandler(handler);
  const resolved = resolveHttpOptions(options);
  const serverHeader = resolved.serverName === null ? '' : `Server: ${resolved.serverName}\r\n`;
  const keepAliveHeader = keepAliveHeaderFor(resolved);
  const observers = withTracing(observer);
  const parsers = new ParserPool(resolved);
  return {
    options: resolved,
    observer,
    factory: (context) => new HttpTask(context, handler, resolved, serverHeader, keepAliveHeader, observers, parsers),
    refuse: (socket) => socket.end(cannedResponse('PERCORE_ERR_SERVER_BUSY')),
  };
}

/**
 * `Keep-Alive: timeout=N` in whole seconds, rounded down so a client never waits past the
 * server's close; none when connections are never kept or never time out.
 */
function keepAliveHeaderFor(options: ResolvedHttpOptions): string {
  if (options.noKeepAlive || options.keepAliveTimeout === 0) return '';
  return `Keep-Alive: timeout=${Math.floor(options.keepAliveTimeout / 1000)}\r\n`;
}

/** RFC 9110 7.8: Upgrade = #protocol; `protocol` matches an offer as sent, or an offer's name when it gives no version. */
function upgradeOffers(offers: string, protocol: string): boolean {
  const wanted = protocol.toLowerCase();
  const nameOnly = !wanted.includes('/');
  for (const element of offers.split(',')) {
    const offer = element.trim().toLowerCase();
    if (offer === wanted) return true;
    if (nameOnly && offer.startsWith(`${wanted}/`)) return true;
  }
  return false;
}
