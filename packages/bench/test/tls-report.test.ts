import { expect } from 'chai';
import type { TlsRow } from '../src/tls/cli.js';
import type { TlsMeasurement } from '../src/tls/measure.js';
import { goal, medianOf, ratio, renderTlsJson, renderTlsMarkdown, type ColumnKey, type TlsCell, type TlsResults } from '../src/tls/report.js';

const V = 'v24.1.0';
const percore: ColumnKey = { server: 'percore-net', label: 'percore net', node: V };
const https: ColumnKey = { server: 'node-https', label: 'node:https', node: V };
const http2: ColumnKey = { server: 'node-http2', label: 'node:http2', node: V };
const nginx: ColumnKey = { server: 'nginx-1', label: 'nginx, 1 worker', node: null };

function measurement(perSecond: number, over: Partial<TlsMeasurement> = {}): TlsMeasurement {
  return {
    perSecond,
    succeeded: perSecond * 5,
    failed: 0,
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    keyExchange: 'X25519 253 bits',
    application: 'http/1.1',
    seconds: 5,
    serverCores: 0.99,
    clientCores: 0.4,
    ...over,
  };
}

/** Three rounds per cell: the middle value is the median. */
function cells(column: ColumnKey, row: TlsRow, values: number[], over: Partial<TlsMeasurement> = {}): TlsCell[] {
  return values.map((value, i) => ({ ...column, row, round: i + 1, measurement: measurement(value, over) }));
}

function results(): TlsResults {
  return {
    header: {
      command: 'pnpm bench tls --pin --rounds 3',
      date: '2026-12-02T18:00:00.000Z',
      node: 'v20.20.2',
      cpu: 'Test CPU, 2 cores',
      pinning: { server: '1', client: '0' },
      rounds: 3,
      durationSeconds: 5,
      warmupSeconds: 1,
      connections: 25,
      streams: 10,
      certificate: 'ECDSA prime256v1, CN=localhost, SHA-256 AA:BB',
      tools: ['h2load nghttp2/1.52.0', 'ab 2.3', 'nginx/1.22.1'],
      nodeVersions: [V],
      loadAverage: { start: 0.5, end: 1.25 },
    },
    rows: ['https-keepalive', 'http2', 'new-connections'],
    columns: [percore, https, http2, nginx],
    cells: [
      ...cells(percore, 'https-keepalive', [21000, 20000, 19000]),
      ...cells(https, 'https-keepalive', [10000, 9000, 11000]),
      ...cells(nginx, 'https-keepalive', [40000, 41000, 39000]),
      ...cells(percore, 'http2', [30000, 31000, 29000], { application: 'h2' }),
      ...cells(http2, 'http2', [15000, 14000, 16000], { application: 'h2' }),
      ...cells(nginx, 'http2', [60000, 60000, 60000], { application: 'h2', cipher: 'TLS_AES_128_GCM_SHA256' }),
      ...cells(percore, 'new-connections', [900, 1000, 1100], { application: null }),
      ...cells(https, 'new-connections', [1200, 1100, 1000], { application: null, failed: 3 }),
    ],
    failures: [{ ...nginx, row: 'new-connections', round: 2, message: 'ab timed out' }],
    notApplicable: [
      { ...https, row: 'http2', reason: 'node:https speaks HTTP/1.1 only' },
      { ...http2, row: 'https-keepalive', reason: 'allowHTTP1 false' },
      { ...http2, row: 'new-connections', reason: 'allowHTTP1 false' },
    ],
    skipped: [],
  };
}

describe('pnpm bench tls: the report', () => {
  it('takes medians per row and column, and percore over the others on the same line (nginx on none)', () => {
    const r = results();
    expect(medianOf(r, 'https-keepalive', percore)).to.equal(20000);
    expect(medianOf(r, 'https-keepalive', https)).to.equal(10000);
    expect(medianOf(r, 'http2', http2)).to.equal(15000);
    expect(medianOf(r, 'new-connections', nginx)).to.equal(null);
    expect(ratio(r, 'https-keepalive', V, 'node-https')).to.equal(2);
    expect(ratio(r, 'http2', V, 'node-http2')).to.equal(2);
    expect(ratio(r, 'http2', V, 'nginx-1')).to.equal(0.5);
    expect(ratio(r, 'http2', V, 'node-https')).to.equal(null);
    expect(ratio(r, 'https-keepalive', 'v22.0.0', 'node-https')).to.equal(null);
  });

  it('says the goal is missed where percore is not ahead of node:https or node:http2, and met once it is', () => {
    const r = results();
    expect(goal(r, V)).to.deep.equal({ met: false, misses: ['New TLS connections, handshakes/s vs node-https (0.91x)'], unmeasured: [] });
    r.cells = r.cells.map((c) => (c.server === 'percore-net' && c.row === 'new-connections' ? { ...c, measurement: measurement(2000) } : c));
    expect(goal(r, V).met).to.equal(true);
  });

  it('renders the command, the machine, a table per Node line with ranges and ratios, CPU, the TLS used, n/a and failures', () => {
    const markdown = renderTlsMarkdown(results());
    expect(markdown).to.include('Command: `pnpm bench tls --pin --rounds 3`');
    expect(markdown).to.include('servers pinned to CPU 1, the tools (and this process) to CPU 0');
    expect(markdown).to.include('Load average (1 min) 0.50 at the start, 1.25 at the end, on 2 cores.');
    expect(markdown).to.include('Certificate: ECDSA prime256v1, CN=localhost, SHA-256 AA:BB');
    expect(markdown).to.include(`## Node ${V}`);
    expect(markdown).to.include(
      '| row | **percore net** | node:https | node:http2 | nginx, 1 worker | percore / node-https | percore / node-http2 | percore / nginx-1 |',
    );
    expect(markdown).to.include(
      '| HTTPS keep-alive, req/s | 20,000 (19,000–21,000) | 10,000 (9,000–11,000) | n/a | 40,000 (39,000–41,000) | 2.00x | n/a | 0.50x |',
    );
    expect(markdown).to.include(
      '| HTTP/2, req/s | 30,000 (29,000–31,000) | n/a | 15,000 (14,000–16,000) | 60,000 (60,000–60,000) | n/a | 2.00x | 0.50x |',
    );
    expect(markdown).to.include(
      '| New TLS connections, handshakes/s | 1,000 (900–1,100) | 1,100 (1,000–1,200) | n/a | failed | 0.91x | n/a | n/a |',
    );
    expect(markdown).to.include(
      'Goal (percore ahead of node:https and node:http2 on every row they have): not met; behind or level: New TLS connections',
    );
    expect(markdown).to.include('| HTTPS keep-alive, req/s | 0.99 / 0.40 | 0.99 / 0.40 |  | 0.99 / 0.40 |');
    expect(markdown).to.match(
      /- TLSv1\.3, TLS_AES_256_GCM_SHA384, X25519 253 bits: percore net on v24\.1\.0: https-keepalive \(ALPN http\/1\.1\);/,
    );
    expect(markdown).to.include('- TLSv1.3, TLS_AES_128_GCM_SHA256, X25519 253 bits: nginx, 1 worker: http2 (ALPN h2)');
    expect(markdown).to.include('- node:https on v24.1.0, HTTP/2, req/s: node:https speaks HTTP/1.1 only');
    expect(markdown).to.include('- round 2, nginx, 1 worker, new-connections: ab timed out');
    expect(markdown).to.include('- round 1, node:https on v24.1.0, new-connections: 3 failed');
    expect(markdown).to.include('`ab -c25 -t 5 -n 100000000` (no -k');
  });

  it('says "every measured cell" when all used one TLS setting, and the JSON holds everything', () => {
    const r = results();
    r.cells = r.cells.filter((c) => c.server !== 'nginx-1');
    expect(renderTlsMarkdown(r)).to.include('- TLSv1.3, TLS_AES_256_GCM_SHA384, X25519 253 bits: every measured cell');
    expect(JSON.parse(renderTlsJson(r))).to.deep.equal(JSON.parse(JSON.stringify(r)));
  });
});
