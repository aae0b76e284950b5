import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { reapAll, startProcess, within } from '../../server/test/support/processes.js';
import { connectTo, readUntil } from '../../server/test/support/sockets.js';

const main = new URL('../dist/main.js', import.meta.url);
const run = promisify(execFile);

/** Runs the CLI to completion; resolves with its exit code and output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main.pathname, ...args], { timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const DATE = /Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/;

describe('percore-hello', function () {
  this.timeout(20_000);
  after(() => reapAll());

  it('prints its usage with --help and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).to.equal(0);
    expect(stdout)
      .to.match(/^Usage: percore-hello/)
      .and.match(/--workers/);
  });

  it('answers a bad flag with the usage on stderr and exit code 2', async () => {
    const { code, stdout, stderr } = await cli(['--bogus']);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr)
      .to.match(/^percore-hello: Unknown option '--bogus'/)
      .and.match(/Usage: percore-hello/);
  });

  describe('on a port that is taken', () => {
    let blocker: Server;
    beforeEach(() => new Promise<void>((resolve) => (blocker = createServer()).listen(0, '127.0.0.1', resolve)));
    afterEach(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('exits 1 with a clear message', async () => {
      const port = (blocker.address() as { port: number }).port;
      const { code, stderr } = await cli(['--port', String(port), '--workers', '2']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        `percore-hello: The server could not listen: cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE). Is another server running there? Choose another port.\n`,
      );
    });
  });

  describe('serving', () => {
    let port: number;
    let started: Awaited<ReturnType<typeof startProcess>>;

    before(async () => {
      started = await startProcess(main.href, { tsx: false, args: ['--port', '0', '--workers', '2'] });
      const line = String(started.ready.line);
      const match =
        /^percore hello listening on http:\/\/127\.0\.0\.1:(\d+)\/ \(engine net, 2 workers, pid (\d+)\)\. Benchmark: ab -k -c25 -n 100000 http:\/\/127\.0\.0\.1:\1\/$/.exec(
          line,
        );
      expect(match, line).to.not.equal(null);
      port = Number(match![1]);
      expect(Number(match![2])).to.equal(started.child.pid);
    });
    after(async () => {
      started.child.kill('SIGTERM');
      expect(await within(started.exit, 15_000, 'hello to exit')).to.equal(0);
    });

    it('answers HTTP/1.1 with 200, Content-Length: 11 and Hello world, keeping the connection', async () => {
      const socket = await connectTo(port);
      socket.write('GET /any/path?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const { data, closed } = await readUntil(socket, (received) => received.toString().endsWith('Hello world'));
      expect(closed).to.equal(false);
      expect(data.toString().replace(DATE, 'Date: *\r\n')).to.equal(
        'HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\nHello world',
      );
      socket.destroy();
    });

    it('answers HTTP/1.0 and closes', async () => {
      const socket = await connectTo(port);
      socket.write('GET / HTTP/1.0\r\n\r\n');
      const { data, closed } = await readUntil(socket, () => false);
      expect(closed).to.equal(true);
      expect(data.toString().replace(DATE, 'Date: *\r\n')).to.equal(
        'HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 11\r\nConnection: close\r\n\r\nHello world',
      );
    });

    it('keeps an HTTP/1.0 keep-alive connection open, as ab -k needs', async () => {
      const socket = await connectTo(port);
      const expected =
        'HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 11\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nHello world';
      for (let i = 0; i < 2; i++) {
        socket.write('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
        const { data, closed } = await readUntil(socket, (received) => received.toString().endsWith('Hello world'));
        expect(closed).to.equal(false);
        expect(data.toString().replace(DATE, 'Date: *\r\n')).to.equal(expected);
      }
      socket.destroy();
    });
  });

  describe('with --cert and --key', () => {
    let dir: string;
    let cert: string;
    let key: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'percore-hello-tls-'));
      cert = join(dir, 'cert.pem');
      key = join(dir, 'key.pem');
      // ECDSA P-256, made for this test: no key is committed.
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
          '-subj',
          '/CN=localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ]),
        { stdio: 'ignore' },
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('exits 1 naming a certificate file it cannot read', async () => {
      const { code, stderr } = await cli(['--port', '0', '--cert', join(dir, 'missing.pem'), '--key', key]);
      expect(code).to.equal(1);
      expect(stderr).to.match(/^percore-hello: cannot read --cert .*missing\.pem: ENOENT/);
    });

    it('serves Hello world over TLS, saying so', async () => {
      const started = await startProcess(main.href, { tsx: false, args: ['--port', '0', '--workers', '1', '--cert', cert, '--key', key] });
      try {
        const line = String(started.ready.line);
        const match = /^percore hello listening on https:\/\/127\.0\.0\.1:(\d+)\/ \(engine net, 1 worker, pid \d+, TLS with /.exec(line);
        expect(match, line).to.not.equal(null);
        const socket = connectTls({ host: '127.0.0.1', port: Number(match![1]), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
        await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
        expect(socket.alpnProtocol).to.equal('http/1.1');
        socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
        const { data } = await readUntil(socket, (received) => received.toString().endsWith('Hello world'));
        expect(data.toString()).to.match(/^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 11\r\n[^]*\r\n\r\nHello world$/);
        socket.destroy();
      } finally {
        started.child.kill('SIGTERM');
        expect(await within(started.exit, 15_000, 'hello to exit')).to.equal(0);
      }
    });
  });

  describe('ALPN under TLS', () => {
    let dir: string;
    let cert: string;
    let key: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'percore-hello-alpn-'));
      cert = join(dir, 'cert.pem');
      key = join(dir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** The protocol hello picks for a client offering h2 and http/1.1. */
    async function negotiated(extra: string[]): Promise<string | false | null> {
      const started = await startProcess(main.href, {
        tsx: false,
        args: ['--port', '0', '--workers', '1', '--cert', cert, '--key', key, ...extra],
      });
      try {
        const port = Number(/https:\/\/127\.0\.0\.1:(\d+)\//.exec(String(started.ready.line))![1]);
        const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
        await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
        const protocol = socket.alpnProtocol;
        socket.destroy();
        return protocol;
      } finally {
        started.child.kill('SIGTERM');
        expect(await within(started.exit, 15_000, 'hello to exit')).to.equal(0);
      }
    }

    it('offers h2 by default and not with --no-http2', async () => {
      expect(await negotiated([])).to.equal('h2');
      // Without h2 the engine offers no ALPN list at all, so none is negotiated (HTTP/1.1 is served).
      expect(await negotiated(['--no-http2'])).to.equal(false);
    });
  });

  describe('with --metrics and --health', () => {
    let started: Awaited<ReturnType<typeof startProcess>>;
    let url: string;

    before(async () => {
      started = await startProcess(main.href, { tsx: false, args: ['--port', '0', '--workers', '2', '--metrics', '--health'] });
      const line = String(started.ready.line);
      const match =
        /^percore hello listening on (http:\/\/127\.0\.0\.1:\d+)\/ \(engine net, 2 workers, pid \d+, metrics at \/metrics, health at \/healthz and \/readyz\)\. /.exec(
          line,
        );
      expect(match, line).to.not.equal(null);
      url = match![1]!;
    });
    after(async () => {
      started.child.kill('SIGTERM');
      expect(await within(started.exit, 15_000, 'hello to exit')).to.equal(0);
    });

    it('counts every hello in /metrics, whichever worker answers, and answers /healthz and /readyz', async () => {
      const sent = 5;
      for (let i = 0; i < sent; i++) {
        const response = await fetch(`${url}/any/${i}`, { headers: { connection: 'close' } });
        expect(await response.text()).to.equal('Hello world');
      }
      const counted = (text: string) =>
        text
          .split('\n')
          .filter(
            (line) => /^http_requests_total\{/.test(line) && line.includes('code="200"') && !/route="\/(metrics|healthz|readyz)"/.test(line),
          )
          .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      const deadline = Date.now() + 10_000;
      let text = '';
      for (;;) {
        const scrape = await fetch(`${url}/metrics`, { headers: { connection: 'close' } });
        text = await scrape.text();
        if ((scrape.status === 200 && counted(text) >= sent) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(text).to.include('# TYPE http_requests_total counter');
      expect(counted(text)).to.equal(sent);
      for (const path of ['/healthz', '/readyz']) {
        const health = await fetch(`${url}${path}`, { headers: { connection: 'close' } });
        expect(health.status, path).to.equal(200);
        await health.arrayBuffer();
      }
    });
  });
});
