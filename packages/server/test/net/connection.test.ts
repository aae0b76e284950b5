/**
 * The HTTP/1.x connection over real sockets: keep-alive (Tornado's KeepAliveTest matrix),
 * pipelining, request smuggling, limits, timeouts, the connection limit and graceful shutdown.
 */
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'chai';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler, HttpResponse } from '../../src/http/api.js';
import { RawClient, type CloseResult, type RawResponse } from '../support/raw-client.js';
import { eventually } from '../support/sockets.js';
import { deferred, delay, get, startServer, useCleanup, within } from '../support/servers.js';

const hello: Handler = (req, res) => {
  res.end(`hello ${req.path}`);
};

/** The exact bytes of a response: `DATE` in `expected` stands for the response's own Date. */
function expectBytes(response: RawResponse, expected: string): void {
  expect(response.headers.date, 'Date header').to.be.a('string');
  expect(response.raw.toString('latin1')).to.equal(expected.replace('DATE', response.headers.date!));
}

/** The connection ended with exactly one canned error reply and nothing after it. */
function expectCanned(result: CloseResult, status: number, code: ErrorCode): RawResponse {
  expect(result.closed, 'the server closed the connection').to.equal(true);
  expect(result.responses, 'exactly one response').to.have.length(1);
  expect(result.leftover.toString('latin1'), 'no bytes after the error reply').to.equal('');
  const response = result.responses[0]!;
  expect(response.status).to.equal(status);
  expect(response.headers.connection).to.equal('close');
  expect(response.text).to.contain(code);
  const body = `${status} ${STATUS_CODES[status]}: ${code}\n`;
  expectBytes(
    response,
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nDate: DATE\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  return response;
}

async function streamUntilAborted(res: HttpResponse, chunk: Buffer, maxBytes: number): Promise<number> {
  let sent = 0;
  while (!res.aborted && sent < maxBytes) {
    if (!res.write(chunk)) await res.drain();
    sent += chunk.length;
  }
  if (!res.aborted) res.end();
  return sent;
}

describe('http/connection', function () {
  useCleanup();

  describe('keep-alive (Tornado KeepAliveTest)', function () {
    it('answers two requests on one HTTP/1.1 connection', async function () {
      const { connect } = await startServer(hello);
      const client = await connect();
      await client.write(get('/a'));
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 8\r\nKeep-Alive: timeout=5\r\n\r\nhello /a');
      await client.write(get('/b'));
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 8\r\nKeep-Alive: timeout=5\r\n\r\nhello /b');
      expect(await client.waitForClose(50)).to.equal(false);
    });

    it('closes after a request that says Connection: close', async function () {
      const { connect } = await startServer(hello);
      const client = await connect();
      await client.write(get('/', 'Connection: close\r\n'));
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(1);
      expectBytes(result.responses[0]!, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhello /');
      expect(result.leftover.length).to.equal(0);
    });

    it('closes after an HTTP/1.0 request without keep-alive', async function () {
      const { connect } = await startServer(hello);
      const client = await connect();
      await client.write('GET / HTTP/1.0\r\n\r\n');
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(1);
      expectBytes(result.responses[0]!, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhello /');
    });

    it('keeps an HTTP/1.0 connection that asks for keep-alive, when the length is known', async function () {
      const { connect } = await startServer(hello);
      const client = await connect();
      await client.write('GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      expectBytes(
        await client.readResponse(),
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 8\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nhello /1',
      );
      expect(await client.waitForClose(50)).to.equal(false);
      await client.write('GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      expectBytes(
        await client.readResponse(),
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 8\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nhello /2',
      );
    });

    it('closes an HTTP/1.0 keep-alive connection after a streamed response of unknown length', async function () {
      const { connect } = await startServer((_req, res) => {
        res.write('abc');
        res.write('def');
        res.end();
      });
      const client = await connect();
      await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(1);
      const response = result.responses[0]!;
      expect(response.framing).to.equal('close');
      expectBytes(response, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nConnection: close\r\n\r\nabcdef');
    });

    it('ignores an extra CRLF between requests', async function () {
      const { connect } = await startServer(hello);
      const client = await connect();
      await client.write(get('/a'));
      expect((await client.readResponse()).text).to.equal('hello /a');
      await client.write('\r\n');
      await client.write(get('/b'));
      expect((await client.readResponse()).text).to.equal('hello /b');
      // And in one write, between pipelined requests.
      await client.write(`${get('/c')}\r\n${get('/d')}`);
      const responses = await client.readResponses(2);
      expect(responses.map((r) => r.text)).to.deep.equal(['hello /c', 'hello /d']);
    });

    it('answers three pipelined requests in order, even when a later handler would finish first', async function () {
      const delays: Record<string, number> = { '/1': 90, '/2': 45, '/3': 0 };
      const events: string[] = [];
      let active = 0;
      let maxActive = 0;
      const { connect } = await startServer(async (req, res) => {
        active++;
        maxActive = Math.max(maxActive, active);
        events.push(`start ${req.path}`);
        await delay(delays[req.path] ?? 0);
        events.push(`end ${req.path}`);
        active--;
        res.end(`response ${req.path}`);
      });
      const client = await connect();
      await client.write(get('/1') + get('/2') + get('/3'));
      const responses = await client.readResponses(3);
      expect(responses.map((r) => r.text)).to.deep.equal(['response /1', 'response /2', 'response /3']);
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(maxActive, 'one exchange at a time').to.equal(1);
      expect(events).to.deep.equal(['start /1', 'end /1', 'start /2', 'end /2', 'start /3', 'end /3']);
      expect(client.pending.length).to.equal(0);
    });

    it('answers pipelined requests fed one byte at a time', async function () {
      const { connect } = await startServer(async (req, res) => {
        const body = await req.text();
        res.end(`${req.method} ${req.path} ${body}`);
      });
      const client = await connect();
      const requests =
        get('/a') +
        'POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n' +
        get('/d');
      await client.writeBytewise(requests);
      const responses = await client.readResponses(4);
      expect(responses.map((r) => r.text)).to.deep.equal(['GET /a ', 'POST /b hello', 'POST /c abcde', 'GET /d ']);
    });

    it('survives a client that closes during a large download, and the handler sees the abort', async function () {
      const aborted = deferred<number>();
      const { connect, logged } = await startServer((req, res) => {
        if (req.path !== '/big') {
          res.end('small');
          return;
        }
        res.onAborted(() => aborted.resolve(0));
        // 64 MiB at most: far more than the socket buffers hold, so the client closes mid-body.
        void streamUntilAborted(res, Buffer.alloc(64 * 1024, 0x61), 64 * 1024 * 1024);
      });
      const client = await connect();
      await client.write(get('/big'));
      await client.waitForBytes(256 * 1024);
      client.destroy();
      await within(aborted.promise, 2000, 'onAborted');
      // The server carries on.
      const next = await connect();
      await next.write(get('/after'));
      expect((await next.readResponse()).status).to.equal(200);
      expect(logged).to.deep.equal([]);
    });

    it('pauses reading past pipelineHighWaterMark and answers every pipelined request in order', async function () {
      const { connect } = await startServer(
        async (req, res) => {
          await delay(1);
          res.end(req.path);
        },
        { pipelineHighWaterMark: 256 },
      );
      const client = await connect();
      const count = 200;
      await client.write(Array.from({ length: count }, (_, i) => get(`/${i}`)).join(''));
      const responses = await client.readResponses(count, [], { timeoutMs: 5000 });
      expect(responses.map((r) => r.text)).to.deep.equal(Array.from({ length: count }, (_, i) => `/${i}`));
      expect(client.pending.length).to.equal(0);
    });

    it('closes after every response with noKeepAlive', async function () {
      const { connect } = await startServer(hello, { noKeepAlive: true });
      const client = await connect();
      await client.write(get('/1') + get('/2'));
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses, 'the pipelined second request is never answered').to.have.length(1);
      expectBytes(result.responses[0]!, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhello /1');
      expect(result.leftover.length).to.equal(0);
    });

    it('answers both pipelined requests after the client half-closes, then closes', async function () {
      const { connect } = await startServer(async (req, res) => {
        await delay(20);
        res.end(`hello ${req.path}`);
      });
      const client = await connect();
      await client.write(get('/1') + get('/2'));
      await client.end();
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses.map((r) => r.text)).to.deep.equal(['hello /1', 'hello /2']);
      expect(result.leftover.length).to.equal(0);
    });
  });

  describe('request smuggling over the wire', function () {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n';
    const cases: Array<{ name: string; raw: string; status: number; code: ErrorCode }> = [
      {
        name: 'CL.TE: Content-Length with Transfer-Encoding',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING',
      },
      {
        name: 'TE.CL: Transfer-Encoding before Content-Length, a request hidden in a chunk',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
        status: 400,
        code: 'PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING',
      },
      {
        name: 'duplicate Content-Length',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH',
      },
      {
        name: 'Content-Length as a list',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0, ${smuggled.length}\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_INVALID_CONTENT_LENGTH',
      },
      {
        name: 'Transfer-Encoding: chunked on HTTP/1.0',
        raw: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_TRANSFER_ENCODING_ON_HTTP10',
      },
      {
        name: 'Transfer-Encoding: chunked, identity',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
      },
      {
        name: 'Transfer-Encoding: chunked twice',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
      },
      {
        name: 'Transfer-Encoding: gzip, chunked (501)',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 501,
        code: 'PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING',
      },
      {
        name: 'obs-fold hiding Transfer-Encoding',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nX-Padding: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_OBSOLETE_LINE_FOLDING',
      },
      {
        name: 'a bad chunk size',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_INVALID_CHUNK_SIZE',
      },
      {
        name: 'chunk data longer than its size, the rest a request',
        raw: `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc${smuggled}\r\n0\r\n\r\n`,
        status: 400,
        code: 'PERCORE_ERR_INVALID_CHUNK_FRAMING',
      },
      {
        name: 'a bare LF ending a header line',
        raw: `POST / HTTP/1.1\r\nHost: test\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${smuggled}`,
        status: 400,
        code: 'PERCORE_ERR_BARE_LF',
      },
    ];

    for (const testCase of cases) {
      it(`${testCase.name} -> one ${testCase.status}, then close`, async function () {
        const paths: string[] = [];
        const { connect, logged } = await startServer(async (req, res) => {
          paths.push(req.path);
          const body = await req.text();
          res.end(`got ${body.length} bytes`);
        });
        const client = await connect();
        await client.write(testCase.raw);
        const result = await client.readUntilClose();
        expectCanned(result, testCase.status, testCase.code);
        expect(paths, 'the smuggled request never reaches the handler').to.not.include('/smuggled');
        expect(logged.filter((entry) => entry.code !== testCase.code)).to.deep.equal([]);
      });
    }

    it('never answers bytes smuggled after a framing error, even in a later write', async function () {
      const paths: string[] = [];
      const { connect } = await startServer((req, res) => {
        paths.push(req.path);
        res.end('ok');
      });
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`);
      await client.write(smuggled).catch(() => undefined);
      const result = await client.readUntilClose();
      expectCanned(result, 400, 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH');
      expect(paths).to.deep.equal([]);
    });

    it('closes without a reset when a framing error follows a response already finished', async function () {
      // The handler refuses at once; the body is then dropped as it arrives, until bad framing.
      const { connect } = await startServer((_req, res) => {
        res.status = 413;
        res.end('too big');
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      const response = await client.readResponse('POST');
      expect(response.status).to.equal(413);
      await client.write('zz\r\nmore bytes after the bad chunk size\r\n');
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.reset, 'a clean FIN, not a reset').to.equal(false);
      expect(result.responses, 'nothing is answered for the broken framing').to.have.length(0);
    });
  });

  describe('limits', function () {
    const limits = { maxRequestLineLength: 64, maxHeaderSize: 256, maxHeaderCount: 5, maxBodySize: 100 };

    async function rejectWith(raw: string, status: number, code: ErrorCode): Promise<string[]> {
      const paths: string[] = [];
      const { connect } = await startServer(async (req, res) => {
        paths.push(req.path);
        res.end(await req.text());
      }, limits);
      const client = await connect();
      await client.write(raw);
      expectCanned(await client.readUntilClose(), status, code);
      return paths;
    }

    it('answers 414 to a request line longer than maxRequestLineLength', async function () {
      const paths = await rejectWith(`GET /${'a'.repeat(60)} HTTP/1.1\r\nHost: test\r\n\r\n`, 414, 'PERCORE_ERR_REQUEST_LINE_TOO_LONG');
      expect(paths).to.deep.equal([]);
    });

    it('accepts a request line of exactly maxRequestLineLength', async function () {
      const { connect } = await startServer(hello, limits);
      const client = await connect();
      const line = `GET /${'a'.repeat(64 - 'GET / HTTP/1.1'.length)} HTTP/1.1`;
      expect(line.length).to.equal(64);
      await client.write(`${line}\r\nHost: test\r\n\r\n`);
      expect((await client.readResponse()).status).to.equal(200);
    });

    it('answers 431 to a head larger than maxHeaderSize', async function () {
      const fields = ['X-1', 'X-2', 'X-3'].map((name) => `${name}: ${'v'.repeat(80)}\r\n`).join('');
      await rejectWith(`GET / HTTP/1.1\r\nHost: test\r\n${fields}\r\n`, 431, 'PERCORE_ERR_HEADERS_TOO_LARGE');
    });

    it('answers 431 to more header fields than maxHeaderCount', async function () {
      const fields = ['A', 'B', 'C', 'D', 'E'].map((name) => `X-${name}: 1\r\n`).join('');
      await rejectWith(`GET / HTTP/1.1\r\nHost: test\r\n${fields}\r\n`, 431, 'PERCORE_ERR_TOO_MANY_HEADERS');
    });

    it('answers 413 to a Content-Length over maxBodySize before the body is sent', async function () {
      const paths = await rejectWith('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 101\r\n\r\n', 413, 'PERCORE_ERR_BODY_TOO_LARGE');
      expect(paths).to.deep.equal([]);
    });

    it('answers 413 to a chunked body that grows past maxBodySize', async function () {
      const chunk = `3c\r\n${'x'.repeat(60)}\r\n`;
      await rejectWith(
        `POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`,
        413,
        'PERCORE_ERR_BODY_TOO_LARGE',
      );
    });

    it('answers 400 to an HTTP/1.1 request without Host', async function () {
      await rejectWith('GET / HTTP/1.1\r\n\r\n', 400, 'PERCORE_ERR_MISSING_HOST');
    });

    it('answers 505 to HTTP/2.0', async function () {
      await rejectWith('GET / HTTP/2.0\r\nHost: test\r\n\r\n', 505, 'PERCORE_ERR_VERSION_NOT_SUPPORTED');
    });

    it('answers 501 to CONNECT', async function () {
      await rejectWith('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501, 'PERCORE_ERR_METHOD_NOT_IMPLEMENTED');
    });
  });

  describe('timeouts', function () {
    const timeouts = { headerTimeout: 200, keepAliveTimeout: 200, bodyTimeout: 200, responseTimeout: 2000 };

    it('answers 408 to a partial head that stalls, then closes', async function () {
      const { connect } = await startServer(hello, timeouts);
      const client = await connect();
      await client.write('GET / HTTP/1.1\r\nHost: te');
      expectCanned(await client.readUntilClose(), 408, 'PERCORE_ERR_HEADER_TIMEOUT');
    });

    it('answers 408 to a slowloris at about the header timeout, however often it sends', async function () {
      const { connect } = await startServer(hello, timeouts);
      const client = await connect();
      const started = Date.now();
      // 120 bytes at one per 50 ms would take 6 s: the timer must run from the first byte.
      const trickling = client.trickle(`GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ${'a'.repeat(90)}`, 50);
      await client.waitForText('HTTP/1.1 408', { timeoutMs: 3000 });
      const elapsed = Date.now() - started;
      const sent = await trickling;
      expect(elapsed, 'not before the header timeout').to.be.at.least(150);
      expect(elapsed, 'not later than 3x the header timeout').to.be.at.most(600);
      expect(sent).to.be.below(20);
      expectCanned(await client.readUntilClose(), 408, 'PERCORE_ERR_HEADER_TIMEOUT');
    });

    it('times the head of a later request on a kept-alive connection from its first byte', async function () {
      const { connect } = await startServer(hello, { ...timeouts, keepAliveTimeout: 1000 });
      const client = await connect();
      await client.write(get('/1'));
      expect((await client.readResponse()).text).to.equal('hello /1');
      // Idle for a while first: the head timer must not count the idle time, nor restart per byte.
      await delay(100);
      const started = Date.now();
      const trickling = client.trickle(`GET /2 HTTP/1.1\r\nHost: test\r\nX-Slow: ${'a'.repeat(90)}`, 50);
      await client.waitForText('HTTP/1.1 408', { timeoutMs: 3000 });
      const elapsed = Date.now() - started;
      await trickling;
      expect(elapsed).to.be.at.least(150);
      expect(elapsed).to.be.at.most(600);
      expectCanned(await client.readUntilClose(), 408, 'PERCORE_ERR_HEADER_TIMEOUT');
    });

    it('closes a connection that sends nothing, quietly', async function () {
      const { connect, logged } = await startServer(hello, timeouts);
      const client = await connect();
      const result = await client.readUntilClose({ timeoutMs: 1500 });
      expect(result.closed).to.equal(true);
      expect(result.reset).to.equal(false);
      expect(client.bytesReceived, 'no 408 for a connection that never spoke').to.equal(0);
      expect(logged).to.deep.equal([]);
    });

    it('closes an idle keep-alive connection after keepAliveTimeout', async function () {
      const { connect } = await startServer(hello, timeouts);
      const client = await connect();
      await client.write(get());
      expect((await client.readResponse()).status).to.equal(200);
      const result = await client.readUntilClose({ timeoutMs: 1500 });
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(0);
      expect(result.leftover.length, 'closed quietly').to.equal(0);
    });

    it('answers 408 to a body that stalls', async function () {
      const failures: unknown[] = [];
      const { connect } = await startServer(async (req, res) => {
        try {
          res.end(await req.text());
        } catch (error) {
          failures.push(error);
          throw error;
        }
      }, timeouts);
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n${'x'.repeat(10)}`);
      expectCanned(await client.readUntilClose(), 408, 'PERCORE_ERR_BODY_TIMEOUT');
      expect(failures).to.have.length(1);
      expect((failures[0] as { code?: string }).code).to.equal('PERCORE_ERR_BODY_TIMEOUT');
    });

    it('keeps connections open when the timeouts are 0', async function () {
      const { connect } = await startServer(
        async (req, res) => {
          const body = await req.text();
          res.end(`hello ${req.path}${body}`);
        },
        { headerTimeout: 0, keepAliveTimeout: 0, bodyTimeout: 0, responseTimeout: 0 },
      );
      const silent = await connect();
      const partialHead = await connect();
      const idle = await connect();
      const partialBody = await connect();
      await partialHead.write('GET / HTTP/1.1\r\nHost: te');
      await idle.write(get('/1'));
      expect((await idle.readResponse()).status).to.equal(200);
      await partialBody.write('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nxx');
      // 500 ms: more than twice the timeouts the other tests see fire.
      const closed = await Promise.all([silent, partialHead, idle, partialBody].map((c) => c.waitForClose(500)));
      expect(closed).to.deep.equal([false, false, false, false]);
      for (const client of [silent, partialHead, partialBody]) expect(client.bytesReceived).to.equal(0);
      await idle.write(get('/2'));
      expect((await idle.readResponse()).text).to.equal('hello /2');
    });
  });

  describe('maxConnections', function () {
    it('answers 503 to a connection over the limit and keeps serving the others', async function () {
      const { connect, server } = await startServer(hello, { maxConnections: 2 });
      const first = await connect();
      const second = await connect();
      await first.write(get('/1'));
      await second.write(get('/2'));
      expect((await first.readResponse()).text).to.equal('hello /1');
      expect((await second.readResponse()).text).to.equal('hello /2');

      const third = await connect();
      expectCanned(await third.readUntilClose(), 503, 'PERCORE_ERR_SERVER_BUSY');
      expect(server.listener.stats().refused).to.equal(1);

      await first.write(get('/3'));
      await second.write(get('/4'));
      expect((await first.readResponse()).text).to.equal('hello /3');
      expect((await second.readResponse()).text).to.equal('hello /4');
    });
  });

  describe('graceful close (drain)', function () {
    it('finishes a request in flight with Connection: close, and refuses new connections', async function () {
      const started = deferred();
      const { connect, server, port } = await startServer(async (req, res) => {
        started.resolve();
        await delay(300);
        res.end(`done ${req.path}`);
      });
      const busy = await connect();
      await busy.write(get('/slow'));
      await within(started.promise, 2000, 'the slow handler to start');

      const closing = server.close();
      let refused: unknown = null;
      try {
        const late = await RawClient.connect(port, { timeoutMs: 1000 });
        late.destroy();
      } catch (error) {
        refused = error;
      }
      expect((refused as NodeJS.ErrnoException | null)?.code).to.equal('ECONNREFUSED');
      const busyResult = await busy.readUntilClose();
      expect(busyResult.closed).to.equal(true);
      expect(busyResult.reset, 'closed with a FIN, not a reset').to.equal(false);
      expect(busyResult.responses).to.have.length(1);
      const response = busyResult.responses[0]!;
      expect(response.text).to.equal('done /slow');
      expect(response.headers.connection).to.equal('close');
      await within(closing, 2000, 'server.close()');
    });

    for (const [version, ask] of [
      ['HTTP/1.1', ''],
      ['HTTP/1.0', 'Connection: keep-alive\r\n'],
    ] as const) {
      it(`keeps an idle ${version} keep-alive connection open, and answers its next request with Connection: close`, async function () {
        const { connect, server } = await startServer(hello);
        const client = await connect();
        await client.write(`GET /first ${version}\r\nHost: test\r\n${ask}\r\n`);
        expect((await client.readResponse()).text).to.equal('hello /first');

        const closing = server.close();
        // The client may already have sent its next request: closing now could reset it.
        expect(await client.waitForClose(150), 'an idle connection stays open while draining').to.equal(false);
        await client.write(`GET /next ${version}\r\nHost: test\r\n${ask}\r\n`);
        const result = await client.readUntilClose();
        expect(result.responses.map((r) => r.text)).to.deep.equal(['hello /next']);
        expect(result.responses[0]!.headers.connection).to.equal('close');
        expect(result.responses[0]!.headers['keep-alive']).to.equal(undefined);
        expect(result.closed).to.equal(true);
        expect(result.reset).to.equal(false);
        await within(closing, 2000, 'server.close()');
      });
    }

    it('answers a request that was in flight when the drain began, then closes', async function () {
      const { connect, server } = await startServer(hello);
      const client = await connect();
      await client.write(get('/first'));
      await client.readResponse();
      // The drain and the next request cross: the request must still be answered.
      const closing = server.close();
      await client.write(get('/crossing'));
      const result = await client.readUntilClose();
      expect(result.responses.map((r) => r.text)).to.deep.equal(['hello /crossing']);
      expect(result.reset).to.equal(false);
      await within(closing, 2000, 'server.close()');
    });

    it('closes a connection that stays idle when its keep-alive timeout ends, with a FIN', async function () {
      const { connect, server } = await startServer(hello, { keepAliveTimeout: 300 });
      const client = await connect();
      await client.write(get('/'));
      await client.readResponse();
      const closing = server.close({ graceMs: 5000 });
      const result = await client.readUntilClose({ timeoutMs: 2000 });
      expect(result.closed, 'closed by the idle timeout, before the grace period').to.equal(true);
      expect(result.reset).to.equal(false);
      expect(result.leftover.length).to.equal(0);
      await within(closing, 3000, 'server.close()');
    });

    it('half-closes an idle connection with no idle timeout when the grace period ends', async function () {
      const { connect, server } = await startServer(hello, { keepAliveTimeout: 0 });
      const client = await connect();
      await client.write(get('/'));
      await client.readResponse();
      const closing = server.close({ graceMs: 300 });
      expect(await client.waitForClose(150)).to.equal(false);
      const result = await client.readUntilClose({ timeoutMs: 2000 });
      expect(result.closed).to.equal(true);
      expect(result.reset).to.equal(false);
      // The client closes its side too, and the drain completes without waiting out the linger.
      void client.end();
      await within(closing, 1000, 'server.close()');
    });

    it('cuts a request still unanswered when the grace period ends', async function () {
      const { connect, server } = await startServer(() => new Promise<void>(() => {}));
      const client = await connect();
      await client.write(get('/never'));
      const closing = server.close({ graceMs: 200 });
      const result = await client.readUntilClose({ timeoutMs: 2000 });
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(0);
      await within(closing, 2000, 'server.close()');
    });
  });

  describe('lingering close (RFC 9112 9.6)', function () {
    it('closes at once when the client ends while an unread body is being dropped', async function () {
      // The handler answers without reading; the rest of the body can then never arrive.
      const { connect, server } = await startServer((_req, res) => res.end('early'), { bodyTimeout: 30_000 });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\nxxxx');
      expect((await client.readResponse()).text).to.equal('early');
      await client.end();
      // Not left half-open until the body timeout: the server closes its side too.
      const result = await client.readUntilClose({ timeoutMs: 1000 });
      expect(result.closed, 'the server closed without waiting for bodyTimeout').to.equal(true);
      await eventually(() => server.stats().connections === 0, 1000, 'the connection to close');
    });

    it('reads and drops a request that crosses the idle close, so the client sees a FIN and no reset', async function () {
      const { port } = await startServer(hello, { keepAliveTimeout: 200 });
      // allowHalfOpen: the client keeps writing after the server's FIN, as a client racing it would.
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let received = '';
      let error: Error | null = null;
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => (received += text));
      socket.on('error', (e) => (error = e));
      const ended = new Promise<void>((resolve) => socket.once('end', resolve));
      socket.write(get('/'));
      await within(ended, 2000, 'the idle timeout to send FIN');
      expect(received).to.match(/^HTTP\/1\.1 200 OK\r\n[\s\S]*hello \/$/);
      // A request sent after the server's FIN: a plain close would answer it with a reset.
      socket.write(get('/late'));
      await delay(100);
      // A reset, had one come, fails the next write (ECONNRESET or EPIPE).
      socket.write(get('/later'));
      await delay(100);
      expect(error, 'no reset').to.equal(null);
      expect(received).to.not.include('/late');
      socket.destroy();
    });
  });

  describe('error isolation seen from HTTP', function () {
    it('an abort callback that throws closes only its own task, logged as PERCORE_ERR_TASK_FAILED', async function () {
      const { connect, codes } = await startServer(async (req, res) => {
        if (req.path !== '/stream') {
          res.end(`ok ${req.path}`);
          return;
        }
        res.onAborted(() => {
          throw new Error('thrown from onAborted');
        });
        for (let i = 0; i < 500 && !res.aborted; i++) {
          res.write('x');
          await delay(5);
        }
      });
      const bystander = await connect();
      await bystander.write(get('/before'));
      expect((await bystander.readResponse()).text).to.equal('ok /before');
      const victim = await connect();
      await victim.write(get('/stream'));
      await victim.waitForText('1\r\nx\r\n');
      victim.destroy();
      for (let i = 0; i < 200 && !codes().includes('PERCORE_ERR_TASK_FAILED'); i++) await delay(10);
      expect(codes()).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
      await bystander.write(get('/after'));
      expect((await bystander.readResponse()).text).to.equal('ok /after');
    });

    it('a handler that throws for one connection leaves the others untouched', async function () {
      const { connect, codes } = await startServer(async (req, res) => {
        if (req.path === '/boom') throw new Error('boom');
        if (req.path === '/cut') {
          res.write('partial');
          await delay(10);
          throw new Error('cut');
        }
        await delay(10);
        res.end(`ok ${req.path}`);
      });
      const count = 24;
      const paths = Array.from({ length: count }, (_, i) => (i === 7 ? '/boom' : i === 13 ? '/cut' : `/n${i}`));
      const clients = await Promise.all(paths.map(() => connect()));
      await Promise.all(clients.map((client, i) => client.write(get(paths[i]))));
      const results = await Promise.all(
        clients.map(async (client, i) => {
          if (paths[i] === '/cut') return client.readUntilClose();
          return client.readResponse();
        }),
      );
      for (let i = 0; i < count; i++) {
        const result = results[i]!;
        if (paths[i] === '/boom') {
          const response = result as RawResponse;
          expect(response.status).to.equal(500);
          expect(response.text).to.equal('500 Internal Server Error\n');
        } else if (paths[i] === '/cut') {
          const cut = result as CloseResult;
          expect(cut.closed).to.equal(true);
          expect(cut.responses, 'a cut chunked response never completes').to.have.length(0);
          expect(cut.leftover.toString('latin1')).to.contain('7\r\npartial\r\n');
        } else {
          const response = result as RawResponse;
          expect(response.status).to.equal(200);
          expect(response.text).to.equal(`ok ${paths[i]}`);
        }
      }
      // The 500 connection is kept alive and still works.
      const boom = clients[7]!;
      await boom.write(get('/again'));
      expect((await boom.readResponse()).text).to.equal('ok /again');
      expect(codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED', 'PERCORE_ERR_HANDLER_FAILED']);
    });
  });
});
