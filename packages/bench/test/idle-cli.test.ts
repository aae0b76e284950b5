import { expect } from 'chai';
import { DEFAULT_IDLE_SERVERS, IDLE_SERVER_IDS, idleUsage, IdleUsageError, parseIdleCli, type IdleCommand } from '../src/idle/cli.js';
import { openFileLimit } from '../src/idle/main.js';

function command(argv: string[]): IdleCommand {
  const parsed = parseIdleCli(argv);
  if ('help' in parsed) throw new Error('got the help');
  return parsed.command;
}

function usageError(argv: string[]): string {
  try {
    parseIdleCli(argv);
  } catch (error) {
    expect(error).to.be.instanceOf(IdleUsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('pnpm bench idle: options', () => {
  it('defaults to 10,000 connections, 3 rounds, 2,000 ms settling, the six servers, the current Node, nothing pinned, print only', () => {
    expect(command([])).to.deep.equal({
      connections: 10_000,
      rounds: 3,
      settleMs: 2000,
      servers: ['raw-net', 'percore-net-1', 'percore-uws-1', 'raw-uws-1', 'node-http', 'nginx-1'],
      nodeLines: ['current'],
    });
    expect(DEFAULT_IDLE_SERVERS.every((id) => IDLE_SERVER_IDS.includes(id))).to.equal(true);
  });

  it('reads every option, a leading -- included', () => {
    const argv = ['--', '--connections', '300', '--rounds', '2', '--settle-ms', '0', '--servers', 'nginx-1,raw-net', '--node', '22,current'];
    expect(command([...argv, '--out', 'some/dir'])).to.deep.equal({
      connections: 300,
      rounds: 2,
      settleMs: 0,
      servers: ['nginx-1', 'raw-net'],
      nodeLines: ['22', 'current'],
      outDir: 'some/dir',
    });
  });

  it('pins the server to CPU 1 and the client to CPU 0 with --pin, and takes other CPU lists (which imply --pin)', () => {
    expect(command(['--pin'])).to.include({ serverCpu: '1', clientCpu: '0' });
    expect(command(['--server-cpu', '2-3'])).to.include({ serverCpu: '2-3', clientCpu: '0' });
    expect(command(['--pin', '--client-cpu', '0,4'])).to.include({ serverCpu: '1', clientCpu: '0,4' });
  });

  it('refuses bad numbers, unknown or repeated servers, file servers, bad Node lines, bad CPU lists and unknown flags', () => {
    expect(usageError(['--connections', '0'])).to.match(/--connections takes a whole number/);
    expect(usageError(['--connections', '2.5'])).to.match(/--connections/);
    expect(usageError(['--rounds', 'x'])).to.match(/--rounds/);
    expect(usageError(['--settle-ms', '-1'])).to.match(/--settle-ms/);
    expect(usageError(['--servers', 'raw-net,raw-net'])).to.match(/given twice/);
    expect(usageError(['--servers', 'percore-net'])).to.match(/unknown "percore-net"/);
    expect(usageError(['--servers', 'sirv'])).to.match(/unknown "sirv"/);
    expect(usageError(['--servers', 'percore-net-router'])).to.match(/unknown "percore-net-router"/);
    expect(usageError(['--servers', ''])).to.match(/--servers is empty/);
    expect(usageError(['--node', '24,24'])).to.match(/given twice/);
    expect(usageError(['--node', 'lts'])).to.match(/not a Node major/);
    expect(usageError(['--server-cpu', 'one'])).to.match(/CPU list/);
    expect(usageError(['--out', ''])).to.match(/--out is empty/);
    expect(usageError(['--idle-sockets', '5'])).to.match(/idle-sockets/);
    expect(usageError(['raw-net'])).to.match(/raw-net/);
  });

  it('gives a help text that names every flag and every server it takes', () => {
    const parsed = parseIdleCli(['--help']);
    expect(parsed).to.have.property('help', idleUsage());
    expect(parseIdleCli(['-h'])).to.deep.equal(parsed);
    for (const flag of [
      '--connections',
      '--rounds',
      '--settle-ms',
      '--servers',
      '--node',
      '--pin',
      '--server-cpu',
      '--client-cpu',
      '--out',
      '--help',
    ]) {
      expect(idleUsage()).to.include(flag);
    }
    for (const id of IDLE_SERVER_IDS) expect(idleUsage()).to.include(id);
  });

  it("reads the soft open-file limit from /proc/self/limits' text", () => {
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                40000                files\n';
    expect(openFileLimit(limits)).to.equal(20_000);
    expect(openFileLimit(limits.replace('20000', 'unlimited'))).to.equal(Infinity);
    expect(() => openFileLimit('Max processes 10 10\n')).to.throw(/Max open files/);
  });
});
