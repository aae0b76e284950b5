// Rules cited as "rule N": docs/uws-rules.md
import type { HttpRequest as NativeRequest, HttpResponse as NativeResponse } from 'uws-node18-23';
import { PercoreError, type ErrorCode } from '../errors.js';
import type { Handler } from '../http/api.js';
import { cannedReply } from '../http/canned.js';
import { decideHandlerFailure } from '../http/handler-failure.js';
import { ObservedExchange, observesEnds, settleFromResponse } from '../http/observer.js';
import { observerNow, type ObserverChoice } from '../http/tracing.js';
import type { ResolvedHttpOptions } from '../http/options.js';
import type { RequestBody } from '../http/request-body.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { Timer, type TimerTarget } from '../scheduler/timer-wheel.js';
import { UwsRequest, type UwsBodyOwner } from './request.js';
import { UwsResponse, type UwsResponseOwner } from './response.js';

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly handler: Handler;
  readonly options: ResolvedHttpOptions;
  readonly scheduler: Scheduler;
  readonly draining: boolean;
  readonly observers: ObserverChoice;
  exchangeStarted(): void;
  /** `keptAlive`: the connection stays open for another request. */
  exchangeEnded(keptAlive: boolean): void;
}

/**
 * One request and its response on the `uws` engine, keeping uWebSockets.js's rules:
 * onAborted is registered before anything can go asynchronous (rule 2), onData is attached
 * before the handler can go asynchronous and every chunk is copied (rule 6), and the request
 * is copied before uWS frees it (rule 5). A handler that goes asynchronous gets a response
 * timeout on the scheduler's wheel.
 */
export class UwsExchange implements UwsResponseOwner, UwsBodyOwner, TimerTarget {
  readonly request: UwsRequest;
  readonly response: UwsResponse;
  inCallback = true;
  private timer: Timer | null = null;
  private received = 0;
  private ended = false;
  /** uWS reported the connection gone (onAborted): its response object must not be touched. */
  private gone = false;
  /** The exchange's record, only while an observer is set. */
  private observed: ObservedExchange | null = null;
  /** Set when the exchange ends without its whole response: the observer hears `aborted`. */
  private abortError: unknown = undefined;

  constructor(
    private readonly host: ExchangeHost,
    private readonly native: NativeResponse,
    nativeRequest: NativeRequest,
    /** From the route (uWS matches HEAD apart), so the method need not be read. */
    isHead: boolean,
    /** The method, where the route knows it or has read it; null: read on first use. */
    method: string | null,
  ) {
    host.exchangeStarted();
    this.request = new UwsRequest(this, nativeRequest, native, method);
    this.response = new UwsResponse(this, native, isHead);
    const observer = observerNow(host.observers);
    if (observer !== null) {
      const observed = new ObservedExchange(observer, host.scheduler.logger, 'uws', this.request);
      // Kept only for an observer that waits for the end, with the request copied: uWS frees its
      // request when the callback returns (rule 5).
      if (observesEnds(observer)) this.observed = observed.keep();
    }
  }

  get closing(): boolean {
    return this.host.draining;
  }

  get maxBodySize(): number {
    return this.host.options.maxBodySize;
  }

  get bodyHighWaterMark(): number {
    return this.host.options.bodyHighWaterMark;
  }

  /** Runs the handler inside uWS's callback. */
  run(): void {
    let result: void | Promise<void> = undefined;
    try {
      result = this.host.handler(this.request, this.response);
    } catch (error) {
      this.failed(error);
    }
    const goingAsync = !this.response.finished;
    // Rule 2: a response uWS does not hold whole when this callback returns (the handler is still
    // at work, or a large body is still going out) needs onAborted first.
    if (!this.response.complete) this.native.onAborted(() => this.aborted());
    // uWS frees its request when this callback returns (rule 5).
    if (goingAsync) {
      this.request.capture();
      this.armTimeout();
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(undefined, (error: unknown) => this.failed(error));
      }
    } else {
      this.request.expire();
    }
    this.inCallback = false;
  }

  // ---- UwsResponseOwner --------------------------------------------------------------------

  ending(): void {
    this.request.responseEnding();
  }

  progressed(): void {
    if (this.timer !== null && !this.response.finished) this.armTimeout();
  }

  finished(): void {
    // The rest of an unread body is dropped as it arrives.
    this.request.discard();
    this.cancelTimeout();
  }

  flushed(): void {
    // Only now is the exchange over: until uWS holds every byte, a drain must wait for it.
    this.end();
  }

  cut(): void {
    this.abortError ??= new PercoreError('PERCORE_ERR_ABORTED', 'the response was cut short');
    // uWS's close() drops whatever is still corked (inside uWS's callback that is everything the
    // handler wrote), so the connection is closed once the current callback has returned.
    setImmediate(() => {
      if (!this.gone && !this.response.complete) this.native.close();
      this.end();
    });
  }

  // ---- BodyOwner ---------------------------------------------------------------------------

  bodyWanted(_request: RequestBody): void {}

  receiveBody(): void {
    this.native.onData((chunk, isLast) => this.onData(chunk, isLast));
  }

  bodyBackpressure(_request: RequestBody, paused: boolean): void {
    if (this.ended) return;
    if (paused) this.native.pause();
    else this.native.resume();
  }

  // ---- TimerTarget -------------------------------------------------------------------------

  onTimer(): void {
    this.timer = null;
    if (this.response.finished) return;
    if (this.response.waitingForClient) {
      // The client stopped reading the response: nothing to answer, and not the handler's fault
      // (as on the net engine, which closes quietly).
      const error = new PercoreError('PERCORE_ERR_ABORTED', 'the client stopped reading');
      this.abortError = error;
      this.request.failBody(error);
      this.response.abort();
      this.cut();
      return;
    }
    this.host.scheduler.logger.error(
      'PERCORE_ERR_RESPONSE_TIMEOUT',
      `the handler did not answer within ${this.host.options.responseTimeout} ms`,
    );
    this.reject('PERCORE_ERR_RESPONSE_TIMEOUT');
  }

  // ------------------------------------------------------------------------------------------

  private onData(chunk: ArrayBuffer, isLast: boolean): void {
    // uWS reuses the memory behind `chunk` once this returns: copy it (rule 6).
    this.received += chunk.byteLength;
    if (this.observed !== null) this.observed.bytesIn = this.received;
    if (this.received > this.host.options.maxBodySize) {
      this.reject('PERCORE_ERR_BODY_TOO_LARGE');
      return;
    }
    if (chunk.byteLength > 0) this.request.pushBody(Buffer.from(new Uint8Array(chunk)));
    if (isLast) this.request.endBody(null);
  }

  private aborted(): void {
    // uWS's response is dead from here on: nothing may touch it.
    this.gone = true;
    this.inCallback = true;
    const error = new PercoreError('PERCORE_ERR_ABORTED', 'the client went away');
    this.abortError ??= error;
    this.response.abort();
    this.request.failBody(error);
    this.end();
  }

  private failed(error: unknown): void {
    const response = this.response;
    const decision = decideHandlerFailure(response, error, this.host.scheduler.logger);
    if (decision === 'ignore') return;
    if (this.observed !== null) this.observed.error = error;
    if (decision === 'cut') {
      // Part of the response is out: only cutting the connection says it is incomplete.
      this.abortError = error;
      response.abort();
      this.cut();
      return;
    }
    response.resetForError(decision.status);
    response.end(decision.body);
  }

  /** Ends the exchange with a canned error and closes the connection, if no response is out yet. */
  private reject(code: ErrorCode): void {
    const response = this.response;
    const error = new PercoreError(code);
    this.request.failBody(error);
    if (!response.finished && !response.headersSent) {
      const reply = cannedReply(code);
      if (this.observed !== null) {
        this.observed.ended(reply.status, 0, error);
        this.observed = null;
      }
      this.corked(() => {
        this.native.writeStatus(`${reply.status} ${reply.reason}`);
        this.native.writeHeader('Content-Type', reply.contentType);
        this.native.end(reply.body, true);
      });
      response.abort();
      this.end();
    } else if (!response.finished) {
      this.abortError = error;
      response.abort();
      this.cut();
    }
    // A finished response ends the exchange itself, once uWS holds all of it (flushed or cut).
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

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelTimeout();
    if (this.observed !== null) this.settleObserved();
    // Gone, cut or refused, the connection closes; otherwise the response head said whether.
    this.host.exchangeEnded(!this.gone && this.abortError === undefined && this.response.keepsConnection);
  }

  private settleObserved(): void {
    const observed = this.observed!;
    this.observed = null;
    settleFromResponse(observed, this.response, this.abortError);
  }

  private corked(write: () => void): void {
    if (this.inCallback) write();
    else this.native.cork(write);
  }
}
