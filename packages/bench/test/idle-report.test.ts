import { expect } from 'chai';
import type { IdleMeasurement } from '../src/idle/measure.js';
import {
  bytesPerConnection,
  intact,
  renderIdleJson,
  renderIdleMarkdown,
  summarise,
  type CellKey,
  type IdleCell,
  type IdleFailure,
  type IdleHeader,
  type IdleSkip,
} from '../src/idle/report.js';

// 1,024 connections: a VmRSS growth of N KiB is N bytes per connection.
function measured(growthKiB: number, changes: Partial<IdleMeasurement> = {}): IdleMeasurement {
  return {
    connections: 1024,
    measured: 'node, the server process itself',
    measuredPids: [100],
    rssBeforeKiB: 50_000,
    rssAfterKiB: 50_000 + growthKiB,
    openMs: 900,
    closedByServer: 0,
    unexpectedData: 0,
    heldByServer: 1024,
    ...changes,
  };
}

const percore: CellKey = { server: 'percore-net-1', label: 'percore net', node: 'v20.20.2' };
const nginx: CellKey = { server: 'nginx-1', label: 'nginx, 1 worker', node: null };
const nodeHttp: CellKey = { server: 'node-http', label: 'node:http', node: 'v20.20.2' };
const keys = [percore, nginx, nodeHttp];

const cells: IdleCell[] = [
  { ...percore, round: 1, measurement: measured(6200) },
  { ...percore, round: 2, measurement: measured(5800) },
  { ...percore, round: 3, measurement: measured(6000) },
  { ...nginx, round: 1, measurement: measured(500, { measured: 'nginx: worker process, the leaf of its process tree' }) },
  { ...nginx, round: 2, measurement: measured(480) },
  { ...nginx, round: 3, measurement: measured(100, { closedByServer: 24, heldByServer: 1000, firstClosedAfterS: 4.96 }) },
];
const failures: IdleFailure[] = [{ ...nodeHttp, round: 2, message: 'idle connection 7 of 1024: status 503, not 200' }];
const skipped: IdleSkip[] = [
  { server: 'percore-uws-1', label: 'percore uws', node: 'v24.21.0', reason: 'no uWebSockets.js binary for Node v24.21.0' },
];
const header: IdleHeader = {
  command: 'pnpm bench idle --connections 1024',
  date: '2026-12-02T12:00:00.000Z',
  node: 'v20.20.2',
  cpu: 'AMD EPYC, 2 cores',
  openFileLimit: 20_000,
  pinning: { server: '1', client: '0' },
  connections: 1024,
  rounds: 3,
  settleMs: 2000,
};

describe('pnpm bench idle: the report', () => {
  it('counts VmRSS growth per connection, and a cell as intact only when the server kept every connection quietly', () => {
    expect(bytesPerConnection(measured(6000))).to.equal(6000);
    expect(bytesPerConnection({ ...measured(0), connections: 2000, rssAfterKiB: 50_010 })).to.equal(5.12);
    expect(intact(measured(1))).to.equal(true);
    expect(intact(measured(1, { closedByServer: 1 }))).to.equal(false);
    expect(intact(measured(1, { unexpectedData: 1 }))).to.equal(false);
    expect(intact(measured(1, { heldByServer: 1023 }))).to.equal(false);
  });

  it('summarises the median and range of the intact rounds and projects the median to 500,000 connections', () => {
    const [p, n, h] = summarise(keys, cells);
    expect(p).to.include({ server: 'percore-net-1', node: 'v20.20.2', rounds: 3, dropped: 0, rssBeforeKiB: 50_000, rssAfterKiB: 56_000 });
    expect(p!.bytesPerConnection).to.deep.equal({ median: 6000, min: 5800, max: 6200 });
    expect(p!.projectedGiB).to.be.closeTo((6000 * 500_000) / 2 ** 30, 1e-9);
    // The dropped round is left out: the median of 500 and 480, not of 500, 480 and 100.
    expect(n).to.include({ rounds: 2, dropped: 1, measured: 'nginx: worker process, the leaf of its process tree' });
    expect(n!.bytesPerConnection).to.deep.equal({ median: 490, min: 480, max: 500 });
    expect(h).to.include({ rounds: 0, dropped: 0, bytesPerConnection: null, projectedGiB: null });
  });

  it('renders the table, the projections, what was read, the skipped server with its reason, and the problems', () => {
    const markdown = renderIdleMarkdown(header, keys, cells, failures, skipped);
    expect(markdown).to.include('Command: `pnpm bench idle --connections 1024`');
    expect(markdown).to.include('taskset -c 1');
    expect(markdown).to.include('| percore net (percore-net-1) | v20.20.2 | 6,000 | 5,800-6,200 | 48.8, 54.7 | 2.79 GiB | 3 |');
    expect(markdown).to.include('| nginx, 1 worker (nginx-1) | - | 490 | 480-500 | 48.8, 49.3 | 0.23 GiB | 2 (+1 dropped) |');
    expect(markdown).to.include('| node:http (node-http) | v20.20.2 | n/a |');
    expect(markdown).to.include('- percore-net-1 Node v20.20.2: 500,000 connections per worker would take 2.79 GiB.');
    expect(markdown).to.include('- nginx-1: 500,000 connections per worker would take 0.23 GiB.');
    expect(markdown).not.to.include('node-http Node v20.20.2: 500,000');
    expect(markdown).to.include('- nginx-1: nginx: worker process, the leaf of its process tree');
    expect(markdown).to.include('- percore-uws-1 Node v24.21.0: no uWebSockets.js binary for Node v24.21.0');
    expect(markdown).to.include('- round 3 nginx-1: the server closed 24 of 1,024 idle connections, the first 5.0 s after the opening began');
    expect(markdown).to.include('the TCP table showed it holding 1,000 of 1,024');
    expect(markdown).to.include('- round 2 node-http Node v20.20.2: idle connection 7 of 1024: status 503, not 200');
  });

  it('renders the JSON with the header, the summary, every cell with its figure, the failures and the skipped', () => {
    const json = JSON.parse(renderIdleJson(header, keys, cells, failures, skipped)) as Record<string, unknown[]> & { header: IdleHeader };
    expect(json.header).to.deep.equal(header);
    expect(json.summary).to.have.length(3);
    expect(json.cells).to.have.length(6);
    expect(json.cells![5]).to.include({ round: 3, server: 'nginx-1', bytesPerConnection: 100, intact: false });
    expect(json.failures).to.deep.equal(failures);
    expect(json.skipped).to.deep.equal(skipped);
  });
});
