import { expect } from 'chai';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Listener, type ListenerOptions } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task } from '../../src/scheduler/task.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';
import { testCertificate } from '../support/tls-cert.js';
import { tlsConnectTo } from '../support/tls-client.js';
import { codeOf } from '../support/errors.js';

class GreeterTask extends Task {
  override onData(chunk: Buffer): void {
    this.write(`hi ${chunk.toString()}`);
  }
}

class ShoutTask extends Task {
  override onData(chunk: Buffer): void {
    this.write(`x-test ${chunk.toString().toUpperCase()}`);
  }
}

/** Writes `size` bytes as soon as it is made, then half-closes: the lingering close must deliver them all. */
function bulkThenHalfClose(size: number) {
  return class extends Task {
    constructor(context: ConstructorParameters<typeof Task>[0]) {
      super(context);
      this.write(Buffer.alloc(size, 0x61));
      this.halfClose();
    }
    override onData(): void {}
  };
}

describe('Listener over TLS', function () {
  this.timeout(15_000);
  const logger = collectingLogger();
  const scheduler = new Scheduler({ logger });
  const listeners: Listener[] = [];
  const sockets: Socket[] = [];

  before(() => {
    testCertificate();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(listeners.splice(0).map((listener) => listener.close({ graceMs: 0 })));
    logger.entries.length = 0;
  });

  function tlsOptions() {
    const { key, cert } = testCertificate();
    return { key, cert };
  }

  async function start(options: Partial<ListenerOptions> = {}): Promise<Listener> {
    const listener = new Listener(scheduler, {
      factory: (context) => new GreeterTask(context),
      transport: { tls: tlsOptions() },
      ...options,
    });
    listeners.push(listener);
    await listener.listen({ port: 0, host: '127.0.0.1' });
    return listener;
  }

  async function tlsConnect(listener: Listener, options: Parameters<typeof tlsConnectTo>[1] = {}): Promise<TLSSocket> {
    const socket = await tlsConnectTo(listener.address!.port, options);
    sockets.push(socket);
    return socket;
  }

  async function exchange(socket: Socket, message: string, expectedLength: number): Promise<string> {
    socket.write(message);
    return (await readUntil(socket, (data) => data.length >= expectedLength)).data.toString();
  }

  it('hands a connection to its task once the handshake is done, and counts no TLS errors', async () => {
    const listener = await start();
    expect(listener.secure).to.equal(true);
    const socket = await tlsConnect(listener);
    expect(await exchange(socket, 'tls', 6)).to.equal('hi tls');
    expect(listener.stats()).to.deep.equal({ connections: 1, accepted: 1, refused: 0, tlsErrors: 0 });
  });

  it('picks the task factory by the negotiated ALPN protocol (RFC 7301), the default for http/1.1 or none', async () => {
    const listener = await start({ transport: { tls: tlsOptions(), alpn: { 'x-test': (context) => new ShoutTask(context) } } });
    const custom = await tlsConnect(listener, { ALPNProtocols: ['x-test', 'http/1.1'] });
    expect(custom.alpnProtocol).to.equal('x-test');
    expect(await exchange(custom, 'ab', 9)).to.equal('x-test AB');

    const http = await tlsConnect(listener, { ALPNProtocols: ['http/1.1'] });
    expect(http.alpnProtocol).to.equal('http/1.1');
    expect(await exchange(http, 'ab', 5)).to.equal('hi ab');

    const none = await tlsConnect(listener);
    expect(none.alpnProtocol).to.equal(false);
    expect(await exchange(none, 'ab', 5)).to.equal('hi ab');
  });

  it('counts failed handshakes, logs the first once with its code, and keeps serving', async () => {
    const listener = await start();
    for (let i = 0; i < 2; i++) {
      const plain = await connectTo(listener.address!.port);
      sockets.push(plain);
      plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const { closed } = await readUntil(plain, () => false, 3000);
      expect(closed).to.equal(true);
    }
    await eventually(() => listener.stats().tlsErrors === 2, 2000, 'two TLS errors counted');
    expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TLS_HANDSHAKE_FAILED']);
    const socket = await tlsConnect(listener);
    expect(await exchange(socket, 'still', 8)).to.equal('hi still');
    expect(listener.stats()).to.include({ connections: 1, accepted: 1 });
  });

  it('drops a connection that never finishes its handshake after handshakeTimeout', async () => {
    const listener = await start({ transport: { tls: { ...tlsOptions(), handshakeTimeout: 200 } } });
    const silent = await connectTo(listener.address!.port);
    sockets.push(silent);
    const started = Date.now();
    const { closed } = await readUntil(silent, () => false, 3000);
    expect(closed).to.equal(true);
    expect(Date.now() - started).to.be.below(2000);
    await eventually(() => listener.stats().tlsErrors === 1, 2000, 'the timeout counted');
    expect((logger.entries[0]?.error as NodeJS.ErrnoException).code).to.equal('ERR_TLS_HANDSHAKE_TIMEOUT');
  });

  it('counts connections in their handshake toward maxConnections, and drops one over it before any handshake', async () => {
    const listener = await start({ maxConnections: 2 });
    const served = await tlsConnect(listener);
    const handshaking = await connectTo(listener.address!.port);
    sockets.push(handshaking);
    // The server has taken the second TCP connection before the third comes.
    const open = () =>
      new Promise<number>((resolve, reject) => listener.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    for (let tries = 0; (await open()) < 2 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    const over = await connectTo(listener.address!.port);
    sockets.push(over);
    const { closed } = await readUntil(over, () => false, 2000);
    expect(closed).to.equal(true);
    expect(listener.stats()).to.deep.equal({ connections: 1, accepted: 1, refused: 1, tlsErrors: 0 });
    expect(await exchange(served, 'kept', 7)).to.equal('hi kept');
  });

  it('closes without waiting for connections still in their handshake', async () => {
    const listener = await start();
    const silent = await connectTo(listener.address!.port);
    sockets.push(silent);
    const started = Date.now();
    await listener.close({ graceMs: 0 });
    expect(Date.now() - started).to.be.below(1000);
  });

  it('a half-close over TLS delivers the whole response before close_notify and FIN', async () => {
    const size = 4 * 1024 * 1024;
    const listener = await start({ factory: (context) => new (bulkThenHalfClose(size))(context) });
    const socket = await tlsConnect(listener);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((resolve) => socket.once('end', resolve));
    expect(received).to.equal(size);
  });

  it("answers a client's TLS half-close (end after its request) in full", async () => {
    const listener = await start();
    const socket = await tlsConnect(listener);
    socket.end('bye');
    const { data, closed } = await readUntil(socket, () => false, 3000);
    expect(data.toString()).to.equal('hi bye');
    expect(closed).to.equal(true);
  });

  describe('options', () => {
    function make(transport: ListenerOptions['transport']): Listener {
      return new Listener(scheduler, { factory: (context) => new GreeterTask(context), transport });
    }

    it('refuses TLS without a certificate, and a key node:tls cannot read, with PERCORE_ERR_TLS_CONFIG', () => {
      expect(codeOf(() => make({ tls: { key: tlsOptions().key } }))).to.equal('PERCORE_ERR_TLS_CONFIG');
      expect(codeOf(() => make({ tls: { key: 'not a key', cert: tlsOptions().cert } }))).to.equal('PERCORE_ERR_TLS_CONFIG');
      expect(codeOf(() => make({ tls: { ...tlsOptions(), ALPNProtocols: ['h2'] } }))).to.equal('PERCORE_ERR_TLS_CONFIG');
    });

    it('refuses an ALPN map without TLS, or with a non-factory or an empty name', () => {
      const factory = (context: ConstructorParameters<typeof Task>[0]) => new GreeterTask(context);
      expect(codeOf(() => make({ alpn: { 'x-test': factory } }))).to.equal('PERCORE_ERR_INVALID_OPTION');
      expect(codeOf(() => make({ tls: tlsOptions(), alpn: { 'x-test': 'nope' as never } }))).to.equal('PERCORE_ERR_INVALID_OPTION');
      expect(codeOf(() => make({ tls: tlsOptions(), alpn: { '': factory } }))).to.equal('PERCORE_ERR_INVALID_OPTION');
    });

    it('plain TCP stays as it was: not secure, and no tlsErrors in the stats', async () => {
      const listener = make(undefined);
      listeners.push(listener);
      await listener.listen({ port: 0, host: '127.0.0.1' });
      expect(listener.secure).to.equal(false);
      const socket = await connectTo(listener.address!.port);
      sockets.push(socket);
      expect(await exchange(socket, 'tcp', 6)).to.equal('hi tcp');
      expect(listener.stats()).to.deep.equal({ connections: 1, accepted: 1, refused: 0 });
    });
  });
});
