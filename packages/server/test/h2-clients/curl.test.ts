/**
 * curl against the net engine on TLS: HTTP/2 and HTTP/1.1 on the same port (ALPN), the test
 * certificate verified (--cacert, localhost resolved to 127.0.0.1), bodies both ways.
 */
import { expect } from 'chai';
import type { Handler } from '../../src/http/api.js';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { requireCommand, runCommand } from '../support/h2-tools.js';
import { testCertificate } from '../support/tls-cert.js';

const VERSION_MARK = '\n--http-version:';

/** Echoes what the handler saw: the protocol, the method, the Host, and the body's length and text. */
const echo: Handler = async (req, res) => {
  const body = await req.text();
  res.setHeader('Content-Type', 'text/plain');
  res.end(`${req.httpVersion} ${req.method} ${req.headers.host ?? '-'} ${Buffer.byteLength(body)}:${body}`);
};

async function curl(port: number, args: readonly string[], input?: string): Promise<{ body: string; version: string }> {
  const run = await runCommand(
    'curl',
    [
      '-sS',
      '--max-time',
      '10',
      '--cacert',
      testCertificate().certFile,
      '--resolve',
      `localhost:${port}:127.0.0.1`,
      '-w',
      `${VERSION_MARK}%{http_version}`,
      ...args,
      `https://localhost:${port}/echo`,
    ],
    { input },
  );
  expect(run.code, `curl exited ${run.code}: ${run.stderr}`).to.equal(0);
  const mark = run.stdout.lastIndexOf(VERSION_MARK);
  return { body: run.stdout.slice(0, mark), version: run.stdout.slice(mark + VERSION_MARK.length) };
}

describe('h2 clients: curl', function () {
  this.timeout(20_000);
  before(function () {
    requireCommand(this, 'curl');
  });
  useEngineCleanup();

  it('speaks HTTP/2 with --http2 and HTTP/1.1 with --http1.1, on the same port, the certificate verified', async function () {
    const server = await startEngine('net-h2', echo);
    const h2 = await curl(server.port, ['--http2']);
    const h1 = await curl(server.port, ['--http1.1']);
    expect(h2).to.deep.equal({ version: '2', body: `2.0 GET localhost:${server.port} 0:` });
    expect(h1).to.deep.equal({ version: '1.1', body: `1.1 GET localhost:${server.port} 0:` });
  });

  it('sends POST bodies both ways: HTTP/2 and HTTP/1.1, small and 1 MiB', async function () {
    const server = await startEngine('net-h2', echo, { maxBodySize: 4 * 1024 * 1024 });
    const large = 'abcdefghijklmnop'.repeat(64 * 1024);
    for (const protocol of ['--http2', '--http1.1']) {
      const version = protocol === '--http2' ? '2' : '1.1';
      const small = await curl(server.port, [protocol, '--data-binary', 'héllo wörld']);
      expect(small.version).to.equal(version);
      expect(small.body).to.equal(
        `${version === '2' ? '2.0' : '1.1'} POST localhost:${server.port} ${Buffer.byteLength('héllo wörld')}:héllo wörld`,
      );
      const big = await curl(server.port, [protocol, '--data-binary', '@-', '-X', 'PUT'], large);
      expect(big.version).to.equal(version);
      expect(big.body).to.equal(`${version === '2' ? '2.0' : '1.1'} PUT localhost:${server.port} ${large.length}:${large}`);
    }
  });
});
