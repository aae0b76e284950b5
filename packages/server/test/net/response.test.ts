/**
 * The response a handler writes on the `net` engine, checked on the wire: status and headers,
 * framing (Content-Length, chunked, close-delimited, none), header validation, backpressure, and
 * what happens when a handler throws, stalls, or loses its client.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import type { Handler, HttpResponse } from '../../src/http/api.js';
import type { RawResponse } from '../support/raw-client.js';
import { deferred, delay, get, startServer, useCleanup, withServer, within } from '../support/servers.js';
import { codeOf, errorCode } from '../support/errors.js';

/** The exact bytes of a response: `DATE` in `expected` stands for the response's own Date. */
function expectBytes(response: RawResponse, expected: string | Buffer): void {
  const date = response.headers.date;
  expect(date, 'Date header').to.be.a('string');
  const text = typeof expected === 'string' ? expected : expected.toString('latin1');
  expect(response.raw.toString('latin1')).to.equal(text.replace('DATE', date!));
}

describe('http/response', function () {
  useCleanup();

  describe('status and headers', function () {
    it('answers 200 by default, and the status set otherwise', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/created') res.status = 201;
        if (req.path === '/teapot') res.status = 418;
        if (req.path === '/custom') res.status = 599;
        res.end();
      });
      const client = await connect();
      await client.write(get('/') + get('/created') + get('/teapot') + get('/custom'));
      const [ok, created, teapot, custom] = await client.readResponses(4);
      expectBytes(ok!, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n');
      expectBytes(created!, 'HTTP/1.1 201 Created\r\nDate: DATE\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n');
      expect(teapot!.raw.toString('latin1')).to.match(/^HTTP\/1\.1 418 I'm a Teapot\r\n/);
      expect(custom!.raw.toString('latin1')).to.match(/^HTTP\/1\.1 599 Unknown\r\n/);
    });

    it('answers 500 to an invalid status (PERCORE_ERR_INVALID_STATUS)', async function () {
      const { connect, logged } = await startServer((_req, res) => {
        res.status = 99;
        res.end('never');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      expect(response.status).to.equal(500);
      expect(logged.map((entry) => errorCode(entry.error))).to.deep.equal(['PERCORE_ERR_INVALID_STATUS']);
    });

    it('sets, gets, replaces and removes headers, case-insensitively', async function () {
      const seen: Record<string, unknown> = {};
      const { connect } = await startServer((_req, res) => {
        const self = res.setHeader('X-A', '1');
        seen.chained = self === res;
        res.setHeader('x-a', '2');
        seen.a = res.getHeader('X-A');
        res.setHeader('X-List', ['a', 'b']);
        res.setHeader('X-Number', 42);
        res.setHeader('X-Gone', 'soon');
        res.removeHeader('x-GONE');
        seen.gone = res.getHeader('X-Gone') ?? null;
        seen.missing = res.getHeader('X-Missing') ?? null;
        seen.list = res.getHeader('x-list');
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('Content-Length', 99);
        seen.length = res.getHeader('content-length');
        res.removeHeader('Content-Length');
        seen.lengthAfterRemove = res.getHeader('Content-Length') ?? null;
        res.end('body');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      expect(seen).to.deep.equal({
        chained: true,
        a: '2',
        gone: null,
        missing: null,
        list: 'a, b',
        length: '99',
        lengthAfterRemove: null,
      });
      expectBytes(
        response,
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nx-a: 2\r\nX-List: a, b\r\nX-Number: 42\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nKeep-Alive: timeout=5\r\n\r\nbody',
      );
    });

    it('sends the Server header when serverName is set', async function () {
      const handler: Handler = (_req, res) => {
        res.setHeader('X-After', '1');
        res.end();
      };
      await withServer(handler, { serverName: 'percore-test' }, async ({ connect }) => {
        const client = await connect();
        await client.write(get());
        expectBytes(
          await client.readResponse(),
          'HTTP/1.1 200 OK\r\nDate: DATE\r\nServer: percore-test\r\nX-After: 1\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n',
        );
      });
    });

    it('sends a valid Date header, and lets the handler set its own', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/own') res.setHeader('Date', 'Thu, 01 Jan 1970 00:00:00 GMT');
        res.end();
      });
      const client = await connect();
      await client.write(get('/') + get('/own'));
      const [plain, own] = await client.readResponses(2);
      const date = plain!.headers.date!;
      expect(date).to.match(
        /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
      );
      expect(Math.abs(Date.parse(date) - Date.now())).to.be.below(5000);
      expect(own!.rawHeaders.filter((_, i) => i % 2 === 0 && own!.rawHeaders[i]!.toLowerCase() === 'date')).to.have.length(1);
      expect(own!.headers.date).to.equal('Thu, 01 Jan 1970 00:00:00 GMT');
    });

    it('refuses CR, LF and other controls in a value, and invalid names (PERCORE_ERR_INVALID_RESPONSE_HEADER)', async function () {
      const results: Record<string, string | undefined> = {};
      const { connect } = await startServer((_req, res) => {
        results.crlf = codeOf(() => res.setHeader('X-Evil', 'a\r\nSet-Cookie: owned=1'));
        results.lf = codeOf(() => res.setHeader('X-Evil', 'a\nb'));
        results.cr = codeOf(() => res.setHeader('X-Evil', 'a\rb'));
        results.nul = codeOf(() => res.setHeader('X-Evil', 'a\0b'));
        results.del = codeOf(() => res.setHeader('X-Evil', 'a\x7fb'));
        results.nonAscii = codeOf(() => res.setHeader('X-Evil', 'caf\u00e9'));
        results.inList = codeOf(() => res.setHeader('X-Evil', ['ok', 'b\r\nX-Injected: 1']));
        results.space = codeOf(() => res.setHeader('Bad Name', 'v'));
        results.colon = codeOf(() => res.setHeader('X:Y', 'v'));
        results.empty = codeOf(() => res.setHeader('', 'v'));
        results.newlineName = codeOf(() => res.setHeader('X-A\r\nX-B', 'v'));
        results.unicodeName = codeOf(() => res.setHeader('X-\u00c4', 'v'));
        results.tab = codeOf(() => res.setHeader('X-Tab', 'a\tb'));
        res.end('safe');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      const invalid = 'PERCORE_ERR_INVALID_RESPONSE_HEADER';
      expect(results).to.deep.equal({
        crlf: invalid,
        lf: invalid,
        cr: invalid,
        nul: invalid,
        del: invalid,
        nonAscii: invalid,
        inList: invalid,
        space: invalid,
        colon: invalid,
        empty: invalid,
        newlineName: invalid,
        unicodeName: invalid,
        tab: 'no error',
      });
      expect(response.text).to.equal('safe');
      expect(response.headers).to.not.have.property('set-cookie');
      expect(response.headers).to.not.have.property('x-evil');
      expect(response.headers).to.not.have.property('x-injected');
      expect(response.headers['x-tab']).to.equal('a\tb');
    });

    it('refuses Transfer-Encoding and a malformed Content-Length from the handler', async function () {
      const results: Record<string, string | undefined> = {};
      const { connect } = await startServer((_req, res) => {
        results.te = codeOf(() => res.setHeader('Transfer-Encoding', 'chunked'));
        results.teLower = codeOf(() => res.setHeader('transfer-encoding', 'gzip'));
        results.badLength = codeOf(() => res.setHeader('Content-Length', 'abc'));
        results.negative = codeOf(() => res.setHeader('Content-Length', -1));
        res.end('fine');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      const invalid = 'PERCORE_ERR_INVALID_RESPONSE_HEADER';
      expect(results).to.deep.equal({ te: invalid, teLower: invalid, badLength: invalid, negative: invalid });
      expect(response.framing).to.equal('length');
      expect(response.text).to.equal('fine');
    });

    it('fixes headers once sent (PERCORE_ERR_HEADERS_SENT) and ends once (PERCORE_ERR_RESPONSE_FINISHED)', async function () {
      const results: Record<string, unknown> = {};
      const { connect } = await startServer((_req, res) => {
        results.sentBefore = res.headersSent;
        res.write('a');
        results.sentAfter = res.headersSent;
        results.set = codeOf(() => res.setHeader('X-Late', '1'));
        results.remove = codeOf(() => res.removeHeader('X-Late'));
        res.end('b');
        results.finished = res.finished;
        results.endTwice = codeOf(() => res.end());
        results.writeAfterEnd = codeOf(() => res.write('c'));
      });
      const client = await connect();
      await client.write(get());
      expect((await client.readResponse()).text).to.equal('ab');
      expect(results).to.deep.equal({
        sentBefore: false,
        sentAfter: true,
        set: 'PERCORE_ERR_HEADERS_SENT',
        remove: 'PERCORE_ERR_HEADERS_SENT',
        finished: true,
        endTwice: 'PERCORE_ERR_RESPONSE_FINISHED',
        writeAfterEnd: 'PERCORE_ERR_RESPONSE_FINISHED',
      });
    });
  });

  describe('framing', function () {
    it('sends the byte length of end(string) and end(Buffer), multi-byte UTF-8 included', async function () {
      const text = 'h\u00e9llo \u20ac \u{1f600}';
      const { connect } = await startServer((req, res) => {
        if (req.path === '/string') res.end(text);
        else res.end(Buffer.from(text, 'utf8'));
      });
      const client = await connect();
      await client.write(get('/string') + get('/buffer'));
      const responses = await client.readResponses(2);
      const bytes = Buffer.from(text, 'utf8');
      expect(bytes.length).to.equal(15);
      for (const response of responses) {
        expect(response.headers['content-length']).to.equal('15');
        expect(response.body.equals(bytes)).to.equal(true);
        expect(response.text).to.equal(text);
      }
    });

    it('sends Content-Length: 0 for end() with no body, and for an empty string', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/empty') res.end('');
        else res.end();
      });
      const client = await connect();
      await client.write(get('/') + get('/empty'));
      for (const response of await client.readResponses(2)) {
        expectBytes(response, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n');
      }
    });

    it('streams with chunked framing on HTTP/1.1, and keeps the connection', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/next') {
          res.end('next');
          return;
        }
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.write('hello');
        res.write('');
        res.write(Buffer.from(' w\u00f6rld', 'utf8'));
        res.end('!');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      expectBytes(
        response,
        Buffer.concat([
          Buffer.from(
            'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n',
          ),
          Buffer.from('5\r\nhello\r\n7\r\n'),
          Buffer.from(' w\u00f6rld', 'utf8'),
          Buffer.from('\r\n1\r\n!\r\n0\r\n\r\n'),
        ]),
      );
      expect(response.framing).to.equal('chunked');
      expect(response.chunks.map((chunk) => chunk.toString('utf8'))).to.deep.equal(['hello', ' w\u00f6rld', '!']);
      expect(response.text).to.equal('hello w\u00f6rld!');
      await client.write(get('/next'));
      expect((await client.readResponse()).text).to.equal('next');
    });

    it('sends trailer fields after the last chunk (RFC 9112 7.1.2), drops them with a Content-Length, and keeps the connection', async function () {
      const refused: Array<string | undefined> = [];
      const { connect } = await startServer((req, res) => {
        refused.push(
          codeOf(() => res.setTrailer('Content-Length', '3')),
          codeOf(() => res.setTrailer('bad name', 'x')),
        );
        res.setTrailer('X-Checksum', 'abc');
        if (req.path === '/fixed') {
          res.end('whole');
          return;
        }
        res.write('hello');
        res.setTrailer('X-Count', 1);
        res.end();
        refused.push(codeOf(() => res.setTrailer('X-Late', 'no')));
      });
      const client = await connect();
      await client.write(get('/'));
      expectBytes(
        await client.readResponse(),
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Count: 1\r\n\r\n',
      );
      await client.write(get('/fixed'));
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nwhole');
      expect(refused).to.deep.equal([
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_RESPONSE_FINISHED',
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        'PERCORE_ERR_INVALID_RESPONSE_HEADER',
      ]);
    });

    it('sends a chunked response whose handler writes nothing before end()', async function () {
      const { connect } = await startServer((_req, res) => {
        res.write('');
        res.end();
      });
      const client = await connect();
      await client.write(get());
      expectBytes(
        await client.readResponse(),
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n0\r\n\r\n',
      );
    });

    it('streams close-delimited on HTTP/1.0, then closes', async function () {
      const { connect } = await startServer(async (_req, res) => {
        res.write('part 1, ');
        await delay(10);
        res.write('part 2');
        res.end();
      });
      const client = await connect();
      await client.write('GET / HTTP/1.0\r\n\r\n');
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(1);
      const response = result.responses[0]!;
      expect(response.framing).to.equal('close');
      expectBytes(response, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nConnection: close\r\n\r\npart 1, part 2');
    });

    it('streams with a declared Content-Length, and keeps the connection', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/next') {
          res.end('next');
          return;
        }
        res.setHeader('Content-Length', 10);
        res.write('hello');
        res.write(Buffer.from('world'));
        res.end();
      });
      const client = await connect();
      await client.write(get());
      expectBytes(
        await client.readResponse(),
        'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 10\r\nKeep-Alive: timeout=5\r\n\r\nhelloworld',
      );
      await client.write(get('/next'));
      expect((await client.readResponse()).text).to.equal('next');
    });

    it('closes the connection when a declared Content-Length is not met', async function () {
      const { connect } = await startServer((_req, res) => {
        res.setHeader('Content-Length', 10);
        res.write('short');
        res.end();
      });
      const client = await connect();
      await client.write(get());
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses, 'the body is short, so no whole response').to.have.length(0);
      expect(result.leftover.toString('latin1')).to.match(/Content-Length: 10\r\nKeep-Alive: timeout=5\r\n\r\nshort$/);
    });

    it('refuses to write past a declared Content-Length', async function () {
      let code: string | undefined;
      const { connect } = await startServer((_req, res) => {
        res.setHeader('Content-Length', 4);
        res.write('abc');
        code = codeOf(() => res.write('de'));
        res.end();
      });
      const client = await connect();
      await client.write(get());
      const result = await client.readUntilClose();
      expect(code).to.equal('PERCORE_ERR_INVALID_RESPONSE_HEADER');
      // 3 of the 4 bytes went out: the message is short, so the connection closes.
      expect(result.closed).to.equal(true);
      expect(result.responses).to.have.length(0);
    });

    it('refuses a write past a declared Content-Length without sending or counting it', async function () {
      const seen: Record<string, unknown> = {};
      const { connect } = await startServer((req, res) => {
        if (req.path === '/first') {
          // The first write would overflow: nothing is committed, and the handler can still answer.
          res.setHeader('Content-Length', 2);
          seen.firstCode = codeOf(() => res.write('abc'));
          seen.firstSent = res.headersSent;
          res.end('ok');
          return;
        }
        res.setHeader('Content-Length', 4);
        res.write('abc');
        seen.laterCode = codeOf(() => res.write('de'));
        res.end('d');
      });
      const client = await connect();
      await client.write(get('/first'));
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\nok');
      await client.write(get('/later'));
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 4\r\nKeep-Alive: timeout=5\r\n\r\nabcd');
      expect(seen).to.deep.equal({
        firstCode: 'PERCORE_ERR_INVALID_RESPONSE_HEADER',
        firstSent: false,
        laterCode: 'PERCORE_ERR_INVALID_RESPONSE_HEADER',
      });
      expect(await client.waitForClose(50), 'the connection is kept').to.equal(false);
    });

    it('sends the true length when end(body) follows a declared Content-Length', async function () {
      const { connect } = await startServer((_req, res) => {
        res.setHeader('Content-Length', 99);
        res.end('hello');
      });
      const client = await connect();
      await client.write(get());
      expectBytes(await client.readResponse(), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nhello');
    });

    it('answers HEAD with the head GET would get, and no body', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/stream') {
          res.write('abc');
          res.end('def');
          return;
        }
        res.setHeader('Content-Type', 'text/plain');
        res.end('hello world');
      });
      const client = await connect();
      await client.write(get('/'));
      const getResponse = await client.readResponse('GET');
      await client.write('HEAD / HTTP/1.1\r\nHost: test\r\n\r\n');
      const head = await client.readResponse('HEAD');
      expectBytes(head, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\n');
      expect(head.headers['content-length']).to.equal(getResponse.headers['content-length']);
      // A streamed HEAD answer: no length is known, and no chunked framing is sent.
      await client.write('HEAD /stream HTTP/1.1\r\nHost: test\r\n\r\n');
      expectBytes(await client.readResponse('HEAD'), 'HTTP/1.1 200 OK\r\nDate: DATE\r\nKeep-Alive: timeout=5\r\n\r\n');
      // No body bytes followed: the next response starts right after the heads.
      await client.write(get('/'));
      expect((await client.readResponse('GET')).text).to.equal('hello world');
      expect(client.pending.length).to.equal(0);
    });

    it('sends no body with 204 and 304, even when the handler gives one', async function () {
      const { connect } = await startServer((req, res) => {
        if (req.path === '/204') res.status = 204;
        else if (req.path === '/304') res.status = 304;
        else if (req.path === '/204-stream') {
          res.status = 204;
          res.write('ignored');
          res.end();
          return;
        }
        res.end(req.path === '/' ? 'ok' : 'ignored');
      });
      const client = await connect();
      await client.write(get('/204') + get('/304') + get('/204-stream') + get('/'));
      const [noContent, notModified, streamed, ok] = await client.readResponses(4);
      expectBytes(noContent!, 'HTTP/1.1 204 No Content\r\nDate: DATE\r\nKeep-Alive: timeout=5\r\n\r\n');
      expectBytes(notModified!, 'HTTP/1.1 304 Not Modified\r\nDate: DATE\r\nKeep-Alive: timeout=5\r\n\r\n');
      expectBytes(streamed!, 'HTTP/1.1 204 No Content\r\nDate: DATE\r\nKeep-Alive: timeout=5\r\n\r\n');
      expect(ok!.text).to.equal('ok');
      expect(client.pending.length).to.equal(0);
    });

    it('says Connection: close when the handler asks for it, and closes', async function () {
      const { connect } = await startServer((_req, res) => {
        res.setHeader('Connection', 'close');
        res.end('bye');
      });
      const client = await connect();
      await client.write(get());
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expectBytes(result.responses[0]!, 'HTTP/1.1 200 OK\r\nDate: DATE\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye');
    });
  });

  describe('backpressure', function () {
    it('returns false from write() to a slow reader, resolves drain(), and delivers every byte', async function () {
      this.timeout(15000);
      const chunkSize = 64 * 1024;
      const total = 32 * 1024 * 1024;
      const chunk = Buffer.alloc(chunkSize);
      for (let i = 0; i < chunkSize; i++) chunk[i] = (i * 31) & 0xff;
      const progress = { written: 0, falses: 0, drains: 0 };
      const done = deferred();
      const { connect } = await startServer(async (_req, res) => {
        res.setHeader('Content-Length', total);
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
      const client = await connect();
      client.pause();
      await client.write(get());
      await delay(200);
      const writtenWhilePaused = progress.written;
      expect(writtenWhilePaused, 'the handler waits for the client').to.be.below(total);
      expect(progress.falses).to.be.at.least(1);
      client.resume();
      const response = await client.readResponse('GET', { timeoutMs: 10000 });
      await within(done.promise, 2000, 'the handler to finish');
      expect(response.body.length).to.equal(total);
      const expected = createHash('sha256');
      for (let i = 0; i < total / chunkSize; i++) expected.update(chunk);
      expect(createHash('sha256').update(response.body).digest('hex')).to.equal(expected.digest('hex'));
      expect(progress.drains).to.equal(progress.falses);
    });

    it('resolves drain() at once when the connection is not blocked', async function () {
      const { connect } = await startServer(async (_req, res) => {
        await within(res.drain(), 1000, 'drain() before any write');
        const ok = res.write('small');
        if (ok) await within(res.drain(), 1000, 'drain() after a write that returned true');
        res.end(` ${String(ok)}`);
      });
      const client = await connect();
      await client.write(get());
      expect((await client.readResponse()).text).to.equal('small true');
    });
    it('closes a download the client stopped reading, after responseTimeout, without blaming the handler', async function () {
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      const ended = deferred<{ aborted: boolean }>();
      const { connect, codes } = await startServer(
        async (_req, res) => {
          while (!res.aborted) {
            if (!res.write(chunk)) await res.drain();
          }
          ended.resolve({ aborted: res.aborted });
        },
        { responseTimeout: 300 },
      );
      const client = await connect();
      client.pause();
      await client.write(get());
      expect(await within(ended.promise, 3000, 'the handler to see the abort')).to.deep.equal({ aborted: true });
      await delay(50);
      expect(codes(), 'a stalled client is not a handler failure').to.deep.equal([]);
    });
  });

  describe('handler failures', function () {
    it('answers 500 to a handler that throws, and the same connection serves the next request', async function () {
      const { connect, logged } = await startServer((req, res) => {
        if (req.path === '/throw') {
          res.setHeader('X-Leak', 'no');
          res.status = 201;
          throw new Error('synchronous failure');
        }
        res.end('fine');
      });
      const client = await connect();
      await client.write(get('/throw'));
      const response = await client.readResponse();
      expectBytes(
        response,
        'HTTP/1.1 500 Internal Server Error\r\nDate: DATE\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 26\r\nKeep-Alive: timeout=5\r\n\r\n500 Internal Server Error\n',
      );
      await client.write(get('/next'));
      expect((await client.readResponse()).text).to.equal('fine');
      expect(logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      expect((logged[0]!.error as Error).message).to.equal('synchronous failure');
    });

    it('answers 500 to a handler that rejects', async function () {
      const { connect, logged } = await startServer(async (req, res) => {
        await delay(5);
        if (req.path === '/reject') throw new Error('async failure');
        res.end('fine');
      });
      const client = await connect();
      await client.write(get('/reject') + get('/next'));
      const [failed, next] = await client.readResponses(2);
      expect(failed!.status).to.equal(500);
      expect(failed!.text).to.equal('500 Internal Server Error\n');
      expect(next!.text).to.equal('fine');
      expect(logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
    });

    it('answers with the status of a thrown PercoreError, without logging a 4xx', async function () {
      const { connect, logged } = await startServer(() => {
        throw new PercoreError('PERCORE_ERR_INVALID_JSON', 'from the handler');
      });
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse();
      expect(response.status).to.equal(400);
      expect(response.text).to.equal('400 Bad Request\n');
      expect(logged).to.deep.equal([]);
    });

    it('cuts the connection when a handler throws after the head is sent', async function () {
      const { connect, logged } = await startServer((_req, res) => {
        res.write('partial');
        throw new Error('too late');
      });
      const client = await connect();
      await client.write(get());
      const result = await client.readUntilClose();
      expect(result.closed).to.equal(true);
      expect(result.responses, 'the chunked body never ends').to.have.length(0);
      expect(result.leftover.toString('latin1')).to.match(/Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n7\r\npartial\r\n$/);
      expect(logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
    });

    it('answers 503 to a handler that never answers, after responseTimeout, and logs it', async function () {
      const seen = deferred<{ aborted: boolean; signal: boolean; endCode: string | undefined }>();
      const { connect, codes } = await startServer(
        (_req, res) => {
          res.onAborted(() => {
            seen.resolve({ aborted: res.aborted, signal: res.signal.aborted, endCode: codeOf(() => res.end('late')) });
          });
        },
        { responseTimeout: 200 },
      );
      const client = await connect();
      const started = Date.now();
      await client.write(get());
      const result = await client.readUntilClose();
      const elapsed = Date.now() - started;
      expect(elapsed).to.be.at.least(150);
      const response = result.responses[0]!;
      expect(result.responses).to.have.length(1);
      expect(response.status).to.equal(503);
      expect(response.text).to.contain('PERCORE_ERR_RESPONSE_TIMEOUT');
      expect(response.headers.connection).to.equal('close');
      expect(result.closed).to.equal(true);
      expect(codes()).to.deep.equal(['PERCORE_ERR_RESPONSE_TIMEOUT']);
      expect(await within(seen.promise, 1000, 'onAborted')).to.deep.equal({ aborted: true, signal: true, endCode: 'no error' });
    });

    it('restarts the response timer with every write', async function () {
      const { connect, codes } = await startServer(
        async (_req, res) => {
          for (let i = 0; i < 5; i++) {
            res.write(`${i}`);
            await delay(100);
          }
          res.end();
        },
        { responseTimeout: 250 },
      );
      const client = await connect();
      await client.write(get());
      const response = await client.readResponse('GET', { timeoutMs: 3000 });
      expect(response.text).to.equal('01234');
      expect(codes()).to.deep.equal([]);
    });
  });

  describe('a client that goes away', function () {
    it('does not log a handler failure when the client leaves during the body and the read rejects', async function () {
      const failed = deferred<string | undefined>();
      const { connect, codes } = await startServer(async (req) => {
        try {
          await req.text();
        } catch (error) {
          failed.resolve(errorCode(error));
          throw error; // as a handler that does not catch would
        }
      });
      const client = await connect();
      await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n0123456789');
      await delay(50);
      client.destroy();
      expect(await within(failed.promise, 2000, 'the body read to reject')).to.equal('PERCORE_ERR_ABORTED');
      await delay(50);
      expect(codes()).to.deep.equal([]);
    });

    it('aborts the response (aborted, signal, onAborted) and the server keeps serving', async function () {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const state = { aborted: false, signalAborted: false, callbacks: 0, writesAfterAbort: 0, reason: '' };
        const finished = deferred();
        const { connect, logged } = await startServer(async (req, res: HttpResponse) => {
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
          if (res.write('after abort') === false) state.writesAfterAbort++;
          res.end('ignored');
          await res.drain();
          finished.resolve();
        });
        const client = await connect();
        await client.write(get('/stream'));
        await client.waitForText('line 2\n');
        client.destroy();
        await within(finished.promise, 3000, 'the handler to see the abort');
        expect(state).to.deep.equal({
          aborted: true,
          signalAborted: true,
          callbacks: 1,
          writesAfterAbort: 1,
          reason: 'PERCORE_ERR_ABORTED',
        });
        const other = await connect();
        await other.write(get('/other'));
        expect((await other.readResponse()).text).to.equal('still here');
        await delay(10);
        expect(unhandled).to.deep.equal([]);
        expect(logged).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('calls an onAborted registered after the abort, once', async function () {
      const late = deferred<number>();
      const { connect } = await startServer(
        async (_req, res) => {
          // The server learns that the client is gone when a write fails.
          for (let i = 0; i < 600 && !res.aborted; i++) {
            res.write('x');
            await delay(5);
          }
          let calls = 0;
          res.onAborted(() => calls++);
          await delay(10);
          late.resolve(calls);
        },
        { responseTimeout: 0 },
      );
      const client = await connect();
      await client.write(get());
      await client.waitForText('1\r\nx\r\n');
      client.destroy();
      expect(await within(late.promise, 3000, 'the late onAborted')).to.equal(1);
    });
  });
});
