/**
 * serveStatic on both engines, on the wire: traversal payloads over raw sockets, index files,
 * redirects and dotfiles, methods, the conditional and range matrices, precompressed siblings,
 * the cache's invalidation, and a file that shrinks mid-download.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { truncate, utimes, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PercoreError } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import { Router } from '../../src/routing/router.js';
import { serveStatic, type ServeStaticOptions } from '../../src/static/serve-static.js';
import { ENGINES, startEngine, useEngineCleanup, type EngineServer } from '../support/engines.js';
import { delay, type RawResponse } from '../support/raw-client.js';
import { get } from '../support/servers.js';
import { eventually } from '../support/sockets.js';
import { requireUws } from '../support/uws.js';
import { makeSite, type Site } from './site.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function exchange(server: EngineServer, request: string, method = 'GET'): Promise<RawResponse> {
  const client = await server.connect();
  await client.write(request);
  const response = await client.readResponse(method);
  client.destroy();
  return response;
}

function getWith(path: string, headers: Record<string, string> = {}): string {
  return get(
    path,
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join(''),
  );
}

for (const engine of ENGINES) {
  describe(`static/serveStatic: ${engine}`, function () {
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    useEngineCleanup();
    let site: Site;
    beforeEach(function () {
      site = makeSite();
    });
    afterEach(function () {
      site.remove();
    });

    const start = (options: ServeStaticOptions = {}, handler?: Handler) => startEngine(engine, handler ?? serveStatic(site.root, options));
    const fetchRaw = async (path: string, headers: Record<string, string> = {}, options: ServeStaticOptions = {}) =>
      exchange(await start(options), getWith(path, headers));

    describe('path traversal (raw sockets)', function () {
      // [request-target, the statuses allowed]: 400 from serveStatic (or the engine's parser), 404 for what is not there.
      const payloads: Array<[string, number[]]> = [
        ['/../secret.txt', [400]],
        ['/../../../../../../etc/passwd', [400]],
        ['/dir/../../secret.txt', [400]],
        ['/%2e%2e/secret.txt', [400]],
        ['/%2E%2E/secret.txt', [400]],
        ['/.%2e/secret.txt', [400]],
        ['/%2e%2e%2fsecret.txt', [400]],
        ['/..%2fsecret.txt', [400]],
        ['/..%2Fsecret.txt', [400]],
        ['/..%5csecret.txt', [400]],
        ['/..%5Csecret.txt', [400]],
        ['/..\\secret.txt', [400]],
        ['/dir\\..\\..\\secret.txt', [400]],
        ['/%252e%252e/secret.txt', [404]],
        ['/%252e%252e%252fsecret.txt', [404]],
        ['/%c0%ae%c0%ae/secret.txt', [400]],
        ['/%c0%ae%c0%ae%c0%afsecret.txt', [400]],
        ['/%e0%80%ae%e0%80%ae/secret.txt', [400]],
        ['/%00', [400]],
        ['/a.txt%00.html', [400]],
        ['/./a.txt', [400]],
        ['/.', [400]],
        ['/..', [400]],
        ['//secret.txt', [400]],
        ['//evil.com', [400]],
        ['//evil.com/%2e%2e', [400]],
        ['/a.txt/', [404]],
        ['/link-out.txt', [404]],
        ['/linkdir-out/secret.txt', [404]],
        ['/dir/relative-out.txt', [404]],
        ['/.env', [404]],
        ['/.git/config', [404]],
        ['/%2egit/config', [404]],
        ['/dir/../.env', [400]],
        // uWebSockets.js answers an absolute-form target with 505 itself.
        ['http://test/../../secret.txt', engine === 'uws' ? [505] : [400]],
        ['http://test/%2e%2e/secret.txt', engine === 'uws' ? [505] : [400]],
        ['/' + 'x/'.repeat(2100) + 'a.txt', [400, 414, 431]],
        ['/' + '..%2f'.repeat(200) + 'secret.txt', [400]],
      ];
      for (const [target, statuses] of payloads) {
        const label = target.length > 70 ? `${target.slice(0, 60)}... (${target.length} chars)` : target;
        it(`${label}: ${statuses.join(' or ')}, and never the secret`, async function () {
          const server = await start();
          const response = await exchange(server, `GET ${target} HTTP/1.1\r\nHost: test\r\n\r\n`);
          expect(statuses).to.include(response.status);
          expect(response.raw.toString('latin1')).to.not.include(site.secret);
          expect(response.headers.location).to.equal(undefined);
        });
      }

      it('also with symlinks followed, a path never climbs out of the root', async function () {
        const server = await start({ symlinks: 'follow' });
        for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
          const response = await exchange(server, get(target));
          expect(response.status).to.equal(400);
          expect(response.raw.toString('latin1')).to.not.include(site.secret);
        }
        // Told to follow, it does: that is the option's meaning.
        expect((await exchange(server, get('/link-out.txt'))).text).to.equal(site.secret);
      });

      it('serves a symlink whose target stays inside the root, and a file literally named %2e%2e', async function () {
        const server = await start();
        expect((await exchange(server, get('/link-in.txt'))).text).to.equal('hello\n');
        expect((await exchange(server, get('/%252e%252e'))).text).to.equal('a file literally named %2e%2e\n');
      });

      it('keeps the connection after refusing a path', async function () {
        const server = await start();
        const client = await server.connect();
        await client.write(get('/%2e%2e/secret.txt'));
        const refused = await client.readResponse();
        await client.write(get('/a.txt'));
        const served = await client.readResponse();
        expect(refused.status).to.equal(400);
        expect(served.status).to.equal(200);
        expect(served.text).to.equal('hello\n');
      });
    });

    describe('files, types, index, redirects and dotfiles', function () {
      it('serves a file with its type, length, validators and Cache-Control', async function () {
        const response = await fetchRaw('/a.txt');
        expect(response.status).to.equal(200);
        expect(response.text).to.equal('hello\n');
        expect(response.headers['content-type']).to.equal('text/plain; charset=utf-8');
        expect(response.headers['content-length']).to.equal('6');
        expect(response.headers['accept-ranges']).to.equal('bytes');
        expect(response.headers['cache-control']).to.equal('public, max-age=0');
        expect(response.headers.etag).to.match(/^"6-[0-9a-f]+"$/);
        expect(Date.parse(response.headers['last-modified']!)).to.be.at.most(Date.parse(response.headers.date!));
        expect(response.headers.vary).to.equal(undefined);
      });

      it('types: mime lite, charset on text, the user map, the default', async function () {
        const server = await start({ mimeTypes: { log: 'text/x-log' }, defaultMimeType: 'application/x-unknown' });
        const type = async (path: string) => (await exchange(server, get(path))).headers['content-type'];
        expect(await type('/page.html')).to.equal('text/html; charset=utf-8');
        expect(await type('/data.json')).to.equal('application/json; charset=utf-8');
        expect(await type('/hundred.bin')).to.equal('application/octet-stream');
        expect(await type('/app.js')).to.equal('text/javascript; charset=utf-8');
        expect(await type('/notes.log')).to.equal('text/x-log; charset=utf-8');
        expect(await type('/README')).to.equal('application/x-unknown');
      });

      it('a directory: 301 to the slash form with the query kept, then its index', async function () {
        const server = await start();
        const bare = await exchange(server, get('/dir'));
        expect(bare.status).to.equal(301);
        expect(bare.headers.location).to.equal('/dir/');
        const withQuery = await exchange(server, get('/dir?a=1&b=%2F'));
        expect(withQuery.status).to.equal(301);
        expect(withQuery.headers.location).to.equal('/dir/?a=1&b=%2F');
        const index = await exchange(server, get('/dir/'));
        expect(index.status).to.equal(200);
        expect(index.text).to.equal('<!doctype html><p>index</p>\n');
        expect(index.headers['content-type']).to.equal('text/html; charset=utf-8');
        // The root has no index.html: 404, never a redirect to '//'.
        const root = await exchange(server, get('/'));
        expect(root.status).to.equal(404);
        expect(root.headers.location).to.equal(undefined);
        await writeFile(join(site.root, 'index.html'), 'root index\n');
        // A fresh server: this one remembers the miss for revalidateMs.
        expect((await exchange(await start(), get('/'))).text).to.equal('root index\n');
      });

      it("the redirect is to the request's own path, for an absolute-form target too", async function () {
        const server = await start();
        const response = await exchange(server, 'GET http://evil.example/dir?x HTTP/1.1\r\nHost: evil.example\r\n\r\n');
        // uWebSockets.js answers an absolute-form target with 505 itself.
        expect(response.status).to.equal(engine === 'uws' ? 505 : 301);
        expect(response.headers.location).to.equal(engine === 'uws' ? undefined : '/dir/?x');
      });

      it('a directory without an index, or with index: false, is 404; so is redirectDirectories: false', async function () {
        expect((await fetchRaw('/bare/')).status).to.equal(404);
        expect((await fetchRaw('/dir/', {}, { index: false })).status).to.equal(404);
        expect((await fetchRaw('/dir', {}, { redirectDirectories: false })).status).to.equal(404);
        expect((await fetchRaw('/bare/', {}, { index: ['none.html', 'file.txt'] })).text).to.equal('bare\n');
      });

      it('dotfiles are hidden unless allowed', async function () {
        expect((await fetchRaw('/.env')).status).to.equal(404);
        const allowed = await fetchRaw('/.git/config', {}, { dotfiles: 'allow' });
        expect(allowed.status).to.equal(200);
        expect(allowed.text).to.include('[core]');
      });

      it('a missing file is 404 and the connection stays', async function () {
        const server = await start();
        const client = await server.connect();
        await client.write(get('/missing.txt'));
        expect((await client.readResponse()).status).to.equal(404);
        await client.write(get('/a.txt'));
        expect((await client.readResponse()).status).to.equal(200);
      });

      it('a future mtime: Last-Modified is clamped to the Date (RFC 9110 8.8.2.1)', async function () {
        const future = Date.now() / 1000 + 86_400 * 30;
        await utimes(join(site.root, 'a.txt'), future, future);
        const response = await fetchRaw('/a.txt');
        expect(Date.parse(response.headers['last-modified']!)).to.be.at.most(Date.parse(response.headers.date!));
      });

      it("mounted in a Router: its own part of the path, the router's 404 page", async function () {
        const router = new Router({ errorPages: { 404: { body: 'custom 404\n' } } });
        router.get('/', (_req, res) => res.end('home'));
        router.mount('/static', serveStatic(site.root));
        const server = await start({}, router.handler);
        expect((await exchange(server, get('/static/a.txt'))).text).to.equal('hello\n');
        expect((await exchange(server, get('/static/dir/'))).text).to.equal('<!doctype html><p>index</p>\n');
        const redirect = await exchange(server, get('/static/dir?q=1'));
        expect(redirect.status).to.equal(301);
        expect(redirect.headers.location).to.equal('/static/dir/?q=1');
        const top = await exchange(server, get('/static'));
        expect(top.status).to.equal(301);
        expect(top.headers.location).to.equal('/static/');
        const missing = await exchange(server, get('/static/missing.txt'));
        expect(missing.status).to.equal(404);
        expect(missing.text).to.equal('custom 404\n');
        const traversal = await exchange(server, get('/static/%2e%2e/secret.txt'));
        expect(traversal.status).to.equal(400);
        expect(traversal.raw.toString('latin1')).to.not.include(site.secret);
      });
    });

    describe('methods', function () {
      it('HEAD: the headers GET would send, Content-Length included, no body', async function () {
        const server = await start();
        const client = await server.connect();
        await client.write(`HEAD /hundred.bin HTTP/1.1\r\nHost: test\r\n\r\n`);
        const head = await client.readResponse('HEAD');
        await client.write(get('/a.txt'));
        const after = await client.readResponse();
        expect(head.status).to.equal(200);
        expect(head.headers['content-length']).to.equal('100');
        expect(head.headers.etag).to.be.a('string');
        expect(head.body.length).to.equal(0);
        expect(after.text).to.equal('hello\n');
      });

      it('HEAD of a streamed file, and of a 304', async function () {
        const server = await start({ cache: false });
        const head = await exchange(server, `HEAD /hundred.bin HTTP/1.1\r\nHost: test\r\n\r\n`, 'HEAD');
        expect(head.headers['content-length']).to.equal('100');
        const notModified = await exchange(
          server,
          `HEAD /hundred.bin HTTP/1.1\r\nHost: test\r\nIf-None-Match: ${head.headers.etag}\r\n\r\n`,
          'HEAD',
        );
        expect(notModified.status).to.equal(304);
      });

      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        it(`${method}: 405 with Allow: GET, HEAD`, async function () {
          const server = await start();
          const response = await exchange(server, `${method} /a.txt HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n`);
          expect(response.status).to.equal(405);
          expect(response.headers.allow).to.equal('GET, HEAD');
          expect(response.headers.etag).to.equal(undefined);
        });
      }

      it('405 through errorPages', async function () {
        const server = await start({ errorPages: { 405: { body: '<p>no</p>', contentType: 'text/html; charset=utf-8' } } });
        const response = await exchange(server, `POST /missing HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n`);
        expect(response.status).to.equal(405);
        expect(response.headers.allow).to.equal('GET, HEAD');
        expect(response.text).to.equal('<p>no</p>');
      });
    });

    for (const cache of [true, false]) {
      describe(`conditional requests (cache ${cache ? 'on' : 'off'})`, function () {
        const options: ServeStaticOptions = cache ? {} : { cache: false };

        it('the RFC 9110 13.2.2 matrix', async function () {
          const server = await start(options);
          const first = await exchange(server, get('/hundred.bin'));
          const etag = first.headers.etag!;
          const modified = first.headers['last-modified']!;
          const earlier = new Date(Date.parse(modified) - 60_000).toUTCString();
          const later = new Date(Date.parse(modified) + 60_000).toUTCString();
          const matrix: Array<[Record<string, string>, number]> = [
            [{ 'If-None-Match': etag }, 304],
            [{ 'If-None-Match': `W/${etag}` }, 304],
            [{ 'If-None-Match': '*' }, 304],
            [{ 'If-None-Match': `"nope", ${etag}` }, 304],
            [{ 'If-None-Match': '"nope"' }, 200],
            [{ 'If-Modified-Since': modified }, 304],
            [{ 'If-Modified-Since': later }, 304],
            [{ 'If-Modified-Since': earlier }, 200],
            [{ 'If-Modified-Since': 'not a date' }, 200],
            [{ 'If-None-Match': '"nope"', 'If-Modified-Since': modified }, 200],
            [{ 'If-Match': etag }, 200],
            [{ 'If-Match': '*' }, 200],
            [{ 'If-Match': '"nope"' }, 412],
            [{ 'If-Match': `W/${etag}` }, 412],
            [{ 'If-Unmodified-Since': earlier }, 412],
            [{ 'If-Unmodified-Since': modified }, 200],
            [{ 'If-Match': etag, 'If-Unmodified-Since': earlier }, 200],
            [{ 'If-Match': '"nope"', 'If-None-Match': etag }, 412],
            [{ 'If-Match': etag, 'If-None-Match': etag }, 304],
          ];
          for (const [headers, status] of matrix) {
            const response = await exchange(server, getWith('/hundred.bin', headers));
            expect(response.status, JSON.stringify(headers)).to.equal(status);
            if (status === 304) {
              expect(response.body.length).to.equal(0);
              expect(response.headers.etag).to.equal(etag);
              expect(response.headers['last-modified']).to.equal(modified);
              expect(response.headers['cache-control']).to.equal('public, max-age=0');
              expect(response.headers['content-length']).to.equal(undefined);
            }
            if (status === 200) expect(response.body.equals(site.hundred)).to.equal(true);
            if (status === 412) expect(response.body.includes(site.hundred)).to.equal(false);
          }
        });

        it('If-Range with a Range (RFC 9110 13.1.5)', async function () {
          const server = await start(options);
          const first = await exchange(server, get('/hundred.bin'));
          const etag = first.headers.etag!;
          const modified = first.headers['last-modified']!;
          const cases: Array<[string, number]> = [
            [etag, 206],
            [`W/${etag}`, 200],
            ['"other"', 200],
            [modified, 206],
            [new Date(Date.parse(modified) - 1000).toUTCString(), 200],
          ];
          for (const [ifRange, status] of cases) {
            const response = await exchange(server, getWith('/hundred.bin', { Range: 'bytes=10-19', 'If-Range': ifRange }));
            expect(response.status, ifRange).to.equal(status);
            expect(response.body.equals(status === 206 ? site.hundred.subarray(10, 20) : site.hundred)).to.equal(true);
          }
        });
      });

      describe(`ranges (cache ${cache ? 'on' : 'off'})`, function () {
        const options: ServeStaticOptions = cache ? {} : { cache: false };
        const matrix: Array<[string, number, [number, number] | null]> = [
          ['bytes=0-9', 206, [0, 9]],
          ['bytes=0-0', 206, [0, 0]],
          ['bytes=90-', 206, [90, 99]],
          ['bytes=-10', 206, [90, 99]],
          ['bytes=-200', 206, [0, 99]],
          ['bytes=95-200', 206, [95, 99]],
          ['BYTES=5-6', 206, [5, 6]],
          ['bytes=100-', 416, null],
          ['bytes=1000-2000', 416, null],
          ['bytes=-0', 416, null],
          ['bytes=5-2', 200, null],
          ['bytes=0-1,5-6', 200, null],
          ['bytes=abc', 200, null],
          ['bytes=', 200, null],
          ['bytes=--1', 200, null],
          ['items=0-1', 200, null],
          ['bytes=99999999999999999999-', 200, null],
        ];
        it('the range matrix, all on one connection', async function () {
          const server = await start(options);
          const client = await server.connect();
          for (const [range, status, span] of matrix) {
            await client.write(getWith('/hundred.bin', { Range: range }));
            const response = await client.readResponse();
            expect(response.status, range).to.equal(status);
            expect(response.headers['accept-ranges']).to.equal('bytes');
            if (status === 206) {
              const [first, last] = span!;
              expect(response.headers['content-range']).to.equal(`bytes ${first}-${last}/100`);
              expect(response.headers['content-length']).to.equal(String(last - first + 1));
              expect(response.body.equals(site.hundred.subarray(first, last + 1))).to.equal(true);
            } else if (status === 416) {
              expect(response.headers['content-range']).to.equal('bytes */100');
            } else {
              expect(response.headers['content-range']).to.equal(undefined);
              expect(response.body.equals(site.hundred)).to.equal(true);
            }
          }
        });

        it('a Range on HEAD is ignored; an empty file has no satisfiable range', async function () {
          const server = await start(options);
          const head = await exchange(server, `HEAD /hundred.bin HTTP/1.1\r\nHost: test\r\nRange: bytes=0-9\r\n\r\n`, 'HEAD');
          expect(head.status).to.equal(200);
          expect(head.headers['content-length']).to.equal('100');
          const empty = await exchange(server, getWith('/empty.txt', { Range: 'bytes=0-' }));
          expect(empty.status).to.equal(416);
          expect(empty.headers['content-range']).to.equal('bytes */0');
          expect((await exchange(server, get('/empty.txt'))).headers['content-length']).to.equal('0');
        });
      });
    }

    describe('precompressed siblings', function () {
      const options: ServeStaticOptions = { precompressed: true };
      const cases: Array<[string | null, string | null, string]> = [
        ['gzip, deflate, br', 'br', 'BROTLI-BYTES'],
        ['gzip', 'gzip', 'GZIP-BYTES-LONGER'],
        ['br;q=0, gzip', 'gzip', 'GZIP-BYTES-LONGER'],
        ['br;q=0.4, gzip;q=0.5', 'gzip', 'GZIP-BYTES-LONGER'],
        ['identity', null, 'console.log("identity");\n'],
        ['br;q=0, gzip;q=0', null, 'console.log("identity");\n'],
        ['*;q=0', null, 'console.log("identity");\n'],
        ['gzip;q=1.5', null, 'console.log("identity");\n'],
        [null, null, 'console.log("identity");\n'],
      ];
      for (const [accept, coding, body] of cases) {
        it(`Accept-Encoding ${accept === null ? 'absent' : JSON.stringify(accept)}: ${coding ?? 'identity'}`, async function () {
          const response = await fetchRaw('/app.js', accept === null ? {} : { 'Accept-Encoding': accept }, options);
          expect(response.status).to.equal(200);
          expect(response.text).to.equal(body);
          expect(response.headers['content-encoding']).to.equal(coding ?? undefined);
          expect(response.headers['content-type']).to.equal('text/javascript; charset=utf-8');
          expect(response.headers.vary).to.equal('Accept-Encoding');
        });
      }

      it('each representation has its own ETag; 304 and ranges apply to the encoded one', async function () {
        const server = await start(options);
        const identity = await exchange(server, get('/app.js'));
        const br = await exchange(server, getWith('/app.js', { 'Accept-Encoding': 'br' }));
        expect(br.headers.etag).to.not.equal(identity.headers.etag);
        expect(br.headers.etag).to.match(/-br"$/);
        const notModified = await exchange(server, getWith('/app.js', { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag! }));
        expect(notModified.status).to.equal(304);
        expect(notModified.headers.vary).to.equal('Accept-Encoding');
        const stale = await exchange(server, getWith('/app.js', { 'Accept-Encoding': 'br', 'If-None-Match': identity.headers.etag! }));
        expect(stale.status).to.equal(200);
        const range = await exchange(server, getWith('/app.js', { 'Accept-Encoding': 'br', Range: 'bytes=0-5' }));
        expect(range.status).to.equal(206);
        expect(range.text).to.equal('BROTLI');
        expect(range.headers['content-range']).to.equal('bytes 0-5/12');
        expect(range.headers['content-encoding']).to.equal('br');
      });

      it('a file with only some siblings, or none: Vary still, and only what exists', async function () {
        const server = await start(options);
        const css = await exchange(server, getWith('/only-gzip.css', { 'Accept-Encoding': 'br, gzip' }));
        expect(css.headers['content-encoding']).to.equal('gzip');
        expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
        const plain = await exchange(server, getWith('/a.txt', { 'Accept-Encoding': 'br, gzip' }));
        expect(plain.headers['content-encoding']).to.equal(undefined);
        expect(plain.headers.vary).to.equal('Accept-Encoding');
      });

      it('off (the default): siblings are plain files, and no Vary', async function () {
        const response = await fetchRaw('/app.js', { 'Accept-Encoding': 'br' });
        expect(response.text).to.equal('console.log("identity");\n');
        expect(response.headers.vary).to.equal(undefined);
        expect(response.headers['content-encoding']).to.equal(undefined);
      });
    });

    describe('Cache-Control', function () {
      it('maxAge and immutable, a raw value, or none', async function () {
        expect((await fetchRaw('/a.txt', {}, { maxAge: 3600, immutable: true })).headers['cache-control']).to.equal(
          'public, max-age=3600, immutable',
        );
        expect((await fetchRaw('/a.txt', {}, { maxAge: 60 })).headers['cache-control']).to.equal('public, max-age=60');
        expect((await fetchRaw('/a.txt', {}, { cacheControl: 'no-cache' })).headers['cache-control']).to.equal('no-cache');
        expect((await fetchRaw('/a.txt', {}, { cacheControl: false })).headers['cache-control']).to.equal(undefined);
      });

      it('etag: false and lastModified: false leave them out and make the conditions on them false', async function () {
        const server = await start({ etag: false, lastModified: false });
        const response = await exchange(server, get('/a.txt'));
        expect(response.headers.etag).to.equal(undefined);
        expect(response.headers['last-modified']).to.equal(undefined);
        expect(
          (await exchange(server, getWith('/a.txt', { 'If-None-Match': '"6-0"', 'If-Modified-Since': response.headers.date! }))).status,
        ).to.equal(200);
        expect((await exchange(server, getWith('/a.txt', { 'If-Modified-Since': response.headers.date! }))).status).to.equal(200);
        // RFC 9110 13.2.1: without a modification date, If-Unmodified-Since is ignored.
        expect((await exchange(server, getWith('/a.txt', { 'If-Unmodified-Since': 'Sun, 06 Nov 1994 08:49:37 GMT' }))).status).to.equal(200);
        expect((await exchange(server, getWith('/a.txt', { 'If-Match': '*' }))).status).to.equal(200);
      });
    });

    describe('the cache', function () {
      it('serves a changed file after revalidateMs, and a deleted one becomes 404', async function () {
        const server = await start({ cache: { revalidateMs: 50 } });
        const first = await exchange(server, get('/a.txt'));
        expect(first.text).to.equal('hello\n');
        await writeFile(join(site.root, 'a.txt'), 'changed, and longer\n');
        await delay(80);
        const second = await exchange(server, get('/a.txt'));
        expect(second.text).to.equal('changed, and longer\n');
        expect(second.headers.etag).to.not.equal(first.headers.etag);
        await rm(join(site.root, 'a.txt'));
        await delay(80);
        expect((await exchange(server, get('/a.txt'))).status).to.equal(404);
      });

      it('a miss is remembered for revalidateMs too: a file created there is found after it', async function () {
        const server = await start({ cache: { revalidateMs: 300 } });
        expect((await exchange(server, get('/new.txt'))).status).to.equal(404);
        await writeFile(join(site.root, 'new.txt'), 'new\n');
        expect((await exchange(server, get('/new.txt'))).status).to.equal(404);
        expect((await exchange(server, get('/n%65w.txt'))).status).to.equal(404);
        await delay(400);
        expect((await exchange(server, get('/new.txt'))).text).to.equal('new\n');
        const uncached = await start({ cache: false });
        expect((await exchange(uncached, get('/new2.txt'))).status).to.equal(404);
        await writeFile(join(site.root, 'new2.txt'), 'new2\n');
        expect((await exchange(uncached, get('/new2.txt'))).text).to.equal('new2\n');
      });

      it('within revalidateMs the cached bytes are served (the staleness bound), without it never', async function () {
        const cached = await start({ cache: { revalidateMs: 60_000 } });
        const uncached = await start({ cache: false });
        expect((await exchange(cached, get('/a.txt'))).text).to.equal('hello\n');
        expect((await exchange(uncached, get('/a.txt'))).text).to.equal('hello\n');
        await writeFile(join(site.root, 'a.txt'), 'HELLO\n');
        expect((await exchange(cached, get('/a.txt'))).text).to.equal('hello\n');
        expect((await exchange(uncached, get('/a.txt'))).text).to.equal('HELLO\n');
      });

      it('a streamed file that changed since it was cached is described as it is now', async function () {
        const server = await start({ cache: { revalidateMs: 60_000, maxFileSize: 10 } });
        const first = await exchange(server, get('/hundred.bin'));
        expect(first.body.equals(site.hundred)).to.equal(true);
        await writeFile(join(site.root, 'hundred.bin'), site.hundred.subarray(0, 50));
        const second = await exchange(server, get('/hundred.bin'));
        expect(second.headers['content-length']).to.equal('50');
        expect(second.body.equals(site.hundred.subarray(0, 50))).to.equal(true);
        expect(second.headers.etag).to.not.equal(first.headers.etag);
      });
    });

    describe('streaming', function () {
      it('a large file read by a reader that keeps stalling arrives intact (the chunk buffers are reused safely)', async function () {
        this.timeout(20_000);
        const size = 24 * 1024 * 1024 + 12345;
        const content = randomBytes(size);
        await writeFile(join(site.root, 'random.bin'), content);
        for (const chunkSize of [16384, 65536, 1024 * 1024]) {
          const server = await start({ cache: false, chunkSize });
          const client = await server.connect({ timeoutMs: 10_000 });
          await client.write(getWith('/random.bin', { Range: 'bytes=7-' }));
          for (let stalls = 0, seen = 0; stalls < 4; stalls++) {
            seen += 3 * 1024 * 1024;
            await client.waitForBytes(seen, { timeoutMs: 5000 });
            client.pause();
            await delay(100);
            client.resume();
          }
          const response = await client.readResponse('GET', { timeoutMs: 10_000 });
          expect(response.status).to.equal(206);
          expect(sha256(response.body), `chunkSize ${chunkSize}`).to.equal(sha256(content.subarray(7)));
          await server.close();
        }
      });
    });

    describe('a file that shrinks mid-download', function () {
      it('cuts the connection: the body is never left short looking complete', async function () {
        this.timeout(20_000);
        const big = join(site.root, 'big.bin');
        const size = 64 * 1024 * 1024;
        await truncate(await writeFile(big, '').then(() => big), size);
        const server = await start({ cache: false });
        const client = await server.connect({ timeoutMs: 10_000 });
        await client.write(get('/big.bin'));
        await client.waitForBytes(256 * 1024, { timeoutMs: 5000 });
        client.pause();
        await delay(200);
        await truncate(big, 16 * 1024 * 1024);
        client.resume();
        const result = await client.readUntilClose({ timeoutMs: 10_000 });
        expect(result.closed, 'the server closed the connection').to.equal(true);
        expect(result.responses.length, 'no complete response').to.equal(0);
        const headEnd = result.leftover.indexOf('\r\n\r\n');
        expect(result.leftover.subarray(0, headEnd).toString().toLowerCase()).to.include(`content-length: ${size}`);
        expect(result.leftover.length - headEnd - 4).to.be.below(size);
        await eventually(() => server.codes().includes('PERCORE_ERR_HANDLER_FAILED'), 2000, 'the failure logged');
        const logged = server.logged.find((entry) => entry.code === 'PERCORE_ERR_HANDLER_FAILED')!;
        expect((logged.error as PercoreError).code).to.equal('PERCORE_ERR_FILE_CHANGED');
      });
    });
  });
}
