import { expect } from 'chai';
import { parseWebSocketCli, websocketUsage, WebSocketUsageError, type WebSocketCommand } from '../src/websocket/cli.js';
import { rowTitles } from '../src/websocket/main.js';
import { ROW_IDS } from '../src/websocket/measure.js';
import { SERVER_IDS } from '../src/websocket/server-process.js';

function command(argv: string[]): WebSocketCommand {
  const parsed = parseWebSocketCli(argv);
  if ('help' in parsed) throw new Error('got the help');
  return parsed.command;
}

function usageError(argv: string[]): string {
  try {
    parseWebSocketCli(argv);
  } catch (error) {
    expect(error).to.be.instanceOf(WebSocketUsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('pnpm bench websocket: options', () => {
  it('has the defaults of the brief: 3 rounds, 100 connections, 32 bytes, 1,000 subscribers, 10,000 idle sockets, pinned 1 and 0', () => {
    expect(command([])).to.deep.equal({
      rounds: 3,
      durationSeconds: 5,
      warmupSeconds: 1,
      connections: 100,
      messageBytes: 32,
      subscribers: 1000,
      window: 8,
      idleSockets: 10_000,
      settleSeconds: 2,
      servers: [...SERVER_IDS],
      rows: [...ROW_IDS],
      serverCpu: '1',
      clientCpu: '0',
    });
  });

  it('takes every option, a leading -- included', () => {
    const c = command([
      '--',
      '--rounds=5',
      '--duration=0.5',
      '--warmup=0',
      '--connections=7',
      '--message-bytes=0',
      '--subscribers=20',
      '--window=2',
      '--idle-sockets=300',
      '--settle=0.25',
      '--servers=uws-raw,ws',
      '--rows=idle,echo',
      '--server-cpu=2-3',
      '--client-cpu=0,1',
      '--json=/tmp/x.json',
      '--out=/tmp/x.md',
    ]);
    expect(c).to.deep.equal({
      rounds: 5,
      durationSeconds: 0.5,
      warmupSeconds: 0,
      connections: 7,
      messageBytes: 0,
      subscribers: 20,
      window: 2,
      idleSockets: 300,
      settleSeconds: 0.25,
      servers: ['uws-raw', 'ws'],
      rows: ['idle', 'echo'],
      serverCpu: '2-3',
      clientCpu: '0,1',
      json: '/tmp/x.json',
      out: '/tmp/x.md',
    });
  });

  it('pins nothing with --no-pin, and refuses it with a CPU list', () => {
    const c = command(['--no-pin']);
    expect(c.serverCpu).to.equal(undefined);
    expect(c.clientCpu).to.equal(undefined);
    expect(usageError(['--no-pin', '--server-cpu', '1'])).to.match(/not both/);
  });

  it('refuses an unknown server or row, or one given twice, naming the choices', () => {
    expect(usageError(['--servers', 'ws,nginx'])).to.equal('--servers: unknown "nginx"; choose from percore-net, percore-uws, ws, uws-raw');
    expect(usageError(['--rows', 'echo,echo'])).to.equal('--rows: "echo" is given twice');
    expect(usageError(['--rows', ','])).to.equal('--rows is empty');
  });

  it('refuses bad numbers with what the option takes', () => {
    expect(usageError(['--rounds', '0'])).to.equal('--rounds takes a whole number of rounds, 1 to 1000, got "0"');
    expect(usageError(['--connections', '2.5'])).to.match(/^--connections takes a whole number/);
    expect(usageError(['--duration', 'abc'])).to.match(/^--duration takes seconds/);
    expect(usageError(['--duration', ''])).to.match(/^--duration takes seconds/);
    expect(usageError(['--warmup=-1'])).to.match(/^--warmup takes seconds, 0 to 600/);
    expect(usageError(['--idle-sockets', '1e9'])).to.match(/^--idle-sockets takes/);
    expect(usageError(['--subscribers', 'Infinity'])).to.match(/^--subscribers takes/);
    expect(usageError(['--server-cpu', 'one'])).to.match(/CPU list/);
    expect(usageError(['--json='])).to.equal('--json is empty');
  });

  it('refuses unknown flags and positionals', () => {
    expect(usageError(['--rate', '5'])).to.match(/rate/);
    expect(usageError(['echo'])).to.match(/echo/);
  });

  it('answers --help with the usage, naming every server and row', () => {
    expect(parseWebSocketCli(['-h'])).to.deep.equal({ help: websocketUsage() });
    for (const id of [...SERVER_IDS, ...ROW_IDS]) expect(websocketUsage()).to.include(id);
  });

  it('titles the rows with the settings', () => {
    const titles = rowTitles({ connections: 7, messageBytes: 16, subscribers: 20, window: 3, idleSockets: 12_000, settleSeconds: 1 });
    expect(titles.echo).to.include('7 connections').and.include('16-byte');
    expect(titles.fanout).to.include('20 subscribers').and.include('at most 3 broadcasts');
    expect(titles.idle).to.include('12,000 idle');
  });
});
