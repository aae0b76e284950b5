import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { serve } from '../../src/cluster/serve.js';
import type { Engine } from '../../src/http/engine.js';
import type { Handler } from '../../src/http/api.js';
import { Task } from '../../src/scheduler/task.js';
import { checkServerOptions, createServer, type ServerOptions } from '../../src/server.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';
import { encryptedTestKey, hasOpenssl, testCertificate } from '../support/tls-cert.js';
import { tlsConnectTo } from '../support/tls-client.js';
import { requireUws } from '../support/uws.js';
import { codeOf } from '../support/errors.js';

interface Reply {
  status: number;
  body: Buffer;
  reusedSocket: boolean;
}

function httpsRequest(url: string, options: RequestOptions = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: testCertificate().cert, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Answers GET with 'hello PATH', POST with its body echoed, and /big with `BIG` bytes streamed in 64 KiB writes. */
const BIG = 8 * 1024 * 1024;
const handler: Handler = async (req, res) => {
  if (req.method === 'POST') {
    res.end(`echo ${await req.text()}`);
  } else if (req.path === '/big') {
    res.setHeader('content-length', BIG);
    const piece = Buffer.alloc(64 * 1024, 0x62);
    for (let sent = 0; sent < BIG; sent += piece.length) {
      if (!res.write(piece)) await res.drain();
    }
    res.end();
  } else {
    res.end(`hello ${req.path}`);
  }
};

/** The 'x-test' protocol: greets, then echoes in capitals. */
class XTestTask extends Task {
  constructor(context: ConstructorParameters<typeof Task>[0]) {
    super(context);
    this.write('x-test ready\n');
  }
  override onData(chunk: Buffer): void {
    this.write(chunk.toString().toUpperCase());
  }
}

describe('HTTP over TLS', function () {
  this.timeout(20_000);
  const engines: Engine[] = [];
  const sockets: TLSSocket[] = [];
  let logger = collectingLogger();

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(engines.splice(0).map((engine) => engine.close({ graceMs: 0 })));
  });

  async function start(options: Partial<ServerOptions> = {}): Promise<Engine> {
    logger = collectingLogger();
    const { key, cert } = testCertificate();
    const engine = createServer({ handler, logger, transport: { tls: { key, cert } }, ...options });
    engines.push(engine);
    await engine.listen({ host: '127.0.0.1', port: 0 });
    return engine;
  }

  async function rawTls(engine: Engine, options: Parameters<typeof tlsConnectTo>[1] = {}): Promise<TLSSocket> {
    const socket = await tlsConnectTo(engine.address!.port, options);
    sockets.push(socket);
    return socket;
  }

  for (const name of ['net', 'uws'] as const) {
    it(`${name}: serves with a passphrase-protected key, and refuses a wrong passphrase with PERCORE_ERR_TLS_CONFIG`, async function () {
      if (name === 'uws') requireUws(this);
      const key = encryptedTestKey('s3cret');
      const { cert } = testCertificate();
      const wrong = () => createServer({ engine: name, handler, transport: { tls: { key, cert, passphrase: 'wrong' } } });
      expect(codeOf(wrong)).to.equal('PERCORE_ERR_TLS_CONFIG');
      const engine = await start({ engine: name, transport: { tls: { key, cert, passphrase: 's3cret' } } });
      expect((await httpsRequest(`${engine.url}/locked`)).body.toString()).to.equal('hello /locked');
    });
  }

  describe('net engine', () => {
    it('serves GET and POST with a body to node:https, at an https:// url', async () => {
      const engine = await start();
      expect(engine.url).to.equal(`https://127.0.0.1:${engine.address!.port}`);
      const got = await httpsRequest(`${engine.url}/a`);
      expect(got.status).to.equal(200);
      expect(got.body.toString()).to.equal('hello /a');
      const posted = await httpsRequest(engine.url, { method: 'POST', headers: { 'content-type': 'text/plain' } }, 'over tls');
      expect(posted.body.toString()).to.equal('echo over tls');
    });

    it('keeps the connection alive across two requests', async () => {
      const engine = await start();
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: testCertificate().cert });
      try {
        const first = await httpsRequest(`${engine.url}/1`, { agent });
        const second = await httpsRequest(`${engine.url}/2`, { agent });
        expect([first.body.toString(), second.body.toString()]).to.deep.equal(['hello /1', 'hello /2']);
        expect(second.reusedSocket).to.equal(true);
        expect(engine.stats()).to.include({ accepted: 1, tlsErrors: 0 });
      } finally {
        agent.destroy();
      }
    });

    it('answers a pipelined pair on one raw TLS connection, in order', async () => {
      const engine = await start();
      const socket = await rawTls(engine);
      socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n');
      const { data } = await readUntil(socket, (received) => received.toString().includes('hello /two'), 5000);
      const text = data.toString();
      expect(text.match(/HTTP\/1\.1 200/g)).to.have.length(2);
      expect(text.indexOf('hello /one')).to.be.below(text.indexOf('hello /two'));
    });

    it('streams a large response to node:https whole', async () => {
      const engine = await start();
      const got = await httpsRequest(`${engine.url}/big`);
      expect(got.body.length).to.equal(BIG);
      expect(got.body.every((byte) => byte === 0x62)).to.equal(true);
    });

    it('with Connection: close, the lingering half-close delivers the large response before close_notify', async () => {
      const engine = await start();
      const socket = await rawTls(engine);
      socket.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      await new Promise((resolve) => socket.once('end', resolve));
      // The head, then every byte of the body.
      expect(received).to.be.above(BIG);
      expect(received - BIG).to.be.below(200);
    });

    it('finishes the large response when the client half-closes (close_notify and FIN) right after its request', async () => {
      const engine = await start();
      const socket = await rawTls(engine);
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.end('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.once('close', resolve));
      expect(received).to.be.above(BIG);
      expect(received - BIG).to.be.below(200);
    });

    it("routes a client offering ['x-test', 'http/1.1'] to the x-test factory, and one offering http/1.1 to HTTP", async () => {
      const { key, cert } = testCertificate();
      const engine = await start({ transport: { tls: { key, cert }, alpn: { 'x-test': (context) => new XTestTask(context) } } });
      const custom = await rawTls(engine, { ALPNProtocols: ['x-test', 'http/1.1'] });
      expect(custom.alpnProtocol).to.equal('x-test');
      expect((await readUntil(custom, (data) => data.toString().endsWith('\n'))).data.toString()).to.equal('x-test ready\n');
      custom.write('shout');
      expect((await readUntil(custom, (data) => data.length >= 5)).data.toString()).to.equal('SHOUT');

      const http = await rawTls(engine, { ALPNProtocols: ['http/1.1'] });
      expect(http.alpnProtocol).to.equal('http/1.1');
      http.write('GET /h HTTP/1.1\r\nHost: x\r\n\r\n');
      const { data } = await readUntil(http, (received) => received.toString().includes('hello /h'));
      expect(data.toString()).to.match(/^HTTP\/1\.1 200/);
    });

    it('counts a failed handshake (plain text to the TLS port), logs it with its code, and still serves', async () => {
      const engine = await start();
      const plain = await connectTo(engine.address!.port);
      plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const { closed } = await readUntil(plain, () => false, 3000);
      plain.destroy();
      expect(closed).to.equal(true);
      await eventually(() => engine.stats().tlsErrors === 1, 2000, 'the failed handshake counted');
      expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TLS_HANDSHAKE_FAILED']);
      expect((await httpsRequest(`${engine.url}/after`)).body.toString()).to.equal('hello /after');
    });

    it('serves openssl s_client', async function () {
      if (!hasOpenssl()) this.skip();
      const engine = await start();
      const client = spawn(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${engine.address!.port}`,
          '-CAfile',
          testCertificate().certFile,
          '-quiet',
          '-verify_return_error',
        ],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      const out: Buffer[] = [];
      client.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      client.stdin.end('GET /ossl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      const code = await new Promise<number | null>((resolve) => client.once('close', resolve));
      const text = Buffer.concat(out).toString();
      expect(text).to.match(/^HTTP\/1\.1 200/);
      expect(text).to.match(/hello \/ossl$/);
      expect(code).to.equal(0);
    });

    it('refuses a TLS transport without a certificate with PERCORE_ERR_TLS_CONFIG', () => {
      expect(codeOf(() => createServer({ handler, transport: { tls: { key: testCertificate().key } } }))).to.equal('PERCORE_ERR_TLS_CONFIG');
    });

    it('serve() passes the transport through, reports an https:// url, and refuses bad TLS before starting', async () => {
      const { key, cert } = testCertificate();
      const handle = await serve({ handler, port: 0, cluster: false, handleSignals: false, transport: { tls: { key, cert } } });
      try {
        expect(handle.url).to.equal(`https://127.0.0.1:${handle.port}`);
        expect((await httpsRequest(`${handle.url}/served`)).body.toString()).to.equal('hello /served');
      } finally {
        await handle.close();
      }
      // The check serve() runs in the primary, before any worker starts.
      expect(codeOf(() => checkServerOptions({ handler, transport: { tls: { key: 'not a key', cert } } }))).to.equal(
        'PERCORE_ERR_TLS_CONFIG',
      );
    });
  });

  describe('uws engine', () => {
    before(function () {
      requireUws(this);
    });

    it('serves GET and POST over https through SSLApp, at an https:// url', async () => {
      const engine = await start({ engine: 'uws' });
      expect(engine.url).to.equal(`https://127.0.0.1:${engine.address!.port}`);
      const got = await httpsRequest(`${engine.url}/u`);
      expect(got.status).to.equal(200);
      expect(got.body.toString()).to.equal('hello /u');
      const posted = await httpsRequest(engine.url, { method: 'POST' }, 'uws tls');
      expect(posted.body.toString()).to.equal('echo uws tls');
    });

    it('leaves none of the PEM files it wrote for uWS behind', async () => {
      const ours = () => readdirSync(tmpdir()).filter((name) => name.startsWith('percore-tls-'));
      const before = ours();
      await start({ engine: 'uws' });
      expect(ours()).to.deep.equal(before);
    });

    it('refuses an ALPN map, a TLS option uWS lacks, and a bad key, with codes', () => {
      const { key, cert } = testCertificate();
      const factory = (context: ConstructorParameters<typeof Task>[0]) => new XTestTask(context);
      expect(codeOf(() => createServer({ engine: 'uws', handler, transport: { tls: { key, cert }, alpn: { 'x-test': factory } } }))).to.equal(
        'PERCORE_ERR_INVALID_OPTION',
      );
      expect(codeOf(() => createServer({ engine: 'uws', handler, transport: { tls: { key, cert, minVersion: 'TLSv1.3' } } }))).to.equal(
        'PERCORE_ERR_INVALID_OPTION',
      );
      expect(codeOf(() => createServer({ engine: 'uws', handler, transport: { tls: { key: 'not a key', cert } } }))).to.equal(
        'PERCORE_ERR_TLS_CONFIG',
      );
    });
  });
});
