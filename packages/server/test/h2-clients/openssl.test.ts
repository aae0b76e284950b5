/**
 * openssl s_client against the net engine on TLS: the protocol ALPN negotiates (h2 or
 * http/1.1, on one port), with SNI (-servername localhost) and the test certificate verified.
 */
import { expect } from 'chai';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { requireCommand, runCommand } from '../support/h2-tools.js';
import { testCertificate } from '../support/tls-cert.js';

/** s_client with `input` on stdin; with input, it waits for the server to close (-ign_eof), else it quits at stdin's end. */
function sClient(port: number, alpn: string, input = ''): ReturnType<typeof runCommand> {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-alpn',
    alpn,
    '-CAfile',
    testCertificate().certFile,
  ];
  return runCommand('openssl', input === '' ? args : [...args, '-ign_eof'], { input, timeoutMs: 10_000 });
}

describe('h2 clients: openssl s_client', function () {
  this.timeout(20_000);
  before(function () {
    requireCommand(this, 'openssl');
  });
  useEngineCleanup();

  it('negotiates h2 with -alpn h2, and http/1.1 with -alpn http/1.1, the certificate verified', async function () {
    const server = await startEngine('net-h2', (_req, res) => res.end('hello'));
    const h2 = await sClient(server.port, 'h2');
    expect(h2.stdout).to.contain('ALPN protocol: h2');
    expect(h2.stdout).to.contain('Verify return code: 0 (ok)');
    const h1 = await sClient(server.port, 'http/1.1');
    expect(h1.stdout).to.contain('ALPN protocol: http/1.1');
    expect(h1.stdout).to.contain('Verify return code: 0 (ok)');
  });

  it('prefers h2 when offered both, and serves HTTP/1.1 on percore’s parser when http/1.1 is chosen', async function () {
    const server = await startEngine('net-h2', (req, res) => res.end(`hello ${req.httpVersion}`));
    const both = await sClient(server.port, 'h2,http/1.1');
    expect(both.stdout).to.contain('ALPN protocol: h2');
    const h1 = await sClient(server.port, 'http/1.1', 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(h1.stdout).to.contain('ALPN protocol: http/1.1');
    expect(h1.stdout).to.match(/HTTP\/1\.1 200 OK\r\n/);
    expect(h1.stdout).to.contain('hello 1.1');
  });
});
