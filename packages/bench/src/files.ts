import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The static files every file-serving server serves: name and size (fixed sizes, seeded random bytes). */
export const BENCH_FILES: readonly { name: string; size: number }[] = [
  { name: '1k.bin', size: 1024 },
  { name: '1m.bin', size: 1024 * 1024 },
];

/** A temp dir for one run: `root` holds the files; servers keep their own config and logs beside it. */
export interface FileSet {
  dir: string;
  root: string;
  remove(): void;
}

/**
 * Bytes from a seeded xorshift32: the same content on every run, and incompressible, so a server
 * that compresses on the fly gains nothing.
 */
export function seededBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Writes BENCH_FILES into a new temp dir. Readable by all: nginx's worker may run as another user. */
export function makeFileSet(): FileSet {
  const dir = mkdtempSync(join(tmpdir(), 'percore-bench-files-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  BENCH_FILES.forEach(({ name, size }, index) => {
    writeFileSync(join(root, name), seededBytes(size, 20261202 + index), { mode: 0o644 });
  });
  return { dir, root, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
