/**
 * The request a handler sees on the `net` engine: its fields, and its body read whole, streamed
 * with backpressure, with trailers, or after `Expect: 100-continue`.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Handler, HttpRequest } from '../../src/http/api.js';
import type { Socket } from 'node:net';
import { deferred, delay, get, startServer, useCleanup, within } from '../support/servers.js';
import { errorCode } from '../support/errors.js';

/** A handler that answers with the request's fields as JSON. */
const echoFields: Handler = (req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(
    JSON.stringify({
      method: req.method,
      target: req.target,
      path: req.path,
      query: req.query,
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      remoteAddress: req.remoteAddress,
      remotePort: req.remotePort,
    }),
  );
};

interface Fields {
  method: string;
  target: string;
  path: string;
  query: string;
  httpVersion: string;
  headers: Record<string, string>;
  rawHeaders: string[];
  remoteAddress: string;
  remotePort: number;
}

/** Sends `raw` on a fresh connection to an `echoFields` server and returns the fields. */
async function fieldsOf(raw: string): Promise<Fields> {
  const { connect } = await startServer(echoFields);
  const client = await connect();
  await client.write(raw);
  const response = await client.readResponse();
  expect(response.status).to.equal(200);
  return JSON.parse(response.text) as Fields;
}

describe('http/request', function () {
  useCleanup();

  describe('fields', function () {
    it('splits an origin-form target into path and query, undecoded', async function () {
      const fields = await fieldsOf(get('/a/b%20c?x=1&y=%41'));
      expect(fields.method).to.equal('GET');
      expect(fields.target).to.equal('/a/b%20c?x=1&y=%41');
      expect(fields.path).to.equal('/a/b%20c');
      expect(fields.query).to.equal('x=1&y=%41');
    });

    it('gives an empty query for a target without one, or with a bare "?"', async function () {
      const { connect } = await startServer((req, res) => {
        res.end(JSON.stringify([req.path, req.query]));
      });
      const client = await connect();
      await client.write(get('/') + get('/a?') + get('/a/b/'));
      const responses = await client.readResponses(3);
      expect(responses.map((r) => JSON.parse(r.text))).to.deep.equal([
        ['/', ''],
        ['/a', ''],
        ['/a/b/', ''],
      ]);
    });

    it('splits an absolute-form target (RFC 9112 3.2.2)', async function () {
      const { connect } = await startServer((req, res) => {
        res.end(JSON.stringify([req.target, req.path, req.query]));
      });
      const client = await connect();
      await client.write(
        get('http://example.com/a/b?x=1') +
          get('http://example.com:8080?q=2') +
          get('http://example.com') +
          get('https://user@example.com/p'),
      );
      const responses = await client.readResponses(4);
      expect(responses.map((r) => JSON.parse(r.text))).to.deep.equal([
        ['http://example.com/a/b?x=1', '/a/b', 'x=1'],
        ['http://example.com:8080?q=2', '/', 'q=2'],
        ['http://example.com', '/', ''],
        ['https://user@example.com/p', '/p', ''],
      ]);
    });

    it('accepts OPTIONS * (asterisk-form) with path "*"', async function () {
      const fields = await fieldsOf('OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n');
      expect(fields.method).to.equal('OPTIONS');
      expect(fields.target).to.equal('*');
      expect(fields.path).to.equal('*');
      expect(fields.query).to.equal('');
    });

    it('passes any token method through, case-sensitive', async function () {
      const fields = await fieldsOf('PURGE /x HTTP/1.1\r\nHost: test\r\n\r\n');
      expect(fields.method).to.equal('PURGE');
      const lower = await fieldsOf('get /x HTTP/1.1\r\nHost: test\r\n\r\n');
      expect(lower.method).to.equal('get');
    });

    it('gives headers by lower-case name, joins repeats, and keeps rawHeaders as sent', async function () {
      const fields = await fieldsOf(
        'GET / HTTP/1.1\r\nHost: test\r\nX-Multi: a\r\nx-multi: b\r\nCookie: a=1\r\nCOOKIE: b=2\r\nX-Spaces:   padded value \t\r\nX-Empty:\r\n\r\n',
      );
      expect(fields.headers).to.deep.equal({
        host: 'test',
        'x-multi': 'a, b',
        cookie: 'a=1; b=2',
        'x-spaces': 'padded value',
        'x-empty': '',
      });
      expect(fields.rawHeaders).to.deep.equal([
        'Host',
        'test',
        'X-Multi',
        'a',
        'x-multi',
        'b',
        'Cookie',
        'a=1',
        'COOKIE',
        'b=2',
        'X-Spaces',
        'padded value',
        'X-Empty',
        '',
      ]);
    });

    it('looks a header up by name in any case with header()', async function () {
      const { connect } = await startServer((req, res) => {
        res.end(JSON.stringify([req.header('X-MiXeD'), req.header('x-mixed'), req.header('HOST'), req.header('missing') ?? null]));
      });
      const client = await connect();
      await client.write(get('/', 'x-Mixed: yes\r\n'));
      expect(JSON.parse((await client.readResponse()).text)).to.deep.equal(['yes', 'yes', 'test', null]);
    });

    it('joins repeated fields in header() as in headers, before and after the record is built, over split reads', async function () {
      // header() reads the raw fields in place until something builds the record: both must agree.
      const names = ['x-multi', 'cookie', 'x-empty', 'x-mult', 'x-multii', 'missing'];
      const { connect } = await startServer((req, res) => {
        const before = names.map((name) => req.header(name.toUpperCase()) ?? null);
        const record = names.map((name) => req.headers[name] ?? null);
        const after = names.map((name) => req.header(name) ?? null);
        res.end(JSON.stringify({ before, record, after }));
      });
      const expected = ['a, b', 'a=1; b=2', '', null, null, null];
      const request = get('/', 'X-Multi: a\r\nCookie: a=1\r\nx-MULTI: b\r\nCOOKIE: b=2\r\nX-Empty:\r\n');
      for (const split of [false, true]) {
        const client = await connect();
        if (split) for (const byte of Buffer.from(request)) await client.write(Buffer.of(byte));
        else await client.write(request);
        const seen = JSON.parse((await client.readResponse()).text) as Record<string, unknown[]>;
        expect(seen, split ? 'split byte by byte' : 'whole').to.deep.equal({ before: expected, record: expected, after: expected });
      }
    });

    it('reports the HTTP version, remote address and port', async function () {
      const { connect } = await startServer(echoFields);
      const client = await connect();
      await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const v10 = JSON.parse((await client.readResponse()).text) as Fields;
      expect(v10.httpVersion).to.equal('1.0');
      expect(v10.remoteAddress).to.equal('127.0.0.1');
      expect(v10.remotePort).to.equal(client.localPort);
      await client.write(get());
      const v11 = JSON.parse((await client.readResponse()).text) as Fields;
      expect(v11.httpVersion).to.equal('1.1');
    });
  });

  describe('reading the body whole', function () {
    it('reads text, json and bytes', async function () {
      const { connect } = await startServer(async (req, res) => {
        if (req.path === '/text') res.end(`text:${await req.text()}`);
        else if (req.path === '/json') res.end(`json:${JSON.stringify(await req.json<unknown>())}`);
        else res.end(`bytes:${(await req.bytes()).toString('hex')}`);
      });
      const client = await connect();
      const json = '{"a":[1,2,{"b":null}],"c":"\u00e9"}';
      await client.write(`POST /text HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello`);
      await client.write(
        Buffer.concat([
          Buffer.from(`POST /json HTTP/1.1\r\nHost: test\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`),
          Buffer.from(json, 'utf8'),
        ]),
      );
      await client.write(
        Buffer.concat([
          Buffer.from('POST /bytes HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\r\n'),
          Buffer.from([0x00, 0xff, 0x0d, 0x0a]),
        ]),
      );
      const responses = await client.readResponses(3);
      expect(responses.map((r) => r.text)).to.deep.equal(['text:hello', `json:${JSON.stringify(JSON.parse(json))}`, 'bytes:00ff0d0a']);
    });

    it('decodes UTF-8 text split across chunks and reads', async function () {
      const { connect } = await startServer(async (req, res) => {
        res.end(await req.text());
      });
      const client = await connect();
      const text = Buffer.from('€uro ü', 'utf8');
      // The euro sign's three bytes straddle two chunks, and the chunks two writes.
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n`);
      await client.write(Buffer.concat([text.subarray(0, 2), Buffer.from(`\r\n${(text.length - 2).toString(16)}\r\n`)]));
      await delay(10);
      await client.write(Buffer.concat([text.subarray(2), Buffer.from('\r\n0\r\n\r\n')]));
      expect((await client.readResponse()).text).to.equal('€uro ü');
    });

    it('gives an empty body for a request without one', async function () {
      const { connect } = await startServer(async (req, res) => {
        const before = req.bodyUsed;
        const body = await req.text();
        res.end(JSON.stringify([before, body, req.bodyUsed]));
      });
      const client = await connect();
      await client.write(get());
      expect(JSON.parse((await client.readResponse()).text)).to.deep.equal([false, '', true]);
    });

    it('answers 413 when a body is over the per-call limit, and keeps the connection', async function () {
      const { connect, logged } = await startServer(async (req, res) => {
        res.end(`got ${await req.text({ limit: 10 })}`);
      });
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 20\r\n\r\n${'x'.repeat(20)}`);
      const response = await client.readResponse();
      expect(response.status).to.equal(413);
      expect(response.text).to.equal('413 Payload Too Large\n');
      expect(response.headers['content-type']).to.equal('text/plain; charset=utf-8');
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n${'y'.repeat(10)}`);
      expect((await client.readResponse()).text).to.equal(`got ${'y'.repeat(10)}`);
      expect(logged, '4xx answers are not logged as failures').to.deep.equal([]);
    });

    it('drops the rest of a body refused early, and reads the next request after it', async function () {
      const { connect } = await startServer(async (req, res) => {
        res.end(`got ${await req.text({ limit: 10 })}`);
      });
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 40\r\n\r\n${'x'.repeat(20)}`);
      const response = await client.readResponse('POST');
      expect(response.status).to.equal(413);
      // RFC 9112 9.3: the client finishes the body it announced; then the next request is read.
      await client.write('x'.repeat(20) + `POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nok`);
      expect((await client.readResponse('POST')).text).to.equal('got ok');
    });

    it('answers 400 to invalid JSON', async function () {
      const { connect } = await startServer(async (req, res) => {
        res.end(JSON.stringify(await req.json()));
      });
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 7\r\n\r\n{"a":1,`);
      const response = await client.readResponse();
      expect(response.status).to.equal(400);
      expect(response.text).to.equal('400 Bad Request\n');
    });

    it('reads a body only once: a second read throws PERCORE_ERR_BODY_ALREADY_READ', async function () {
      const { connect } = await startServer(async (req, res) => {
        const before = req.bodyUsed;
        const first = await req.text();
        const codes: Array<string | undefined> = [];
        for (const read of [() => req.text(), () => req.bytes(), () => req.json()]) {
          try {
            await read();
            codes.push('no error');
          } catch (error) {
            codes.push(errorCode(error));
          }
        }
        try {
          for await (const chunk of req) void chunk;
          codes.push('no error');
        } catch (error) {
          codes.push(errorCode(error));
        }
        res.end(JSON.stringify({ before, first, after: req.bodyUsed, codes }));
      });
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc`);
      expect(JSON.parse((await client.readResponse()).text)).to.deep.equal({
        before: false,
        first: 'abc',
        after: true,
        codes: Array(4).fill('PERCORE_ERR_BODY_ALREADY_READ'),
      });
    });
  });

  describe('streaming the body', function () {
    it('iterates a body chunk by chunk as it arrives', async function () {
      const received: string[] = [];
      const { connect } = await startServer(async (req, res) => {
        for await (const chunk of req) received.push(chunk.toString('latin1'));
        res.end(received.join(''));
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
      await delay(20);
      await client.write('4\r\ndefg\r\n');
      await delay(20);
      await client.write('0\r\n\r\n');
      const response = await client.readResponse();
      expect(response.text).to.equal('abcdefg');
      expect(received.length, 'pieces arrive as they come').to.be.at.least(2);
    });

    it('pauses reading while a slow reader is behind, and delivers a large body intact', async function () {
      this.timeout(15000);
      const highWaterMark = 16 * 1024;
      const total = 2 * 1024 * 1024;
      const body = Buffer.alloc(total);
      for (let i = 0; i < total; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
      const expectedHash = createHash('sha256').update(body).digest('hex');

      const stats = { delivered: 0, consumed: 0, maxAhead: 0, maxChunk: 0, sawPaused: false };
      const { connect, server } = await startServer(
        async (req, res) => {
          // The test's own counter of what the connection hands the request (pushBody is internal).
          const internal = req as unknown as { pushBody(chunk: Buffer): void };
          const push = internal.pushBody.bind(internal);
          const socket = [...server.scheduler.liveTasks()][0]!.socket as Socket;
          internal.pushBody = (chunk: Buffer) => {
            stats.delivered += chunk.length;
            stats.maxChunk = Math.max(stats.maxChunk, chunk.length);
            stats.maxAhead = Math.max(stats.maxAhead, stats.delivered - stats.consumed);
            push(chunk);
            if (socket.isPaused()) stats.sawPaused = true;
          };
          const hash = createHash('sha256');
          // A reader that starts late: without backpressure the whole body would pile up meanwhile.
          await delay(100);
          for await (const chunk of req) {
            hash.update(chunk);
            stats.consumed += chunk.length;
            await delay(1);
          }
          res.end(JSON.stringify({ length: stats.consumed, hash: hash.digest('hex') }));
        },
        { bodyHighWaterMark: highWaterMark, maxBodySize: 4 * 1024 * 1024 },
      );
      const client = await connect();
      await client.write(`POST / HTTP/1.1\r\nHost: test\r\nContent-Length: ${total}\r\n\r\n`);
      await client.write(body, { timeoutMs: 10000 });
      const response = await client.readResponse('POST', { timeoutMs: 10000 });
      expect(JSON.parse(response.text)).to.deep.equal({ length: total, hash: expectedHash });
      expect(stats.sawPaused, 'the server paused reading the socket').to.equal(true);
      expect(stats.maxChunk, 'one socket read').to.be.at.most(64 * 1024);
      expect(stats.maxAhead, 'never more than the high-water mark plus one read ahead of the reader').to.be.at.most(
        highWaterMark + stats.maxChunk,
      );
    });

    it('drops the rest of a body when the reader breaks out, and keeps the connection', async function () {
      const { connect } = await startServer(async (req, res) => {
        let first = '';
        for await (const chunk of req) {
          first = chunk.toString('latin1');
          break;
        }
        res.end(`first ${first} used ${String(req.bodyUsed)}`);
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
      expect((await client.readResponse('POST')).text).to.equal('first abc used true');
      await client.write('3\r\ndef\r\n0\r\n\r\n' + get('/next'));
      expect((await client.readResponse()).text).to.equal('first  used true');
    });
  });

  describe('chunked trailers', function () {
    it('reports trailer fields once the body has been read', async function () {
      const { connect } = await startServer(async (req, res) => {
        const before = [...req.trailers];
        const body = await req.text();
        res.end(JSON.stringify({ before, body, trailers: req.trailers, headers: req.headers }));
      });
      const client = await connect();
      await client.write(
        'POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n' +
          '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: abc123\r\nX-Other: 1\r\n\r\n',
      );
      const result = JSON.parse((await client.readResponse('POST')).text) as {
        before: string[];
        body: string;
        trailers: string[];
        headers: Record<string, string>;
      };
      expect(result.before).to.deep.equal([]);
      expect(result.body).to.equal('hello world');
      expect(result.trailers).to.deep.equal(['X-Checksum', 'abc123', 'X-Other', '1']);
      expect(result.headers, 'trailers are not merged into headers').to.not.have.property('x-checksum');
    });

    it('has no trailers for a body without them', async function () {
      const { connect } = await startServer(async (req, res) => {
        await req.text();
        res.end(JSON.stringify(req.trailers));
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n');
      expect((await client.readResponse('POST')).text).to.equal('[]');
    });
  });

  describe('Expect: 100-continue', function () {
    const head = 'POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n';

    it('sends 100 Continue only once the handler reads the body', async function () {
      const gate = deferred();
      let reading = false;
      const { connect } = await startServer(async (req, res) => {
        if (req.path !== '/upload') {
          res.end('other');
          return;
        }
        await gate.promise;
        reading = true;
        res.end(`got ${await req.text()}`);
      });
      const client = await connect();
      await client.write(head);
      expect(await client.waitForClose(100)).to.equal(false);
      expect(client.bytesReceived, 'nothing before the handler reads').to.equal(0);
      gate.resolve();
      const interim = await client.readResponse('POST');
      expect(reading).to.equal(true);
      expect(interim.raw.toString('latin1')).to.equal('HTTP/1.1 100 Continue\r\n\r\n');
      await client.write('hello');
      const final = await client.readResponse('POST');
      expect(final.status).to.equal(200);
      expect(final.text).to.equal('got hello');
      expect(final.headers.connection).to.equal(undefined);
      await client.write(get('/next'));
      expect((await client.readResponse()).text).to.equal('other');
    });

    it('does not time the body while the client waits for 100 Continue', async function () {
      // The handler takes longer than bodyTimeout to decide; the client, waiting for 100 as
      // RFC 9110 10.1.1 asks, is not the one stalling.
      const { connect, codes } = await startServer(
        async (req, res) => {
          await delay(300);
          res.end(`got ${await req.text()}`);
        },
        { bodyTimeout: 100, responseTimeout: 2000 },
      );
      const client = await connect();
      await client.write(head);
      const interim = await client.readResponse('POST');
      expect(interim.status).to.equal(100);
      await client.write('hello');
      const final = await client.readResponse('POST');
      expect([final.status, final.text]).to.deep.equal([200, 'got hello']);
      expect(codes()).to.deep.equal([]);
    });

    it('sends no 100 to a client that sent its whole body without waiting, and does not time it', async function () {
      // RFC 9110 10.1.1: a client may send the body without waiting, and a server that has it all
      // may omit the 100. Reading it late is the handler's business, timed by responseTimeout.
      const { connect, codes } = await startServer(
        async (req, res) => {
          await delay(50);
          const body = await req.text();
          await delay(300);
          res.end(`got ${body}`);
        },
        { bodyTimeout: 100, responseTimeout: 2000 },
      );
      const client = await connect();
      await client.write(`${head}hello`);
      const response = await client.readResponse('POST');
      expect([response.status, response.text]).to.deep.equal([200, 'got hello']);
      expect(client.received.toString('latin1')).to.not.contain('100 Continue');
      expect(codes()).to.deep.equal([]);
    });

    it('times the body once 100 Continue is sent', async function () {
      const { connect } = await startServer(
        async (req, res) => {
          res.end(`got ${await req.text()}`);
        },
        { bodyTimeout: 150, responseTimeout: 2000 },
      );
      const client = await connect();
      await client.write(head);
      expect((await client.readResponse('POST')).status).to.equal(100);
      // The client never sends the body it was asked for.
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses.map((r) => r.status)).to.deep.equal([408]);
      expect(result.responses[0]!.text).to.contain('PERCORE_ERR_BODY_TIMEOUT');
    });

    it('never sends 100 to a request the handler refuses without reading, and closes', async function () {
      const { connect } = await startServer((_req, res) => {
        res.status = 413;
        res.end('too big');
      });
      const client = await connect();
      await client.write(head.replace('Content-Length: 5', 'Content-Length: 100000'));
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(1);
      const response = result.responses[0]!;
      expect(response.status).to.equal(413);
      expect(response.text).to.equal('too big');
      expect(response.headers.connection).to.equal('close');
      expect(client.received.toString('latin1')).to.not.contain('100 Continue');
      expect(result.leftover.length).to.equal(0);
    });

    it('ignores Expect on HTTP/1.0 (RFC 9110 10.1.1)', async function () {
      const { connect } = await startServer(async (req, res) => {
        res.end(`got ${await req.text()}`);
      });
      const client = await connect();
      await client.write('POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi');
      const result = await client.readUntilClose();
      expect(result.responses.map((r) => [r.status, r.text])).to.deep.equal([[200, 'got hi']]);
      expect(client.received.toString('latin1')).to.not.contain('100 Continue');
    });

    it('answers 417 to an expectation other than 100-continue', async function () {
      const { connect } = await startServer((_req, res) => res.end());
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nExpect: something\r\n\r\nhi');
      const result = await client.readUntilClose();
      expect(result.responses.map((r) => r.status)).to.deep.equal([417]);
      expect(result.responses[0]!.text).to.contain('PERCORE_ERR_EXPECTATION_FAILED');
    });
  });

  describe('the body fails when the connection does', function () {
    it('rejects a pending read with PERCORE_ERR_ABORTED when the client goes away mid-body', async function () {
      const failure = deferred<unknown>();
      const { connect, logged } = await startServer(async (req: HttpRequest, res) => {
        try {
          await req.text();
        } catch (error) {
          failure.resolve(error);
          return;
        }
        res.end('unexpected');
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nabc');
      await delay(20);
      client.destroy();
      expect(errorCode(await within(failure.promise, 2000, 'the read to fail'))).to.equal('PERCORE_ERR_ABORTED');
      expect(logged).to.deep.equal([]);
    });
  });
});
