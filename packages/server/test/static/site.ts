/**
 * A throwaway site for the serveStatic tests: a root with files, a directory with an index, an
 * empty directory, dotfiles, precompressed siblings, symlinks inside and out, and a secret file
 * outside the root that no response may ever carry.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Site {
  /** The directory that holds the root and the secret. */
  readonly base: string;
  readonly root: string;
  /** The secret's contents: a random marker, so it cannot turn up by chance. */
  readonly secret: string;
  /** 100 bytes, 0..99 */
  readonly hundred: Buffer;
  /** Removes everything. */
  remove(): void;
}

export function makeSite(): Site {
  const base = mkdtempSync(join(tmpdir(), 'percore-static-'));
  const root = join(base, 'root');
  const secret = `TOP-SECRET-${randomBytes(12).toString('hex')}`;
  const hundred = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  mkdirSync(root);
  writeFileSync(join(base, 'secret.txt'), secret);
  writeFileSync(join(base, 'passwd'), secret);
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), secret);
  writeFileSync(join(root, 'a.txt'), 'hello\n');
  writeFileSync(join(root, 'hundred.bin'), hundred);
  writeFileSync(join(root, 'page.html'), '<!doctype html><p>page</p>\n');
  writeFileSync(join(root, 'data.json'), '{"ok":true}\n');
  writeFileSync(join(root, 'notes.log'), 'log line\n');
  writeFileSync(join(root, 'README'), 'no extension\n');
  writeFileSync(join(root, '%2e%2e'), 'a file literally named %2e%2e\n');
  writeFileSync(join(root, 'empty.txt'), '');
  mkdirSync(join(root, 'dir'));
  writeFileSync(join(root, 'dir', 'index.html'), '<!doctype html><p>index</p>\n');
  writeFileSync(join(root, 'dir', 'inner.txt'), 'inner\n');
  mkdirSync(join(root, 'bare'));
  writeFileSync(join(root, 'bare', 'file.txt'), 'bare\n');
  writeFileSync(join(root, '.env'), `SECRET=${secret}\n`);
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), `[core] ${secret}\n`);
  writeFileSync(join(root, 'app.js'), 'console.log("identity");\n');
  writeFileSync(join(root, 'app.js.br'), 'BROTLI-BYTES');
  writeFileSync(join(root, 'app.js.gz'), 'GZIP-BYTES-LONGER');
  writeFileSync(join(root, 'only-gzip.css'), 'body{}\n');
  writeFileSync(join(root, 'only-gzip.css.gz'), 'GZ-CSS');
  symlinkSync(join(base, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'linkdir-out'));
  symlinkSync(join(root, 'a.txt'), join(root, 'link-in.txt'));
  symlinkSync('../secret.txt', join(root, 'dir', 'relative-out.txt'));
  return { base, root, secret, hundred, remove: () => rmSync(base, { recursive: true, force: true }) };
}
