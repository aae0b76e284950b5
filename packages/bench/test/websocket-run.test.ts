import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { websocketMain } from '../src/websocket/main.js';
import { runEcho, runFanout, runIdle, type RowSpec } from '../src/websocket/measure.js';
import { startServer, type RunningServer } from '../src/websocket/server-process.js';

const base: Omit<RowSpec, 'row' | 'port' | 'serverPid'> = {
  host: '127.0.0.1',
  connections: 5,
  messageBytes: 32,
  subscribers: 10,
  window: 4,
  idleSockets: 30,
  settleMs: 0,
  warmupMs: 200,
  durationMs: 800,
};

describe('pnpm bench websocket: the load client against real servers', function () {
  this.timeout(60_000);
  let server: RunningServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('runs the echo row for about 1 s on 5 connections against the ws server, every echo byte for byte the message', async () => {
    server = await startServer('ws');
    const result = await runEcho({ ...base, row: 'echo', port: server.port, serverPid: server.pid });
    expect(result.roundTrips).to.be.greaterThan(0);
    expect(result.echoes).to.be.at.least(result.roundTrips);
    expect(result.matched).to.equal(result.echoes);
    expect(result.p99Us).to.be.at.least(result.p50Us);
    expect(result.serverCpuMs).to.be.at.least(0);
  });

  it('counts an echo that differs from the message as unmatched', async () => {
    const wrong = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((resolve) => wrong.once('listening', resolve));
    wrong.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(Buffer.from(data).reverse().toString())));
    try {
      const port = (wrong.address() as AddressInfo).port;
      const result = await runEcho({ ...base, row: 'echo', port, serverPid: process.pid, warmupMs: 0, durationMs: 200 });
      expect(result.echoes).to.be.greaterThan(0);
      expect(result.matched).to.equal(0);
    } finally {
      for (const client of wrong.clients) client.terminate();
      await new Promise((resolve) => wrong.close(resolve));
    }
  });

  it('delivers every broadcast to every fan-out subscriber of the ws server', async () => {
    server = await startServer('ws');
    const result = await runFanout({ ...base, row: 'fanout', port: server.port, serverPid: server.pid, warmupMs: 100, durationMs: 400 });
    expect(result.broadcasts).to.be.greaterThan(0);
    // Deliveries in the window are those of whole broadcasts, give or take the window in flight at either end.
    expect(result.deliveries).to.be.within(
      (result.broadcasts - base.window) * base.subscribers,
      (result.broadcasts + base.window) * base.subscribers,
    );
  });

  it('reads the server RSS before and after the idle sockets', async () => {
    server = await startServer('ws');
    const result = await runIdle({ ...base, row: 'idle', port: server.port, serverPid: server.pid });
    expect(result.sockets).to.equal(30);
    expect(result.rssBeforeKiB).to.be.greaterThan(0);
    expect(result.rssAfterKiB).to.be.greaterThan(0);
  });

  it('runs every row end to end, reporting a server that does not start and carrying on with the others', async () => {
    const reports: string[] = [];
    const progress: string[] = [];
    const saved = process.env.PERCORE_DIST;
    process.env.PERCORE_DIST = '/nonexistent/percore-dist';
    let code: number;
    try {
      code = await websocketMain(
        [
          '--servers=percore-uws,ws',
          '--rounds=1',
          '--duration=0.3',
          '--warmup=0',
          '--connections=3',
          '--subscribers=5',
          '--idle-sockets=20',
          '--settle=0',
          '--no-pin',
        ],
        'pnpm bench websocket (test)',
        { report: (text) => reports.push(text), progress: (line) => progress.push(line) },
      );
    } finally {
      if (saved === undefined) delete process.env.PERCORE_DIST;
      else process.env.PERCORE_DIST = saved;
    }
    expect(code).to.equal(1);
    const report = reports.join('\n');
    expect(report).to.include('### echo:').and.include('### fan-out:').and.include('### idle memory:');
    expect(report.split('\n').filter((line) => line.startsWith('| ws | '))).to.have.length(3);
    expect(report).to.match(/- \*\*percore-uws\*\*, round 1: percore-uws did not start: .*nonexistent.*\(not tried again\)/);
    expect(progress.filter((line) => line.startsWith('round 1/1 ') && line.includes(' ws: '))).to.have.length(3);
  });
});
