import { expect } from 'chai';
import type { EchoResult, FanoutResult, IdleResult } from '../src/websocket/measure.js';
import {
  busyPercent,
  cpuMsPer1000,
  pairedRatio,
  ratePerSecond,
  renderWebSocketJson,
  renderWebSocketTables,
  roundOrder,
  rssBytesPerSocket,
  summarise,
  type Cell,
  type Failure,
} from '../src/websocket/report.js';
import type { RowId } from '../src/websocket/measure.js';

const echo = (roundTrips: number, serverCpuMs = 1000, p50Us = 100, p99Us = 900): EchoResult => ({
  row: 'echo',
  roundTrips,
  elapsedMs: 1000,
  serverCpuMs,
  clientCpuMs: 500,
  p50Us,
  p99Us,
  echoes: roundTrips,
  matched: roundTrips,
});
const fanout = (deliveries: number, serverCpuMs: number): FanoutResult => ({
  row: 'fanout',
  deliveries,
  broadcasts: deliveries / 10,
  clientCpuMs: 400,
  elapsedMs: 2000,
  serverCpuMs,
});
const idle = (growthKiB: number): IdleResult => ({
  row: 'idle',
  sockets: 1024,
  rssBeforeKiB: 50_000,
  rssAfterKiB: 50_000 + growthKiB,
  openMs: 800,
});

const titles: Record<RowId, string> = { echo: 'echo row', fanout: 'fan-out row', idle: 'idle row' };
const servers = ['percore-uws', 'ws', 'uws-raw'];

// Three rounds; percore-uws is 2x ws in rounds 1 and 2 but 1x in round 3 (so 0.5, 0.5, 0.25 of uws-raw), uws-raw 4x ws throughout.
const cells: Cell[] = [
  { round: 1, server: 'percore-uws', result: echo(20_000, 1000) },
  { round: 1, server: 'ws', result: echo(10_000, 1000) },
  { round: 1, server: 'uws-raw', result: echo(40_000, 1000) },
  { round: 2, server: 'percore-uws', result: echo(30_000, 1500) },
  { round: 2, server: 'ws', result: echo(15_000, 1500) },
  { round: 2, server: 'uws-raw', result: echo(60_000, 1500) },
  { round: 3, server: 'percore-uws', result: echo(12_000, 1200) },
  { round: 3, server: 'ws', result: echo(12_000, 1200) },
  { round: 3, server: 'uws-raw', result: echo(48_000, 1200) },
];

describe('pnpm bench websocket: the report', () => {
  it('computes rates, CPU per 1,000 and RSS per socket', () => {
    expect(ratePerSecond(echo(5000))).to.equal(5000);
    expect(ratePerSecond(fanout(10_000, 100))).to.equal(5000);
    expect(cpuMsPer1000(echo(4000, 1000))).to.equal(250);
    expect(cpuMsPer1000(fanout(10_000, 100))).to.equal(10);
    expect(cpuMsPer1000(echo(0, 10))).to.equal(Infinity);
    expect(rssBytesPerSocket(idle(2048))).to.equal(2048);
    expect(busyPercent(echo(1, 250), 'server')).to.equal(25);
    expect(busyPercent(fanout(1, 100), 'client')).to.equal(20);
  });

  it('rotates the servers each round', () => {
    expect(roundOrder(['a', 'b', 'c'], 1)).to.deep.equal(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 2)).to.deep.equal(['b', 'c', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 4)).to.deep.equal(['a', 'b', 'c']);
  });

  it('takes the median of the per-round ratios, not the ratio of the medians', () => {
    const rate = (r: Cell['result']) => ratePerSecond(r as EchoResult);
    // Per round 2, 2, 1: median 2; the medians' ratio would be 20,000 / 12,000.
    expect(pairedRatio(cells, 'percore-uws', 'ws', rate)).to.equal(2);
    expect(pairedRatio(cells, 'percore-uws', 'uws-raw', rate)).to.equal(0.5);
    expect(pairedRatio(cells, 'percore-uws', 'nginx', rate)).to.equal(undefined);
  });

  it('pairs only rounds that both servers have', () => {
    const partial = cells.filter((c) => !(c.server === 'ws' && c.round === 1));
    // Rounds 2 and 3 only: ratios 2 and 1.
    expect(pairedRatio(partial, 'percore-uws', 'ws', (r) => ratePerSecond(r as EchoResult))).to.equal(1.5);
  });

  it('summarises medians, ranges and ratios per row', () => {
    const [row] = summarise(cells, servers);
    expect(row!.row).to.equal('echo');
    const percore = row!.servers.find((s) => s.server === 'percore-uws')!;
    expect(percore.rounds).to.equal(3);
    expect(percore.medians['round trips/s']).to.equal(20_000);
    expect(percore.ranges['round trips/s']).to.deep.equal([12_000, 30_000]);
    // CPU per 1k: percore 50, 50, 100; ws 100, 100, 100 -> ratios 0.5, 0.5, 1.
    expect(percore.ratios['server CPU ms per 1k round trips']).to.deep.equal({ ws: 0.5, 'uws-raw': 2 });
    expect(percore.ratios['round trips/s']).to.deep.equal({ ws: 2, 'uws-raw': 0.5 });
  });

  it('renders a table per row with medians and ratios, and lists the failures', () => {
    const all: Cell[] = [
      ...cells,
      { round: 1, server: 'ws', result: fanout(1000, 100) },
      { round: 1, server: 'percore-uws', result: fanout(8000, 100) },
      { round: 1, server: 'ws', result: idle(5000) },
      { round: 1, server: 'uws-raw', result: idle(500) },
    ];
    const failures: Failure[] = [
      { round: 1, row: 'echo', server: 'percore-net', message: 'percore-net did not start: PERCORE_ERR_INVALID_OPTION: no' },
    ];
    const text = renderWebSocketTables(all, failures, ['percore-net', ...servers], titles);
    const lines = text.split('\n');
    expect(lines).to.include('### echo row');
    expect(lines.find((l) => l.startsWith('| percore-uws | 20,000 |'))).to.equal(
      '| percore-uws | 20,000 | 12,000-30,000 | 50.00 | 100 | 900 | 120 | 50 | 2.00 | 0.50 | 0.50 | 2.00 | 3 |',
    );
    // A server's ratio to itself is left empty.
    expect(lines.find((l) => l.startsWith('| ws | 12,000 |'))).to.equal(
      '| ws | 12,000 | 10,000-15,000 | 100.00 | 100 | 900 | 120 | 50 |  | 0.25 |  | 4.00 | 3 |',
    );
    expect(lines).to.include('- **percore-net**, round 1: percore-net did not start: PERCORE_ERR_INVALID_OPTION: no');
    // Fan-out: deliveries/s 4,000 against 500; uws-raw has no fan-out cell, so no ratio to it.
    expect(lines.find((l) => l.startsWith('| percore-uws | 4,000 |'))).to.equal(
      '| percore-uws | 4,000 | 4,000-4,000 | 12.500 | 5 | 20 | 8.00 |  | 0.13 |  | 1 |',
    );
    // Idle: 5,000 KiB over 1,024 sockets = 5,000 bytes each.
    expect(lines.find((l) => l.startsWith('| uws-raw | 500 |'))).to.equal('| uws-raw | 500 | 500-500 | 800 | 0.10 |  | 1 |');
    // Header and alignment rows have as many cells as the data rows.
    const echoHead = lines.find((l) => l.startsWith('| server | median round trips/s'))!;
    expect(echoHead.split('|').length).to.equal(lines[lines.indexOf(echoHead) + 1]!.split('|').length);
    expect(lines.indexOf('### idle row')).to.be.greaterThan(lines.indexOf('### fan-out row'));
  });

  it('renders the JSON with the header, the summary, every cell and the failures', () => {
    const json = JSON.parse(renderWebSocketJson({ command: 'x' }, cells, [], servers)) as {
      command: string;
      cells: Cell[];
      summary: unknown[];
    };
    expect(json.command).to.equal('x');
    expect(json.cells).to.have.length(9);
    expect(json.summary).to.have.length(1);
  });
});
