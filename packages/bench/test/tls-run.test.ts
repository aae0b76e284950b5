import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsMain } from '../src/tls/main.js';
import type { TlsResults } from '../src/tls/report.js';

describe('pnpm bench tls: a real run', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'percore-tls-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures node:https keep-alive and new connections (--quick) and writes the markdown and the JSON to --out', async () => {
    const progress: string[] = [];
    let report = '';
    const argv = ['--quick', '--servers', 'node-https', '--rows', 'https-keepalive,new-connections', '--out', dir];
    const code = await tlsMain(argv, 'tls test', { report: (text) => (report = text), progress: (line) => progress.push(line) });
    expect(code, progress.join('\n')).to.equal(0);
    expect(progress.join('\n')).to.match(/^\[1\/2\] round 1 node:https on v[\d.]+, https-keepalive: \d+\/s \(server [\d.]+ cores/m);
    const files = readdirSync(dir).sort();
    expect(files).to.have.length(2);
    expect(files[0]).to.match(/^\d{4}-\d\d-\d\d-tls\.json$/);
    expect(readFileSync(join(dir, files[1]!), 'utf8')).to.equal(`${report}\n`);
    const json = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as TlsResults;
    expect(json.cells.map((c) => c.row)).to.deep.equal(['https-keepalive', 'new-connections']);
    for (const cell of json.cells) {
      expect(cell.server).to.equal('node-https');
      expect(cell.measurement.perSecond).to.be.greaterThan(0);
      expect(cell.measurement.protocol).to.equal('TLSv1.3');
      expect(cell.measurement.cipher).to.equal('TLS_AES_256_GCM_SHA384');
    }
    expect(json.header.certificate).to.match(/^ECDSA prime256v1, CN=localhost, SHA-256 /);
    expect(report).to.match(/\| HTTPS keep-alive, req\/s \| [\d,]+ \|/);
  });

  it('answers a bad flag with exit code 2 and writes nothing', async () => {
    const code = await tlsMain(['--rows', 'h3', '--out', dir], 'tls test', { report: () => undefined, progress: () => undefined });
    expect(code).to.equal(2);
  });
});
