import { expect } from 'chai';
import { MetricsGatherer } from '../../src/cluster/metrics-gatherer.js';
import type { FamilySnapshot, MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { collectingLogger } from '../support/sockets.js';

const counter = (value: number): MetricsSnapshot => [
  { name: 'req_total', help: 'R.', type: 'counter', labelNames: [], series: [{ labels: [], value }] },
];
const withGauge = (requests: number, open: number): MetricsSnapshot => [
  ...counter(requests),
  { name: 'open', help: 'O.', type: 'gauge', labelNames: [], series: [{ labels: [], value: open }] },
];
const value = (snapshot: MetricsSnapshot, name: string): number | undefined =>
  snapshot.find((family) => family.name === name)?.series[0]?.value;
const primary = (): FamilySnapshot[] => [
  { name: 'restarts_total', help: 'R.', type: 'counter', labelNames: [], series: [{ labels: [], value: 3 }] },
];

/** Fake workers: each remembers the collect ids it was asked for. */
function targets(...ids: number[]) {
  const asked = new Map<number, number[]>(ids.map((id) => [id, []]));
  return { asked, list: ids.map((id) => ({ id, ask: (collectId: number) => asked.get(id)!.push(collectId) })) };
}

describe('cluster/metrics gatherer', function () {
  const made: MetricsGatherer[] = [];
  const make = (timeoutMs = 1000) => {
    const gatherer = new MetricsGatherer(timeoutMs, collectingLogger(), primary);
    made.push(gatherer);
    return gatherer;
  };
  afterEach(() => made.splice(0).forEach((gatherer) => gatherer.stop()));

  it('asks every worker, and answers with the sum once all have answered, with its own families', async function () {
    const gatherer = make();
    const { asked, list } = targets(1, 2);
    const reply = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
    const id = asked.get(1)![0]!;
    expect(asked.get(2)).to.deep.equal([id]);
    gatherer.received(1, id, withGauge(10, 2));
    gatherer.received(2, id, withGauge(5, 1));
    const merged = await reply;
    expect(value(merged, 'req_total')).to.equal(15);
    expect(value(merged, 'open')).to.equal(3);
    expect(value(merged, 'restarts_total')).to.equal(3);
    expect(value(merged, 'percore_metrics_stale_workers')).to.equal(0);
    expect(merged.some((family) => family.name === 'process_resident_memory_bytes')).to.equal(true);
  });

  it('counts a worker that is late with its figures from the scrape before, and reports it stale', async function () {
    const gatherer = make(50);
    const { asked, list } = targets(1, 2);
    let first = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
    gatherer.received(1, asked.get(1)![0]!, counter(10));
    gatherer.received(2, asked.get(2)![0]!, counter(5));
    await first;
    first = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
    gatherer.received(1, asked.get(1)![1]!, counter(12)); // worker 2 never answers this one
    const merged = await first;
    expect(value(merged, 'req_total')).to.equal(17);
    expect(value(merged, 'percore_metrics_stale_workers')).to.equal(1);
  });

  it('keeps what a gone worker counted, once: a last message that crosses its exit replaces, never adds', async function () {
    const gatherer = make();
    const { asked, list } = targets(1, 2);
    const first = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
    gatherer.received(1, asked.get(1)![0]!, withGauge(10, 4));
    gatherer.received(2, asked.get(2)![0]!, withGauge(5, 1));
    await first;
    gatherer.workerExited(2);
    gatherer.received(2, 0, withGauge(7, 0)); // its drain's last figures, seen after the exit
    const { asked: askedAgain, list: remaining } = targets(1);
    const second = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(remaining, resolve));
    gatherer.received(1, askedAgain.get(1)![0]!, withGauge(11, 4));
    const merged = await second;
    expect(value(merged, 'req_total')).to.equal(18);
    // A gone worker's gauges end with it.
    expect(value(merged, 'open')).to.equal(4);
  });

  it('stops waiting for a worker that exits during a scrape', async function () {
    const gatherer = make(60_000);
    const { asked, list } = targets(1, 2);
    const reply = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
    gatherer.received(1, asked.get(1)![0]!, counter(3));
    gatherer.workerExited(2);
    expect(value(await reply, 'req_total')).to.equal(3);
  });

  it('answers at once when there is no worker to ask', async function () {
    const gatherer = make(60_000);
    const merged = await new Promise<MetricsSnapshot>((resolve) => gatherer.gather([], resolve));
    expect(value(merged, 'restarts_total')).to.equal(3);
  });

  it('logs a family that clashes across workers once, and leaves it out', async function () {
    const logger = collectingLogger();
    const gatherer = new MetricsGatherer(1000, logger, primary);
    made.push(gatherer);
    const clash: MetricsSnapshot = [{ name: 'req_total', help: 'R.', type: 'gauge', labelNames: [], series: [{ labels: [], value: 100 }] }];
    for (let round = 0; round < 2; round++) {
      const { asked, list } = targets(1, 2);
      const reply = new Promise<MetricsSnapshot>((resolve) => gatherer.gather(list, resolve));
      gatherer.received(1, asked.get(1)![0]!, counter(1));
      gatherer.received(2, asked.get(2)![0]!, clash);
      expect(value(await reply, 'req_total')).to.equal(1);
    }
    expect(logger.entries.filter((entry) => entry.code === 'PERCORE_ERR_INVALID_METRIC')).to.have.length(1);
  });
});
