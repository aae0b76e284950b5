import { expect } from 'chai';
import { parseTlsCli, TLS_DEFAULTS, TLS_ROWS, TLS_SERVERS, TlsUsageError, type TlsCommand } from '../src/tls/cli.js';

function command(argv: string[]): TlsCommand {
  const parsed = parseTlsCli(argv);
  if (!('command' in parsed)) throw new Error('expected a command');
  return parsed.command;
}

describe('pnpm bench tls: the command line', () => {
  it('defaults to every row and server, 3 rounds of 5 s after 1 s of warm-up, 25 connections, 10 streams, the current Node, unpinned', () => {
    expect(command([])).to.deep.equal({
      rows: [...TLS_ROWS],
      servers: [...TLS_SERVERS],
      ...TLS_DEFAULTS,
      nodeLines: ['current'],
    });
    expect(TLS_DEFAULTS).to.deep.equal({ rounds: 3, durationSeconds: 5, warmupSeconds: 1, connections: 25, streams: 10 });
  });

  it('--quick is one round of 1 s without warm-up, and flags given win over it', () => {
    expect(command(['--quick'])).to.include({ rounds: 1, durationSeconds: 1, warmupSeconds: 0 });
    expect(command(['--quick', '--rounds', '2', '--duration', '3'])).to.include({ rounds: 2, durationSeconds: 3, warmupSeconds: 0 });
  });

  it('reads rows, servers, shape, Node lines and --out, and skips a leading --', () => {
    const c = command(
      ['--', '--rows', 'http2,new-connections', '--servers', 'nginx-1,percore-net', '--connections', '50', '--streams', '4'].concat([
        '--warmup',
        '0',
        '--node',
        '22,24',
        '--out',
        '/tmp/x',
      ]),
    );
    expect(c).to.deep.include({ rows: ['http2', 'new-connections'], servers: ['nginx-1', 'percore-net'], connections: 50, streams: 4 });
    expect(c).to.deep.include({ warmupSeconds: 0, nodeLines: ['22', '24'], outDir: '/tmp/x' });
  });

  it('--pin puts the servers on CPU 1 and the tools on CPU 0; either CPU flag implies it', () => {
    expect(command(['--pin'])).to.include({ serverCpu: '1', clientCpu: '0' });
    expect(command(['--server-cpu', '2-3'])).to.include({ serverCpu: '2-3', clientCpu: '0' });
    expect(command([])).to.not.have.property('serverCpu');
  });

  it('refuses unknown rows and servers, bad numbers, an empty --out and stray flags, naming the problem', () => {
    const refused = (argv: string[]) => expect(() => parseTlsCli(argv)).to.throw(TlsUsageError);
    refused(['--rows', 'h3']);
    refused(['--servers', 'node-https,node-https']);
    refused(['--rounds', '0']);
    refused(['--duration', '1.5']);
    refused(['--connections', 'many']);
    refused(['--out', '']);
    refused(['--client-cpu', 'zero']);
    refused(['--bogus']);
    expect(() => parseTlsCli(['--rows', 'h3'])).to.throw(/--rows: unknown "h3"; choose from https-keepalive, http2, new-connections/);
  });

  it('answers --help with the usage, which names the rows, tools and servers', () => {
    const parsed = parseTlsCli(['-h']);
    expect(parsed).to.have.property('help');
    const help = (parsed as { help: string }).help;
    for (const word of [...TLS_ROWS, ...TLS_SERVERS, 'h2load --h1', 'ab -c', 'allowHTTP1', '--pin', '--quick']) expect(help).to.include(word);
  });
});
