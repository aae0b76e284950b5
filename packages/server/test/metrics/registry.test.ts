import { expect } from 'chai';
import { renderExposition } from '../../src/metrics/exposition.js';
import { bucketIndex, DEFAULT_BUCKETS, MetricsRegistry } from '../../src/metrics/registry.js';
import { mergeSnapshots, monotonicPart, type MergeConflict, type MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { errorCode } from '../support/errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return errorCode(error);
  }
  return 'no error';
};

describe('metrics/registry', function () {
  it('counts per label values, and exposes an unlabelled counter as 0 from the start', function () {
    const registry = new MetricsRegistry();
    const plain = registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    const byKind = registry.counter({ name: 'reads_total', help: 'Reads.', labelNames: ['kind', 'shard'] });
    expect(registry.exposition()).to.include('jobs_total 0\n');
    plain.inc();
    plain.inc(2.5);
    byKind.inc({ kind: 'user', shard: 1 });
    byKind.labels('user', '1').inc(2);
    byKind.inc({ kind: 'post', shard: 2 }, 4);
    const text = registry.exposition();
    expect(text).to.include('# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3.5\n');
    expect(text).to.include('reads_total{kind="user",shard="1"} 3\n');
    expect(text).to.include('reads_total{kind="post",shard="2"} 4\n');
  });

  it('refuses bad names, labels and amounts with PERCORE_ERR_INVALID_METRIC', function () {
    const registry = new MetricsRegistry();
    expect(code(() => registry.counter({ name: '1bad', help: 'x' }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.counter({ name: 'ok_total', help: '' }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.counter({ name: 'ok_total', help: 'x', labelNames: ['__reserved'] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.counter({ name: 'ok_total', help: 'x', labelNames: ['a', 'a'] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.histogram({ name: 'h_seconds', help: 'x', labelNames: ['le'] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.histogram({ name: 'h_seconds', help: 'x', buckets: [1, 1] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    const counter = registry.counter({ name: 'c_total', help: 'x', labelNames: ['a'] });
    expect(code(() => counter.inc({ a: 'x' }, -1))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => counter.inc({ a: 'x' }, Number.NaN))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => counter.inc({ b: 'x' }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => counter.labels('x', 'y'))).to.equal('PERCORE_ERR_INVALID_METRIC');
  });

  it('gives the same metric for the same registration, and refuses a clashing one', function () {
    const registry = new MetricsRegistry();
    const first = registry.counter({ name: 'x_total', help: 'x', labelNames: ['a'] });
    expect(registry.counter({ name: 'x_total', help: 'again', labelNames: ['a'] })).to.equal(first);
    expect(code(() => registry.counter({ name: 'x_total', help: 'x', labelNames: ['b'] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(code(() => registry.gauge({ name: 'x_total', help: 'x', labelNames: ['a'] }))).to.equal('PERCORE_ERR_INVALID_METRIC');
    expect(registry.get('x_total')).to.equal(first);
  });

  it('sets gauges, and reads a collect callback at each snapshot', function () {
    const registry = new MetricsRegistry();
    let depth = 7;
    registry.gauge({ name: 'queue_depth', help: 'Queued.', collect: (gauge) => gauge.set(depth) });
    const temp = registry.gauge({ name: 'temp_celsius', help: 'T.', labelNames: ['room'], aggregation: 'max' });
    temp.set({ room: 'a' }, 20);
    temp.labels('a').inc(1.5);
    temp.dec({ room: 'b' }, 3);
    expect(registry.exposition())
      .to.include('queue_depth 7\n')
      .and.include('temp_celsius{room="a"} 21.5\n')
      .and.include('temp_celsius{room="b"} -3\n');
    depth = 9;
    expect(registry.exposition()).to.include('queue_depth 9\n');
    expect(registry.snapshot().find((family) => family.name === 'temp_celsius')!.aggregation).to.equal('max');
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', function () {
    const registry = new MetricsRegistry();
    const histogram = registry.histogram({ name: 'size_bytes', help: 'Sizes.', labelNames: ['kind'], buckets: [10, 100] });
    for (const value of [5, 10, 50, 500]) histogram.observe({ kind: 'a' }, value);
    histogram.labels('b').observe(1);
    const text = registry.exposition();
    expect(text).to.include(
      [
        'size_bytes_bucket{kind="a",le="10"} 2',
        'size_bytes_bucket{kind="a",le="100"} 3',
        'size_bytes_bucket{kind="a",le="+Inf"} 4',
        'size_bytes_sum{kind="a"} 565',
        'size_bytes_count{kind="a"} 4',
        'size_bytes_bucket{kind="b",le="10"} 1',
      ].join('\n'),
    );
    // A value on a bound counts in that bucket (le: less or equal).
    expect(bucketIndex([10, 100], 10)).to.equal(0);
    expect(bucketIndex([10, 100], 10.5)).to.equal(1);
    expect(bucketIndex([10, 100], 1000)).to.equal(2);
    const unlabelled = new MetricsRegistry().histogram({ name: 'd_seconds', help: 'D.' });
    unlabelled.observe(0.02);
    expect(renderExposition([unlabelled.snapshot()]))
      .to.include(`d_seconds_bucket{le="${DEFAULT_BUCKETS[0]}"} 0\n`)
      .and.include('d_seconds_bucket{le="0.025"} 1\n');
  });

  it('escapes help and label values as the text format says', function () {
    const registry = new MetricsRegistry();
    registry.counter({ name: 'odd_total', help: 'a \\ b\nc', labelNames: ['v'] }).inc({ v: 'q"uo\\te\nnl' });
    const text = registry.exposition();
    expect(text).to.include('# HELP odd_total a \\\\ b\\nc\n');
    expect(text).to.include('odd_total{v="q\\"uo\\\\te\\nnl"} 1\n');
  });
});

describe('metrics/snapshot merge', function () {
  const worker = (requests: number, open: number, lag: number, durations: number[]): MetricsSnapshot => [
    { name: 'req_total', help: 'R.', type: 'counter', labelNames: ['code'], series: [{ labels: ['200'], value: requests }] },
    { name: 'open', help: 'O.', type: 'gauge', labelNames: [], aggregation: 'sum', series: [{ labels: [], value: open }] },
    { name: 'lag_seconds', help: 'L.', type: 'gauge', labelNames: [], aggregation: 'max', series: [{ labels: [], value: lag }] },
    {
      name: 'd_seconds',
      help: 'D.',
      type: 'histogram',
      labelNames: [],
      buckets: [1],
      series: [{ labels: [], bucketCounts: durations, sum: 2, count: 3 }],
    },
  ];

  it('adds counters and histograms, combines gauges by their aggregation, and keeps series apart by labels', function () {
    const extra: MetricsSnapshot = [
      { name: 'req_total', help: 'R.', type: 'counter', labelNames: ['code'], series: [{ labels: ['500'], value: 1 }] },
    ];
    const merged = mergeSnapshots([worker(10, 2, 0.01, [1, 2]), worker(5, 3, 0.2, [0, 1]), extra]);
    const byName = Object.fromEntries(merged.map((family) => [family.name, family]));
    expect(byName.req_total!.series).to.deep.equal([
      { labels: ['200'], value: 15 },
      { labels: ['500'], value: 1 },
    ]);
    expect(byName.open!.series[0]!.value).to.equal(5);
    expect(byName.lag_seconds!.series[0]!.value).to.equal(0.2);
    expect(byName.d_seconds!.series[0]).to.deep.include({ bucketCounts: [1, 3], sum: 4, count: 6 });
  });

  it('never changes its inputs', function () {
    const a = worker(1, 1, 1, [1, 1]);
    const copy = JSON.parse(JSON.stringify(a)) as MetricsSnapshot;
    mergeSnapshots([a, worker(2, 2, 2, [2, 2])]);
    expect(a).to.deep.equal(copy);
  });

  it('leaves out a family that disagrees with the first seen, and says why', function () {
    const conflicts: MergeConflict[] = [];
    const clash: MetricsSnapshot = [
      { name: 'req_total', help: 'R.', type: 'gauge', labelNames: ['code'], series: [{ labels: ['200'], value: 99 }] },
    ];
    const merged = mergeSnapshots([worker(1, 0, 0, [0, 0]), clash], conflicts);
    expect(merged.find((family) => family.name === 'req_total')!.series[0]!.value).to.equal(1);
    expect(conflicts).to.have.length(1);
    expect(conflicts[0]!.name).to.equal('req_total');
  });

  it('keeps only counters and histograms of a worker that is gone', function () {
    expect(monotonicPart(worker(1, 1, 1, [1, 1])).map((family) => family.name)).to.deep.equal(['req_total', 'd_seconds']);
  });
});
