import { expect } from 'chai';
import { renderComparison } from '../src/compare-report.js';
import { columnLabel, lineViews, percoreOverRawNet } from '../src/line-views.js';
import { columnId, nodeColumns, runsOnNode } from '../src/node-columns.js';
import type { NodeLine } from '../src/node-lines.js';
import { renderMarkdown, summarize } from '../src/report.js';
import { extraServer, findServer, stopAllServers, type ServerSpec } from '../src/servers.js';
import { renderSvg } from '../src/svg.js';
import { sampleLinesRun } from './sample-lines-run.js';

const LINES: NodeLine[] = [
  { line: '22', version: 'v22.22.0', execPath: '/cache/node22/bin/node' },
  { line: '26', version: 'v26.1.0', execPath: '/cache/node26/bin/node' },
];

const spec = (id: string): ServerSpec => findServer(id) ?? extraServer(id)!;

/** A view's cell: its median and ratio, by the server's id before the line was added. */
function cellOf(run: ReturnType<typeof sampleLinesRun>, row: string, base: string) {
  const summary = summarize(run);
  const server = run.servers.find((s) => (s.base ?? s.id) === base)!;
  return summary.rows.find((r) => r.row.id === row)!.cells.find((c) => c.server === server.id)!;
}

describe('--node: servers x Node lines', () => {
  after(() => stopAllServers());

  it('tells Node servers (they run the binary given) from nginx, Tornado and --extra-server commands', () => {
    for (const id of ['node-http', 'node-http-cluster', 'percore-net', 'percore-net-1', 'raw-net', 'sirv', 'percore-net-static', 'raw-uws']) {
      expect(runsOnNode(spec(id)), id).to.equal(true);
    }
    for (const id of ['nginx', 'nginx-1', 'nginx-static', 'tornado', 'mine=node serve.mjs']) expect(runsOnNode(spec(id)), id).to.equal(false);
  });

  it('without lines, keeps the servers as they are', () => {
    const specs = ['node-http', 'nginx-1'].map(spec);
    const columns = nodeColumns(specs);
    expect(columns.map((c) => c.spec)).to.deep.equal(specs);
    expect(columns.every((c) => c.line === undefined)).to.equal(true);
  });

  it('runs each Node server once per line, bound to its binary, and every other server once, in the given order', () => {
    const columns = nodeColumns(['raw-net', 'nginx-1', `percore-net-1`].map(spec), LINES);
    expect(columns.map((c) => c.spec.id)).to.deep.equal([
      'raw-net~node22',
      'raw-net~node26',
      'nginx-1',
      'percore-net-1~node22',
      'percore-net-1~node26',
    ]);
    expect(columns.map((c) => c.line?.line)).to.deep.equal(['22', '26', undefined, '22', '26']);
    expect(columns.map((c) => c.base.id)).to.deep.equal(['raw-net', 'raw-net', 'nginx-1', 'percore-net-1', 'percore-net-1']);
    const [raw22, raw26, nginx] = columns;
    expect(raw22!.spec.command(4000, 1)[0]).to.equal('/cache/node22/bin/node');
    expect(raw26!.spec.command(4000, 1)[0]).to.equal('/cache/node26/bin/node');
    expect(raw26!.spec.command(4000, 1).slice(1)).to.deep.equal(spec('raw-net').command(4000, 1).slice(1));
    expect(nginx!.spec).to.equal(spec('nginx-1'));
    expect(raw22!.spec.label).to.equal(spec('raw-net').label);
  });

  it('asks whether a server can run on the line its variant is bound to', () => {
    const asked: (string | undefined)[] = [];
    const probe: ServerSpec = {
      id: 'probe',
      label: 'probe',
      command: (port, _workers, _files, node) => [node ?? process.execPath, 'probe.mjs', String(port)],
      unavailable: (node) => (asked.push(node), node === '/cache/node26/bin/node' ? 'no binary for 26' : null),
    };
    const columns = nodeColumns([probe], LINES);
    expect(columns.map((c) => c.spec.unavailable())).to.deep.equal([null, 'no binary for 26']);
    expect(asked).to.deep.equal(['/cache/node22/bin/node', '/cache/node26/bin/node']);
  });

  it('keeps ID@DIR ids apart from the line suffix, and ids unique', () => {
    const columns = nodeColumns([spec('percore-net-1'), findServer('percore-net-1@/old/dist')!], LINES);
    const ids = columns.map((c) => c.spec.id);
    expect(ids).to.deep.equal([
      'percore-net-1~node22',
      'percore-net-1~node26',
      'percore-net-1@/old/dist~node22',
      'percore-net-1@/old/dist~node26',
    ]);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(columns[3]!.spec.env?.PERCORE_DIST).to.equal('/old/dist');
    expect(columnId('raw-net', 'current')).to.equal('raw-net~nodecurrent');
  });
});

describe('--node: a two-line run, ratios within each line', () => {
  it('views each line with its own Node servers, the non-Node ones, and the baseline on that line', () => {
    const views = lineViews(sampleLinesRun());
    expect(views.map((v) => v.line.version)).to.deep.equal(['v22.22.0', 'v26.1.0']);
    expect(views[0]!.run.servers.map((s) => s.id)).to.deep.equal(['node-http~node22', 'percore-net-1~node22', 'raw-net~node22', 'nginx-1']);
    expect(views[1]!.run.baseline).to.equal('node-http~node26');
    expect(views[1]!.run.machine.node).to.equal('v26.1.0');
    expect(views[1]!.run.measurements.every((m) => m.node === '26' || m.server === 'nginx-1')).to.equal(true);
    expect(lineViews({ ...sampleLinesRun(), nodeLines: undefined })).to.deep.equal([]);
  });

  it("takes every cell's ratio against node:http on the same line, nginx's too", () => {
    const [v22, v26] = lineViews(sampleLinesRun()).map((v) => v.run);
    expect(cellOf(v22!, 'ab-k', 'percore-net-1').ratio).to.equal(3);
    expect(cellOf(v26!, 'ab-k', 'percore-net-1').ratio).to.equal(2.5);
    expect(cellOf(v22!, 'wrk', 'raw-net').ratio).to.equal(4);
    expect(cellOf(v26!, 'wrk', 'raw-net').ratio).to.equal(2);
    expect(cellOf(v22!, 'ab-k', 'nginx-1').ratio).to.equal(5);
    expect(cellOf(v26!, 'ab-k', 'nginx-1').ratio).to.equal(2.5);
    expect(cellOf(v26!, 'ab-k', 'node-http').ratio).to.equal(1);
  });

  it('compares percore net with raw node:net per line, from the medians', () => {
    const run = sampleLinesRun();
    // An outlying round moves a mean, not the median.
    run.measurements.find((m) => m.server === 'raw-net~node22' && m.row === 'ab-k' && m.round === 3)!.result!.requestsPerSecond = 400000;
    const summary = percoreOverRawNet(run)!;
    expect(summary.percore).to.equal('percore-net-1');
    expect(summary.lines.map((l) => [l.line.line, ...l.ratios])).to.deep.equal([
      ['22', 0.75, 0.75],
      ['26', 1.25, 1.25],
    ]);
  });

  it('has no percore/raw summary without raw-net or without a percore net server', () => {
    const run = sampleLinesRun();
    expect(percoreOverRawNet({ ...run, servers: run.servers.filter((s) => s.base !== 'raw-net') })).to.equal(null);
    expect(percoreOverRawNet({ ...run, servers: run.servers.filter((s) => s.base !== 'percore-net-1') })).to.equal(null);
    expect(percoreOverRawNet({ ...run, nodeLines: undefined })).to.equal(null);
  });

  it('renders the table with a heading and a ratio column per line, the summary, and every Node version', () => {
    const md = renderMarkdown(sampleLinesRun());
    expect(md).to.include('- Node: servers on v22.22.0, v26.1.0 (--node); the bench on v24.11.1');
    const v22 = md.indexOf('### Node v22.22.0');
    const v26 = md.indexOf('### Node v26.1.0');
    expect(v22).to.be.greaterThan(0);
    expect(v26).to.be.greaterThan(v22);
    expect(md.slice(v22, v26)).to.include('| ab -k -c25 | 10,000 | 30,000 (3.00x) | 40,000 (4.00x) | 50,000 (5.00x) |');
    expect(md.slice(v26)).to.include('| ab -k -c25 | 20,000 | 50,000 (2.50x) | 40,000 (2.00x) | 50,000 (2.50x) |');
    expect(md).to.include('percore-net-1 over raw-net');
    expect(md).to.include('| Node | ab -k -c25 | wrk -c25 |');
    expect(md).to.include('| v22.22.0 | 0.75x | 0.75x |');
    expect(md).to.include('| v26.1.0 | 1.25x | 1.25x |');
  });

  it('renders the comparison the same way: a table per line, ratios to the first server on that line', () => {
    const table = renderComparison(sampleLinesRun());
    const lines = table.split('\n');
    expect(lines[0]).to.match(/^Node v22\.22\.0, v26\.1\.0 \(servers; the bench on v24\.11\.1\), Test CPU/);
    const v26 = lines.indexOf('### Node v26.1.0');
    expect(lines.indexOf('### Node v22.22.0')).to.be.within(1, v26);
    expect(lines.slice(v26).find((l) => l.startsWith('| wrk -c25'))).to.include('100,000 (90,000-110,000), CPU 100% **2.50x**');
    expect(lines).to.include('- wrk -c25, raw node:net: 2.000, 2.000, 2.000');
    expect(lines).to.include('| v26.1.0 | 1.25x | 1.25x |');
    expect(lines.at(-1)).to.equal('Command: `pnpm bench compare --node 22,26`');
  });

  it('charts every column, each labelled with its Node version', () => {
    const run = sampleLinesRun();
    expect(columnLabel(run, run.servers[1]!)).to.equal('node:http (1 process) on Node v26.1.0');
    expect(columnLabel(run, run.servers.at(-1)!)).to.equal('nginx, 1 worker (1 process)');
    const svg = renderSvg(run);
    expect(svg.match(/<rect class="swatch"/g)).to.have.length(7);
    expect(svg.match(/<rect class="bar"/g)).to.have.length(14);
    expect(svg).to.include('>raw node:net on Node v22.22.0<');
    expect(svg).to.include('Node v22.22.0, v26.1.0');
  });
});
