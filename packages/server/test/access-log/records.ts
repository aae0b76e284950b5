import type { ExchangeRecord } from '../../src/http/observer.js';

/** 2026-12-02T03:40:16.123Z, in ms since the epoch. */
export const FIXED_EPOCH_MS = Date.UTC(2026, 11, 2, 3, 40, 16, 123);

/** An exchange record as an engine fills it in, started at `epochMs` (default FIXED_EPOCH_MS). */
export function record(
  fields: Partial<Omit<ExchangeRecord, 'requestHeader'>> & { epochMs?: number; headers?: Record<string, string> } = {},
): ExchangeRecord {
  const { epochMs = FIXED_EPOCH_MS, headers = {}, ...rest } = fields;
  return {
    engine: 'net',
    method: 'GET',
    target: '/index.html',
    httpVersion: '1.1',
    remoteAddress: '127.0.0.1',
    route: undefined,
    startTime: epochMs - performance.timeOrigin,
    status: 200,
    bytesIn: 0,
    bytesOut: 2326,
    durationMs: 1.25,
    error: undefined,
    requestHeader: (name) => headers[name],
    ...rest,
  };
}
