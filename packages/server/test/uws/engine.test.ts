/**
 * What only the `uws` engine has to get right: uWS's request object dies when its callback
 * returns (rule 5), its response object dies when the response is complete or aborted, it
 * answers with its own framing (tryEnd, onWritable: rule 4), and closing its listen socket
 * leaves keep-alive connections open (rule 8), so UwsEngine.close must drain them itself.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Handler, HttpRequest, HttpResponse } from '../../src/http/api.js';
import { deferred } from '../../src/util/deferred.js';
import { loadUws } from '../../src/uws/load.js';
import { UwsEngine } from '../../src/uws/engine.js';
import { startEngine, useEngineCleanup, type EngineOptions, type EngineServer } from '../support/engines.js';
import { delay, RawClient } from '../support/raw-client.js';
import { eventually } from '../support/sockets.js';
import { get, within } from '../support/servers.js';
import { requireUws } from '../support/uws.js';
import { codeOf, errorCode } from '../support/errors.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pattern(length: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 13 + seed * 7 + (i >> 12)) & 0xff;
  return bytes;
}

function inFlight(server: EngineServer): number {
  return server.uws!.stats().connections;
}

describe('uws/engine', function () {
  before(function () {
    requireUws(this);
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(function () {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(function () {
    process.off('unhandledRejection', onUnhandled);
    if (this.currentTest?.state === 'passed') expect(unhandled, 'unhandled rejections').to.deep.equal([]);
  });
  useEngineCleanup();
  const start = (handler: Handler, options?: EngineOptions) => startEngine('uws', handler, options);

  it('refuses trailer fields with PERCORE_ERR_TRAILERS_UNSUPPORTED: uWS writes the last chunk itself', async () => {
    let code: string | undefined;
    const server = await start((_req, res) => {
      code = codeOf(() => res.setTrailer('X-Checksum', 'abc'));
      res.end('ok');
    });
    const reply = await fetch(`${server.url}/`);
    expect(await reply.text()).to.equal('ok');
    expect(code).to.equal('PERCORE_ERR_TRAILERS_UNSUPPORTED');
  });

  describe('loadUws', function () {
    it('returns the uWebSockets.js module, the same one every time, and the one the server uses', async function () {
      const uws = loadUws();
      expect(uws.App).to.be.a('function');
      expect(uws.us_listen_socket_close).to.be.a('function');
      expect(uws.us_socket_local_port).to.be.a('function');
      expect(loadUws()).to.equal(uws);
      const server = await start((_req, res) => res.end());
      expect(server.uws!.uws).to.equal(uws);
    });
  });

  describe('the request outlives uWS’s request object', function () {
    it('gives the headers, remote address and fields after an await (captured when the handler went async)', async function () {
      const seen = deferred<Record<string, unknown>>();
      const server = await start(async (req, res) => {
        await delay(10);
        seen.resolve({
          method: req.method,
          target: req.target,
          custom: req.headers['x-custom'],
          viaHeader: req.header('X-Custom'),
          cookie: req.headers.cookie,
          host: req.header('host'),
          rawHeaders: req.rawHeaders,
          remoteAddress: req.remoteAddress,
        });
        res.end('ok');
      });
      const client = await server.connect();
      await client.write(
        'PUT /after/await?q=1 HTTP/1.1\r\nHost: h\r\nX-Custom: Value\r\nCookie: a=1\r\nCookie: b=2\r\nContent-Length: 0\r\n\r\n',
      );
      expect((await client.readResponse('PUT')).text).to.equal('ok');
      expect(await within(seen.promise, 1000, 'the handler')).to.deep.equal({
        method: 'PUT',
        target: '/after/await?q=1',
        custom: 'Value',
        viaHeader: 'Value',
        cookie: 'a=1; b=2',
        host: 'h',
        // uWS hands header names over in lower case: the names as sent are not kept.
        rawHeaders: ['host', 'h', 'x-custom', 'Value', 'cookie', 'a=1', 'cookie', 'b=2', 'content-length', '0'],
        remoteAddress: '127.0.0.1',
      });
    });

    it('gives the headers while the body streams in, after the handler went async', async function () {
      const server = await start(async (req, res) => {
        const body = await req.text();
        res.end(`${req.header('x-tag') ?? 'none'}:${body}`);
      });
      const client = await server.connect();
      await client.write('POST / HTTP/1.1\r\nHost: h\r\nX-Tag: t1\r\nContent-Length: 6\r\n\r\nabc');
      await delay(20);
      await client.write('def');
      expect((await client.readResponse('POST')).text).to.equal('t1:abcdef');
    });

    it('throws PERCORE_ERR_REQUEST_EXPIRED for a field first read after the response ended synchronously', async function () {
      // Lazy by design (see UwsRequest): what the handler read inside the callback is kept; what it
      // did not read is gone with uWS's request, and reading it later is a coded error, not a crash.
      // The method of a GET is known from its route, so it stays readable.
      const seen = deferred<Record<string, unknown>>();
      const server = await start((req, res) => {
        const path = req.path; // read inside the callback: kept
        res.end('done');
        setImmediate(() => {
          seen.resolve({
            path: codeOf(() => req.path) === 'no error' ? path : 'lost',
            method: codeOf(() => req.method),
            query: codeOf(() => req.query),
            headers: codeOf(() => req.headers),
            header: codeOf(() => req.header('x-a')),
            rawHeaders: codeOf(() => req.rawHeaders),
            remoteAddress: codeOf(() => req.remoteAddress),
          });
        });
      });
      const client = await server.connect();
      await client.write(get('/late?x=1', 'X-A: 1\r\n'));
      expect((await client.readResponse()).text).to.equal('done');
      expect(await within(seen.promise, 1000, 'the late read')).to.deep.equal({
        path: '/late',
        method: 'no error',
        query: 'PERCORE_ERR_REQUEST_EXPIRED',
        headers: 'PERCORE_ERR_REQUEST_EXPIRED',
        header: 'PERCORE_ERR_REQUEST_EXPIRED',
        rawHeaders: 'PERCORE_ERR_REQUEST_EXPIRED',
        remoteAddress: 'PERCORE_ERR_REQUEST_EXPIRED',
      });
    });

    it('keeps the whole request readable when the handler goes asynchronous', async function () {
      const seen = deferred<Record<string, unknown>>();
      const server = await start(async (req, res) => {
        await delay(5);
        seen.resolve({ method: req.method, target: req.target, header: req.header('x-a'), remoteAddress: req.remoteAddress });
        res.end('done');
      });
      const client = await server.connect();
      await client.write(get('/async?x=1', 'X-A: 1\r\n'));
      expect((await client.readResponse()).text).to.equal('done');
      expect(await within(seen.promise, 1000, 'the async read')).to.deep.equal({
        method: 'GET',
        target: '/async?x=1',
        header: '1',
        remoteAddress: '127.0.0.1',
      });
    });

    it('keeps headers read inside the callback readable after the response ended', async function () {
      const seen = deferred<unknown>();
      const server = await start((req, res) => {
        const early = req.header('x-a');
        res.end('done');
        setImmediate(() => seen.resolve([early, req.header('x-a'), req.headers['x-a']]));
      });
      const client = await server.connect();
      await client.write(get('/', 'X-A: kept\r\n'));
      await client.readResponse();
      expect(await within(seen.promise, 1000, 'the late read')).to.deep.equal(['kept', 'kept', 'kept']);
    });

    it('reports the remote address (127.0.0.1) and no remote port (uWS does not give it)', async function () {
      const server = await start((req, res) => {
        res.end(`${req.remoteAddress} ${req.remotePort}`);
      });
      const client = await server.connect();
      await client.write(get());
      expect((await client.readResponse()).text).to.equal('127.0.0.1 0');
    });
  });

  describe('framing uWS does not do for us', function () {
    it('keeps a streamed body intact when the handler asks to close (Connection: close in the head)', async function () {
      const server = await start(async (_req, res) => {
        res.setHeader('Connection', 'close');
        res.write('one ');
        await delay(5);
        res.write('two ');
        res.end('three');
      });
      const client = await server.connect();
      await client.write(get());
      const response = await client.readResponse();
      expect(response.framing).to.equal('chunked');
      expect(response.headers.connection).to.equal('close');
      expect(response.text).to.equal('one two three');
    });

    it('sends what was written before cutting a body short of its declared length', async function () {
      const server = await start((_req, res) => {
        res.setHeader('Content-Length', 10);
        res.write('short');
        res.end();
      });
      const client = await server.connect();
      await client.write(get());
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(0);
      expect(result.leftover.toString('latin1')).to.match(/Content-Length: 10\r\n\r\nshort$/);
      await eventually(() => inFlight(server) === 0, 1000, 'the exchange to end');
    });

    it('answers an absolute-form request-target with 505 (uWS parses only origin-form)', async function () {
      let calls = 0;
      const server = await start((_req, res) => {
        calls++;
        res.end();
      });
      const client = await server.connect();
      await client.write('GET http://example.test/a HTTP/1.1\r\nHost: example.test\r\n\r\n');
      const result = await client.readUntilClose();
      expect(result.responses[0]?.status).to.equal(505);
      expect(calls).to.equal(0);
    });
  });

  describe('a client that goes away during a response', function () {
    type Sender = (res: HttpResponse, progress: { writes: number }) => Promise<void>;
    const chunk = pattern(64 * 1024, 9);
    const senders: Record<string, Sender> = {
      'chunked writes': async (res, progress) => {
        while (!res.aborted) {
          progress.writes++;
          if (!res.write(chunk)) await res.drain();
        }
      },
      'writes toward a declared Content-Length': async (res, progress) => {
        res.setHeader('Content-Length', 64 * 1024 * 1024);
        while (!res.aborted) {
          progress.writes++;
          if (!res.write(chunk)) await res.drain();
        }
      },
      'one large end(Buffer)': async (res, progress) => {
        progress.writes++;
        res.end(pattern(16 * 1024 * 1024, 4));
      },
    };

    for (const [name, send] of Object.entries(senders)) {
      it(`never crashes, leaves nothing in flight, and keeps serving (${name})`, async function () {
        const progress = { writes: 0 };
        const handlerDone = deferred<{ aborted: boolean }>();
        const server = await start(async (req, res) => {
          if (req.path === '/next') {
            res.end('next');
            return;
          }
          await send(res, progress);
          handlerDone.resolve({ aborted: res.aborted });
        });
        const client = await server.connect();
        client.pause();
        await client.write(get('/download'));
        await eventually(() => progress.writes > 0, 2000, 'the download to start');
        await delay(50);
        expect(inFlight(server), 'the download is in flight').to.equal(1);
        client.destroy();
        await eventually(() => inFlight(server) === 0, 2000, 'no exchange in flight');
        const outcome = await within(handlerDone.promise, 2000, 'the handler to return');
        if (name !== 'one large end(Buffer)') expect(outcome.aborted, 'the handler saw the abort').to.equal(true);
        const other = await server.connect();
        await other.write(get('/next'));
        expect((await other.readResponse()).text).to.equal('next');
        expect(server.logged).to.deep.equal([]);
      });
    }

    it('keeps a large end(Buffer) in flight until uWS has all of it', async function () {
      this.timeout(10000);
      const body = pattern(8 * 1024 * 1024, 2);
      const ended = deferred();
      const server = await start((_req, res) => {
        res.end(body);
        ended.resolve();
      });
      const client = await server.connect();
      client.pause();
      await client.write(get());
      await within(ended.promise, 2000, 'the handler to end');
      await delay(50);
      expect(inFlight(server), 'the body still waits for the socket').to.equal(1);
      client.resume();
      const response = await client.readResponse('GET', { timeoutMs: 8000 });
      expect(sha256(response.body)).to.equal(sha256(body));
      await eventually(() => inFlight(server) === 0, 1000, 'the exchange to end');
    });
  });

  describe('close(graceMs)', function () {
    it('stops accepting, finishes the request in flight with Connection: close, answers the idle connection next with Connection: close, and resolves', async function () {
      const gate = deferred();
      const entered = deferred();
      const server = await start(async (req, res) => {
        if (req.path === '/slow') {
          entered.resolve();
          await gate.promise;
        }
        res.end(`done ${req.path}`);
      });
      const idle = await server.connect();
      await idle.write(get('/idle'));
      expect((await idle.readResponse()).text).to.equal('done /idle');
      const busy = await server.connect();
      await busy.write(get('/slow'));
      await within(entered.promise, 1000, 'the slow request to start');

      let closed = false;
      const closing = server.close(1500).then(() => {
        closed = true;
      });
      await delay(20);
      await expectRefused(server.port);
      expect(closed, 'close waits for the request in flight').to.equal(false);

      gate.resolve();
      const result = await busy.readUntilClose({ timeoutMs: 2000 });
      expect(result.responses.map((response) => response.text)).to.deep.equal(['done /slow']);
      expect(result.responses[0]!.headers.connection).to.equal('close');
      expect(result.closed, 'the busy connection closes').to.equal(true);
      // The idle connection may have a request on the wire: it is answered, not closed under it.
      expect(idle.serverClosed, 'the idle connection is left open').to.equal(false);
      await idle.write(get('/next'));
      const next = await idle.readUntilClose({ timeoutMs: 2000 });
      expect(next.responses.map((response) => [response.text, response.headers.connection])).to.deep.equal([['done /next', 'close']]);
      expect(next.closed && !next.reset, 'a clean close').to.equal(true);
      await within(closing, 3000, 'close() to resolve');
    });

    it('leaves an idle keep-alive connection open until graceMs ends, then closes it', async function () {
      const server = await start((_req, res) => res.end('ok'));
      const idle = await server.connect();
      await idle.write(get());
      await idle.readResponse();
      const closing = server.close(400);
      await expectRefused(server.port);
      expect(await idle.waitForClose(200), 'open during the grace').to.equal(false);
      await within(closing, 2000, 'close() to resolve');
      expect(await idle.waitForClose(1000), 'closed once the grace is over').to.equal(true);
    });

    it('resolves at once when no response ever kept a connection open', async function () {
      const server = await start((_req, res) => res.end('ok'));
      await within(server.close(5000), 1000, 'close() to resolve');
      await expectRefused(server.port);
    });

    it('lets a large response in flight finish intact to a slow reader before closing', async function () {
      this.timeout(10000);
      const body = pattern(8 * 1024 * 1024, 6);
      const ended = deferred();
      const server = await start((_req, res) => {
        res.end(body);
        ended.resolve();
      });
      const client = await server.connect();
      client.pause();
      await client.write(get());
      await within(ended.promise, 2000, 'the handler to end');
      const closing = server.close(3000);
      await delay(50);
      client.resume();
      const response = await client.readResponse('GET', { timeoutMs: 3000 });
      expect(response.body.length).to.equal(body.length);
      expect(sha256(response.body)).to.equal(sha256(body));
      await within(closing, 5000, 'close() to resolve');
    });

    it('finishes a streamed response in flight intact; its connection, kept alive by the head, closes after the next response', async function () {
      const gate = deferred();
      const server = await start(async (_req, res) => {
        res.write('before ');
        await gate.promise;
        res.end('after');
      });
      const client = await server.connect();
      await client.write(get());
      await client.waitForText('before ');
      const closing = server.close(1500);
      gate.resolve();
      const response = await client.readResponse();
      expect(response.framing).to.equal('chunked');
      expect(response.text).to.equal('before after');
      // Its head went out before the drain, without Connection: close: uWS keeps the connection.
      await client.write(get());
      const next = await client.readUntilClose({ timeoutMs: 2000 });
      expect(next.responses[0]?.headers.connection).to.equal('close');
      expect(next.closed).to.equal(true);
      await within(closing, 3000, 'close() to resolve');
    });

    it('gives up on a handler that never answers after graceMs, and aborts it', async function () {
      const aborted = deferred();
      const server = await start(
        (_req, res) => {
          res.onAborted(() => aborted.resolve());
        },
        { responseTimeout: 0 },
      );
      const client = await server.connect();
      await client.write(get());
      await delay(20);
      const started = Date.now();
      await within(server.close(150), 2000, 'close() to resolve');
      expect(Date.now() - started, 'not before graceMs').to.be.at.least(100);
      expect(await client.waitForClose(1000)).to.equal(true);
      await within(aborted.promise, 1000, 'the handler to see the abort');
    });
  });

  describe('UwsEngine directly', function () {
    it('rejects listen with PERCORE_ERR_LISTEN_FAILED when uWS cannot bind', async function () {
      const server = new UwsEngine({ handler: (_req, res) => res.end() });
      try {
        const error = await server.listen({ host: '256.0.0.1', port: 0 }).then(
          () => null,
          (reason: unknown) => reason,
        );
        expect(errorCode(error)).to.equal('PERCORE_ERR_LISTEN_FAILED');
      } finally {
        await server.close({ graceMs: 0 });
      }
    });

    it('counts requests, and in-flight exchanges in stats().connections', async function () {
      const gate = deferred();
      const server = await start(async (req: HttpRequest, res) => {
        if (req.path === '/wait') await gate.promise;
        res.end();
      });
      const client = await server.connect();
      await client.write(get('/a'));
      await client.readResponse();
      const waiting = await server.connect();
      await waiting.write(get('/wait'));
      await eventually(() => inFlight(server) === 1, 1000, 'one exchange in flight');
      expect(server.uws!.requestCount).to.equal(2);
      gate.resolve();
      await waiting.readResponse();
      expect(inFlight(server)).to.equal(0);
    });
  });
});

/** Asserts that nothing accepts connections on `port` any more. */
async function expectRefused(port: number): Promise<void> {
  const outcome = await RawClient.connect(port, { timeoutMs: 1000 }).then(
    async (client) => {
      // Accepted: it must at least be closed at once, without an answer.
      await client.write(get()).catch(() => undefined);
      const result = await client.readUntilClose({ timeoutMs: 500 });
      client.destroy();
      return result.closed && result.responses.length === 0 ? 'closed' : 'served';
    },
    (error: unknown) => errorCode(error) ?? String(error),
  );
  expect(['ECONNREFUSED', 'closed']).to.include(outcome);
}
