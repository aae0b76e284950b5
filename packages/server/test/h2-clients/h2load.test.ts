/**
 * h2load (nghttp2's load generator), bounded: 2,000 requests over 4 connections with up to 10
 * streams each in flight, against the net engine on TLS. Every one must succeed; how fast is the
 * benchmark's business, not this test's.
 */
import { expect } from 'chai';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { requireCommand, runCommand } from '../support/h2-tools.js';

describe('h2 clients: h2load', function () {
  this.timeout(60_000);
  before(function () {
    requireCommand(this, 'h2load');
  });
  useEngineCleanup();

  it('serves h2load -c4 -m10 -n2000: all 2000 succeed with 2xx, no errors, every one over HTTP/2', async function () {
    const versions = new Map<string, number>();
    const server = await startEngine('net-h2', (req, res) => {
      versions.set(req.httpVersion, (versions.get(req.httpVersion) ?? 0) + 1);
      res.end('hello');
    });
    const run = await runCommand('h2load', ['-c4', '-m10', '-n2000', `https://127.0.0.1:${server.port}/`], { timeoutMs: 50_000 });
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.contain('Application protocol: h2');
    expect(run.stdout).to.match(/requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout/);
    expect(run.stdout).to.match(/status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx/);
    expect(Object.fromEntries(versions)).to.deep.equal({ '2.0': 2000 });
    expect(server.codes()).to.deep.equal([]);
  });
});
