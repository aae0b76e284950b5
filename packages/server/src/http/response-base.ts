import { PercoreError } from '../errors.js';
import type { HeaderValue, HttpResponse } from './api.js';
import { checkHeaderName } from './header-validation.js';
import { ResponseHeaders } from './response-headers.js';

/** RFC 9110 6.5.1: fields a trailer must not carry (framing, routing, authentication, controls, content). */
const FORBIDDEN_TRAILERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'expect',
  'host',
  'keep-alive',
  'max-forwards',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'www-authenticate',
]);
import type { HandOverFactory } from '../scheduler/task.js';

/**
 * What every engine's response shares: status and headers until the head goes out, and the
 * abort and drain machinery a handler waits on. An engine adds how bytes reach the wire.
 */
export abstract class ResponseBase implements HttpResponse {
  status = 200;
  /** Made on the first setHeader: a response without headers allocates none. */
  protected headers: ResponseHeaders | null = null;
  protected sentHead = false;
  protected done = false;
  private abortedFlag = false;
  private abortController: AbortController | null = null;
  private abortCallbacks: Array<() => void> | null = null;
  private drainWaiters: Array<() => void> | null = null;
  /** Made on the first setTrailer. */
  protected trailerFields: ResponseHeaders | null = null;

  abstract write(chunk: string | Uint8Array): boolean;
  abstract end(body?: string | Uint8Array): void;
  abstract upgrade(protocol: string, factory: HandOverFactory, headers?: Readonly<Record<string, HeaderValue>>): void;
  /** Whether a write now would wait behind the client (the engine knows). */
  protected abstract get blocked(): boolean;

  get headersSent(): boolean {
    return this.sentHead;
  }

  get finished(): boolean {
    return this.done;
  }

  get aborted(): boolean {
    return this.abortedFlag;
  }

  get signal(): AbortSignal {
    if (this.abortController === null) {
      this.abortController = new AbortController();
      if (this.abortedFlag) this.abortController.abort(new PercoreError('PERCORE_ERR_ABORTED'));
    }
    return this.abortController.signal;
  }

  onAborted(callback: () => void): void {
    if (this.abortedFlag) {
      queueMicrotask(callback);
      return;
    }
    (this.abortCallbacks ??= []).push(callback);
  }

  setHeader(name: string, value: HeaderValue): this {
    if (this.sentHead) throw new PercoreError('PERCORE_ERR_HEADERS_SENT', `cannot set ${name}`);
    (this.headers ??= new ResponseHeaders()).set(name, value);
    return this;
  }

  setTrailer(name: string, value: HeaderValue): this {
    if (this.done) throw new PercoreError('PERCORE_ERR_RESPONSE_FINISHED', `cannot set trailer ${name}`);
    // RFC 9110 6.5.1: no field that frames, routes or authenticates the message, or modifies the request.
    if (FORBIDDEN_TRAILERS.has(checkHeaderName(name))) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `${name} cannot be a trailer field`);
    }
    // The header rules (the value's characters, a list joined) are the same for a trailer field.
    (this.trailerFields ??= new ResponseHeaders()).set(name, value);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.headers?.get(name);
  }

  removeHeader(name: string): this {
    if (this.sentHead) throw new PercoreError('PERCORE_ERR_HEADERS_SENT', `cannot remove ${name}`);
    this.headers?.remove(name.toLowerCase());
    return this;
  }

  drain(): Promise<void> {
    // At once when nothing is blocked: otherwise the next drain might never come.
    if (this.abortedFlag || this.done || !this.blocked) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** @internal The client went away, or the exchange timed out: nothing more will be sent. */
  abort(): void {
    if (this.abortedFlag || this.done) return;
    this.abortedFlag = true;
    this.done = true;
    this.settleDrainWaiters();
    this.abortController?.abort(new PercoreError('PERCORE_ERR_ABORTED'));
    const callbacks = this.abortCallbacks;
    this.abortCallbacks = null;
    if (callbacks !== null) for (const callback of callbacks) callback();
  }

  /** @internal The connection can take more data. */
  drained(): void {
    this.settleDrainWaiters();
  }

  /** @internal Replaces whatever the handler set with an error reply, if the head is not out yet. */
  resetForError(status: number): void {
    this.status = status;
    this.headers = null;
    this.trailerFields = null;
    this.setHeader('Content-Type', 'text/plain; charset=utf-8');
  }

  /** @internal Whether the handler asked to close the connection. */
  get wantsClose(): boolean {
    return this.headers?.closeRequested ?? false;
  }

  protected settleDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    for (const resolve of waiters) resolve();
  }
}
