import { expect } from 'chai';
import { renderJson, renderMarkdown, summarize } from '../src/report.js';
import { sampleRun } from './sample-run.js';

describe('summarize', () => {
  const summary = summarize(sampleRun());
  const cell = (row: string, server: string) => {
    const found = summary.rows.find((r) => r.row.id === row)?.cells.find((c) => c.server === server);
    if (!found) throw new Error(`no cell ${row}/${server}`);
    return found;
  };

  it('takes medians over rounds and ratios to the baseline', () => {
    expect(cell('ab', 'node').requestsPerSecond).to.equal(11000);
    expect(cell('ab', 'node').ratio).to.equal(1);
    expect(cell('ab', 'percore').requestsPerSecond).to.equal(33000);
    expect(cell('ab', 'percore').ratio).to.equal(3);
    expect(cell('wrk', 'uws').ratio).to.equal(4);
    expect(cell('ab', 'percore').spread).to.deep.equal({ min: 30000, max: 36000, relative: 6000 / 33000 });
  });

  it('marks n/a cells with their reason', () => {
    const na = cell('ab', 'uws');
    expect(na.requestsPerSecond).to.equal(null);
    expect(na.ratio).to.equal(null);
    expect(na.reason).to.equal('uWebSockets.js answers HTTP/1.0 with 505');
  });

  it('flags a saturated client', () => {
    expect(cell('wrk', 'percore').clientSaturated).to.equal(true);
    expect(cell('wrk', 'percore').clientCpu).to.equal(0.97);
    expect(cell('wrk', 'node').clientSaturated).to.equal(false);
  });

  it('leaves out CPU figures that could not be measured (NaN)', () => {
    const run = sampleRun();
    for (const m of run.measurements) if (m.row === 'wrk' && m.server === 'percore') m.clientCpu = Number.NaN;
    const c = summarize(run).rows[1]!.cells[1]!;
    expect(c.clientCpu).to.equal(null);
    expect(c.clientSaturated).to.equal(false);
  });

  it('says "not measured" for a cell without measurements', () => {
    const run = sampleRun();
    run.measurements = run.measurements.filter((m) => !(m.row === 'wrk' && m.server === 'uws'));
    const s = summarize(run);
    expect(s.rows[1]!.cells[2]!.reason).to.equal('not measured');
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleRun());
  const tableLines = md.split('\n').filter((l) => l.startsWith('|'));

  it('has a header, a separator and one line per row, each with 1 + servers columns', () => {
    expect(tableLines).to.have.length(4);
    for (const line of tableLines) {
      // Cells are split on unescaped pipes.
      const cells = line.split(/(?<!\\)\|/).slice(1, -1);
      expect(cells, line).to.have.length(4);
    }
    expect(tableLines[0]).to.equal('|  | node:http 1 process | percore net 4 workers | raw &lt;uWS> & co |');
  });

  it('shows the baseline plain, other cells with their ratio, n/a with a footnote', () => {
    expect(tableLines[2]).to.equal('| ab -c25 | 11,000 | 33,000 (3.00x) | n/a¹ |');
    expect(md).to.include('¹ uWebSockets.js answers HTTP/1.0 with 505');
  });

  it('marks and explains client saturation', () => {
    expect(tableLines[3]).to.equal('| wrk -c25 | 20,000 | 60,000 (3.00x)† | 80,000 (4.00x) |');
    expect(md).to.match(/^† The load generator used 0.9 of a core or more/m);
  });

  it('gives the machine facts, the command and the note on ratios', () => {
    expect(md).to.include('Test CPU @ 3.0GHz, 8 cores');
    expect(md).to.include('v20.20.2');
    expect(md).to.include('ab 2.3, wrk 4.1.0');
    expect(md).to.include('2026-11-22T06:00:00.000Z');
    expect(md).to.include('testhost');
    expect(md).to.include('```sh\npnpm bench --rounds 2\n```');
    expect(md).to.match(/ratios to the baseline are what carry over/);
  });

  it('numbers a partly failed cell with its own footnote', () => {
    const run = sampleRun();
    const m = run.measurements.find((x) => x.row === 'wrk' && x.server === 'node' && x.round === 2)!;
    m.result = null;
    m.skipped = 'wrk exited with code 1';
    const text = renderMarkdown(run);
    expect(text).to.include('| wrk -c25 | 20,000² |');
    expect(text).to.include('² 1 of 2 rounds without a result: wrk exited with code 1');
  });

  it('omits the saturation note when no client saturated', () => {
    const run = sampleRun();
    for (const m of run.measurements) m.clientCpu = 0.2;
    expect(renderMarkdown(run)).not.to.include('†');
  });
});

describe('renderJson', () => {
  it('round-trips the run', () => {
    const run = sampleRun();
    expect(JSON.parse(renderJson(run))).to.deep.equal(run);
  });
});
