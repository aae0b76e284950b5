/**
 * The Engine interface and the exchange observer, on both engines through createServer: one
 * shape (listen, address, url, stats, close, signal, asyncDispose, capabilities), and one set
 * of observer hooks (started, ended, aborted) with the same records.
 */
import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect } from 'node:net';
import type { Engine, EngineName } from '../../src/http/engine.js';
import type { ExchangeObserver, ExchangeRecord } from '../../src/http/observer.js';
import { REQUEST_ABORT_CHANNEL, REQUEST_END_CHANNEL, REQUEST_START_CHANNEL, type TracingMessage } from '../../src/http/tracing.js';
import type { PercoreError } from '../../src/errors.js';
import { createServer } from '../../src/server.js';
import { ENGINES } from '../support/engines.js';
import { errorCode } from '../support/errors.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';
import { requireUws } from '../support/uws.js';

interface Seen {
  hook: 'started' | 'ended' | 'aborted';
  record: ExchangeRecord;
  /** The record's fields when the hook ran (the engine fills one record in as it goes). */
  copy: RecordFields;
}

type RecordFields = Omit<ExchangeRecord, 'requestHeader'>;

function recordingObserver(): ExchangeObserver & { seen: Seen[] } {
  const seen: Seen[] = [];
  // Every field read as the hook runs (some are getters, so a spread would miss them).
  const copy = (record: ExchangeRecord): RecordFields => {
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
      expect(capabilities.websockets).to.equal(true);
      expect(capabilities.pubsub).to.equal(true);
      expect(pubsub).to.not.equal(null);
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

      it('keeps the request headers an observer lists, readable to the end; any header while started runs', async function () {
        const seen: Array<Record<string, string | undefined>> = [];
        const observer: ExchangeObserver = {
          requestHeaders: ['user-agent', 'x-trace'],
          started: (x) => void seen.push({ hook: 'started', accept: x.requestHeader('accept'), trace: x.requestHeader('x-trace') }),
          ended: (x) =>
            void seen.push({
              hook: 'ended',
              agent: x.requestHeader('user-agent'),
              trace: x.requestHeader('x-trace'),
              accept: x.requestHeader('accept'),
            }),
        };
        const server = make({
          handler: async (_req, res) => {
            await new Promise((resolve) => setTimeout(resolve, 10));
            res.end('later');
          },
          observer,
        });
        await server.listen({ port: 0 });
        const headers = { 'user-agent': 'probe/1', 'x-trace': 'abc', accept: 'text/plain' };
        expect(await (await fetch(`${server.url}/`, { headers })).text()).to.equal('later');
        await eventually(() => seen.length === 2, 2000, 'two hooks');
        expect(seen[0]).to.deep.equal({ hook: 'started', accept: 'text/plain', trace: 'abc' });
        // Past `started`, only the listed names were kept.
        expect(seen[1]).to.deep.equal({ hook: 'ended', agent: 'probe/1', trace: 'abc', accept: undefined });
      });

      it('publishes start and end on the tracing channels only while someone subscribes, with one record', async function () {
        const messages: Array<{ channel: string; exchange: ExchangeRecord; trace: string | undefined }> = [];
        const listeners = [REQUEST_START_CHANNEL, REQUEST_END_CHANNEL, REQUEST_ABORT_CHANNEL].map((name) => {
          const listener = (message: unknown) => {
            const { exchange } = message as TracingMessage;
            messages.push({ channel: name, exchange, trace: exchange.requestHeader('traceparent') });
          };
          return { name, listener };
        });
        // No observer of the server's own: tracing works without one.
        const server = make({ handler: (req, res) => res.end(req.path) });
        await server.listen({ port: 0 });
        await (await fetch(`${server.url}/before`)).text();
        for (const { name, listener } of listeners) subscribe(name, listener);
        const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        try {
          expect(await (await fetch(`${server.url}/traced`, { headers: { traceparent } })).text()).to.equal('/traced');
          await eventually(() => messages.length === 2, 2000, 'start and end');
        } finally {
          for (const { name, listener } of listeners) unsubscribe(name, listener);
        }
        await (await fetch(`${server.url}/after`)).text();
        expect(messages.map((m) => m.channel)).to.deep.equal([REQUEST_START_CHANNEL, REQUEST_END_CHANNEL]);
        expect(messages[0]!.exchange).to.equal(messages[1]!.exchange);
        expect(messages[1]!.exchange).to.include({ target: '/traced', status: 200, engine });
        expect(messages.map((m) => m.trace)).to.deep.equal([traceparent, traceparent]);
      });

      it('publishes an abort on the tracing channel for a client that leaves mid-response', async function () {
        const aborts: ExchangeRecord[] = [];
        const listener = (message: unknown) => void aborts.push((message as TracingMessage).exchange);
        let wrote!: () => void;
        const headSent = new Promise<void>((resolve) => (wrote = resolve));
        const server = make({
          handler: (_req, res) => {
            res.write('part');
            wrote();
          },
        });
        const { port } = await server.listen({ port: 0 });
        subscribe(REQUEST_ABORT_CHANNEL, listener);
        try {
          const socket = connect(port, '127.0.0.1');
          socket.on('error', () => {});
          socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
          await headSent;
          socket.destroy();
          await eventually(() => aborts.length === 1, 2000, 'abort published');
        } finally {
          unsubscribe(REQUEST_ABORT_CHANNEL, listener);
        }
        expect(errorCode(aborts[0]!.error)).to.equal('PERCORE_ERR_ABORTED');
      });

      if (engine === 'net') {
        it('tells `rejected` of a head refused before any exchange began, with its code (net)', async function () {
          const rejected: Array<{ code: string; status: number; engine: string }> = [];
          const observer = recordingObserver();
          const server = make({
            handler: (_req, res) => res.end('never'),
            observer: {
              ...observer,
              rejected: (error: PercoreError, name: string) => void rejected.push({ code: error.code, status: error.status, engine: name }),
            },
          });
          const { port } = await server.listen({ port: 0 });
          const socket = await connectTo(port);
          socket.write('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
          const { data } = await readUntil(socket, (received) => received.includes('\r\n\r\n'));
          socket.destroy();
          expect(data.toString('latin1')).to.match(/^HTTP\/1\.1 400 /);
          await eventually(() => rejected.length === 1, 2000, 'rejected');
          expect(rejected[0]).to.deep.include({ status: 400, engine: 'net' });
          expect(rejected[0]!.code).to.match(/^PERCORE_ERR_/);
          expect(observer.seen, 'no exchange began').to.deep.equal([]);
        });
      }

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
