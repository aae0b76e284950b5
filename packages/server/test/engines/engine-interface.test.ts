/**
 * The Engine interface and the exchange observer, on both engines through createServer: one
 * shape (listen, address, url, stats, close, signal, asyncDispose, capabilities), and one set
 * of observer hooks (started, ended, aborted) with the same records.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import type { Engine, EngineName } from '../../src/http/engine.js';
import type { ExchangeObserver, ExchangeRecord } from '../../src/http/observer.js';
import { createServer } from '../../src/server.js';
import { ENGINES } from '../support/engines.js';
import { errorCode } from '../support/errors.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';
import { requireUws } from '../support/uws.js';

interface Seen {
  hook: 'started' | 'ended' | 'aborted';
  record: ExchangeRecord;
  /** The record's fields when the hook ran (the engine fills one record in as it goes). */
  copy: ExchangeRecord;
}

function recordingObserver(): ExchangeObserver & { seen: Seen[] } {
  const seen: Seen[] = [];
  // Every field read as the hook runs (some are getters, so a spread would miss them).
  const copy = (record: ExchangeRecord): ExchangeRecord => {
    const { engine, method, target, httpVersion, remoteAddress, route, startTime, status, bytesIn, bytesOut, durationMs, error } = record;
    return { engine, method, target, httpVersion, remoteAddress, route, startTime, status, bytesIn, bytesOut, durationMs, error };
  };
  const note = (hook: Seen['hook']) => (record: ExchangeRecord) => void seen.push({ hook, record, copy: copy(record) });
  return { seen, started: note('started'), ended: note('ended'), aborted: note('aborted') };
}

for (const engine of ENGINES) {
  describe(`engines/the Engine interface: ${engine}`, function () {
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    const open: Engine[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((server) => server.close({ graceMs: 0 })));
    });
    function make(options: Parameters<typeof createServer>[0]): Engine {
      const server = createServer({ engine, ...options });
      open.push(server);
      return server;
    }

    it('listens, reports its address and url, closes, and aborts its signal', async function () {
      const server = make({ handler: (_req, res) => res.end('hi') });
      expect(server.name).to.equal(engine satisfies EngineName);
      expect(server.address).to.equal(null);
      expect(() => server.url)
        .to.throw()
        .with.property('code', 'PERCORE_ERR_NOT_LISTENING');
      const address = await server.listen({ host: '127.0.0.1', port: 0 });
      expect(address.port).to.be.greaterThan(0);
      expect(server.address?.port).to.equal(address.port);
      expect(server.url).to.equal(`http://127.0.0.1:${address.port}`);
      const response = await fetch(`${server.url}/`);
      expect(await response.text()).to.equal('hi');
      expect(server.stats()).to.have.keys('connections', 'accepted', 'refused');
      expect(server.signal.aborted).to.equal(false);
      await server.close({ graceMs: 0 });
      expect(server.signal.aborted).to.equal(true);
      expect(server.address).to.equal(null);
    });

    it('stopAccepting closes the port and keeps serving the connections already open, kept alive', async function () {
      const server = make({ handler: (req, res) => res.end(`hi ${req.path}`) });
      const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
      const socket = await connectTo(port);
      const ask = async (path: string) => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
        return (await readUntil(socket, (data) => data.toString('latin1').endsWith(`hi ${path}`))).data.toString('latin1');
      };
      await ask('/before');
      server.stopAccepting();
      server.stopAccepting(); // idempotent
      const refused = await connectTo(port).then(
        (late) => void late.destroy(),
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(refused).to.equal('ECONNREFUSED');
      const after = await ask('/after');
      expect(after).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(after.toLowerCase()).to.not.include('connection: close');
      socket.destroy();
    });

    it('closes at the end of an `await using` scope', async function () {
      let signal: AbortSignal;
      {
        await using server = createServer({ engine, handler: (_req, res) => res.end() });
        await server.listen({ port: 0 });
        signal = server.signal;
        expect(signal.aborted).to.equal(false);
      }
      expect(signal.aborted).to.equal(true);
    });

    it('says what it can do', function () {
      const { capabilities, pubsub } = make({ handler: (_req, res) => res.end() });
      expect(capabilities.http10).to.equal(engine === 'net');
      expect(capabilities.tasks).to.equal(engine === 'net');
      expect(capabilities.websockets).to.equal(engine === 'uws');
      expect(capabilities.pubsub).to.equal(engine === 'uws');
      expect(pubsub === null).to.equal(engine === 'net');
    });

    it('rejects listen with PERCORE_ERR_LISTEN_FAILED on an address it cannot bind', async function () {
      const server = make({ handler: (_req, res) => res.end() });
      const error = await server.listen({ host: '256.0.0.1', port: 0 }).then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(errorCode(error)).to.equal('PERCORE_ERR_LISTEN_FAILED');
    });

    describe('the exchange observer', function () {
      it('sees each exchange start and end, with its method, target, status and bytes', async function () {
        const observer = recordingObserver();
        const server = make({
          handler: async (req, res) => {
            const body = await req.text();
            res.status = 201;
            res.end(`got ${body}`);
          },
          observer,
        });
        await server.listen({ port: 0 });
        const response = await fetch(`${server.url}/items?x=1`, { method: 'POST', body: 'hello' });
        expect(await response.text()).to.equal('got hello');
        await eventually(() => observer.seen.length === 2, 2000, 'two hooks');
        const [started, ended] = observer.seen;
        expect(started!.hook).to.equal('started');
        expect(ended!.hook).to.equal('ended');
        expect(ended!.record).to.equal(started!.record);
        expect(started!.copy).to.include({
          engine,
          method: 'POST',
          target: '/items?x=1',
          httpVersion: '1.1',
          remoteAddress: '127.0.0.1',
          status: 0,
        });
        expect(ended!.copy).to.include({ status: 201, bytesIn: 5, error: undefined });
        // net counts the head too; uWS writes its head itself, so uws counts the body.
        expect(ended!.copy.bytesOut).to.be.at.least('got hello'.length);
        expect(ended!.copy.durationMs).to.be.greaterThan(0);
      });

      it('reports a handler that throws as ended with 500 and the error', async function () {
        const observer = recordingObserver();
        const logger = collectingLogger();
        const server = make({
          handler: () => {
            throw new Error('boom');
          },
          observer,
          logger,
        });
        await server.listen({ port: 0 });
        expect((await fetch(`${server.url}/`)).status).to.equal(500);
        await eventually(() => observer.seen.length === 2, 2000, 'two hooks');
        expect(observer.seen[1]!.hook).to.equal('ended');
        expect(observer.seen[1]!.copy.status).to.equal(500);
        expect((observer.seen[1]!.copy.error as Error).message).to.equal('boom');
      });

      it('reports a client that leaves mid-response as aborted', async function () {
        const observer = recordingObserver();
        let wrote!: () => void;
        const headSent = new Promise<void>((resolve) => (wrote = resolve));
        const server = make({
          handler: (_req, res) => {
            res.write('part');
            wrote();
            // never ends
          },
          observer,
        });
        const { port } = await server.listen({ port: 0 });
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
        await headSent;
        await eventually(() => observer.seen.length === 1, 2000, 'started');
        socket.destroy();
        await eventually(() => observer.seen.length === 2, 2000, 'aborted');
        expect(observer.seen[1]!.hook).to.equal('aborted');
        expect(observer.seen[1]!.copy.status).to.equal(200);
        expect(errorCode(observer.seen[1]!.copy.error)).to.equal('PERCORE_ERR_ABORTED');
      });

      it('reports a response timeout as ended with its canned 503 and code', async function () {
        const observer = recordingObserver();
        const server = make({
          handler: () => {},
          observer,
          http: { responseTimeout: 100 },
          scheduler: { timerResolutionMs: 10 },
          logger: collectingLogger(),
        });
        await server.listen({ port: 0 });
        expect((await fetch(`${server.url}/`)).status).to.equal(503);
        await eventually(() => observer.seen.length === 2, 2000, 'two hooks');
        expect(observer.seen[1]!.hook).to.equal('ended');
        expect(observer.seen[1]!.copy.status).to.equal(503);
        expect(errorCode(observer.seen[1]!.copy.error)).to.equal('PERCORE_ERR_RESPONSE_TIMEOUT');
      });

      it('tells a start-only observer of each exchange, with the request readable in the hook', async function () {
        const started: string[] = [];
        const server = make({
          handler: (_req, res) => res.end('counted'),
          observer: { started: (x) => void started.push(`${x.method} ${x.target}`) },
        });
        await server.listen({ port: 0 });
        for (const path of ['/a', '/b?q=1']) expect(await (await fetch(`${server.url}${path}`)).text()).to.equal('counted');
        expect(started).to.deep.equal(['GET /a', 'GET /b?q=1']);
      });

      it('logs an observer that throws and serves the exchange regardless', async function () {
        const logger = collectingLogger();
        const server = make({
          handler: (_req, res) => res.end('still here'),
          observer: {
            started() {
              throw new Error('observer bug');
            },
          },
          logger,
        });
        await server.listen({ port: 0 });
        expect(await (await fetch(`${server.url}/`)).text()).to.equal('still here');
        expect(logger.entries.map((entry) => entry.code)).to.include('PERCORE_ERR_OBSERVER_FAILED');
      });
    });
  });
}
