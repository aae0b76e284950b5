/**
 * Engine parity: the same HTTP behaviour, checked on the wire, on both engines. Every engine
 * must give a handler the same request fields, the same framing, the same backpressure and the
 * same answers to failures, timeouts and clients that go away. The one expected difference,
 * HTTP/1.0 (uWebSockets.js answers it with 505), is asserted explicitly per engine.
 *
 * The suite runs on HTTP/2 too (`net-h2`: the net engine on TLS, its client node:http2, the same
 * HTTP/1.1-shaped requests sent as streams by H2WireClient). What HTTP/2 changes is asserted
 * there: no reason phrase, no chunked encoding (a streamed body has no Content-Length), no
 * connection-specific fields, httpVersion '2.0', Host from :authority, and a stream reset
 * (RST_STREAM) where HTTP/1.x has to close the connection. What only HTTP/1.x has (HTTP/1.0,
 * the 100-continue handshake as raw bytes) is skipped there, the reason in the test's title.
 */
import { createHash } from 'node:crypto';
import { constants as h2constants } from 'node:http2';
import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import type { Handler, HttpRequest, HttpResponse } from '../../src/http/api.js';
import { deferred } from '../../src/util/deferred.js';
import {
  VARIANTS,
  fetchFrom,
  keepAliveAgent,
  startEngine,
  useEngineCleanup,
  type EngineOptions,
  type EngineServer,
} from '../support/engines.js';
import { delay } from '../support/raw-client.js';
import { eventually } from '../support/sockets.js';
import { get, within } from '../support/servers.js';
import { requireUws } from '../support/uws.js';
import { errorCode } from '../support/errors.js';
import type { H2WireClient, WireClient } from '../support/h2-wire-client.js';

/** A deterministic pattern of `length` bytes, different for each `seed`. */
function pattern(length: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 17 + (i >> 13)) & 0xff;
  return bytes;
}

function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Collects unhandled rejections while `fn` runs. */
async function watchingUnhandled(fn: (unhandled: unknown[]) => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn(unhandled);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

for (const engine of VARIANTS) {
  describe(`engines/shared behaviour: ${engine}`, function () {
    // Where no uWebSockets.js binary loads, the uws half is skipped with the loader's reason.
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    // Every test, on every engine: no unhandled rejection, and (on uws, where percore counts
    // them) no exchange left in flight once the test is over.
    const started: EngineServer[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    beforeEach(function () {
      started.length = 0;
      unhandled.length = 0;
      process.on('unhandledRejection', onUnhandled);
    });
    afterEach(async function () {
      process.off('unhandledRejection', onUnhandled);
      if (this.currentTest?.state !== 'passed') return;
      for (const server of started) {
        if (server.uws !== null) await eventually(() => server.uws!.stats().connections === 0, 2000, 'no uws exchange in flight');
      }
      expect(unhandled, 'unhandled rejections').to.deep.equal([]);
    });
    useEngineCleanup();
    /** HTTP/2 (net-h2): the cases below assert what HTTP/2 changes, and skip what only HTTP/1.x has. */
    const h2 = engine === 'net-h2';
    /** On net-h2 the test's client is an H2WireClient; this says so to the type checker. */
    const asH2 = (client: WireClient): H2WireClient => client as H2WireClient;
    /** Registers a case that only HTTP/1.x has: skipped on net-h2, with `reason` in its title. */
    const http1Only = (title: string, reason: string, fn: Mocha.AsyncFunc): void => {
      if (h2) it.skip(`${title} (HTTP/1.x only: ${reason})`, fn);
      else it(title, fn);
    };
    const start = async (handler: Handler, options?: EngineOptions): Promise<EngineServer> => {
      const server = await startEngine(engine, handler, options);
      started.push(server);
      return server;
    };

    describe('status and headers', function () {
      it('answers 200 by default, and the status set otherwise', async function () {
        const server = await start((req, res) => {
          if (req.path === '/created') res.status = 201;
          if (req.path === '/teapot') res.status = 418;
          res.end(`status ${res.status}`);
        });
        const client = await server.wire();
        await client.write(get('/') + get('/created') + get('/teapot'));
        const [ok, created, teapot] = await client.readResponses(3);
        // RFC 9113 8.3.2: HTTP/2 has no reason phrase.
        expect([ok!.status, ok!.statusText, ok!.text]).to.deep.equal([200, h2 ? '' : 'OK', 'status 200']);
        expect([created!.status, created!.statusText, created!.text]).to.deep.equal([201, h2 ? '' : 'Created', 'status 201']);
        expect(teapot!.status).to.equal(418);
        expect(ok!.headers.date, 'a Date header').to.be.a('string');
      });

      it('sets, gets, replaces and removes headers, case-insensitively', async function () {
        const seen: Record<string, unknown> = {};
        const server = await start((_req, res) => {
          seen.chained = res.setHeader('X-A', '1') === res;
          res.setHeader('x-a', '2');
          seen.a = res.getHeader('X-A');
          res.setHeader('X-List', ['a', 'b']);
          res.setHeader('X-Number', 42);
          seen.number = res.getHeader('x-number');
          res.setHeader('X-Gone', 'soon');
          res.removeHeader('x-GONE');
          seen.gone = res.getHeader('X-Gone') ?? null;
          seen.missing = res.getHeader('X-Missing') ?? null;
          seen.sentBefore = res.headersSent;
          res.end('ok');
          seen.sentAfter = res.headersSent;
          seen.finished = res.finished;
        });
        const client = await server.wire();
        await client.write(get());
        const response = await client.readResponse();
        expect(seen).to.deep.equal({
          chained: true,
          a: '2',
          number: '42',
          gone: null,
          missing: null,
          sentBefore: false,
          sentAfter: true,
          finished: true,
        });
        expect(response.headers['x-a']).to.equal('2');
        expect(response.headers['x-list']).to.equal('a, b');
        expect(response.headers['x-number']).to.equal('42');
        expect(response.headers).to.not.have.property('x-gone');
        expect(response.text).to.equal('ok');
      });
    });

    if (h2) {
      describe('what HTTP/2 changes', function () {
        it('sends no connection-specific field, even one the handler sets (RFC 9113 8.2.2), and a streamed body whole', async function () {
          const server = await start(async (_req, res) => {
            res.setHeader('Connection', 'keep-alive');
            res.setHeader('Keep-Alive', 'timeout=5');
            res.setHeader('X-Kept', 'yes');
            res.write('one ');
            await delay(5);
            res.end('two');
          });
          const response = await fetchFrom(server, '/');
          expect(response.status).to.equal(200);
          expect(response.headers['x-kept']).to.equal('yes');
          // Nor chunked encoding (RFC 9113 8.1): the streamed body has no Content-Length and comes whole.
          for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'content-length']) {
            expect(response.headers, name).to.not.have.property(name);
          }
          expect(response.body.toString()).to.equal('one two');
        });

        it("gives the handler httpVersion '2.0' and :authority as host, through node:http2's client", async function () {
          const seen: unknown[] = [];
          const server = await start((req, res) => {
            seen.push([req.httpVersion, req.headers.host, req.method]);
            res.end();
          });
          const agent = keepAliveAgent();
          await fetchFrom(server, '/', { agent, headers: { host: 'example.test:8443' } });
          await fetchFrom(server, '/', { agent, method: 'POST', body: 'x' });
          expect(seen).to.deep.equal([
            ['2.0', 'example.test:8443', 'GET'],
            // node:http2's client names the TLS server name (localhost) in :authority.
            ['2.0', `localhost:${server.port}`, 'POST'],
          ]);
        });
      });
    }

    describe('framing', function () {
      it('sends the byte length of end(string) and end(Buffer), multi-byte UTF-8 included', async function () {
        const text = 'héllo wörld ✓ 😀';
        const server = await start((req, res) => {
          if (req.path === '/buffer') res.end(Buffer.from([0, 1, 2, 255, 254]));
          else res.end(text);
        });
        const client = await server.wire();
        await client.write(get('/string') + get('/buffer'));
        const [string, buffer] = await client.readResponses(2);
        expect(string!.framing).to.equal('length');
        expect(string!.headers['content-length']).to.equal(String(Buffer.byteLength(text)));
        expect(string!.text).to.equal(text);
        expect(buffer!.framing).to.equal('length');
        expect(buffer!.headers['content-length']).to.equal('5');
        expect([...buffer!.body]).to.deep.equal([0, 1, 2, 255, 254]);
      });

      it('sends Content-Length: 0 for end() with no body, and for an empty string', async function () {
        const server = await start((req, res) => {
          if (req.path === '/empty-string') res.end('');
          else res.end();
        });
        const client = await server.wire();
        await client.write(get('/none') + get('/empty-string') + get('/none'));
        const responses = await client.readResponses(3);
        for (const response of responses) {
          expect(response.status).to.equal(200);
          expect(response.headers['content-length']).to.equal('0');
          expect(response.body.length).to.equal(0);
        }
        expect(client.pending.length, 'nothing after the last response').to.equal(0);
      });

      it('answers HEAD with the Content-Length GET would get, and no body', async function () {
        const server = await start((_req, res) => {
          res.setHeader('Content-Type', 'text/plain');
          res.end('hello wörld');
        });
        const client = await server.wire();
        await client.write(get('/'));
        const getResponse = await client.readResponse('GET');
        await client.write('HEAD / HTTP/1.1\r\nHost: test\r\n\r\n');
        const head = await client.readResponse('HEAD');
        expect(head.status).to.equal(200);
        expect(head.headers['content-type']).to.equal('text/plain');
        expect(head.headers['content-length']).to.equal('12');
        expect(head.headers['content-length']).to.equal(getResponse.headers['content-length']);
        // No body bytes followed the head: the next response starts right after it.
        await client.write(get('/'));
        const next = await client.readResponse('GET');
        expect(next.text).to.equal('hello wörld');
        await delay(20);
        expect(client.pending.length).to.equal(0);
      });

      it('answers a streamed HEAD with the declared Content-Length and no body, and keeps the connection', async function () {
        const server = await start((req, res) => {
          if (req.method === 'HEAD') {
            res.setHeader('Content-Length', 1234);
            res.write('ignored');
            res.end();
            return;
          }
          res.end('after');
        });
        const client = await server.wire();
        await client.write('HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' + get());
        const [head, next] = await client.readResponses(2, ['HEAD', 'GET']);
        expect(head!.headers['content-length']).to.equal('1234');
        expect(head!.raw.toString('latin1')).to.not.contain('ignored');
        expect(next!.text).to.equal('after');
      });

      it('answers a HEAD ended without a body with the declared Content-Length, and keeps the connection', async function () {
        // As a file server does: it declares the file's size and sends nothing (RFC 9110 9.3.2).
        const server = await start((_req, res) => {
          res.setHeader('Content-Length', 4321);
          res.end();
        });
        const client = await server.wire();
        await client.write('HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' + 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n');
        const [first, second] = await client.readResponses(2, ['HEAD', 'HEAD']);
        expect(first!.headers['content-length']).to.equal('4321');
        expect(second!.headers['content-length']).to.equal('4321');
      });

      it('sends no body with 204, even when the handler gives one, and keeps the connection', async function () {
        const server = await start((req, res) => {
          if (req.path === '/204') res.status = 204;
          res.end(req.path === '/' ? 'ok' : 'ignored');
        });
        const client = await server.wire();
        await client.write(get('/204'));
        const noContent = await client.readResponse();
        expect(noContent.status).to.equal(204);
        expect(noContent.raw.toString('latin1')).to.not.contain('ignored');
        expect(noContent.headers).to.not.have.property('transfer-encoding');
        // RFC 9110 8.6: no Content-Length in a 204.
        expect(noContent.headers).to.not.have.property('content-length');
        await client.write(get('/'));
        const ok = await client.readResponse();
        expect(ok.text, 'no body bytes of the 204 are taken for the next response').to.equal('ok');
        await delay(20);
        expect(client.pending.length).to.equal(0);
      });

      const streamedTitle = h2
        ? 'streams on HTTP/2 in DATA frames with no Content-Length and no chunked encoding, intact, and keeps the connection'
        : 'streams with chunked framing on HTTP/1.1, intact, and keeps the connection';
      it(streamedTitle, async function () {
        const pieces = ['first ', 'zwéite ', Buffer.from('third '), '✓'];
        const server = await start(async (req, res) => {
          if (req.path !== '/stream') {
            res.end('next');
            return;
          }
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          for (const piece of pieces) {
            res.write(piece);
            await delay(5);
          }
          res.end('!');
        });
        const client = await server.wire();
        await client.write(get('/stream'));
        const response = await client.readResponse();
        if (h2) {
          // RFC 9113 8.1: no chunked encoding; the body is whole when the stream ends.
          expect(response.framing).to.equal('data');
          expect(response.headers).to.not.have.property('content-length');
          expect(response.headers).to.not.have.property('transfer-encoding');
        } else {
          expect(response.framing).to.equal('chunked');
        }
        expect(response.headers['content-type']).to.equal('text/plain; charset=utf-8');
        expect(response.text).to.equal('first zwéite third ✓!');
        expect(response.chunks.length, 'each write is its own chunk').to.be.at.least(2);
        await client.write(get('/next'));
        expect((await client.readResponse()).text).to.equal('next');
      });

      it('streams with a declared Content-Length, and keeps the connection', async function () {
        const server = await start(async (req, res) => {
          if (req.path === '/next') {
            res.end('next');
            return;
          }
          res.setHeader('Content-Length', 11);
          res.write('hello');
          await delay(5);
          res.write(' ');
          res.end('world');
        });
        const client = await server.wire();
        await client.write(get('/declared'));
        const response = await client.readResponse();
        expect(response.framing).to.equal('length');
        expect(response.headers['content-length']).to.equal('11');
        expect(response.text).to.equal('hello world');
        await client.write(get('/next'));
        expect((await client.readResponse()).text).to.equal('next');
      });

      const shortTitle = h2
        ? 'resets the stream (RST_STREAM INTERNAL_ERROR) when a declared Content-Length is not met, and keeps the connection'
        : 'closes the connection when a declared Content-Length is not met';
      it(shortTitle, async function () {
        const server = await start((req, res) => {
          if (req.path === '/next') {
            res.end('next');
            return;
          }
          res.setHeader('Content-Length', 10);
          res.write('short');
          res.end();
        });
        const client = await server.wire();
        await client.write(get());
        if (h2) {
          const reset = await asH2(client).readReset();
          expect([reset.code, reset.status, reset.body.toString()]).to.deep.equal([h2constants.NGHTTP2_INTERNAL_ERROR, 200, 'short']);
          await client.write(get('/next'));
          expect((await client.readResponse()).text).to.equal('next');
          return;
        }
        const result = await client.readUntilClose();
        expect(result.closed).to.equal(true);
        expect(result.responses).to.have.length(0);
        expect(result.leftover.toString('latin1')).to.match(/Content-Length: 10\r\n(Keep-Alive: timeout=\d+\r\n)?\r\nshort$/i);
      });

      it('refuses to write past a declared Content-Length (PERCORE_ERR_INVALID_RESPONSE_HEADER)', async function () {
        const seen = deferred<string | undefined>();
        const server = await start((_req, res) => {
          res.setHeader('Content-Length', 3);
          res.write('ab');
          try {
            res.write('cd');
            seen.resolve('no error');
          } catch (error) {
            seen.resolve(errorCode(error));
          }
          res.end('c');
        });
        const client = await server.wire();
        await client.write(get());
        expect(await within(seen.promise, 1000, 'the second write')).to.equal('PERCORE_ERR_INVALID_RESPONSE_HEADER');
        expect((await client.readResponse()).text).to.equal('abc');
      });

      it('fixes headers once sent (PERCORE_ERR_HEADERS_SENT) and ends once (PERCORE_ERR_RESPONSE_FINISHED)', async function () {
        const codes: Array<string | undefined> = [];
        const codeOf = (fn: () => unknown): string | undefined => {
          try {
            fn();
            return 'no error';
          } catch (error) {
            return errorCode(error);
          }
        };
        const server = await start((_req, res) => {
          res.write('a');
          codes.push(codeOf(() => res.setHeader('X-Late', '1')));
          codes.push(codeOf(() => res.removeHeader('X-Late')));
          res.end('b');
          codes.push(codeOf(() => res.end('c')));
          codes.push(codeOf(() => res.write('d')));
        });
        const client = await server.wire();
        await client.write(get());
        expect((await client.readResponse()).text).to.equal('ab');
        expect(codes).to.deep.equal([
          'PERCORE_ERR_HEADERS_SENT',
          'PERCORE_ERR_HEADERS_SENT',
          'PERCORE_ERR_RESPONSE_FINISHED',
          'PERCORE_ERR_RESPONSE_FINISHED',
        ]);
      });

      it('resolves drain() at once when the connection is not blocked', async function () {
        const server = await start(async (_req, res) => {
          await within(res.drain(), 1000, 'drain() before any write');
          const ok = res.write('small');
          if (ok) await within(res.drain(), 1000, 'drain() after a write that returned true');
          res.end(` ${String(ok)}`);
        });
        const client = await server.wire();
        await client.write(get());
        expect((await client.readResponse()).text).to.equal('small true');
      });

      it('streams 8 MiB to a slow reader: write() returns false, drain() resolves, every byte arrives', async function () {
        this.timeout(20000);
        const chunkSize = 64 * 1024;
        const total = 8 * 1024 * 1024;
        const chunk = pattern(chunkSize, 3);
        const progress = { written: 0, falses: 0, drains: 0 };
        const done = deferred();
        const server = await start(async (_req, res) => {
          while (progress.written < total) {
            const ok = res.write(chunk);
            progress.written += chunk.length;
            if (!ok) {
              progress.falses++;
              await res.drain();
              progress.drains++;
            }
          }
          res.end();
          done.resolve();
        });
        const client = await server.wire();
        client.pause();
        await client.write(get());
        await eventually(() => progress.falses > 0, 3000, 'write() to return false');
        await delay(100);
        expect(progress.written, 'the handler waits for the client').to.be.below(total);
        expect(progress.drains, 'drain() waits while the client is not reading').to.equal(progress.falses - 1);
        client.resume();
        const response = await client.readResponse('GET', { timeoutMs: 15000 });
        await within(done.promise, 3000, 'the handler to finish');
        expect(response.framing).to.equal(h2 ? 'data' : 'chunked');
        expect(response.body.length).to.equal(total);
        expect(sha256(response.body)).to.equal(sha256(...Array<Buffer>(total / chunkSize).fill(chunk)));
        expect(progress.drains).to.equal(progress.falses);
        expect(server.codes()).to.deep.equal([]);
      });

      it('streams 8 MiB with a declared Content-Length to a slow reader, every byte intact', async function () {
        this.timeout(20000);
        const chunkSize = 100 * 1000;
        const count = 80;
        const chunks = Array.from({ length: count }, (_, i) => pattern(chunkSize, i));
        const progress = { falses: 0, drains: 0 };
        const done = deferred();
        const server = await start(async (_req, res) => {
          res.setHeader('Content-Length', chunkSize * count);
          for (const chunk of chunks) {
            if (!res.write(chunk)) {
              progress.falses++;
              await res.drain();
              progress.drains++;
            }
          }
          res.end();
          done.resolve();
        });
        const client = await server.wire();
        client.pause();
        await client.write(get());
        await eventually(() => progress.falses > 0, 3000, 'write() to return false');
        await delay(50);
        client.resume();
        const response = await client.readResponse('GET', { timeoutMs: 15000 });
        await within(done.promise, 3000, 'the handler to finish');
        expect(response.framing).to.equal('length');
        expect(response.body.length).to.equal(chunkSize * count);
        expect(sha256(response.body)).to.equal(sha256(...chunks));
        expect(progress.drains).to.equal(progress.falses);
        await client.write(get());
        expect(await client.waitForClose(50), 'the connection is kept').to.equal(false);
        expect(server.codes()).to.deep.equal([]);
      });

      it('closes a download the client stopped reading, after responseTimeout, without blaming the handler', async function () {
        const chunk = Buffer.alloc(64 * 1024, 0x78);
        const ended = deferred<{ aborted: boolean }>();
        const server = await start(
          async (_req, res) => {
            while (!res.aborted) {
              if (!res.write(chunk)) await res.drain();
            }
            ended.resolve({ aborted: res.aborted });
          },
          { responseTimeout: 300 },
        );
        const client = await server.wire();
        client.pause();
        await client.write(get());
        expect(await within(ended.promise, 3000, 'the handler to see the abort')).to.deep.equal({ aborted: true });
        await delay(50);
        expect(server.codes(), 'a stalled client is not a handler failure').to.deep.equal([]);
        client.resume();
        if (h2) {
          // The stream is reset with an error code (its response was not whole); the connection, shared by other streams, stays.
          expect((await asH2(client).readReset()).code).to.be.oneOf([h2constants.NGHTTP2_CANCEL, h2constants.NGHTTP2_INTERNAL_ERROR]);
          expect(await client.waitForClose(50), 'the connection is kept').to.equal(false);
          return;
        }
        expect(await client.waitForClose(2000), 'the connection is closed').to.equal(true);
      });

      it('sends a large end(Buffer) intact to a slow reader, and keeps the connection', async function () {
        this.timeout(20000);
        const body = pattern(8 * 1024 * 1024, 5);
        const ended = deferred();
        const server = await start((req, res) => {
          if (req.path === '/next') {
            res.end('next');
            return;
          }
          res.end(body);
          ended.resolve();
        });
        const client = await server.wire();
        client.pause();
        await client.write(get('/big'));
        await within(ended.promise, 3000, 'the handler to end');
        await delay(100);
        client.resume();
        const response = await client.readResponse('GET', { timeoutMs: 15000 });
        expect(response.framing).to.equal('length');
        expect(response.headers['content-length']).to.equal(String(body.length));
        expect(sha256(response.body)).to.equal(sha256(body));
        await client.write(get('/next'));
        expect((await client.readResponse()).text).to.equal('next');
        expect(server.codes()).to.deep.equal([]);
      });
    });

    describe('request fields', function () {
      it('gives method, target, path, query, lower-case headers and header()', async function () {
        // On HTTP/2 the Host sent becomes :authority (RFC 9113 8.3.1), which the request gives as `host`.
        const version = h2 ? '2.0' : '1.1';
        const seen: Array<Record<string, unknown>> = [];
        const server = await start((req: HttpRequest, res) => {
          seen.push({
            method: req.method,
            target: req.target,
            path: req.path,
            query: req.query,
            httpVersion: req.httpVersion,
            host: req.headers.host,
            custom: req.headers['x-custom-header'],
            upperKey: req.headers['X-Custom-Header'] ?? null,
            viaHeader: req.header('X-CUSTOM-HEADER'),
            missing: req.header('x-missing') ?? null,
            repeated: req.headers['x-repeat'],
            names: Object.keys(req.headers).every((name) => name === name.toLowerCase()),
          });
          res.end();
        });
        const client = await server.wire();
        await client.write(
          'DELETE /a/b%20c?x=1&y=%20z HTTP/1.1\r\nHost: example.test\r\nX-Custom-Header: Some Value\r\nX-Repeat: one\r\nX-Repeat: two\r\n\r\n' +
            get('/plain') +
            'PATCH /q? HTTP/1.1\r\nHost: h\r\nX-Custom-Header: v\r\n\r\n',
        );
        await client.readResponses(3, ['DELETE', 'GET', 'PATCH']);
        expect(seen).to.deep.equal([
          {
            method: 'DELETE',
            target: '/a/b%20c?x=1&y=%20z',
            path: '/a/b%20c',
            query: 'x=1&y=%20z',
            httpVersion: version,
            host: 'example.test',
            custom: 'Some Value',
            upperKey: null,
            viaHeader: 'Some Value',
            missing: null,
            repeated: 'one, two',
            names: true,
          },
          {
            method: 'GET',
            target: '/plain',
            path: '/plain',
            query: '',
            httpVersion: version,
            host: 'test',
            custom: undefined,
            upperKey: null,
            viaHeader: undefined,
            missing: null,
            repeated: undefined,
            names: true,
          },
          {
            method: 'PATCH',
            target: '/q?',
            path: '/q',
            query: '',
            httpVersion: version,
            host: 'h',
            custom: 'v',
            upperKey: null,
            viaHeader: 'v',
            missing: null,
            repeated: undefined,
            names: true,
          },
        ]);
      });
    });

    describe('request body', function () {
      const echo: Handler = async (req, res) => {
        if (req.path === '/text') res.end(`text:${await req.text()}`);
        else if (req.path === '/json') res.end(`json:${JSON.stringify(await req.json())}`);
        else if (req.path === '/bytes') res.end(`bytes:${[...(await req.bytes())].join(',')}`);
        else if (req.path === '/limit') res.end(`limited:${await req.text({ limit: 4 })}`);
        else res.end(`bodyUsed:${String(req.bodyUsed)}`);
      };

      it('reads a body as text, JSON and bytes, by Content-Length and chunked', async function () {
        const server = await start(echo);
        const client = await server.wire();
        const json = '{"a":[1,"zwéi"]}';
        await client.write(Buffer.from(`POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: ${Buffer.byteLength('héllo')}\r\n\r\nhéllo`));
        expect((await client.readResponse()).text).to.equal('text:héllo');
        await client.write(Buffer.from(`POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`));
        expect((await client.readResponse()).text).to.equal('json:{"a":[1,"zwéi"]}');
        await client.write(
          Buffer.concat([Buffer.from('PUT /bytes HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n'), Buffer.from([0, 1, 200, 255])]),
        );
        expect((await client.readResponse()).text).to.equal('bytes:0,1,200,255');
        await client.write('POST /text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n');
        expect((await client.readResponse()).text).to.equal('text:abcdefg');
        await client.write(get('/unused'));
        expect((await client.readResponse()).text, 'the connection still serves').to.equal('bodyUsed:false');
      });

      http1Only('answers Expect: 100-continue with 100 before the body is sent', 'the interim response read as raw bytes', async function () {
        const server = await start(echo);
        const client = await server.wire();
        await client.write('POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
        const interim = await client.readResponse('POST');
        expect(interim.status).to.equal(100);
        await client.write('body');
        const response = await client.readResponse('POST');
        expect(response.text).to.equal('text:body');
      });

      it('answers 413 when a body exceeds the per-call limit', async function () {
        const server = await start(echo);
        const client = await server.wire();
        await client.write('POST /limit HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789');
        const response = await client.readResponse('POST');
        expect(response.status).to.equal(413);
        expect(server.codes(), 'a 4xx is not a handler failure').to.deep.equal([]);
        const other = await server.wire();
        await other.write('POST /limit HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd');
        expect((await other.readResponse()).text).to.equal('limited:abcd');
      });

      it('answers 413 to a body over maxBodySize', async function () {
        const server = await start(echo, { maxBodySize: 16 });
        const client = await server.wire();
        await client.write(`POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n${'x'.repeat(100)}`);
        const result = await client.readUntilClose({ timeoutMs: 2000 });
        expect(result.responses.length, 'one response').to.be.at.least(1);
        expect(result.responses[0]!.status).to.equal(413);
        expect(server.codes().filter((code) => code === 'PERCORE_ERR_HANDLER_FAILED')).to.deep.equal([]);
        // The same limit lets a small body through.
        const other = await server.wire();
        await other.write('POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nsmall');
        expect((await other.readResponse()).text).to.equal('text:small');
      });

      it('answers 413 to a chunked body that grows over maxBodySize', async function () {
        const server = await start(echo, { maxBodySize: 16 });
        const client = await server.wire();
        await client.write('POST /text HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n');
        await delay(20);
        await client.write('10\r\n0123456789abcdef\r\n0\r\n\r\n').catch(() => undefined);
        const result = await client.readUntilClose({ timeoutMs: 2000 });
        expect(result.responses[0]?.status).to.equal(413);
      });

      it('answers 400 to invalid JSON', async function () {
        const server = await start(echo);
        const client = await server.wire();
        await client.write('POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\n{"a": nop');
        const response = await client.readResponse('POST');
        expect(response.status).to.equal(400);
        expect(server.codes()).to.deep.equal([]);
        await client.write(get('/after'));
        expect((await client.readResponse()).text, 'the connection still serves').to.equal('bodyUsed:false');
      });

      it('streams a large upload through for-await, intact, holding back a slow reader', async function () {
        this.timeout(20000);
        const highWaterMark = 16 * 1024;
        const total = 8 * 1024 * 1024;
        const body = pattern(total, 7);
        const stats = { delivered: 0, consumed: 0, maxAhead: 0, chunks: 0 };
        const server = await start(
          async (req, res) => {
            // The test's own counter of what the engine hands the request (pushBody is internal).
            const internal = req as unknown as { pushBody(chunk: Buffer): void };
            const push = internal.pushBody.bind(internal);
            internal.pushBody = (chunk: Buffer) => {
              stats.delivered += chunk.length;
              stats.maxAhead = Math.max(stats.maxAhead, stats.delivered - stats.consumed);
              push(chunk);
            };
            // A reader that starts late: without backpressure the whole body would pile up meanwhile.
            await delay(150);
            const hash = createHash('sha256');
            for await (const chunk of req) {
              hash.update(chunk);
              stats.consumed += chunk.length;
              stats.chunks++;
              if (stats.chunks % 16 === 0) await delay(1);
            }
            res.end(JSON.stringify({ length: stats.consumed, hash: hash.digest('hex') }));
          },
          { bodyHighWaterMark: highWaterMark, maxBodySize: 16 * 1024 * 1024 },
        );
        const client = await server.wire();
        await client.write(`POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: ${total}\r\n\r\n`);
        const sent = client.write(body, { timeoutMs: 15000 });
        const response = await client.readResponse('POST', { timeoutMs: 15000 });
        await sent;
        expect(JSON.parse(response.text)).to.deep.equal({ length: total, hash: sha256(body) });
        expect(stats.maxAhead, 'reading paused while the reader was behind').to.be.below(total / 4);
      });
    });

    describe('handler failures', function () {
      it('answers 500 to a handler that throws, and the same connection serves the next request', async function () {
        const server = await start((req, res) => {
          if (req.path === '/throw') {
            res.setHeader('X-Leak', 'no');
            res.status = 201;
            throw new Error('synchronous failure');
          }
          res.end('fine');
        });
        const client = await server.wire();
        await client.write(get('/throw'));
        const response = await client.readResponse();
        expect(response.status).to.equal(500);
        expect(response.text).to.equal('500 Internal Server Error\n');
        expect(response.headers).to.not.have.property('x-leak');
        await client.write(get('/next'));
        expect((await client.readResponse()).text).to.equal('fine');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
        expect((server.logged[0]!.error as Error).message).to.equal('synchronous failure');
      });

      it('answers 500 to a handler that rejects, and the same connection serves the next request', async function () {
        const server = await start(async (req, res) => {
          await delay(5);
          if (req.path === '/reject') throw new Error('async failure');
          res.end('fine');
        });
        const client = await server.wire();
        await client.write(get('/reject'));
        const failed = await client.readResponse();
        expect(failed.status).to.equal(500);
        expect(failed.text).to.equal('500 Internal Server Error\n');
        await client.write(get('/next'));
        expect((await client.readResponse()).text).to.equal('fine');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      });

      const cutTitle = h2
        ? 'resets the stream (RST_STREAM INTERNAL_ERROR) when a handler throws after the head is sent, and keeps the connection'
        : 'cuts the connection when a handler throws after the head is sent';
      it(cutTitle, async function () {
        const server = await start((req, res) => {
          if (req.path === '/next') {
            res.end('next');
            return;
          }
          res.write('partial');
          throw new Error('too late');
        });
        const client = await server.wire();
        await client.write(get());
        if (h2) {
          const reset = await asH2(client).readReset();
          expect([reset.code, reset.status, reset.body.toString()]).to.deep.equal([h2constants.NGHTTP2_INTERNAL_ERROR, 200, 'partial']);
          expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
          await client.write(get('/next'));
          expect((await client.readResponse()).text).to.equal('next');
          return;
        }
        const result = await client.readUntilClose();
        expect(result.closed).to.equal(true);
        expect(result.responses, 'the chunked body never ends').to.have.length(0);
        expect(result.leftover.toString('latin1')).to.match(/^HTTP\/1\.1 200 OK\r\n/);
        // What was written arrives before the cut (uWS ends a chunk's CRLF with the next chunk).
        expect(result.leftover.toString('latin1')).to.match(
          /Transfer-Encoding: chunked\r\n(Keep-Alive: timeout=\d+\r\n)?\r\n7\r\npartial(\r\n)?$/,
        );
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      });

      it('answers with the status of a thrown PercoreError, without logging a 4xx', async function () {
        const server = await start(() => {
          throw new PercoreError('PERCORE_ERR_INVALID_JSON', 'from the handler');
        });
        const client = await server.wire();
        await client.write(get());
        const response = await client.readResponse();
        expect([response.status, response.text]).to.deep.equal([400, '400 Bad Request\n']);
        expect(server.logged).to.deep.equal([]);
      });

      it('answers 503 to a handler that never answers, after responseTimeout, and logs it', async function () {
        const seen = deferred<{ aborted: boolean; signal: boolean }>();
        const server = await start(
          (_req, res) => {
            res.onAborted(() => seen.resolve({ aborted: res.aborted, signal: res.signal.aborted }));
          },
          { responseTimeout: 200 },
        );
        const client = await server.wire();
        const started = Date.now();
        await client.write(get());
        if (h2) {
          // The stream is answered; the connection is not closed (nor told to be: no Connection field).
          const response = await client.readResponse('GET', { timeoutMs: 3000 });
          expect(Date.now() - started, 'not before the timeout').to.be.at.least(150);
          expect(response.status).to.equal(503);
          expect(response.text).to.contain('PERCORE_ERR_RESPONSE_TIMEOUT');
          expect(response.headers).to.not.have.property('connection');
          expect(await client.waitForClose(50), 'the connection is kept').to.equal(false);
          expect(server.codes()).to.deep.equal(['PERCORE_ERR_RESPONSE_TIMEOUT']);
          expect(await within(seen.promise, 1000, 'onAborted')).to.deep.equal({ aborted: true, signal: true });
          return;
        }
        const result = await client.readUntilClose({ timeoutMs: 3000 });
        expect(Date.now() - started, 'not before the timeout').to.be.at.least(150);
        expect(result.responses).to.have.length(1);
        expect(result.responses[0]!.status).to.equal(503);
        expect(result.responses[0]!.text).to.contain('PERCORE_ERR_RESPONSE_TIMEOUT');
        expect(result.responses[0]!.headers.connection).to.equal('close');
        expect(result.closed, 'the connection is closed').to.equal(true);
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_RESPONSE_TIMEOUT']);
        expect(await within(seen.promise, 1000, 'onAborted')).to.deep.equal({ aborted: true, signal: true });
      });
    });

    describe('a client that goes away', function () {
      it('aborts the response (aborted, signal, onAborted) and the server keeps serving', async function () {
        await watchingUnhandled(async (unhandled) => {
          const state = { aborted: false, signalAborted: false, callbacks: 0, writeAfterAbort: true, reason: '' };
          const finished = deferred();
          const server = await start(async (req, res: HttpResponse) => {
            if (req.path !== '/stream') {
              res.end('still here');
              return;
            }
            res.onAborted(() => {
              state.callbacks++;
            });
            res.signal.addEventListener('abort', () => {
              state.reason = errorCode(res.signal.reason) ?? '';
            });
            // Streams slowly, up to 5 s, until the client goes away.
            for (let i = 0; i < 500 && !res.aborted; i++) {
              res.write(`line ${i}\n`);
              await delay(10);
            }
            state.aborted = res.aborted;
            state.signalAborted = res.signal.aborted;
            state.writeAfterAbort = res.write('after abort');
            res.end('ignored');
            await res.drain();
            finished.resolve();
          });
          const client = await server.wire();
          await client.write(get('/stream'));
          await client.waitForText('line 2\n');
          client.destroy();
          await within(finished.promise, 3000, 'the handler to see the abort');
          expect(state).to.deep.equal({
            aborted: true,
            signalAborted: true,
            callbacks: 1,
            writeAfterAbort: false,
            reason: 'PERCORE_ERR_ABORTED',
          });
          const other = await server.wire();
          await other.write(get('/other'));
          expect((await other.readResponse()).text).to.equal('still here');
          await delay(10);
          expect(unhandled).to.deep.equal([]);
          expect(server.logged).to.deep.equal([]);
        });
      });

      it('rejects a body read with PERCORE_ERR_ABORTED when the client leaves mid-upload, logging nothing', async function () {
        await watchingUnhandled(async (unhandled) => {
          const failed = deferred<string | undefined>();
          const server = await start(async (req, res) => {
            if (req.path === '/ok') {
              res.end('ok');
              return;
            }
            try {
              await req.text();
            } catch (error) {
              failed.resolve(errorCode(error));
              throw error; // as a handler that does not catch would
            }
          });
          const client = await server.wire();
          await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n0123456789');
          await delay(50);
          client.destroy();
          expect(await within(failed.promise, 2000, 'the body read to reject')).to.equal('PERCORE_ERR_ABORTED');
          await delay(20);
          expect(server.codes()).to.deep.equal([]);
          const other = await server.wire();
          await other.write(get('/ok'));
          expect((await other.readResponse()).text).to.equal('ok');
          expect(unhandled).to.deep.equal([]);
        });
      });
    });

    describe('keep-alive', function () {
      it('serves several requests on one connection (node:http keep-alive agent)', async function () {
        const server = await start(async (req, res) => {
          if (req.method === 'POST') res.end(`echo ${await req.text()}`);
          else res.end(`hello ${req.path}`);
        });
        const agent = keepAliveAgent();
        const first = await fetchFrom(server, '/1', { agent });
        const second = await fetchFrom(server, '/2', { agent, method: 'POST', body: 'body' });
        const third = await fetchFrom(server, '/3', { agent });
        expect([first, second, third].map((response) => response.body.toString())).to.deep.equal(['hello /1', 'echo body', 'hello /3']);
        expect(first.localPort).to.be.above(0);
        expect(second.localPort, 'the same connection').to.equal(first.localPort);
        expect(third.localPort, 'the same connection').to.equal(first.localPort);
      });

      it('answers pipelined requests, sent in one write, in order (handlers that answer at once)', async function () {
        const server = await start((req, res) => {
          if (req.path === '/204') res.status = 204;
          res.setHeader('X-Path', req.path);
          res.end(req.path);
        });
        const client = await server.wire();
        await client.write(get('/a') + 'HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n' + get('/204') + get('/b') + get('/c'));
        const responses = await client.readResponses(5, ['GET', 'HEAD', 'GET', 'GET', 'GET']);
        expect(responses.map((response) => response.headers['x-path'])).to.deep.equal(['/a', '/head', '/204', '/b', '/c']);
        expect(responses.map((response) => response.text)).to.deep.equal(['/a', '', '', '/b', '/c']);
        expect(responses[1]!.headers['content-length'], 'HEAD: the length GET would get').to.equal('5');
        expect(responses.map((response) => response.status)).to.deep.equal([200, 200, 204, 200, 200]);
        await delay(20);
        expect(client.pending.length).to.equal(0);
        expect(await client.waitForClose(20), 'the connection is kept').to.equal(false);
      });

      const asyncPipelined: Handler = async (req, res) => {
        // The first answers last if answers were not kept in order.
        if (req.path === '/slow') await delay(50);
        else await delay(5);
        if (req.method === 'POST') res.end(`${req.path}:${await req.text()}`);
        else res.end(req.path);
      };
      const asyncRequests = get('/slow') + 'POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc' + get('/last');

      if (engine !== 'uws') {
        // On HTTP/2, concurrent streams on one connection: each answered on its own stream.
        it('answers pipelined requests to asynchronous handlers in order', async function () {
          const server = await start(asyncPipelined);
          const client = await server.wire();
          await client.write(asyncRequests);
          const responses = await client.readResponses(3, ['GET', 'POST', 'GET'], { timeoutMs: 3000 });
          expect(responses.map((response) => response.text)).to.deep.equal(['/slow', '/post:abc', '/last']);
        });
      } else {
        it('closes a connection that pipelines behind a response still in progress (uWS refuses async pipelining)', async function () {
          const aborted = deferred<boolean>();
          const server = await start(async (req, res) => {
            res.onAborted(() => aborted.resolve(true));
            await asyncPipelined(req, res);
          });
          const client = await server.wire();
          await client.write(asyncRequests);
          const result = await client.readUntilClose({ timeoutMs: 2000 });
          expect(result.closed, 'uWS closes the connection').to.equal(true);
          expect(result.responses).to.deep.equal([]);
          expect(await within(aborted.promise, 1000, 'the first exchange to abort')).to.equal(true);
          await eventually(() => server.uws!.stats().connections === 0, 1000, 'no exchange in flight');
          expect(server.codes()).to.deep.equal([]);
        });
      }

      const closeTitle = h2
        ? 'leaves out Connection: close on HTTP/2 (a connection-specific field, RFC 9113 8.2.2), and keeps the connection'
        : 'says Connection: close when the handler asks for it, and closes';
      it(closeTitle, async function () {
        const server = await start((_req, res) => {
          res.setHeader('Connection', 'close');
          res.end('bye');
        });
        const client = await server.wire();
        await client.write(get());
        if (h2) {
          const response = await client.readResponse();
          expect(response.text).to.equal('bye');
          expect(response.headers).to.not.have.property('connection');
          expect(await client.waitForClose(50), 'the connection is kept').to.equal(false);
          return;
        }
        const result = await client.readUntilClose();
        expect(result.closed).to.equal(true);
        expect(result.responses).to.have.length(1);
        expect(result.responses[0]!.text).to.equal('bye');
        expect(result.responses[0]!.headers.connection).to.equal('close');
      });
    });

    describe('HTTP/1.0', function () {
      const hello: Handler = (req, res) => {
        res.end(`hello ${req.path} ${req.httpVersion}`);
      };

      if (h2) {
        it.skip('answers HTTP/1.0 (HTTP/1.x only: an HTTP/2 connection has no HTTP/1.0 requests)');
      } else if (engine === 'net') {
        it('answers HTTP/1.0 and closes; keeps the connection when asked (Connection: keep-alive)', async function () {
          const server = await start(hello);
          const client = await server.wire();
          await client.write('GET /plain HTTP/1.0\r\n\r\n');
          const result = await client.readUntilClose();
          expect(result.closed).to.equal(true);
          expect(result.responses.map((response) => [response.status, response.text])).to.deep.equal([[200, 'hello /plain 1.0']]);

          const kept = await server.wire();
          await kept.write('GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
          const first = await kept.readResponse();
          expect([first.status, first.text, first.headers.connection]).to.deep.equal([200, 'hello /1 1.0', 'keep-alive']);
          await kept.write('GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
          expect((await kept.readResponse()).text).to.equal('hello /2 1.0');
          expect(await kept.waitForClose(50), 'the connection is kept').to.equal(false);
        });
      } else {
        it('answers HTTP/1.0 with 505 (uWebSockets.js does not speak HTTP/1.0), and never calls the handler', async function () {
          let calls = 0;
          const server = await start((req, res) => {
            calls++;
            return hello(req, res);
          });
          const client = await server.wire();
          await client.write('GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
          const result = await client.readUntilClose();
          expect(result.closed).to.equal(true);
          expect(result.responses[0]?.status).to.equal(505);
          expect(calls).to.equal(0);
        });
      }
    });
  });
}
