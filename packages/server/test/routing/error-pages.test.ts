/**
 * Error pages as configured: what the router refuses at construction (nothing is found out on
 * the first error), and that file pages are read once, when the router is made.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorPages } from '../../src/routing/error-pages.js';
import { Router } from '../../src/routing/router.js';
import { ENGINES, fetchFrom, startEngine, useEngineCleanup } from '../support/engines.js';
import { codeOf } from '../support/errors.js';
import { requireUws } from '../support/uws.js';

describe('routing/error-pages: configuration', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'percore-pages-'));
    writeFileSync(join(dir, 'gone.html'), 'gone');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused: Array<[string, () => ErrorPages]> = [
    ['a page file that does not exist', () => ({ 404: { file: join(dir, 'missing.html') } })],
    ['a page file that is a directory', () => ({ 404: { file: dir } })],
    ['a status below 400', () => ({ 302: { body: 'x' } })],
    ['a status above 599', () => ({ 600: { body: 'x' } })],
    ['a key that is no status', () => ({ abc: { body: 'x' } }) as unknown as ErrorPages],
    ['a page that is neither handler, file nor body', () => ({ 404: { text: 'x' } }) as unknown as ErrorPages],
    ['a body that is neither string nor bytes', () => ({ 404: { body: 42 } }) as unknown as ErrorPages],
    ['a contentType that is no string', () => ({ 404: { body: 'x', contentType: 1 } }) as unknown as ErrorPages],
    ['pages that are no object', () => 'pages' as unknown as ErrorPages],
  ];
  for (const [what, pages] of refused) {
    it(`refuses ${what} with PERCORE_ERR_INVALID_OPTION`, () => {
      expect(codeOf(() => new Router({ errorPages: pages() }))).to.equal('PERCORE_ERR_INVALID_OPTION');
    });
  }

  it('names the missing file in the error', () => {
    const file = join(dir, 'missing.html');
    expect(() => new Router({ errorPages: { 404: { file } } })).to.throw(file);
  });

  it('accepts every shape', () => {
    const pages: ErrorPages = {
      404: { file: join(dir, 'gone.html') },
      405: { body: new Uint8Array([0x6e, 0x6f]), contentType: 'text/plain' },
      500: (_req, res) => res.end('x'),
    };
    expect(codeOf(() => new Router({ errorPages: pages }))).to.equal('no error');
  });
});

for (const engine of ENGINES) {
  describe(`routing/error-pages on the ${engine} engine`, function () {
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    useEngineCleanup();
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'percore-pages-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a file page once, at construction: the page survives its file', async () => {
      const file = join(dir, '404.html');
      writeFileSync(file, 'first');
      const router = new Router({ errorPages: { 404: { file } } });
      unlinkSync(file);
      const server = await startEngine(engine, router.handler);
      const response = await fetchFrom(server, '/x');
      expect([response.status, response.body.toString()]).to.deep.equal([404, 'first']);
    });

    it('types a page by its contentType, else its extension, else application/octet-stream', async () => {
      writeFileSync(join(dir, 'a.json'), '{}');
      writeFileSync(join(dir, 'b.page'), 'b');
      writeFileSync(join(dir, 'c.html'), 'c');
      const router = new Router({
        errorPages: {
          400: { file: join(dir, 'a.json') },
          404: { file: join(dir, 'b.page') },
          405: { file: join(dir, 'c.html'), contentType: 'text/x-custom' },
          414: { body: Buffer.from('long') },
        },
        maxParamLength: 3,
      }).get('/p/:id', (_req, res) => res.end('ok'));
      const server = await startEngine(engine, router.handler);
      const types = [];
      for (const [path, method] of [
        ['/p/%zz', 'GET'],
        ['/q', 'GET'],
        ['/p/1', 'POST'],
        ['/p/1234', 'GET'],
      ] as const) {
        const response = await fetchFrom(server, path, { method });
        types.push([response.status, response.headers['content-type'], response.body.toString()]);
      }
      expect(types).to.deep.equal([
        [400, 'application/json', '{}'],
        [404, 'application/octet-stream', 'b'],
        [405, 'text/x-custom', 'c'],
        [414, 'text/plain; charset=utf-8', 'long'],
      ]);
    });
  });
}
