import type { PercoreError } from '../errors.js';
import type { ExchangeObserver, ExchangeRecord } from '../http/observer.js';
import { bucketIndex, DEFAULT_BUCKETS } from './registry.js';
import type { FamilySnapshot, SeriesSnapshot } from './snapshot.js';

/**
 * Methods get their own label value; any other token counts as OTHER, so that a client cannot
 * grow the series without bound by inventing methods (routes are bounded by the router's patterns,
 * codes by their three digits).
 */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

interface ExchangeSeries {
  readonly labels: readonly string[];
  count: number;
  /** Per duration bucket, not cumulative; the last is +Inf. */
  readonly durationCounts: number[];
  durationSum: number;
}

/**
 * percore's own HTTP metrics, kept by an exchange observer: per (method, code, route) a count and
 * a duration histogram, found with three map lookups per exchange and no string building.
 * `route` is the router's pattern ('/users/:id'), empty where no router matched: never the raw path.
 */
export class HttpMetrics implements ExchangeObserver {
  private readonly series = new Map<string, Map<number, Map<string, ExchangeSeries>>>();
  private readonly abortedByRoute = new Map<string, Map<string, { labels: readonly string[]; count: number }>>();
  private readonly parseErrors = new Map<string, number>();
  private readonly exchangeErrors = new Map<string, number>();
  private receivedBytes = 0;
  private sentBytes = 0;

  constructor(private readonly buckets: readonly number[] = DEFAULT_BUCKETS) {}

  ended(exchange: ExchangeRecord): void {
    const series = this.find(labelMethod(exchange.method), exchange.status, exchange.route ?? '');
    series.count++;
    const seconds = exchange.durationMs / 1000;
    series.durationCounts[bucketIndex(this.buckets, seconds)]!++;
    series.durationSum += seconds;
    this.countBytes(exchange);
  }

  aborted(exchange: ExchangeRecord): void {
    const method = labelMethod(exchange.method);
    const route = exchange.route ?? '';
    let byRoute = this.abortedByRoute.get(method);
    if (byRoute === undefined) this.abortedByRoute.set(method, (byRoute = new Map<string, { labels: readonly string[]; count: number }>()));
    let entry = byRoute.get(route);
    if (entry === undefined) byRoute.set(route, (entry = { labels: [method, route], count: 0 }));
    entry.count++;
    this.countBytes(exchange);
  }

  rejected(error: PercoreError): void {
    this.parseErrors.set(error.code, (this.parseErrors.get(error.code) ?? 0) + 1);
  }

  private countBytes(exchange: ExchangeRecord): void {
    this.receivedBytes += exchange.bytesIn;
    this.sentBytes += exchange.bytesOut;
    if (exchange.error !== undefined) {
      const code = errorCodeOf(exchange.error);
      this.exchangeErrors.set(code, (this.exchangeErrors.get(code) ?? 0) + 1);
    }
  }

  private find(method: string, status: number, route: string): ExchangeSeries {
    let byStatus = this.series.get(method);
    if (byStatus === undefined) this.series.set(method, (byStatus = new Map<number, Map<string, ExchangeSeries>>()));
    let byRoute = byStatus.get(status);
    if (byRoute === undefined) byStatus.set(status, (byRoute = new Map<string, ExchangeSeries>()));
    let series = byRoute.get(route);
    if (series === undefined) {
      series = {
        labels: [method, String(status), route],
        count: 0,
        durationCounts: new Array<number>(this.buckets.length + 1).fill(0),
        durationSum: 0,
      };
      byRoute.set(route, series);
    }
    return series;
  }

  collect(): FamilySnapshot[] {
    const requests: SeriesSnapshot[] = [];
    const durations: SeriesSnapshot[] = [];
    for (const byStatus of this.series.values()) {
      for (const byRoute of byStatus.values()) {
        for (const series of byRoute.values()) {
          requests.push({ labels: series.labels, value: series.count });
          durations.push({ labels: series.labels, bucketCounts: [...series.durationCounts], sum: series.durationSum, count: series.count });
        }
      }
    }
    const aborted: SeriesSnapshot[] = [];
    for (const byRoute of this.abortedByRoute.values())
      for (const entry of byRoute.values()) aborted.push({ labels: entry.labels, value: entry.count });
    const byCode = (counts: Map<string, number>): SeriesSnapshot[] => [...counts].map(([code, count]) => ({ labels: [code], value: count }));
    const labelNames = ['method', 'code', 'route'];
    return [
      {
        name: 'http_requests_total',
        help: 'HTTP exchanges answered whole, by method, status code and route pattern.',
        type: 'counter',
        labelNames,
        series: requests,
      },
      {
        name: 'http_request_duration_seconds',
        help: 'From the request head parsed to the response written whole, by method, status code and route pattern.',
        type: 'histogram',
        labelNames,
        buckets: this.buckets,
        series: durations,
      },
      {
        name: 'percore_http_aborted_total',
        help: 'HTTP exchanges that ended without a whole response (the client left, a timeout, a cut connection).',
        type: 'counter',
        labelNames: ['method', 'route'],
        series: aborted,
      },
      {
        name: 'percore_http_received_bytes_total',
        help: 'Request body bytes received and handed to handlers (a body left unread is not counted).',
        type: 'counter',
        labelNames: [],
        series: [{ labels: [], value: this.receivedBytes }],
      },
      {
        name: 'percore_http_sent_bytes_total',
        help: 'Response bytes sent (head and body on net; the body on uws, whose head uWS writes).',
        type: 'counter',
        labelNames: [],
        series: [{ labels: [], value: this.sentBytes }],
      },
      {
        name: 'percore_http_parse_errors_total',
        help: 'Request heads refused before any exchange began, by PERCORE_ERR_* code.',
        type: 'counter',
        labelNames: ['code'],
        series: byCode(this.parseErrors),
      },
      {
        name: 'percore_http_exchange_errors_total',
        help: 'Exchanges that ended with an error (a handler that threw, a timeout, a bad body), by PERCORE_ERR_* code, or "handler" for an uncoded throw.',
        type: 'counter',
        labelNames: ['code'],
        series: byCode(this.exchangeErrors),
      },
    ];
  }
}

function labelMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('PERCORE_ERR_') ? code : 'handler';
}
