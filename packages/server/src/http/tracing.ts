import { channel } from 'node:diagnostics_channel';
import { combineObservers, type ExchangeObserver, type ExchangeRecord } from './observer.js';

/**
 * Tracing hooks on `node:diagnostics_channel`, so that OpenTelemetry (or any tracer) can follow
 * exchanges with no dependency in percore. Each message is `{ exchange }`, the observer's
 * ExchangeRecord: the same object in all three, so a tracer can key its span on it. A tracer
 * reads `traceparent` and `tracestate` with `exchange.requestHeader()`.
 *
 * While nobody subscribes, an engine checks three flags per exchange and does nothing else.
 */
export const REQUEST_START_CHANNEL = 'percore:http:request:start';
/** The response went out whole. */
export const REQUEST_END_CHANNEL = 'percore:http:request:end';
/** The exchange ended without a whole response (the client left, a timeout, a cut connection). */
export const REQUEST_ABORT_CHANNEL = 'percore:http:request:abort';

export interface TracingMessage {
  readonly exchange: ExchangeRecord;
}

const startChannel = channel(REQUEST_START_CHANNEL);
const endChannel = channel(REQUEST_END_CHANNEL);
const abortChannel = channel(REQUEST_ABORT_CHANNEL);

const tracingObserver: ExchangeObserver = {
  requestHeaders: ['traceparent', 'tracestate'],
  started: (exchange) => {
    if (startChannel.hasSubscribers) startChannel.publish({ exchange } satisfies TracingMessage);
  },
  ended: (exchange) => {
    if (endChannel.hasSubscribers) endChannel.publish({ exchange } satisfies TracingMessage);
  },
  aborted: (exchange) => {
    if (abortChannel.hasSubscribers) abortChannel.publish({ exchange } satisfies TracingMessage);
  },
};

/** A server's observer, and the same with the tracing channels', made once. */
export interface ObserverChoice {
  readonly plain: ExchangeObserver | null;
  readonly traced: ExchangeObserver;
}

export function withTracing(observer: ExchangeObserver | null): ObserverChoice {
  return { plain: observer, traced: combineObservers(observer, tracingObserver)! };
}

/** The observer for the exchange starting now: the traced one while any channel has a subscriber. */
export function observerNow(choice: ObserverChoice): ExchangeObserver | null {
  return startChannel.hasSubscribers || endChannel.hasSubscribers || abortChannel.hasSubscribers ? choice.traced : choice.plain;
}
