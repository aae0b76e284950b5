import type { ExchangeObserver, ExchangeRecord } from '@percore/server';

/** --debug: one line per exchange on stderr: method, path (no query), status, milliseconds, with the worker's pid. */
export function debugLog(write: (line: string) => void): ExchangeObserver {
  const line = (exchange: ExchangeRecord, status: string) =>
    write(`percore[${process.pid}] ${exchange.method} ${pathOf(exchange.target)} ${status} ${exchange.durationMs.toFixed(1)} ms`);
  return {
    ended: (exchange) => line(exchange, String(exchange.status)),
    aborted: (exchange) => line(exchange, `aborted${exchange.status === 0 ? '' : ` after ${exchange.status}`}`),
  };
}

/** The path without the query: a query may carry what a log should not keep. */
function pathOf(target: string): string {
  const question = target.indexOf('?');
  return question === -1 ? target : target.slice(0, question);
}
