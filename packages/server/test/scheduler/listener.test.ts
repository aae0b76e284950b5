import { expect } from 'chai';
import type { Socket } from 'node:net';
import { PercoreError } from '../../src/errors.js';
import { Listener } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task } from '../../src/scheduler/task.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';

class GreeterTask extends Task {
  shutdownRequested = false;

  override onData(chunk: Buffer): void {
    this.write(`hi ${chunk.toString()}`);
  }

  override onShutdown(): void {
    // Finish politely: say goodbye, then flush and close.
    this.shutdownRequested = true;
    this.write('bye');
    this.halfClose();
  }
}

describe('Listener', () => {
  const scheduler = new Scheduler({ logger: collectingLogger() });
  const listeners: Listener[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(listeners.splice(0).map((listener) => listener.close({ graceMs: 0 })));
  });

  async function start(options: Partial<ConstructorParameters<typeof Listener>[1]> = {}): Promise<Listener> {
    const listener = new Listener(scheduler, { factory: (context) => new GreeterTask(context), ...options });
    listeners.push(listener);
    await listener.listen({ port: 0, host: '127.0.0.1' });
    return listener;
  }

  async function connect(listener: Listener): Promise<Socket> {
    const socket = await connectTo(listener.address!.port);
    sockets.push(socket);
    return socket;
  }

  it('makes one task per connection', async () => {
    const listener = await start();
    const a = await connect(listener);
    const b = await connect(listener);
    a.write('a');
    b.write('b');
    expect((await readUntil(a, (data) => data.length === 4)).data.toString()).to.equal('hi a');
    expect((await readUntil(b, (data) => data.length === 4)).data.toString()).to.equal('hi b');
    expect(listener.stats()).to.deep.equal({ connections: 2, accepted: 2, refused: 0 });
  });

  it('refuses connections past maxConnections cleanly, and serves the ones it holds', async () => {
    const listener = await start({ maxConnections: 2 });
    const kept = [await connect(listener), await connect(listener)];
    await eventually(() => listener.stats().connections === 2, 2000, 'two connections');
    const refused = await connect(listener);
    const { closed } = await readUntil(refused, () => false);
    expect(closed).to.equal(true);
    expect(listener.stats().refused).to.equal(1);
    kept[0]!.write('x');
    expect((await readUntil(kept[0]!, (data) => data.length === 4)).data.toString()).to.equal('hi x');
  });

  it('lets a protocol answer a refused connection before it closes', async () => {
    const listener = await start({ maxConnections: 1, refuse: (socket) => socket.end('busy\n') });
    await connect(listener);
    await eventually(() => listener.stats().connections === 1, 2000, 'one connection');
    const { data, closed } = await readUntil(await connect(listener), () => false);
    expect(data.toString()).to.equal('busy\n');
    expect(closed).to.equal(true);
  });

  it('rejects listen on a port that is taken, with the system error', async () => {
    const first = await start();
    const second = new Listener(scheduler, { factory: (context) => new GreeterTask(context) });
    try {
      await second.listen({ port: first.address!.port, host: '127.0.0.1' });
      expect.fail('listen should have rejected');
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    }
  });

  it('closes gracefully: stops accepting, lets tasks finish through onShutdown, then resolves', async () => {
    const listener = await start();
    const socket = await connect(listener);
    await eventually(() => listener.stats().connections === 1, 2000, 'one connection');
    const reading = readUntil(socket, () => false);
    await listener.close({ graceMs: 1000 });
    const { data, closed } = await reading;
    expect(data.toString()).to.equal('bye');
    expect(closed).to.equal(true);
    expect(listener.stats().connections).to.equal(0);
    await connectTo(listener.address?.port ?? 1, 500).then(
      (late) => {
        late.destroy();
        expect.fail('a closed listener accepted a connection');
      },
      () => {},
    );
  });

  it('closes tasks that ignore shutdown once the grace period ends', async () => {
    class StubbornTask extends Task {
      override onData(): void {}
      override onShutdown(): void {}
    }
    const listener = await start({ factory: (context) => new StubbornTask(context) });
    await connect(listener);
    await eventually(() => listener.stats().connections === 1, 2000, 'one connection');
    const started = Date.now();
    await listener.close({ graceMs: 100 });
    expect(Date.now() - started).to.be.at.least(90);
    expect(listener.stats().connections).to.equal(0);
  });

  it('refuses an invalid maxConnections with a coded error', () => {
    expect(() => new Listener(scheduler, { factory: (context) => new GreeterTask(context), maxConnections: 0 }))
      .to.throw(PercoreError)
      .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
  });
});
