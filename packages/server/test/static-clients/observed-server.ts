/**
 * A server on either engine with an exchange observer that keeps the server's view of every
 * exchange: the target, the request headers a static server acts on (Range, the validators,
 * Accept-Encoding), and, from the observer, the status sent and whether it ended or was aborted.
 * Real clients (curl, Chromium) are checked against this view, not only against what they report.
 */
import type { Handler } from '../../src/http/api.js';
import type { ExchangeObserver, ExchangeRecord } from '../../src/http/observer.js';
import { NetEngine } from '../../src/net/engine.js';
import type { Logger } from '../../src/scheduler/scheduler.js';
import { UwsEngine } from '../../src/uws/engine.js';
import type { EngineName } from '../support/engines.js';

/** The request headers recorded for each exchange, by lower-case name. */
const RECORDED = ['range', 'if-range', 'if-none-match', 'if-modified-since', 'accept-encoding', 'user-agent'] as const;
type RecordedHeader = (typeof RECORDED)[number];

export interface SeenExchange {
  readonly method: string;
  readonly target: string;
  readonly headers: Partial<Record<RecordedHeader, string>>;
  /** The observer's record: `status` and `bytesOut` are final once `outcome` is set. */
  readonly record: ExchangeRecord;
  outcome: 'pending' | 'ended' | 'aborted';
}

export interface ObservedServer {
  readonly engine: EngineName;
  readonly url: string;
  /** Every exchange, in the order the server started them. */
  readonly exchanges: SeenExchange[];
  /** The codes the server logged. */
  readonly logged: string[];
  /** The exchanges for `path` (the target without its query). */
  exchangesFor(path: string): SeenExchange[];
  close(): Promise<void>;
}

/** Starts `handler` on `engine` at 127.0.0.1, port 0, behind the recording observer. */
export async function startObserved(engine: EngineName, handler: Handler): Promise<ObservedServer> {
  const exchanges: SeenExchange[] = [];
  const logged: string[] = [];
  const logger: Logger = {
    error(code) {
      logged.push(code);
    },
  };
  // An engine calls `started` just before it runs the handler, synchronously, so the handler
  // below fills in the headers of the exchange started last.
  let startedLast: SeenExchange | null = null;
  const observer: ExchangeObserver = {
    started(record) {
      startedLast = { method: record.method, target: record.target, headers: {}, record, outcome: 'pending' };
      exchanges.push(startedLast);
    },
    ended(record) {
      settle(record, 'ended');
    },
    aborted(record) {
      settle(record, 'aborted');
    },
  };
  function settle(record: ExchangeRecord, outcome: 'ended' | 'aborted'): void {
    const seen = exchanges.find((exchange) => exchange.record === record);
    if (seen !== undefined) seen.outcome = outcome;
  }
  const recording: Handler = (req, res) => {
    const seen = startedLast;
    startedLast = null;
    if (seen === null || seen.target !== req.target) throw new Error(`observer and handler disagree on ${req.target}`);
    // Read now: on uws the request's fields must be read before the handler returns (rule 5).
    for (const name of RECORDED) {
      const value = req.headers[name];
      if (value !== undefined) seen.headers[name] = value;
    }
    return handler(req, res);
  };
  const options = { handler: recording, observer, logger, scheduler: { timerResolutionMs: 10 } };
  const server = engine === 'net' ? new NetEngine(options) : new UwsEngine(options);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  let closing: Promise<void> | null = null;
  return {
    engine,
    url: `http://127.0.0.1:${port}`,
    exchanges,
    logged,
    exchangesFor: (path) => exchanges.filter((exchange) => exchange.target.split('?')[0] === path),
    close() {
      closing ??= server.close({ graceMs: 0 });
      return closing;
    },
  };
}
