/**
 * A throwaway site for the serveStatic tests: a root with files, a directory with an index, an
 * empty directory, dotfiles, precompressed siblings, symlinks inside and out, and a secret file
 * outside the root that no response may ever carry.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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
  // Written a day ago: a file modified within the last second has a Last-Modified that moves
  // with the clock (it is clamped to the response's Date, RFC 9110 8.8.2.1) and is only a weak
  // validator (8.8.2.2), so the validator tests would depend on when a second boundary falls.
  const dayAgo = new Date(Date.now() - 86_400_000);
  for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) utimesSync(join(entry.parentPath, entry.name), dayAgo, dayAgo);
  }
  return { base, root, secret, hundred, remove: () => rmSync(base, { recursive: true, force: true }) };
}
