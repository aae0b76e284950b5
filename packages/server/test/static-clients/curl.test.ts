/**
 * serveStatic through the real curl binary, on both engines: byte ranges (-r), ETag
 * revalidation (--etag-save / --etag-compare), precompressed siblings (--compressed), HEAD (-I)
 * and If-Modified-Since (-z). Each answer is checked both as curl saw it and as the server's
 * exchange observer recorded it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { serveStatic } from '../../src/index.js';
import { ENGINES } from '../support/engines.js';
import { requireUws } from '../support/uws.js';
import { curl, requireCurl } from './curl.js';
import { startObserved, type ObservedServer, type SeenExchange } from './observed-server.js';
import { makeSite, type Site } from './site.js';

/** The one exchange the server saw for `path` since `from` exchanges (curl makes one request per run here). */
function onlyExchange(server: ObservedServer, path: string, from: number): SeenExchange {
  const seen = server.exchanges.slice(from).filter((exchange) => exchange.target.split('?')[0] === path);
  expect(seen, `exchanges for ${path}`).to.have.length(1);
  return seen[0]!;
}

for (const engine of ENGINES) {
  describe(`static-clients/curl: ${engine}`, function () {
    let site: Site;
    let server: ObservedServer;
    let scratch: string;

    before(async function () {
      if (engine === 'uws') requireUws(this);
      requireCurl(this);
      site = await makeSite();
      scratch = await mkdtemp(join(tmpdir(), 'percore-curl-'));
      server = await startObserved(engine, serveStatic(site.root, { precompressed: true }));
    });

    after(async function () {
      await server?.close();
      await site?.remove();
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    });

    it('-r 0-99: 206 with the first 100 bytes intact and their Content-Range', async function () {
      const from = server.exchanges.length;
      const run = await curl(`${server.url}${site.binary.path}`, ['-r', '0-99']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.sent['range']).to.equal('bytes=0-99');
      expect(run.status).to.equal(206);
      expect(run.headers['content-range']).to.equal(`bytes 0-99/${site.binary.bytes.length}`);
      expect(run.headers['content-length']).to.equal('100');
      expect(run.body.equals(site.binary.bytes.subarray(0, 100)), 'the first 100 bytes').to.equal(true);
      const seen = onlyExchange(server, site.binary.path, from);
      expect(seen.headers.range).to.equal('bytes=0-99');
      expect([seen.outcome, seen.record.status]).to.deep.equal(['ended', 206]);
    });

    it('-r -100: 206 with the last 100 bytes intact and their Content-Range', async function () {
      const from = server.exchanges.length;
      const size = site.binary.bytes.length;
      const run = await curl(`${server.url}${site.binary.path}`, ['-r', '-100']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.sent['range']).to.equal('bytes=-100');
      expect(run.status).to.equal(206);
      expect(run.headers['content-range']).to.equal(`bytes ${size - 100}-${size - 1}/${size}`);
      expect(run.body.equals(site.binary.bytes.subarray(size - 100)), 'the last 100 bytes').to.equal(true);
      const seen = onlyExchange(server, site.binary.path, from);
      expect([seen.outcome, seen.record.status]).to.deep.equal(['ended', 206]);
    });

    it('--etag-save then --etag-compare: the second request is answered 304 and curl writes nothing', async function () {
      const etagFile = join(scratch, `${engine}-etag.txt`);
      const url = `${server.url}/style.css`;
      const first = await curl(url, ['--etag-save', etagFile]);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.status).to.equal(200);
      const etag = first.headers['etag'];
      expect(etag, 'an ETag')
        .to.be.a('string')
        .and.match(/^(W\/)?"[^"]+"$/);
      expect(first.body.equals(await readFile(join(site.root, 'style.css'))), 'the whole file').to.equal(true);
      const saved = (await readFile(etagFile, 'latin1')).trim();
      expect(saved).to.equal(etag);

      const from = server.exchanges.length;
      const second = await curl(url, ['--etag-compare', etagFile]);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.sent['if-none-match']).to.equal(etag);
      expect(second.status).to.equal(304);
      expect(second.body.length, 'bytes curl wrote for the 304').to.equal(0);
      expect(second.headers['etag']).to.equal(etag);
      const seen = onlyExchange(server, '/style.css', from);
      expect(seen.headers['if-none-match']).to.equal(etag);
      expect([seen.outcome, seen.record.status]).to.deep.equal(['ended', 304]);
      // The saved tag is left as it was.
      expect((await readFile(etagFile, 'latin1')).trim()).to.equal(etag);
    });

    it('--compressed: curl asks for gzip and br, gets a precompressed sibling, and decodes it to the original bytes', async function () {
      const url = `${server.url}${site.text.path}`;
      const from = server.exchanges.length;
      const run = await curl(url, ['--compressed']);
      expect(run.code, run.stderr).to.equal(0);
      const asked = (run.sent['accept-encoding'] ?? '').split(',').map((token) => token.trim());
      expect(asked, 'what curl asked for').to.include.members(['gzip', 'br']);
      expect(run.status).to.equal(200);
      const encoding = run.headers['content-encoding'];
      expect(encoding, 'a precompressed sibling').to.be.oneOf(['br', 'gzip']);
      expect(run.headers['vary'] ?? '', 'Vary').to.match(/accept-encoding/i);
      expect(run.body.equals(site.text.bytes), 'curl decoded the original bytes').to.equal(true);
      const seen = onlyExchange(server, site.text.path, from);
      expect(seen.headers['accept-encoding']).to.equal(run.sent['accept-encoding']);
      expect([seen.outcome, seen.record.status]).to.deep.equal(['ended', 200]);

      // Without --compressed but with the same Accept-Encoding, curl keeps the bytes as sent:
      // they are the sibling file itself.
      const raw = await curl(url, ['-H', `Accept-Encoding: ${run.sent['accept-encoding']}`]);
      expect(raw.headers['content-encoding']).to.equal(encoding);
      const sibling = encoding === 'br' ? site.text.brotli : site.text.gzip;
      expect(raw.body.equals(sibling), `the .${encoding === 'br' ? 'br' : 'gz'} file's bytes`).to.equal(true);
    });

    it('--compressed with only gzip acceptable: the .gz sibling, decoded to the original bytes', async function () {
      const url = `${server.url}${site.text.path}`;
      const run = await curl(url, ['--compressed', '-H', 'Accept-Encoding: gzip']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.sent['accept-encoding']).to.equal('gzip');
      expect(run.status).to.equal(200);
      expect(run.headers['content-encoding']).to.equal('gzip');
      expect(run.headers['content-length']).to.equal(String(site.text.gzip.length));
      expect(run.body.equals(site.text.bytes), 'curl decoded the original bytes').to.equal(true);
    });

    it('--compressed with only br acceptable: the .br sibling, decoded to the original bytes', async function () {
      const url = `${server.url}${site.text.path}`;
      const run = await curl(url, ['--compressed', '-H', 'Accept-Encoding: br']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.status).to.equal(200);
      expect(run.headers['content-encoding']).to.equal('br');
      expect(run.headers['content-length']).to.equal(String(site.text.brotli.length));
      expect(run.body.equals(site.text.bytes), 'curl decoded the original bytes').to.equal(true);
    });

    it('the root and a directory: / is index.html; /images without its slash is 301 to /images/ with the query kept', async function () {
      const root = await curl(`${server.url}/`, []);
      expect(root.code, root.stderr).to.equal(0);
      expect([root.status, root.headers['location']], 'GET /').to.deep.equal([200, undefined]);
      expect(root.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(root.body.equals(await readFile(join(site.root, 'index.html'))), 'index.html').to.equal(true);
      const directory = await curl(`${server.url}/images?x=1`, []);
      expect([directory.status, directory.headers['location']], 'GET /images?x=1').to.deep.equal([301, '/images/?x=1']);
    });

    it('-I: HEAD answers the GET head (length, type, validators, Accept-Ranges) with no body', async function () {
      const from = server.exchanges.length;
      const run = await curl(`${server.url}${site.binary.path}`, ['-I']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.requestLine).to.equal(`HEAD ${site.binary.path} HTTP/1.1`);
      expect(run.status).to.equal(200);
      expect(run.headers['content-length']).to.equal(String(site.binary.bytes.length));
      expect(run.headers['accept-ranges']).to.equal('bytes');
      expect(run.headers['etag'], 'ETag').to.be.a('string');
      expect(run.headers['last-modified'], 'Last-Modified').to.be.a('string');
      // -I prints the head as the body; nothing follows it.
      expect(run.body.toString('latin1')).to.match(/^HTTP\/1\.1 200[^\r\n]*\r\n([^\r\n]+\r\n)*\r\n$/);
      const seen = onlyExchange(server, site.binary.path, from);
      expect([seen.method, seen.outcome, seen.record.status]).to.deep.equal(['HEAD', 'ended', 200]);
      const get = await curl(`${server.url}${site.binary.path}`, []);
      expect(get.headers['etag']).to.equal(run.headers['etag']);
      expect(get.headers['content-type']).to.equal(run.headers['content-type']);
    });

    it('-z: If-Modified-Since at the Last-Modified date is answered 304, a day earlier 200', async function () {
      const url = `${server.url}/app.js`;
      const head = await curl(url, ['-I']);
      const lastModified = head.headers['last-modified'];
      expect(lastModified, 'Last-Modified').to.be.a('string');
      const modified = (await stat(join(site.root, 'app.js'))).mtime;
      expect(Date.parse(lastModified!)).to.equal(Math.floor(modified.getTime() / 1000) * 1000);

      const from = server.exchanges.length;
      const same = await curl(url, ['-z', lastModified!]);
      expect(same.code, same.stderr).to.equal(0);
      expect(same.sent['if-modified-since']).to.equal(lastModified);
      expect(same.status).to.equal(304);
      expect(same.body.length).to.equal(0);
      const seen = onlyExchange(server, '/app.js', from);
      expect([seen.outcome, seen.record.status]).to.deep.equal(['ended', 304]);

      const earlier = new Date(Date.parse(lastModified!) - 86_400_000).toUTCString();
      const older = await curl(url, ['-z', earlier]);
      expect(older.status).to.equal(200);
      expect(older.body.equals(await readFile(join(site.root, 'app.js'))), 'the whole file').to.equal(true);
    });
  });
}
