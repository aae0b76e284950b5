import { expect } from 'chai';
import { connect as connectHttp2, constants } from 'node:http2';
import type { Handler } from '../../src/http/api.js';
import { NetEngine } from '../../src/net/engine.js';
import { checkServerOptions } from '../../src/server.js';
import { deferred } from '../../src/util/deferred.js';
import { codeOf, errorCode } from '../support/errors.js';
import { eventually } from '../support/sockets.js';
import { testCertificate } from '../support/tls-cert.js';
import { openStreamsAtOnce, rapidReset } from './frame-client.js';
import { cleanupHttp2, collect, http2Client, http2Request, startHttp2 } from './support.js';

const hello: Handler = (_req, res) => res.end('hello');

describe('h2: connections (GOAWAY, idle, limits, rapid reset)', function () {
  afterEach(cleanupHttp2);

  it('drains with GOAWAY: the stream in flight finishes with its body, new streams are refused, and close resolves', async () => {
    const started = deferred<void>();
    const release = deferred<void>();
    const server = await startHttp2(async (req, res) => {
      if (req.path === '/slow') {
        started.resolve();
        await release.promise;
        res.end('finished after GOAWAY');
        return;
      }
      res.end('fast');
    });
    const client = await http2Client(server.url);
    const goaway = new Promise<{ code: number; lastStreamId: number }>((resolve) =>
      client.once('goaway', (code, lastStreamId) => resolve({ code, lastStreamId })),
    );
    const slow = collect(client.request({ ':path': '/slow' }));
    await started.promise;
    const closing = server.engine.close({ graceMs: 5000 });
    const { code, lastStreamId } = await goaway;
    expect(code).to.equal(constants.NGHTTP2_NO_ERROR);
    // RFC 9113 6.8: the last stream the server took, so the client knows the slow one will be answered.
    expect(lastStreamId).to.equal(1);
    // The client was told: a stream asked for now is refused (synchronously on Node 20 and 22,
    // through the stream's error on later lines), never answered.
    let late: Promise<string>;
    try {
      late = collect(client.request({ ':path': '/fast' })).then(
        () => 'answered',
        (error: unknown) => errorCode(error) ?? 'failed',
      );
    } catch (error) {
      late = Promise.resolve(errorCode(error) ?? 'failed');
    }
    release.resolve();
    const reply = await slow;
    expect(reply.status).to.equal(200);
    expect(reply.body.toString()).to.equal('finished after GOAWAY');
    await closing;
    expect(await late).to.not.equal('answered');
    expect(server.engine.stats().connections).to.equal(0);
  });

  it('closes the connection with streams still open once the grace has passed', async () => {
    const server = await startHttp2(() => new Promise<void>(() => {}), { http: { responseTimeout: 0 } });
    const client = await http2Client(server.url);
    const stream = client.request({ ':path': '/' });
    stream.on('error', () => {});
    await eventually(() => server.engine.stats().connections === 1);
    const closedClient = new Promise((resolve) => client.once('close', resolve));
    await server.engine.close({ graceMs: 100 });
    await closedClient;
  });

  it('sends GOAWAY and closes an HTTP/2 connection idle for keepAliveTimeout', async () => {
    const server = await startHttp2(hello, { http: { keepAliveTimeout: 150 } });
    const client = await http2Client(server.url);
    await http2Request(client, { ':path': '/' });
    const code = await new Promise<number>((resolve) => client.once('goaway', resolve));
    expect(code).to.equal(constants.NGHTTP2_NO_ERROR);
    await eventually(() => server.engine.stats().connections === 0);
  });

  it('keeps a connection with a stream open past keepAliveTimeout', async () => {
    const release = deferred<void>();
    const server = await startHttp2(
      async (_req, res) => {
        await release.promise;
        res.end('late');
      },
      { http: { keepAliveTimeout: 100, responseTimeout: 0 } },
    );
    const client = await http2Client(server.url);
    let goaway = false;
    client.on('goaway', () => (goaway = true));
    const reply = collect(client.request({ ':path': '/' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(goaway).to.equal(false);
    release.resolve();
    expect((await reply).body.toString()).to.equal('late');
  });

  it('cuts off a rapid-reset client with GOAWAY ENHANCE_YOUR_CALM, and keeps serving others', async () => {
    const server = await startHttp2(hello, { http2: { maxResets: 50, resetWindowMs: 10_000 } });
    const bystander = await http2Client(server.url);
    const attack = await rapidReset(server.port, 5000);
    expect(attack.goawayCode).to.equal(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(attack.closed).to.equal(true);
    expect(attack.sent).to.be.below(5000);
    expect(server.logged.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_HTTP2_RAPID_RESET']);
    expect((await http2Request(bystander, { ':path': '/' })).body.toString()).to.equal('hello');
  });

  it('lets a client reset streams at a rate under the limit', async () => {
    const server = await startHttp2(hello, { http2: { maxResets: 500 } });
    const client = await rapidReset(server.port, 200, 20, 1000);
    expect(client.goawayCode).to.equal(null);
    expect(client.closed).to.equal(false);
    expect(server.logged).to.deep.equal([]);
  });

  it('advertises maxConcurrentStreams and maxHeaderListSize, and resets a stream whose header list is too large', async () => {
    const server = await startHttp2(hello, { http2: { maxConcurrentStreams: 7, maxHeaderListSize: 4096 } });
    const client = await http2Client(server.url);
    expect(client.remoteSettings.maxConcurrentStreams).to.equal(7);
    expect(client.remoteSettings.maxHeaderListSize).to.equal(4096);
    expect(client.remoteSettings.enablePush).to.equal(false);
    const stream = client.request({ ':path': '/', 'x-big': 'x'.repeat(8000) });
    const failed = await collect(stream).then(
      () => 'answered',
      (error: unknown) => errorCode(error),
    );
    expect(failed).to.equal('ERR_HTTP2_STREAM_ERROR');
    expect(stream.rstCode).to.equal(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect((await http2Request(client, { ':path': '/' })).status).to.equal(200);
  });

  it('refuses the streams a client opens past maxConcurrentStreams with REFUSED_STREAM, and answers the others', async () => {
    let answered = 0;
    const server = await startHttp2(
      async (_req, res) => {
        answered++;
        await new Promise((resolve) => setTimeout(resolve, 200));
        res.end('slow');
      },
      { http2: { maxConcurrentStreams: 3 } },
    );
    const resets = await openStreamsAtOnce(server.port, 5, 400);
    expect([...resets.entries()]).to.deep.equal([
      [7, constants.NGHTTP2_REFUSED_STREAM],
      [9, constants.NGHTTP2_REFUSED_STREAM],
    ]);
    expect(answered).to.equal(3);
  });

  it('takes its header list size from http.maxHeaderSize by default', async () => {
    const server = await startHttp2(hello, { http: { maxHeaderSize: 9000 } });
    const client = await http2Client(server.url);
    expect(client.remoteSettings.maxHeaderListSize).to.equal(9000);
    expect(client.remoteSettings.maxConcurrentStreams).to.equal(100);
  });

  it('with http2: false, offers only http/1.1', async () => {
    const server = await startHttp2(hello, { http2: false });
    const session = connectHttp2(server.url, { ca: testCertificate().cert });
    const error = await new Promise<unknown>((resolve) => session.once('error', resolve));
    session.destroy();
    expect(errorCode(error)).to.be.oneOf(['ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 'ERR_HTTP2_ERROR', 'ECONNRESET']);
  });

  it('refuses http2 on plain TCP, with a custom protocol, beside an alpn h2 entry, and bad HTTP/2 options', () => {
    const { key, cert } = testCertificate();
    const tls = { key, cert };
    expect(codeOf(() => new NetEngine({ handler: hello, http2: true }))).to.equal('PERCORE_ERR_INVALID_OPTION');
    expect(codeOf(() => new NetEngine({ handler: hello, http2: {} }))).to.equal('PERCORE_ERR_INVALID_OPTION');
    expect(codeOf(() => new NetEngine({ protocol: { factory: () => null as never }, http2: true, transport: { tls } }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => new NetEngine({ handler: hello, transport: { tls, alpn: { h2: () => null as never } } }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => new NetEngine({ handler: hello, transport: { tls }, http2: { maxConcurrentStreams: 0 } }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => new NetEngine({ handler: hello, transport: { tls }, http2: { maxResets: 1.5 } }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => new NetEngine({ handler: hello, transport: { tls }, http2: { streams: 3 } as never }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    // uWS negotiates no ALPN: refused before any worker starts.
    expect(codeOf(() => checkServerOptions({ engine: 'uws', handler: hello, transport: { tls }, http2: true }))).to.equal(
      'PERCORE_ERR_INVALID_OPTION',
    );
    // The default: plain TCP serves HTTP/1.x without complaint; TLS turns HTTP/2 on.
    expect(new NetEngine({ handler: hello }).http2).to.equal(null);
    expect(new NetEngine({ handler: hello, transport: { tls } }).http2).to.not.equal(null);
    // With http2: false the h2 name is free for a factory of one's own.
    expect(new NetEngine({ handler: hello, http2: false, transport: { tls, alpn: { h2: () => null as never } } }).http2).to.equal(null);
  });
});
