import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchRun } from '../src/types.js';

const main = new URL('../dist/main.js', import.meta.url).pathname;
const run = promisify(execFile);

/** Command lines of processes that run one of the bench's servers. */
function serverProcesses(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (/node-http-hello\.mjs|hello\/dist\/main\.js --engine/.test(cmdline)) found.push(cmdline);
    } catch {
      // gone
    }
  }
  return found;
}

describe('pnpm bench --quick (pipeline, not speed)', function () {
  this.timeout(60_000);
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'percore-bench-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('measures node:http and percore net, writes the table, JSON and chart, and leaves no server running', async () => {
    expect(serverProcesses(), 'no bench server before').to.deep.equal([]);
    const { stdout } = await run(
      process.execPath,
      [
        main,
        '--quick',
        '--only',
        'node-http,percore-net',
        '--tools',
        'autocannon',
        '--workers',
        '1',
        '--out',
        out,
        '--json',
        join(out, 'copy.json'),
      ],
      { timeout: 50_000 },
    );

    const json = readdirSync(out).find((name) => name.endsWith('.json') && name !== 'copy.json')!;
    const bench = JSON.parse(readFileSync(join(out, json), 'utf8')) as BenchRun;
    expect(bench.servers.map((s) => s.id)).to.deep.equal(['node-http', 'percore-net']);
    expect(bench.rows.map((r) => r.id)).to.deep.equal(['autocannon', 'autocannon-k']);
    for (const server of ['node-http', 'percore-net']) {
      for (const row of ['autocannon', 'autocannon-k']) {
        const cell = bench.measurements.filter((m) => m.server === server && m.row === row);
        expect(cell, `${server} / ${row}`).to.have.length(1);
        expect(cell[0]!.skipped, `${server} / ${row}`).to.equal(undefined);
        expect(cell[0]!.result!.requestsPerSecond, `${server} / ${row}`).to.be.greaterThan(0);
        expect(cell[0]!.result!.non2xx).to.equal(0);
      }
    }
    expect(JSON.parse(readFileSync(join(out, 'copy.json'), 'utf8'))).to.deep.equal(bench);
    expect(stdout).to.include('| autocannon -c25 keep-alive |');
    expect(readFileSync(join(out, json.replace(/\.json$/, '.md')), 'utf8')).to.equal(stdout.replace(/\n$/, ''));
    expect(readFileSync(join(out, json.replace(/\.json$/, '.svg')), 'utf8')).to.match(/^(<\?xml[^>]*>\s*)?<svg[\s\S]*<\/svg>\s*$/);
    expect(serverProcesses(), 'every server process is gone').to.deep.equal([]);
  });

  it('with --node runs each Node server on the line, records the line, and prints its table', async () => {
    const json = join(out, 'lines.json');
    const { stdout, stderr } = await run(
      process.execPath,
      [main, 'compare', '--quick', '--servers', 'node-http,percore-net-1', '--tools', 'autocannon-k', '--node', 'current', '--json', json],
      { timeout: 50_000 },
    );
    const bench = JSON.parse(readFileSync(json, 'utf8')) as BenchRun;
    expect(bench.nodeLines).to.deep.equal([{ line: 'current', version: process.version, execPath: process.execPath }]);
    expect(bench.servers.map((s) => [s.id, s.node, s.base])).to.deep.equal([
      ['node-http~nodecurrent', 'current', 'node-http'],
      ['percore-net-1~nodecurrent', 'current', 'percore-net-1'],
    ]);
    expect(bench.measurements.map((m) => [m.server, m.node, m.skipped])).to.deep.equal([
      ['node-http~nodecurrent', 'current', undefined],
      ['percore-net-1~nodecurrent', 'current', undefined],
    ]);
    expect(stderr).to.include(`Node current: ${process.version}`);
    expect(stderr).to.match(/autocannon -c25 keep-alive \| percore net on Node v[\d.]+: \d+ req\/s/);
    expect(stdout).to.include(`### Node ${process.version}`);
    expect(stdout).to.match(/\| autocannon -c25 keep-alive \| .* \*\*[\d.]+x\*\* \|/);
    expect(serverProcesses(), 'every server process is gone').to.deep.equal([]);
  });

  it('refuses unknown servers and bad numbers with usage and exit code 2', async () => {
    for (const args of [
      ['--only', 'apache'],
      ['--rounds', '0'],
      ['--bogus'],
      ['compare', '--servers', 'apache'],
      ['compare', '--pin', '--client-cpus', '0'],
      ['compare', '--node', '22,22'],
    ]) {
      const failure = await run(process.execPath, [main, ...args]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure, args.join(' ')).to.not.equal(null);
      expect(failure!.code).to.equal(2);
      expect(failure!.stderr).to.match(/Usage: pnpm bench/);
    }
  });
});
