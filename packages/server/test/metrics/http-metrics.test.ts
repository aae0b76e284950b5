import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import type { ExchangeRecord } from '../../src/http/observer.js';
import { HttpMetrics } from '../../src/metrics/http-metrics.js';
import type { MetricsSnapshot } from '../../src/metrics/snapshot.js';

function record(fields: Partial<ExchangeRecord>): ExchangeRecord {
  return {
    engine: 'net',
    method: 'GET',
    target: '/x',
    httpVersion: '1.1',
    remoteAddress: '127.0.0.1',
    route: undefined,
    startTime: 0,
    status: 200,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 1,
    error: undefined,
    requestHeader: () => undefined,
    ...fields,
  };
}

const family = (snapshot: MetricsSnapshot, name: string) => snapshot.find((entry) => entry.name === name)!;
const values = (snapshot: MetricsSnapshot, name: string) =>
  Object.fromEntries(family(snapshot, name).series.map((series) => [series.labels.join(' '), series.value]));

describe('metrics/http metrics', function () {
  it('counts exchanges by method, code and route pattern, never by the raw path', function () {
    const metrics = new HttpMetrics();
    metrics.ended(record({ target: '/users/1', route: '/users/:id' }));
    metrics.ended(record({ target: '/users/2', route: '/users/:id' }));
    metrics.ended(record({ target: '/nowhere', status: 404 }));
    metrics.ended(record({ method: 'POST', status: 201, route: '/users' }));
    expect(values(metrics.collect(), 'http_requests_total')).to.deep.equal({
      'GET 200 /users/:id': 2,
      'GET 404 ': 1,
      'POST 201 /users': 1,
    });
  });

  it('puts an unknown method under OTHER, so clients cannot grow the series', function () {
    const metrics = new HttpMetrics();
    for (const method of ['BREW', 'PROPFIND', 'GET']) metrics.ended(record({ method }));
    expect(values(metrics.collect(), 'http_requests_total')).to.deep.equal({ 'OTHER 200 ': 2, 'GET 200 ': 1 });
  });

  it('observes durations in seconds in the histogram buckets', function () {
    const metrics = new HttpMetrics([0.01, 0.1]);
    for (const durationMs of [5, 10, 50, 2000]) metrics.ended(record({ durationMs }));
    const series = family(metrics.collect(), 'http_request_duration_seconds').series[0]!;
    expect(series.bucketCounts).to.deep.equal([2, 1, 1]);
    expect(series.count).to.equal(4);
    expect(series.sum).to.be.closeTo(2.065, 1e-9);
  });

  it('counts aborts apart, bytes both ways, refused heads and exchange errors by code', function () {
    const metrics = new HttpMetrics();
    metrics.ended(record({ bytesIn: 10, bytesOut: 100, status: 500, error: new Error('boom') }));
    metrics.ended(record({ status: 503, error: new PercoreError('PERCORE_ERR_RESPONSE_TIMEOUT') }));
    metrics.aborted(record({ route: '/stream', bytesOut: 7, error: new PercoreError('PERCORE_ERR_ABORTED') }));
    metrics.rejected(new PercoreError('PERCORE_ERR_BARE_LF'));
    metrics.rejected(new PercoreError('PERCORE_ERR_BARE_LF'));
    const snapshot = metrics.collect();
    expect(values(snapshot, 'percore_http_aborted_total')).to.deep.equal({ 'GET /stream': 1 });
    expect(values(snapshot, 'percore_http_received_bytes_total')).to.deep.equal({ '': 10 });
    expect(values(snapshot, 'percore_http_sent_bytes_total')).to.deep.equal({ '': 107 });
    expect(values(snapshot, 'percore_http_parse_errors_total')).to.deep.equal({ PERCORE_ERR_BARE_LF: 2 });
    expect(values(snapshot, 'percore_http_exchange_errors_total')).to.deep.equal({
      handler: 1,
      PERCORE_ERR_RESPONSE_TIMEOUT: 1,
      PERCORE_ERR_ABORTED: 1,
    });
    // Aborted exchanges are not answered ones.
    expect(values(snapshot, 'http_requests_total')).to.deep.equal({ 'GET 500 ': 1, 'GET 503 ': 1 });
  });
});
