/**
 * Finds the file a safe request path names under the root: the file itself, a directory's index
 * file, or a redirect to a directory's slash form; and its precompressed siblings. Symlinks are
 * followed only while their real path stays under the root's (unless told otherwise).
 */
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { CODING_SUFFIX, type Coding } from './encoding.js';
import type { ResolvedStaticOptions } from './options.js';
import type { SafePath } from './request-path.js';

export interface FoundFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface FoundSibling extends FoundFile {
  readonly coding: Coding;
}

export type Located =
  | { readonly kind: 'missing' }
  | { readonly kind: 'redirect' }
  | { readonly kind: 'file'; readonly file: FoundFile; readonly siblings: readonly FoundSibling[] };

const MISSING: Located = { kind: 'missing' };
const REDIRECT: Located = { kind: 'redirect' };

export async function locate(path: SafePath, options: ResolvedStaticOptions): Promise<Located> {
  const target = join(options.root, ...path.segments);
  const found = await statInside(target, options);
  if (found === null) return MISSING;
  let file = target;
  let stats = found;
  if (found.isDirectory()) {
    if (!path.trailingSlash) return options.redirectDirectories ? REDIRECT : MISSING;
    let index: Stats | null = null;
    for (const name of options.index) {
      file = join(target, name);
      index = await statInside(file, options);
      if (index?.isFile()) break;
      index = null;
    }
    if (index === null) return MISSING;
    stats = index;
  } else if (!found.isFile() || path.trailingSlash) {
    // A file asked as a directory ('/a.txt/'), or a device, socket or FIFO.
    return MISSING;
  }
  const siblings: FoundSibling[] = [];
  for (const coding of options.codings) {
    const siblingPath = file + CODING_SUFFIX[coding];
    const sibling = await statInside(siblingPath, options);
    if (sibling?.isFile()) siblings.push({ coding, path: siblingPath, size: sibling.size, mtimeMs: sibling.mtimeMs });
  }
  return { kind: 'file', file: { path: file, size: stats.size, mtimeMs: stats.mtimeMs }, siblings };
}

/** stat() of a path whose real path is under the root (or anywhere, with symlinks: 'follow'); null when absent or outside. */
async function statInside(path: string, options: ResolvedStaticOptions): Promise<Stats | null> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    if (isAbsence(error)) return null;
    throw error;
  }
  if (!options.followSymlinks) {
    let real: string;
    try {
      real = await realpath(path);
    } catch (error) {
      if (isAbsence(error)) return null;
      throw error;
    }
    if (real !== options.root && !real.startsWith(options.root === sep ? sep : options.root + sep)) return null;
  }
  return stats;
}

/** Errors that mean "no such file here": absent, a file where a directory was expected, unreadable, a name too long. */
function isAbsence(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'ENAMETOOLONG' || code === 'ELOOP' || code === 'EPERM';
}
