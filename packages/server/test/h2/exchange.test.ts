import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Handler, HttpRequest } from '../../src/http/api.js';
import type { ExchangeRecord } from '../../src/http/observer.js';
import { deferred } from '../../src/util/deferred.js';
import { codeOf, errorCode } from '../support/errors.js';
import { eventually } from '../support/sockets.js';
import { testCertificate } from '../support/tls-cert.js';
import { cleanupHttp2, collect, http2Client, http2Request, startHttp2 } from './support.js';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function pattern(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
  return bytes;
}

function https11(port: number, path: string): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, servername: 'localhost', ca: testCertificate().cert, ALPNProtocols: ['http/1.1'] };
    const req = httpsRequest(options, (res) => {
      const alpn = (res.socket as TLSSocket).alpnProtocol;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, alpn }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('h2: the handler API on HTTP/2 streams', function () {
  afterEach(cleanupHttp2);

  it('serves h2 and http/1.1 on one TLS port, by ALPN, through the same handler', async () => {
    const server = await startHttp2((req, res) => res.end(`${req.httpVersion} ${req.method} ${req.path}`));
    const client = await http2Client(server.url);
    expect((client.socket as TLSSocket).alpnProtocol).to.equal('h2');
    const h2 = await http2Request(client, { ':path': '/a' });
    expect(h2.status).to.equal(200);
    expect(h2.body.toString()).to.equal('2.0 GET /a');
    const h1 = await https11(server.port, '/b');
    expect(h1).to.deep.equal({ status: 200, body: '1.1 GET /b', alpn: 'http/1.1' });
  });

  it('gives the handler method, target, path, query, headers without pseudo-headers, host from :authority, and the peer', async () => {
    let seen: Record<string, unknown> = {};
    const server = await startHttp2((req, res) => {
      seen = {
        method: req.method,
        target: req.target,
        path: req.path,
        query: req.query,
        host: req.header('Host'),
        custom: req.headers['x-custom'],
        cookie: req.headers.cookie,
        pseudo: Object.keys(req.headers).filter((name) => name.startsWith(':')),
        rawHasPseudo: req.rawHeaders.some((field) => field.startsWith(':')),
        remoteAddress: req.remoteAddress,
        remotePortSet: req.remotePort > 0,
      };
      res.end();
    });
    const client = await http2Client(server.url);
    // RFC 9113 8.2.3: a client may split Cookie into several fields; they are joined with '; '.
    await http2Request(client, { ':method': 'DELETE', ':path': '/items/7?x=1&y=2', 'x-custom': 'v', cookie: ['a=1', 'b=2'] });
    expect(seen).to.deep.equal({
      method: 'DELETE',
      target: '/items/7?x=1&y=2',
      path: '/items/7',
      query: 'x=1&y=2',
      host: `localhost:${server.port}`,
      custom: 'v',
      cookie: 'a=1; b=2',
      pseudo: [],
      rawHasPseudo: false,
      remoteAddress: '127.0.0.1',
      remotePortSet: true,
    });
  });

  it('echoes a request body sent in many DATA frames, and reads the client trailers', async () => {
    let trailers: readonly string[] = [];
    const server = await startHttp2(async (req, res) => {
      const body = await req.bytes({ limit: 4 * 1024 * 1024 });
      trailers = req.trailers;
      res.end(sha256(body));
    });
    const client = await http2Client(server.url);
    const body = pattern(300_000);
    const stream = client.request({ ':method': 'POST', ':path': '/' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }));
    const reply = collect(stream);
    for (let offset = 0; offset < body.length; offset += 1000) stream.write(body.subarray(offset, offset + 1000));
    stream.end();
    expect((await reply).body.toString()).to.equal(sha256(body));
    expect(trailers).to.deep.equal(['x-checksum', 'abc']);
  });

  it('streams a large response under flow control: write() says false, drain() waits, and every byte arrives', async () => {
    const total = 4 * 1024 * 1024;
    const body = pattern(total);
    let refused = 0;
    const server = await startHttp2(async (_req, res) => {
      for (let offset = 0; offset < total; offset += 32 * 1024) {
        if (!res.write(body.subarray(offset, offset + 32 * 1024))) {
          refused++;
          await res.drain();
        }
      }
      res.end();
    });
    const client = await http2Client(server.url);
    const stream = client.request({ ':path': '/big' });
    // Read nothing for a while: the client's window (64 KiB) fills and the server must wait.
    stream.pause();
    await eventually(() => refused > 0, 3000, 'the server to see backpressure');
    const reply = collect(stream);
    stream.resume();
    const { headers, body: received } = await reply;
    expect(received.length).to.equal(total);
    expect(sha256(received)).to.equal(sha256(body));
    // RFC 9113 8.1: no chunked encoding; a streamed body without a declared length has no Content-Length.
    expect(headers['content-length']).to.equal(undefined);
    expect(headers['transfer-encoding']).to.equal(undefined);
  });

  it('holds a client back by flow control while the handler does not read its body', async () => {
    const release = deferred<void>();
    let received = 0;
    const server = await startHttp2(async (req, res) => {
      await release.promise;
      for await (const chunk of req) received += chunk.length;
      res.end(String(received));
    });
    const client = await http2Client(server.url);
    const stream = client.request({ ':method': 'POST', ':path': '/' });
    const reply = collect(stream);
    // Far more than the window and the server's body buffer together (and under maxBodySize, 1 MiB):
    // the rest waits in the client.
    const total = 15 * 64 * 1024;
    for (let offset = 0; offset < total; offset += 64 * 1024) stream.write(Buffer.alloc(64 * 1024, 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stream.writableLength, 'bytes flow control holds in the client').to.be.greaterThan(total / 2);
    expect(received).to.equal(0);
    release.resolve();
    stream.end();
    expect((await reply).body.toString()).to.equal(String(total));
  });

  it('sends trailer fields in a HEADERS frame after the body: set before the head, or announced by Trailer', async () => {
    const server = await startHttp2((req, res) => {
      if (req.path === '/announced') {
        res.setHeader('Trailer', 'x-checksum');
        res.write('streamed');
        res.setTrailer('X-Checksum', 'after the head');
        res.end();
        return;
      }
      if (req.path === '/late') {
        res.write('streamed');
        res.setTrailer('X-Checksum', 'dropped');
        res.end();
        return;
      }
      res.setTrailer('X-Checksum', 'abc');
      res.setTrailer('grpc-status', 0);
      res.end(req.path === '/empty' ? undefined : 'whole');
    });
    const client = await http2Client(server.url);
    const trailersOf = async (path: string) => {
      const stream = client.request({ ':path': path }, { endStream: true });
      const trailers = new Promise<Record<string, unknown>>((resolve) => {
        stream.once('trailers', (fields) => resolve(Object.fromEntries(Object.entries(fields))));
        stream.once('end', () => resolve({}));
      });
      const reply = await collect(stream);
      return { body: reply.body.toString(), trailers: await trailers };
    };
    expect(await trailersOf('/')).to.deep.equal({ body: 'whole', trailers: { 'x-checksum': 'abc', 'grpc-status': '0' } });
    expect(await trailersOf('/empty')).to.deep.equal({ body: '', trailers: { 'x-checksum': 'abc', 'grpc-status': '0' } });
    expect(await trailersOf('/announced')).to.deep.equal({ body: 'streamed', trailers: { 'x-checksum': 'after the head' } });
    // Set after a head that announced none: the stream had ended with its last DATA frame.
    expect(await trailersOf('/late')).to.deep.equal({ body: 'streamed', trailers: {} });
  });

  it('refuses a status HTTP/2 cannot send as a final one with PERCORE_ERR_INVALID_STATUS, and the handler can still answer', async () => {
    const codes: Array<string | undefined> = [];
    const server = await startHttp2((_req, res) => {
      for (const status of [103, 600, 99.5]) {
        res.status = status;
        codes.push(codeOf(() => res.end('x')));
      }
      res.status = 201;
      res.end('created');
    });
    const client = await http2Client(server.url);
    const reply = await http2Request(client, { ':path': '/' });
    expect(codes).to.deep.equal(['PERCORE_ERR_INVALID_STATUS', 'PERCORE_ERR_INVALID_STATUS', 'PERCORE_ERR_INVALID_STATUS']);
    expect(reply.status).to.equal(201);
    expect(reply.body.toString()).to.equal('created');
  });

  it('leaves out connection-specific headers a handler sets (RFC 9113 8.2.2), and keeps the others', async () => {
    const server = await startHttp2((_req, res) => {
      res.setHeader('Connection', 'close');
      res.setHeader('Keep-Alive', 'timeout=5');
      res.setHeader('Upgrade', 'h2c');
      res.setHeader('X-Kept', 'yes');
      res.end('ok');
    });
    const client = await http2Client(server.url);
    const { status, headers, body } = await http2Request(client, { ':path': '/' });
    expect(status).to.equal(200);
    expect(body.toString()).to.equal('ok');
    expect(headers).to.not.have.any.keys('connection', 'keep-alive', 'upgrade', 'transfer-encoding');
    expect(headers['x-kept']).to.equal('yes');
    expect(headers['content-length']).to.equal('2');
    expect(headers.date).to.be.a('string');
  });

  it('answers HEAD with the head alone, and 204 without Content-Length', async () => {
    const server = await startHttp2((req, res) => {
      if (req.path === '/empty') {
        res.status = 204;
        res.end();
        return;
      }
      res.setHeader('Content-Length', 5);
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const client = await http2Client(server.url);
    const head = await http2Request(client, { ':method': 'HEAD', ':path': '/' });
    expect(head.headers['content-length']).to.equal('5');
    expect(head.body.length).to.equal(0);
    const empty = await http2Request(client, { ':path': '/empty' });
    expect(empty.status).to.equal(204);
    expect(empty.headers['content-length']).to.equal(undefined);
  });

  it('answers 500 when the handler throws before its head, and resets the stream with INTERNAL_ERROR after it', async () => {
    const server = await startHttp2(async (req, res) => {
      if (req.path === '/late') {
        res.write('part');
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('late failure');
      }
      throw new Error('early failure');
    });
    const client = await http2Client(server.url);
    const early = await http2Request(client, { ':path': '/early' });
    expect(early.status).to.equal(500);
    const stream = client.request({ ':path': '/late' });
    const failed = await collect(stream).then(
      () => null,
      (error: unknown) => error,
    );
    expect(errorCode(failed)).to.equal('ERR_HTTP2_STREAM_ERROR');
    expect(stream.rstCode).to.equal(constants.NGHTTP2_INTERNAL_ERROR);
    expect(server.logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED', 'PERCORE_ERR_HANDLER_FAILED']);
    // The connection is unharmed: the next stream is served.
    expect((await http2Request(client, { ':path': '/early' })).status).to.equal(500);
  });

  it("tells the handler of a client's RST_STREAM: the response aborts and a body being read fails", async () => {
    const aborted = deferred<string>();
    const readFailed = deferred<string | undefined>();
    const started = deferred<void>();
    const server = await startHttp2(async (req, res) => {
      res.onAborted(() => aborted.resolve(String(res.signal.aborted)));
      started.resolve();
      try {
        await req.text();
      } catch (error) {
        readFailed.resolve(errorCode(error));
      }
    });
    const client = await http2Client(server.url);
    const stream = client.request({ ':method': 'POST', ':path': '/' });
    stream.on('error', () => {});
    stream.write('partial');
    await started.promise;
    // RST_STREAM without END_STREAM first (node's close(code) would end the body, then reset).
    stream.destroy(new Error('the client gives up'));
    expect(await aborted.promise).to.equal('true');
    expect(await readFailed.promise).to.equal('PERCORE_ERR_ABORTED');
    expect(server.logged).to.deep.equal([]);
  });

  it('refuses a body declared larger than maxBodySize with 413 before reading it', async () => {
    let ran = false;
    const server = await startHttp2(
      (_req, res) => {
        ran = true;
        res.end();
      },
      { http: { maxBodySize: 1000 } },
    );
    const client = await http2Client(server.url);
    const stream = client.request({ ':method': 'POST', ':path': '/', 'content-length': '5000' });
    stream.on('error', () => {});
    const reply = collect(stream);
    stream.write(Buffer.alloc(1000));
    const { status, body } = await reply;
    expect(status).to.equal(413);
    expect(body.toString()).to.contain('PERCORE_ERR_BODY_TOO_LARGE');
    expect(ran).to.equal(false);
  });

  it('refuses a body that grows past maxBodySize while read', async () => {
    const server = await startHttp2(async (req, res) => res.end(String((await req.bytes()).length)), { http: { maxBodySize: 10_000 } });
    const client = await http2Client(server.url);
    const { status } = await http2Request(client, { ':method': 'POST', ':path': '/' }, Buffer.alloc(50_000));
    expect(status).to.equal(413);
  });

  it('tells the observer of each exchange with HTTP version 2.0, its status and bytes', async () => {
    const ended: ExchangeRecord[] = [];
    const server = await startHttp2((_req, res) => res.end('four'), { observer: { ended: (record) => void ended.push(record) } });
    const client = await http2Client(server.url);
    await http2Request(client, { ':path': '/x' });
    await eventually(() => ended.length === 1);
    expect(ended[0]).to.include({ httpVersion: '2.0', method: 'GET', target: '/x', status: 200, bytesOut: 4, engine: 'net' });
  });

  it('counts HTTP/2 connections among the engine connections', async () => {
    const server = await startHttp2((_req, res) => res.end());
    const client = await http2Client(server.url);
    await http2Request(client, { ':path': '/' });
    expect(server.engine.stats().connections).to.equal(1);
    client.close();
    await eventually(() => server.engine.stats().connections === 0);
  });

  it('answers a handler that never responds with 503 after responseTimeout, and tells it (onAborted)', async () => {
    const heard = deferred<boolean>();
    const server = await startHttp2(
      (_req, res) => {
        res.onAborted(() => heard.resolve(res.signal.aborted));
        return new Promise<void>(() => {});
      },
      { http: { responseTimeout: 100 } },
    );
    const client = await http2Client(server.url);
    const { status, body } = await http2Request(client, { ':path': '/' });
    expect(status).to.equal(503);
    expect(body.toString()).to.contain('PERCORE_ERR_RESPONSE_TIMEOUT');
    // The handler hears that its response will not be sent, as on HTTP/1.x.
    expect(await heard.promise).to.equal(true);
    expect(server.logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_RESPONSE_TIMEOUT']);
  });

  it('refuses upgrade() on HTTP/2 with PERCORE_ERR_UPGRADE_UNSUPPORTED', async () => {
    let code: string | undefined;
    const server = await startHttp2((_req: HttpRequest, res) => {
      try {
        res.upgrade('websocket', () => {
          throw new Error('not reached');
        });
      } catch (error) {
        code = errorCode(error);
      }
      res.end();
    });
    const client = await http2Client(server.url);
    await http2Request(client, { ':path': '/' });
    expect(code).to.equal('PERCORE_ERR_UPGRADE_UNSUPPORTED');
  });

  it('runs many concurrent streams on one connection, each answered in full', async () => {
    const handler: Handler = async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, Number(req.query) % 7));
      res.end(`stream ${req.query}`);
    };
    const server = await startHttp2(handler);
    const client = await http2Client(server.url);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => http2Request(client, { ':path': `/?${i}` })));
    expect(replies.map((reply) => reply.body.toString())).to.deep.equal(Array.from({ length: 50 }, (_, i) => `stream ${i}`));
  });
});
