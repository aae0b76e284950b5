import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS, parseCli, usage, UsageError, type BenchCommand } from '../src/cli.js';
import { findServer, launchCommand, SERVERS, TABLE_SERVERS } from '../src/servers.js';
import { abLoadArgs } from '../src/tools.js';

function command(argv: string[], cores = 8): BenchCommand {
  const parsed = parseCli(argv, cores);
  if (!('command' in parsed)) throw new Error('expected a command, got the help');
  return parsed.command;
}

function usageError(argv: string[], cores = 8): string {
  try {
    parseCli(argv, cores);
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

const ids = (c: BenchCommand) => c.servers.map((s) => s.id);
const rowIds = (c: BenchCommand) => c.rows.map((r) => r.id);

describe('bench command line', () => {
  describe('pnpm bench (the table)', () => {
    it('runs the table servers and every row, 3 rounds of 5 s at -c25, a worker per core', () => {
      const c = command([], 6);
      expect(c.mode).to.equal('table');
      expect(ids(c)).to.deep.equal(['tornado', 'node-http', 'node-http-cluster', 'nginx', 'percore-net', 'percore-uws', 'raw-uws']);
      expect(ids(c)).to.deep.equal(TABLE_SERVERS.map((s) => s.id));
      expect(rowIds(c)).to.deep.equal(['ab', 'ab-k', 'wrk', 'autocannon', 'autocannon-k']);
      expect(c).to.include({ rounds: 3, durationSeconds: 5, connections: 25, workers: 6, warmupSeconds: 2 });
      expect(c.requests).to.equal(undefined);
      expect(c.serverCpus).to.equal(undefined);
      expect(c.clientCpus).to.equal(undefined);
    });

    it('ignores the -- that pnpm passes along, and --quick makes one round of 1 s without warm-up', () => {
      const c = command(['--', '--quick', '--only', 'node-http', '--tools', 'autocannon']);
      expect(ids(c)).to.deep.equal(['node-http']);
      expect(rowIds(c), 'a tool name selects all its rows').to.deep.equal(['autocannon', 'autocannon-k']);
      expect(c).to.include({ rounds: 1, durationSeconds: 1, warmupSeconds: 0 });
    });
  });

  describe('pnpm bench compare', () => {
    it('takes servers, tools, rounds, duration and request counts', () => {
      const c = command([
        'compare',
        '--servers',
        'raw-net,percore-net-1',
        '--tools',
        'ab-k,wrk',
        '--rounds',
        '5',
        '--duration',
        '4',
        '--requests',
        '100000',
        '--requests-close',
        '20000',
        '--connections',
        '50',
      ]);
      expect(c.mode).to.equal('compare');
      expect(ids(c)).to.deep.equal(['raw-net', 'percore-net-1']);
      expect(rowIds(c)).to.deep.equal(['ab-k', 'wrk']);
      expect(c).to.include({ rounds: 5, durationSeconds: 4, requests: 100000, requestsClose: 20000, connections: 50 });
    });

    it('defaults to node:http against percore net on one process, under ab -k, wrk and autocannon keep-alive', () => {
      const c = command(['--', 'compare', '--']);
      expect(ids(c)).to.deep.equal(['node-http', 'percore-net-1']);
      expect(rowIds(c)).to.deep.equal(['ab-k', 'wrk', 'autocannon-k']);
    });

    it('knows every server compare.mjs knew, from the one list', () => {
      const formerlyInCompareMjs = [
        'node-http',
        'node-http-cluster',
        'raw-net',
        'percore-net-1',
        'raw-uws',
        'percore-uws',
        'raw-uws-1',
        'percore-uws-1',
        'percore-uws-1-headers',
        'percore-hello',
        'tornado',
      ];
      for (const id of formerlyInCompareMjs) expect(findServer(id), id).to.equal(SERVERS.find((s) => s.id === id));
      expect(ids(command(['compare', '--servers', formerlyInCompareMjs.join(',')]))).to.deep.equal(formerlyInCompareMjs);
    });
  });

  describe('servers from elsewhere', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'percore-dist-'));
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'dist', 'index.js'), '');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('ID@DIR runs a percore baseline on another build, beside the current one', () => {
      const old = join(dir, 'dist');
      const c = command(['compare', '--servers', `percore-net-1,percore-net-1@${old}`]);
      expect(ids(c)).to.deep.equal(['percore-net-1', `percore-net-1@${old}`]);
      const [current, other] = c.servers as [BenchCommand['servers'][0], BenchCommand['servers'][0]];
      expect(current.env?.PERCORE_DIST).to.equal(undefined);
      expect(other.env?.PERCORE_DIST).to.equal(old);
      expect(other.label).to.include(old);
      expect(other.command(4000, 2)).to.deep.equal(current.command(4000, 2));
      expect(other.unavailable()).to.equal(null);
      expect(findServer(`percore-net-1@${dir}/nothing`)!.unavailable()).to.match(/no percore build/);
    });

    it('refuses @DIR on servers that do not load percore from a dist', () => {
      expect(usageError(['compare', '--servers', 'node-http@/tmp'])).to.match(/only percore-net-1, .* take @DIR/);
      expect(usageError(['compare', '--servers', 'percore-net-1@'])).to.match(/take @DIR/);
    });

    it('--extra-server NAME=COMMAND runs the command under sh with {port} and {workers}, or the port appended', () => {
      const c = command([
        'compare',
        '--servers',
        'node-http',
        '--extra-server',
        'old=node /old/baselines/percore-net-hello.mjs',
        '--extra-server',
        'mine=./serve --port {port} -w {workers}',
      ]);
      expect(ids(c)).to.deep.equal(['node-http', 'old', 'mine']);
      expect(c.servers[1]!.command(1234, 3)).to.deep.equal(['sh', '-c', 'node /old/baselines/percore-net-hello.mjs 1234']);
      expect(c.servers[2]!.command(1234, 3)).to.deep.equal(['sh', '-c', './serve --port 1234 -w 3']);
      expect(c.servers[1]!.unavailable()).to.equal(null);
    });

    it('refuses a malformed or clashing --extra-server', () => {
      expect(usageError(['--extra-server', 'no-command'])).to.match(/NAME=COMMAND/);
      expect(usageError(['--extra-server', 'x='])).to.match(/NAME=COMMAND/);
      expect(usageError(['--servers', 'node-http', '--extra-server', 'node-http=node x.mjs'])).to.match(/given twice/);
    });
  });

  describe('paths, statuses and the file servers', () => {
    it('--path sets the request path and --status the status it must answer; neither by default', () => {
      const c = command(['compare', '--servers', 'nginx-static,percore-net-router', '--path', '/1k.bin', '--status', '404']);
      expect(c).to.include({ path: '/1k.bin', status: 404 });
      expect(ids(c)).to.deep.equal(['nginx-static', 'percore-net-router']);
      const plain = command(['compare']);
      expect(plain.path).to.equal(undefined);
      expect(plain.status).to.equal(undefined);
    });

    it('refuses a path without its leading slash or with spaces, and a status outside 100-599', () => {
      expect(usageError(['compare', '--path', '1k.bin'])).to.match(/--path takes a path starting with \//);
      expect(usageError(['compare', '--path', '/a b'])).to.match(/--path/);
      expect(usageError(['compare', '--status', '99'])).to.match(/--status takes an HTTP status code/);
      expect(usageError(['compare', '--status', '404.5'])).to.match(/--status/);
    });

    it("gives the file servers the run's root, nginx its own generated config beside it", () => {
      const files = { dir: '/tmp/run', root: '/tmp/run/root', remove: () => undefined };
      for (const id of ['sirv', 'node-stat-static', 'percore-net-static', 'percore-uws-static']) {
        const spec = findServer(id)!;
        expect(spec.servesFiles, id).to.equal(true);
        expect(spec.command(4000, 1, files), id).to.include('/tmp/run/root');
        expect(() => spec.command(4000, 1), `${id} without a file set`).to.throw(/file set/);
      }
      expect(findServer('percore-uws-static')!.command(4000, 1, files).at(-1)).to.equal('uws');
      expect(findServer('percore-net-router')!.servesFiles).to.equal(undefined);
    });
  });

  describe('pinning', () => {
    it('--pin puts the load generators on CPU 0 and the servers on the rest', () => {
      expect(command(['compare', '--pin'], 2)).to.include({ clientCpus: '0', serverCpus: '1' });
      expect(command(['compare', '--pin'], 8)).to.include({ clientCpus: '0', serverCpus: '1-7' });
      expect(usageError(['compare', '--pin'], 1)).to.match(/2 CPUs or more/);
    });

    it('--server-cpus and --client-cpus take taskset CPU lists', () => {
      expect(command(['compare', '--server-cpus', '2-3,6', '--client-cpus', '0,1'])).to.include({ serverCpus: '2-3,6', clientCpus: '0,1' });
      expect(usageError(['--server-cpus', 'one'])).to.match(/CPU list/);
      expect(usageError(['--client-cpus', '1,'])).to.match(/CPU list/);
      expect(usageError(['--pin', '--server-cpus', '1'])).to.match(/not both/);
    });

    it('starts a pinned server under taskset -c', () => {
      const spec = findServer('node-http')!;
      expect(launchCommand(spec, 5000, 2)).to.deep.equal(spec.command(5000, 2));
      expect(launchCommand(spec, 5000, 2, '1')).to.deep.equal(['taskset', '-c', '1', ...spec.command(5000, 2)]);
    });
  });

  describe('--node (several Node lines in one run)', () => {
    it('takes majors and current, in order, on the table and on compare, beside --pin', () => {
      expect(command(['--node', '22,24,26']).nodeLines).to.deep.equal(['22', '24', '26']);
      const c = command(['compare', '--servers', 'raw-net,percore-net-1,nginx-1', '--node', ' 26, current ', '--pin'], 2);
      expect(c).to.include({ mode: 'compare', clientCpus: '0', serverCpus: '1' });
      expect(c.nodeLines).to.deep.equal(['26', 'current']);
      expect(ids(c), 'the servers as given: the runner makes a column per line').to.deep.equal(['raw-net', 'percore-net-1', 'nginx-1']);
    });

    it("is absent without the flag: one line, the bench's own Node", () => {
      expect(command([])).not.to.have.property('nodeLines');
      expect(command(['compare', '--pin'], 2)).not.to.have.property('nodeLines');
    });

    it('refuses what is not a major, a line given twice, and an empty list', () => {
      expect(usageError(['--node', '22,lts'])).to.match(/--node: "lts" is not a Node major/);
      expect(usageError(['compare', '--node', '0'])).to.match(/"0" is not a Node major/);
      expect(usageError(['compare', '--node', 'v24'])).to.match(/"v24" is not a Node major/);
      expect(usageError(['compare', '--node', '24.1'])).to.match(/not a Node major/);
      expect(usageError(['--node', '24,22,24'])).to.match(/"24" is given twice/);
      expect(usageError(['--node', 'current,current'])).to.match(/given twice/);
      expect(usageError(['--node', ','])).to.match(/--node takes majors/);
      expect(usageError(['--node'])).to.match(/--node/);
    });
  });

  describe('rows', () => {
    it('runs a row named twice once, where it is first named', () => {
      expect(rowIds(command(['compare', '--tools', 'ab,ab-k,wrk']))).to.deep.equal(['ab', 'ab-k', 'wrk']);
      expect(rowIds(command(['compare', '--tools', 'wrk,ab-k,ab,wrk']))).to.deep.equal(['wrk', 'ab-k', 'ab']);
      expect(rowIds(command(['--tools', 'autocannon-k,autocannon']))).to.deep.equal(['autocannon-k', 'autocannon']);
    });
  });

  describe('refusals and help', () => {
    it('refuses unknown servers, tools, flags, words and bad numbers', () => {
      expect(usageError(['--only', 'apache'])).to.match(/unknown server "apache"; choose from: tornado/);
      expect(usageError(['compare', '--tools', 'siege'])).to.match(/unknown tool or row "siege"/);
      expect(usageError(['--bogus'])).to.match(/bogus/);
      expect(usageError(['table'])).to.match(/table/);
      expect(usageError(['--rounds', '0'])).to.match(/--rounds must be a positive number/);
      expect(usageError(['compare', '--requests=-5'])).to.match(/--requests must be a positive number/);
      expect(usageError(['compare', '--duration', 'soon'])).to.match(/--duration must be a positive number/);
      expect(usageError(['--servers', 'node-http', '--only', 'node-http'])).to.match(/not both/);
    });

    it('--help describes every flag and every server', () => {
      const parsed = parseCli(['compare', '--help'], 4);
      expect(parsed).to.deep.equal({ help: usage(4) });
      const text = usage(4);
      for (const flag of Object.keys(OPTIONS)) expect(text, flag).to.match(new RegExp(`--${flag} `));
      for (const spec of SERVERS) expect(text, spec.id).to.include(spec.id);
      expect(text).to.include('pnpm bench compare');
    });
  });

  describe('ab load arguments', () => {
    it('run for the duration unless a request count is given', () => {
      expect(abLoadArgs({ durationSeconds: 5, connections: 25 }, true).args).to.deep.equal(['-t', '5', '-n', '10000000']);
      expect(abLoadArgs({ durationSeconds: 5, connections: 25, requests: 100000 }, true).args).to.deep.equal(['-n', '100000']);
      expect(abLoadArgs({ durationSeconds: 5, connections: 25, requests: 100000 }, false).args).to.deep.equal(['-t', '5', '-n', '10000000']);
      expect(abLoadArgs({ durationSeconds: 5, connections: 25, requestsClose: 2000 }, false).args).to.deep.equal(['-n', '2000']);
    });
  });
});
