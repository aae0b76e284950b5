import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapExamples, startExample } from './run-example.js';

describe('examples/static-files', function () {
  let root: string;
  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), 'percore-example-static-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><script src="app.js"></script>\n');
    writeFileSync(join(root, 'app.js'), 'console.log("hi");\n');
    writeFileSync(join(root, 'app.js.gz'), 'pretend-gzip');
    writeFileSync(join(root, '.env'), 'SECRET=1\n');
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'index.html'), 'docs\n');
  });
  afterEach(function () {
    reapExamples();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves a root under /static: index, types, validators, ranges, precompressed, 404s; exits 0 on SIGTERM', async function () {
    const example = await startExample('static-files', { STATIC_ROOT: root });
    const index = await fetch(`${example.url}/static/`);
    expect(index.status).to.equal(200);
    expect(index.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).to.equal('public, max-age=60');
    expect(await index.text()).to.include('app.js');

    const etag = index.headers.get('etag')!;
    expect((await fetch(`${example.url}/static/`, { headers: { 'If-None-Match': etag } })).status).to.equal(304);

    const range = await fetch(`${example.url}/static/app.js`, { headers: { Range: 'bytes=0-6' } });
    expect(range.status).to.equal(206);
    expect(await range.text()).to.equal('console');

    // fetch would decode a real gzip body; this one is a stand-in, so read the bytes raw.
    const gz = await fetch(`${example.url}/static/app.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).to.equal('gzip');
    expect(gz.headers.get('vary')).to.equal('Accept-Encoding');
    await gz.body?.cancel();

    const docs = await fetch(`${example.url}/static/docs?page=2`, { redirect: 'manual' });
    expect(docs.status).to.equal(301);
    expect(docs.headers.get('location')).to.equal('/static/docs/?page=2');

    for (const path of ['/static/.env', '/static/missing.txt']) {
      const missing = await fetch(`${example.url}${path}`);
      expect(missing.status).to.equal(404);
      expect(await missing.text()).to.equal('Nothing here.\n');
    }
    expect(await example.stop()).to.equal(0);
  });
});
