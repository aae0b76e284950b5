import type { PercoreError } from '../errors.js';
import type { Logger } from '../scheduler/scheduler.js';

/**
 * The exchange observer: one set of hooks that every engine calls, for metrics, access logs and
 * tracing (Go's ConnState, fastify's onRequest/onResponse). With no observer set an engine does
 * no observer work at all: no record, no clock read, no call.
 *
 * Hooks run synchronously on the exchange's path; they must be quick and must not throw (a throw
 * is logged as PERCORE_ERR_OBSERVER_FAILED and otherwise ignored).
 */

/** One exchange as the observer sees it. The engine makes one record per exchange and fills it in. */
export interface ExchangeRecord {
  /** The engine that carried it: 'net', 'uws', ... */
  readonly engine: string;
  /** Read from the request; they can be read after the exchange ends, on every engine. */
  readonly method: string;
  readonly target: string;
  readonly httpVersion: string;
  readonly remoteAddress: string;
  /**
   * The pattern of the route that matched ('/users/:id'), once a router has matched one; else
   * undefined. Label metrics by this, never by the raw target.
   */
  readonly route: string | undefined;
  /** `performance.now()` when the head was parsed. */
  readonly startTime: number;
  /** The status sent (or being sent); 0 until the head is written. */
  status: number;
  /** Request body bytes received (after chunked decoding). */
  bytesIn: number;
  /** Response bytes written: head and body. */
  bytesOut: number;
  /** Milliseconds from `startTime` to the end (or the abort); 0 until then. */
  durationMs: number;
  /** Why the exchange ended badly: the handler's error, or the abort's reason. */
  error: unknown;
  /**
   * A request header's value, for the names the observer lists in `requestHeaders` (kept from
   * the start, so readable to the end on every engine); in `started`, any header.
   */
  requestHeader(name: string): string | undefined;
}

/** What a record reads of the request: every engine's request has these. */
export interface RequestFacts {
  readonly method: string;
  readonly target: string;
  readonly httpVersion: string;
  readonly remoteAddress: string;
  /** Written by a router during the exchange; plain fields on every engine, so readable to the end. */
  readonly route: string | undefined;
  readonly handlerError: unknown;
  header(name: string): string | undefined;
}

export interface ExchangeObserver {
  /**
   * Request headers (lower case) the record keeps for `requestHeader` after `started`: an access
   * log's `user-agent`, a tracer's `traceparent`. Copied once per exchange, so list only what is read.
   */
  readonly requestHeaders?: readonly string[];
  /** The request head has been received and the handler is about to run. */
  started?(exchange: ExchangeRecord): void;
  /** The response has been written whole. */
  ended?(exchange: ExchangeRecord): void;
  /** The exchange ended without a whole response: the client left, a timeout, a cut connection. */
  aborted?(exchange: ExchangeRecord): void;
  /**
   * Input refused before any exchange began (a malformed or oversized head), answered with a
   * canned error and the connection closed. On `net`; uWS refuses such input itself, unseen.
   */
  rejected?(error: PercoreError, engine: string): void;
}

const HOOKS = ['started', 'ended', 'aborted'] as const;

/** Several observers as one, called in order. */
export function combineObservers(...observers: Array<ExchangeObserver | undefined | null>): ExchangeObserver | null {
  const present = observers.filter((observer): observer is ExchangeObserver => observer != null);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0]!;
  // Only the hooks some observer has, so that an engine can tell nobody waits for the end.
  const combined: { -readonly [K in keyof ExchangeObserver]: ExchangeObserver[K] } = {};
  for (const hook of HOOKS) {
    const hooks = present.filter((observer) => observer[hook] !== undefined);
    if (hooks.length === 1) {
      // One observer has this hook: call it directly, without a loop around it.
      const [only] = hooks;
      combined[hook] = only![hook]!.bind(only);
    } else if (hooks.length > 1) {
      combined[hook] = (exchange) => {
        for (const observer of hooks) observer[hook]!(exchange);
      };
    }
  }
  const rejecters = present.filter((observer) => observer.rejected !== undefined);
  if (rejecters.length > 0) {
    combined.rejected = (error, engine) => {
      for (const observer of rejecters) observer.rejected!(error, engine);
    };
  }
  const headers = [...new Set(present.flatMap((observer) => observer.requestHeaders ?? []))];
  if (headers.length > 0) combined.requestHeaders = headers;
  return combined;
}

/** Whether an observer waits for exchanges to end: if not, an engine drops the record after `started`. */
export function observesEnds(observer: ExchangeObserver): boolean {
  return observer.ended !== undefined || observer.aborted !== undefined;
}

/**
 * One exchange's record, as an engine keeps it while an observer is set: made when the exchange
 * starts (telling `started`), then settled once, as `ended` or `aborted`. An engine keeps it past
 * `started` only when the observer `observesEnds`: a counter of requests (as every cluster
 * worker has) then costs one record and one call per exchange, and no byte or clock reads.
 */
export class ObservedExchange implements ExchangeRecord {
  readonly startTime = performance.now();
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  durationMs = 0;
  private ownError: unknown = undefined;
  private settled = false;
  /** The request while `started` runs (read only if a hook asks); a copy once the record is kept. */
  private facts: Omit<RequestFacts, 'route' | 'handlerError' | 'header'>;
  /** The request while `started` runs; then null, and the kept headers answer. */
  private live: RequestFacts | null;
  /** The values of the observer's `requestHeaders`, in its order, once kept. */
  private keptHeaders: Array<string | undefined> | null = null;
  /** The request itself, for `route` and `handlerError`: a router writes them after `started`. */
  private readonly routed: Pick<RequestFacts, 'route' | 'handlerError'>;

  /** Tells `started`; then `keep()` if the record outlives the call, as the engine's request may not. */
  constructor(
    private readonly observer: ExchangeObserver,
    private readonly logger: Logger,
    readonly engine: string,
    request: RequestFacts,
  ) {
    this.facts = request;
    this.live = request;
    this.routed = request;
    this.tell(observer.started);
  }

  requestHeader(name: string): string | undefined {
    if (this.live !== null) return this.live.header(name);
    const index = this.keptHeaders === null ? -1 : this.observer.requestHeaders!.indexOf(name);
    return index < 0 ? undefined : this.keptHeaders![index];
  }

  get method(): string {
    return this.facts.method;
  }

  get target(): string {
    return this.facts.target;
  }

  get httpVersion(): string {
    return this.facts.httpVersion;
  }

  get remoteAddress(): string {
    return this.facts.remoteAddress;
  }

  get route(): string | undefined {
    return this.routed.route;
  }

  /** The engine's reason (a throw, an abort), else an error a router answered with its error page. */
  get error(): unknown {
    return this.ownError !== undefined ? this.ownError : this.routed.handlerError;
  }

  set error(error: unknown) {
    this.ownError = error;
  }

  /** Copies the request's fields, for an engine whose request dies with its callback (uws). */
  keep(): this {
    const { method, target, httpVersion, remoteAddress } = this.facts;
    this.facts = { method, target, httpVersion, remoteAddress };
    const names = this.observer.requestHeaders;
    if (names !== undefined && names.length > 0) {
      const request = this.live!;
      this.keptHeaders = names.map((name) => request.header(name));
    }
    this.live = null;
    return this;
  }

  /** The response went out whole (a canned error reply counts, with its error). */
  ended(status: number, bytesOut: number, error?: unknown): void {
    if (this.settle(status, bytesOut, error)) this.tell(this.observer.ended);
  }

  /** The exchange ended without a whole response. */
  aborted(status: number, bytesOut: number, error: unknown): void {
    if (this.settle(status, bytesOut, error)) this.tell(this.observer.aborted);
  }

  private settle(status: number, bytesOut: number, error: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.status = status;
    this.bytesOut = bytesOut;
    this.durationMs = performance.now() - this.startTime;
    if (error !== undefined) this.ownError = error;
    return true;
  }

  private tell(hook: ((exchange: ExchangeRecord) => void) | undefined): void {
    if (hook === undefined) return;
    try {
      hook.call(this.observer, this);
    } catch (error) {
      this.logger.error('PERCORE_ERR_OBSERVER_FAILED', `the exchange observer threw in ${hook.name || 'a hook'}`, error);
    }
  }
}

/** What a record is settled from on engines whose response counts its body bytes (uws, HTTP/2). */
export interface SentResponse {
  readonly headersSent: boolean;
  readonly status: number;
  readonly bodyBytesOut: number;
}

/** Settles `observed` from what `response` sent: `ended`, or `aborted` when `abortError` is set. */
export function settleFromResponse(observed: ObservedExchange, response: SentResponse, abortError: unknown): void {
  const status = response.headersSent ? response.status : 0;
  if (abortError === undefined) observed.ended(status, response.bodyBytesOut);
  else observed.aborted(status, response.bodyBytesOut, abortError);
}
