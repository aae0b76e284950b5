import { expect } from 'chai';
import { parseRedisBenchmarkCsv, RedisCsvError } from '../src/redis/csv.js';
import { median, renderRedisTables } from '../src/redis/report.js';

// What redis-benchmark 7.0.15 printed with -t ping,set,get,incr,mset --csv (-q changes nothing in CSV mode).
const SAMPLE = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"PING_INLINE","49627.79","10.100","1.112","10.319","13.399","15.015","17.775"
"PING_MBULK","55710.31","9.010","0.920","9.215","12.000","13.111","14.000"
"SET","57971.02","10.500","1.000","10.839","14.000","15.000","16.000"
"GET","79681.28","7.400","0.800","7.503","10.000","11.000","12.000"
"INCR","101522.84","5.300","0.700","5.335","8.000","9.000","10.000"
"MSET (10 keys)","51282.05","9.300","1.000","9.383","12.000","13.000","14.000"
`;

describe('pnpm bench redis: redis-benchmark --csv', () => {
  it('reads every test with its rate and p50', () => {
    const rows = parseRedisBenchmarkCsv(SAMPLE);
    expect(rows.map((r) => r.test)).to.deep.equal(['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)']);
    expect(rows[0]).to.deep.equal({ test: 'PING_INLINE', rps: 49627.79, p50Ms: 10.319 });
  });

  it('refuses output that is not CSV, a zero rate, or a short row', () => {
    expect(() => parseRedisBenchmarkCsv('PING_INLINE: 1000.00 requests per second\n')).to.throw(RedisCsvError);
    expect(() => parseRedisBenchmarkCsv('')).to.throw(RedisCsvError);
    expect(() => parseRedisBenchmarkCsv('"test","rps"\n"SET","0.00"\n')).to.throw(RedisCsvError, /bad row/);
    expect(() => parseRedisBenchmarkCsv('"test","rps","p50_latency_ms"\n"SET","10"\n')).to.throw(RedisCsvError, /bad row/);
  });

  it('renders medians and per-round ratios', () => {
    expect(median([3, 1, 2])).to.equal(2);
    const row = (rps: number) => [{ test: 'SET', rps, p50Ms: null }];
    const table = renderRedisTables(
      [
        { round: 1, mode: 'plain', server: 'a', rows: row(50) },
        { round: 1, mode: 'plain', server: 'b', rows: row(100) },
        { round: 2, mode: 'plain', server: 'a', rows: row(90) },
        { round: 2, mode: 'plain', server: 'b', rows: row(100) },
      ],
      ['a', 'b'],
    );
    expect(table).to.include('| SET | 70 | 100 | 0.50, 0.90 | **0.70** |');
  });
});
