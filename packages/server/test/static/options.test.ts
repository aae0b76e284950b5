import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PercoreError } from '../../src/errors.js';
import { resolveStaticOptions, type StaticOptions } from '../../src/static/options.js';
import { serveStatic } from '../../src/static/serve-static.js';

describe('static/options', function () {
  let root: string;
  before(function () {
    root = mkdtempSync(join(tmpdir(), 'percore-static-options-'));
    writeFileSync(join(root, 'file.txt'), 'x');
  });
  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  function refusal(rootArg: unknown, options?: unknown): string {
    try {
      resolveStaticOptions(rootArg, options as StaticOptions);
    } catch (error) {
      expect(error).to.be.instanceOf(PercoreError);
      expect((error as PercoreError).code).to.equal('PERCORE_ERR_INVALID_OPTION');
      return (error as PercoreError).message;
    }
    return 'accepted';
  }

  it('has these defaults', function () {
    const resolved = resolveStaticOptions(root);
    expect(resolved).to.deep.include({
      index: ['index.html'],
      redirectDirectories: true,
      hideDotfiles: true,
      followSymlinks: false,
      defaultMimeType: 'application/octet-stream',
      etag: true,
      lastModified: true,
      cacheControl: 'public, max-age=0',
      codings: [],
      chunkSize: 65536,
      cache: { revalidateMs: 1000, maxFileSize: 1048576, maxBytes: 67108864, maxEntries: 4096 },
    });
  });

  it('reads the Cache-Control and precompressed shorthands', function () {
    expect(resolveStaticOptions(root, { maxAge: 31536000, immutable: true }).cacheControl).to.equal('public, max-age=31536000, immutable');
    expect(resolveStaticOptions(root, { cacheControl: 'no-store' }).cacheControl).to.equal('no-store');
    expect(resolveStaticOptions(root, { cacheControl: false }).cacheControl).to.equal(null);
    expect(resolveStaticOptions(root, { precompressed: true }).codings).to.deep.equal(['br', 'gzip']);
    expect(resolveStaticOptions(root, { precompressed: ['gzip'] }).codings).to.deep.equal(['gzip']);
    expect(resolveStaticOptions(root, { index: 'default.htm' }).index).to.deep.equal(['default.htm']);
    expect(resolveStaticOptions(root, { index: false }).index).to.deep.equal([]);
    expect(resolveStaticOptions(root, { cache: false }).cache).to.equal(null);
    expect(resolveStaticOptions(root, { mimeTypes: { '.LOG': 'text/plain' } }).mimeTypes).to.deep.equal({ log: 'text/plain' });
  });

  const bad: Array<[string, unknown, unknown]> = [
    ['a missing root', join(tmpdir(), 'percore-no-such-dir-for-sure'), undefined],
    ['a file as root', 'FILE', undefined],
    ['an empty root', '', undefined],
    ['a non-string root', 42, undefined],
    ['an unknown option', 'ROOT', { maxage: 1 }],
    ['an unknown cache option', 'ROOT', { cache: { ttl: 1 } }],
    ['a negative maxAge', 'ROOT', { maxAge: -1 }],
    ['a fractional maxAge', 'ROOT', { maxAge: 1.5 }],
    ['cacheControl with maxAge', 'ROOT', { cacheControl: 'no-cache', maxAge: 5 }],
    ['a cacheControl with CR LF', 'ROOT', { cacheControl: 'no-cache\r\nX-Evil: 1' }],
    ['an index with a slash', 'ROOT', { index: ['a/index.html'] }],
    ['an index of ..', 'ROOT', { index: '..' }],
    ['a bad dotfiles', 'ROOT', { dotfiles: 'ignore' }],
    ['a bad symlinks', 'ROOT', { symlinks: 'yes' }],
    ['a bad mime type', 'ROOT', { mimeTypes: { txt: 'not a type' } }],
    ['a mime type with CR LF', 'ROOT', { mimeTypes: { txt: 'text/plain\r\nX: y' } }],
    ['a bad default type', 'ROOT', { defaultMimeType: '' }],
    ['an unknown coding', 'ROOT', { precompressed: ['zstd'] }],
    ['a tiny chunkSize', 'ROOT', { chunkSize: 100 }],
    ['a non-boolean etag', 'ROOT', { etag: 'yes' }],
    ['a negative revalidateMs', 'ROOT', { cache: { revalidateMs: -5 } }],
    ['a bad cache', 'ROOT', { cache: 'big' }],
  ];
  for (const [name, rootArg, options] of bad) {
    it(`refuses ${name} with PERCORE_ERR_INVALID_OPTION, at creation`, function () {
      const given = rootArg === 'ROOT' ? root : rootArg === 'FILE' ? join(root, 'file.txt') : rootArg;
      expect(refusal(given, options)).to.not.equal('accepted');
      expect(() => serveStatic(given as string, options as StaticOptions)).to.throw(PercoreError);
    });
  }

  it('refuses bad errorPages at creation', function () {
    expect(() => serveStatic(root, { errorPages: { 200: { body: 'x' } } })).to.throw(PercoreError, /errorPages/);
  });
});
