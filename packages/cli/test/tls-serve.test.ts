import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { reapAll, requireBuild, runCli, serveCli, within, type Running } from './support/cli.js';

const FINGERPRINT_LINE =
  /^percore: self-signed certificate for localhost, 127\.0\.0\.1 and ::1, valid until (\S+), SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$/m;

/** The fingerprint line that follows the start-up line. */
async function printedCertificate(cli: Running): Promise<{ fingerprint: string; validUntil: Date }> {
  const match = await within(
    (async () => {
      for (;;) {
        const found = FINGERPRINT_LINE.exec(cli.stdout());
        if (found !== null) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    5000,
    'the fingerprint line',
  );
  return { fingerprint: match[2]!, validUntil: new Date(match[1]!) };
}

/** A TLS connection that trusts anything, to read what the server presents; ALPN offers `alpn`. */
function openTls(port: number, alpn: string[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: alpn }, () =>
      resolve(socket),
    );
    socket.on('error', reject);
  });
}

/** One HTTP/1.1 request on `socket`; the body (the server answers with Content-Length and closes). */
function getOver(socket: TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text.slice(text.indexOf('\r\n\r\n') + 4)));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

/** A GET with node:https that trusts `ca` only (verifying the name too); the body. */
function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `curl -sk` with `flag`; the HTTP version it used, as `%{http_version}` prints it ("2", "1.1"). */
function curlVersion(url: string, flag: string): string {
  return execFileSync('curl', ['-sk', flag, '-o', '/dev/null', '-w', '%{http_version}', url], { encoding: 'utf8' });
}

describe('percore serve over TLS: --tls-self-signed and --no-http2 (the CLI as a child process)', function () {
  let dir: string;
  let pidModule: string;

  before(requireBuild);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'percore-cli-tls-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'hello.txt'), 'hello over tls\n', { mode: 0o644 });
    pidModule = join(dir, 'pid.mjs');
    writeFileSync(pidModule, 'export default (req, res) => res.end(String(process.pid));\n', { mode: 0o644 });
  });
  afterEach(() => {
    reapAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--tls-self-signed -w 2: both workers present the one certificate whose fingerprint is printed, and node:https trusts it as CA', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '2', '--tls-self-signed', '-l', `/pid=${pidModule}`]);
    expect(cli.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.line).to.include('2 workers').and.include('https, h2 + http/1.1');
    const printed = await printedCertificate(cli);
    const port = Number(new URL(cli.url).port);

    // New connections until both workers have answered: each presents the printed certificate.
    const pids = new Set<string>();
    let pem = '';
    for (let attempt = 0; attempt < 200 && pids.size < 2; attempt++) {
      const socket = await openTls(port, ['http/1.1']);
      const cert = new X509Certificate(socket.getPeerCertificate(true).raw);
      expect(cert.fingerprint256).to.equal(printed.fingerprint);
      pem = cert.toString();
      pids.add(await getOver(socket, '/pid'));
    }
    expect(pids.size, 'connections answered by distinct workers').to.equal(2);

    const cert = new X509Certificate(pem);
    expect(cert.checkHost('localhost')).to.equal('localhost');
    expect(new Date(cert.validTo)).to.deep.equal(new Date(printed.validUntil.getTime()));
    // Trusting that certificate alone, node:https verifies the chain and the name (a DNS name and an IP address).
    expect(await httpsGet(`https://localhost:${port}/hello.txt`, pem)).to.equal('hello over tls\n');
    expect(await httpsGet(`${cli.url}/hello.txt`, pem)).to.equal('hello over tls\n');
    // Without it, the default CAs refuse it.
    const untrusted = await new Promise<Error>((resolve) => {
      const req = request(`${cli.url}/hello.txt`, { agent: false }, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });
    expect((untrusted as NodeJS.ErrnoException).code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('--tls-self-signed makes a new certificate each start; a handler sees no PEM in its environment', async () => {
    const envModule = join(dir, 'env.mjs');
    writeFileSync(
      envModule,
      "export default (req, res) => res.end(JSON.stringify(Object.keys(process.env).filter((name) => name.startsWith('PERCORE_CLI_'))));\n",
      { mode: 0o644 },
    );
    const first = await serveCli([dir, '-p', '0', '-w', '1', '--tls-self-signed', '-l', `/env=${envModule}`]);
    const second = await serveCli([dir, '-p', '0', '-w', '1', '--tls-self-signed']);
    const [a, b] = await Promise.all([printedCertificate(first), printedCertificate(second)]);
    expect(a.fingerprint).to.not.equal(b.fingerprint);
    // The worker took the certificate and key out of its process.env: what a handler spawns inherits neither.
    const socket = await openTls(Number(new URL(first.url).port), ['http/1.1']);
    expect(JSON.parse(await getOver(socket, '/env'))).to.deep.equal([]);
  });

  it('offers h2 by ALPN by default: curl --http2 -k gets HTTP/2, --http1.1 HTTP/1.1, and node:http2 is answered', async function () {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--tls-self-signed']);
    const port = Number(new URL(cli.url).port);
    const socket = await openTls(port, ['h2', 'http/1.1']);
    expect(socket.alpnProtocol).to.equal('h2');
    socket.destroy();
    const session = http2Connect(cli.url, { rejectUnauthorized: false });
    try {
      const body = await within(
        new Promise<string>((resolve, reject) => {
          const stream = session.request({ ':path': '/hello.txt' });
          let text = '';
          stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
          stream.on('end', () => resolve(text));
          stream.on('error', reject);
        }),
        5000,
        'the HTTP/2 answer',
      );
      expect(body).to.equal('hello over tls\n');
    } finally {
      session.close();
    }
    if (!hasCurl()) this.skip(); // the node clients above ran; no curl here for the rest
    expect(curlVersion(`${cli.url}/hello.txt`, '--http2')).to.equal('2');
    expect(curlVersion(`${cli.url}/hello.txt`, '--http1.1')).to.equal('1.1');
  });

  it('--no-http2 serves HTTPS with HTTP/1.1 only: ALPN never picks h2, node:http2 cannot talk, curl --http2 falls back to 1.1', async function () {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--tls-self-signed', '--no-http2']);
    expect(cli.line).to.include('https, http/1.1 only').and.not.include('h2');
    const port = Number(new URL(cli.url).port);
    const socket = await openTls(port, ['h2', 'http/1.1']);
    // With nothing but HTTP/1.1 to serve, the server may answer ALPN with http/1.1 or not at all (RFC 7301 3.2): never h2.
    expect(socket.alpnProtocol).to.be.oneOf([false, 'http/1.1']);
    expect(await getOver(socket, '/hello.txt')).to.equal('hello over tls\n');
    // node's client sends its preface whatever ALPN said; the HTTP/1.1 server takes it for a bad request.
    const outcome = await within(
      new Promise<string>((resolve) => {
        const session = http2Connect(cli.url, { rejectUnauthorized: false });
        session.on('error', (error: NodeJS.ErrnoException) => resolve(`session error ${error.code ?? error.message}`));
        const stream = session.request({ ':path': '/hello.txt' });
        stream.on('response', (headers) => resolve(`answered ${String(headers[':status'])}`));
        stream.on('error', (error: NodeJS.ErrnoException) => resolve(`stream error ${error.code ?? error.message}`));
        stream.on('close', () => resolve('closed unanswered'));
        stream.end();
      }),
      5000,
      'the HTTP/2 client to give up',
    );
    expect(outcome, 'an HTTP/2 request to a server without h2').to.not.match(/^answered/);
    if (!hasCurl()) this.skip(); // the node clients above ran; no curl here for the rest
    expect(curlVersion(`${cli.url}/hello.txt`, '--http2')).to.equal('1.1');
  });

  it('--engine uws --tls-self-signed serves HTTPS with HTTP/1.1 only, and says so', async function () {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--engine', 'uws', '--tls-self-signed']).catch((error: Error) => {
      // uWebSockets.js has no binary for some Node versions; the CLI then says so and exits 1.
      if (error.message.includes('PERCORE_ERR_UWS_UNAVAILABLE')) this.skip();
      throw error;
    });
    expect(cli.line).to.include('engine uws').and.include('https, http/1.1 only (uws has no ALPN)');
    const { fingerprint } = await printedCertificate(cli);
    const socket = await openTls(Number(new URL(cli.url).port), ['h2', 'http/1.1']);
    expect(new X509Certificate(socket.getPeerCertificate(true).raw).fingerprint256).to.equal(fingerprint);
    expect(socket.alpnProtocol).to.equal(false);
    socket.destroy();
  });

  it('refuses --tls-self-signed with --cert/--key, from a flag, the environment or a file (exit 2, one line)', async function () {
    this.timeout(30000); // five CLI runs, one after another
    const file = join(dir, 'percore.json');
    writeFileSync(file, JSON.stringify({ tlsSelfSigned: true }));
    const pems = ['--cert', join(dir, 'c.pem'), '--key', join(dir, 'k.pem')];
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['serve', dir, '--tls-self-signed', ...pems], {}, '--tls-self-signed makes its own certificate: give it or --cert/--key, not both'],
      [['serve', dir, ...pems], { PERCORE_TLS_SELF_SIGNED: '1' }, 'PERCORE_TLS_SELF_SIGNED makes its own certificate'],
      [['serve', dir, '--config', file, ...pems], {}, `"tlsSelfSigned" in ${file} makes its own certificate`],
      [['serve', dir, '--tls-self-signed=yes'], {}, "'--tls-self-signed' does not take an argument"],
      [['serve', dir], { PERCORE_HTTP2: 'maybe' }, 'PERCORE_HTTP2 must be 1, 0, true or false'],
    ];
    for (const [args, env, message] of cases) {
      const result = await runCli(args, { env });
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr, args.join(' ')).to.include(message).and.include("see 'percore --help'");
      expect(result.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(result.stdout, args.join(' ')).to.equal('');
    }
  });
});
