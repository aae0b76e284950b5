import { expect } from 'chai';
import { renderComparison, roundRatios } from '../src/compare-report.js';
import { sampleRun } from './sample-run.js';

describe('renderComparison (pnpm bench compare)', () => {
  const table = renderComparison({ ...sampleRun(), requests: { keepAlive: 100000 }, pinning: { server: '1', client: '0' } });
  const lines = table.split('\n');

  it('says what was run: machine, rounds, load and pinning, and what the cells are', () => {
    expect(lines[0]).to.equal(
      'Node v20.20.2, Test CPU @ 3.0GHz, 8 cores, 2026-11-22. 2 rounds, interleaved; 25 connections, 5 s per cell, ab -k -n 100000. Servers on CPUs 1, load generators on CPUs 0.',
    );
    expect(lines[1]).to.equal('Cells: median req/s (min-max), server CPU (100% = one core), ratio to node:http 1 process.');
  });

  it('has a column per server and a row per tool: median (min-max), CPU, and the ratio to the first server', () => {
    expect(lines).to.include('| tool | node:http 1 process | percore net 4 workers | raw <uWS> & co |');
    expect(lines).to.include(
      '| ab -c25 | 11,000 (10,000-12,000), CPU 100% | 33,000 (30,000-36,000), CPU 100% **3.00x** | n/a: uWebSockets.js answers HTTP/1.0 with 505 |',
    );
    expect(lines).to.include(
      '| wrk -c25 | 20,000 (20,000-20,000), CPU 100% | 60,000 (50,000-70,000), CPU 100%† **3.00x** | 80,000 (80,000-80,000), CPU 100% **4.00x** |',
    );
    expect(table).to.include('† the load generator used most of a core');
    expect(lines.at(-1)).to.equal('Command: `pnpm bench --rounds 2`');
  });

  it('says when nothing was pinned', () => {
    expect(renderComparison(sampleRun()).split('\n')[0]).to.match(/per cell\. Not pinned\.$/);
  });

  it('lists each server against the first round by round, skipping rows where a server has no result', () => {
    expect(roundRatios(sampleRun())).to.deep.equal([
      { row: 'ab -c25', server: 'percore net 4 workers', ratios: [3, 3] },
      { row: 'wrk -c25', server: 'percore net 4 workers', ratios: [2.5, 3.5] },
      { row: 'wrk -c25', server: 'raw <uWS> & co', ratios: [4, 4] },
    ]);
    expect(lines).to.include('- wrk -c25, percore net 4 workers: 2.500, 3.500');
  });

  it('names the path and the counted status when the run has them', () => {
    const first = renderComparison({ ...sampleRun(), path: '/missing', status: 404 }).split('\n')[0];
    expect(first).to.include('GET /missing, every response counted (each a 404, checked first)');
  });
});
