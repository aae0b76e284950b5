import { realpathSync, statSync } from 'node:fs';
import { PercoreError } from '../errors.js';
import type { Coding } from './encoding.js';

/** Options of `serveStatic(root, options)`. Every one is optional; the defaults are in docs/static.md. */
export interface StaticOptions {
  /** File names tried, in order, for a directory asked in its slash form. Default ['index.html']; false: none (404). */
  index?: string | readonly string[] | false;
  /** Whether a directory asked without its trailing slash gets 301 to the slash form (query kept). Default true; false: 404. */
  redirectDirectories?: boolean;
  /** 'hide' (default): any path segment starting with '.' is 404 ('.env', '.git/config'); 'allow' serves them. */
  dotfiles?: 'hide' | 'allow';
  /**
   * 'inside' (default): a symlink is followed only when its real path stays under the root's
   * real path; one that leaves it is 404. 'follow': any symlink is followed.
   */
  symlinks?: 'inside' | 'follow';
  /** Extension (without the dot, lower case) to Content-Type, over mime's lite table: `{ log: 'text/plain' }`. */
  mimeTypes?: Readonly<Record<string, string>>;
  /** The Content-Type of an extension nobody knows. Default 'application/octet-stream'. */
  defaultMimeType?: string;
  /** Send ETag (and honour If-Match, If-None-Match, If-Range on it). Default true. */
  etag?: boolean;
  /** Send Last-Modified (and honour the date conditions). Default true. */
  lastModified?: boolean;
  /** Cache-Control max-age in seconds. Default 0 ('public, max-age=0': caches revalidate every time). */
  maxAge?: number;
  /** Add 'immutable' to Cache-Control (RFC 8246). Default false. */
  immutable?: boolean;
  /** A raw Cache-Control value, used instead of maxAge and immutable; false sends none. */
  cacheControl?: string | false;
  /** Serve precompressed siblings ('app.js.br', 'app.js.gz') when Accept-Encoding allows. true: ['br', 'gzip']. Default false. */
  precompressed?: boolean | readonly Coding[];
  /** Bytes read from a file per write when streaming, 16 KiB to 16 MiB. Default 65536 (64 KiB). */
  chunkSize?: number;
  /** The in-memory cache of file metadata and small bodies; false turns it off (a stat per request). */
  cache?: false | StaticCacheOptions;
}

export interface StaticCacheOptions {
  /** How long a cached file's metadata is trusted before a stat checks it again, in ms. Default 1000. */
  revalidateMs?: number;
  /** Files up to this size have their bytes kept in memory. Default 1048576 (1 MiB); 0 keeps none. */
  maxFileSize?: number;
  /** The most body bytes kept in memory in all. Default 67108864 (64 MiB). */
  maxBytes?: number;
  /** The most cached paths. Default 4096. */
  maxEntries?: number;
}

/** The options, validated and with their defaults. */
export interface ResolvedStaticOptions {
  /** The root's real path (symlinks resolved). */
  readonly root: string;
  readonly index: readonly string[];
  readonly redirectDirectories: boolean;
  readonly hideDotfiles: boolean;
  readonly followSymlinks: boolean;
  readonly mimeTypes: Readonly<Record<string, string>>;
  readonly defaultMimeType: string;
  readonly etag: boolean;
  readonly lastModified: boolean;
  /** The Cache-Control value, or null for none. */
  readonly cacheControl: string | null;
  readonly codings: readonly Coding[];
  readonly chunkSize: number;
  readonly cache: Required<StaticCacheOptions> | null;
}

const KNOWN = new Set([
  'index',
  'redirectDirectories',
  'dotfiles',
  'symlinks',
  'mimeTypes',
  'defaultMimeType',
  'etag',
  'lastModified',
  'maxAge',
  'immutable',
  'cacheControl',
  'precompressed',
  'chunkSize',
  'cache',
]);
const CACHE_KNOWN = new Set(['revalidateMs', 'maxFileSize', 'maxBytes', 'maxEntries']);
/** A header value: visible ASCII, space and tab (RFC 9110 5.5), not empty. */
const FIELD_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;
const MIME_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/;

/** Validates `serveStatic`'s arguments; throws PERCORE_ERR_INVALID_OPTION naming the first bad one. */
export function resolveStaticOptions(root: unknown, options: StaticOptions = {}): ResolvedStaticOptions {
  if (typeof root !== 'string' || root === '') throw invalid('root must be a directory path');
  let realRoot: string;
  try {
    if (!statSync(root).isDirectory()) throw invalid(`root ${root} is not a directory`);
    realRoot = realpathSync(root);
  } catch (error) {
    if (error instanceof PercoreError) throw error;
    throw invalid(`root ${root} does not exist or cannot be read`);
  }
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(`unknown serveStatic option "${key}"`);

  const index =
    options.index === undefined
      ? ['index.html']
      : options.index === false
        ? []
        : typeof options.index === 'string'
          ? [options.index]
          : options.index;
  if (
    !Array.isArray(index) ||
    !index.every((name) => typeof name === 'string' && name !== '' && !/[/\\\0]/.test(name) && name !== '.' && name !== '..')
  ) {
    throw invalid('index must be a file name, a list of them, or false');
  }
  const mimeTypes = options.mimeTypes ?? {};
  if (typeof mimeTypes !== 'object' || mimeTypes === null) throw invalid('mimeTypes must be { extension: type }');
  const lowered: Record<string, string> = {};
  for (const [extension, type] of Object.entries(mimeTypes)) {
    if (typeof type !== 'string' || !MIME_TYPE.test(type) || !FIELD_VALUE.test(type))
      throw invalid(`mimeTypes.${extension} must be a media type`);
    lowered[extension.replace(/^\./, '').toLowerCase()] = type;
  }
  const defaultMimeType = options.defaultMimeType ?? 'application/octet-stream';
  if (typeof defaultMimeType !== 'string' || !MIME_TYPE.test(defaultMimeType) || !FIELD_VALUE.test(defaultMimeType)) {
    throw invalid('defaultMimeType must be a media type');
  }
  const codings =
    options.precompressed === true
      ? (['br', 'gzip'] as const)
      : options.precompressed === undefined || options.precompressed === false
        ? []
        : options.precompressed;
  if (
    !Array.isArray(codings) ||
    !codings.every((coding) => coding === 'br' || coding === 'gzip') ||
    new Set(codings).size !== codings.length
  ) {
    throw invalid("precompressed must be a boolean or a list of 'br' and 'gzip'");
  }
  return {
    root: realRoot,
    index,
    redirectDirectories: flag(options, 'redirectDirectories', true),
    hideDotfiles: oneOf(options.dotfiles, 'dotfiles', ['hide', 'allow'], 'hide') === 'hide',
    followSymlinks: oneOf(options.symlinks, 'symlinks', ['inside', 'follow'], 'inside') === 'follow',
    mimeTypes: lowered,
    defaultMimeType,
    etag: flag(options, 'etag', true),
    lastModified: flag(options, 'lastModified', true),
    cacheControl: cacheControlOf(options),
    codings,
    chunkSize: integer(options.chunkSize, 'chunkSize', 65536, 16384, 16 * 1024 * 1024),
    cache: cacheOptions(options.cache),
  };
}

function cacheControlOf(options: StaticOptions): string | null {
  if (options.cacheControl !== undefined) {
    if (options.cacheControl === false) return null;
    if (typeof options.cacheControl !== 'string' || !FIELD_VALUE.test(options.cacheControl))
      throw invalid('cacheControl must be a header value or false');
    if (options.maxAge !== undefined || options.immutable !== undefined)
      throw invalid('give cacheControl, or maxAge and immutable, not both');
    return options.cacheControl;
  }
  const maxAge = integer(options.maxAge, 'maxAge', 0, 0, 2 ** 31 - 1);
  return flag(options, 'immutable', false) ? `public, max-age=${maxAge}, immutable` : `public, max-age=${maxAge}`;
}

function cacheOptions(cache: StaticOptions['cache']): Required<StaticCacheOptions> | null {
  if (cache === false) return null;
  if (cache !== undefined && (typeof cache !== 'object' || cache === null)) throw invalid('cache must be an object or false');
  const given = cache ?? {};
  for (const key of Object.keys(given)) if (!CACHE_KNOWN.has(key)) throw invalid(`unknown cache option "${key}"`);
  return {
    revalidateMs: integer(given.revalidateMs, 'cache.revalidateMs', 1000, 0, 86_400_000),
    maxFileSize: integer(given.maxFileSize, 'cache.maxFileSize', 1024 * 1024, 0, 2 ** 31 - 1),
    maxBytes: integer(given.maxBytes, 'cache.maxBytes', 64 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    maxEntries: integer(given.maxEntries, 'cache.maxEntries', 4096, 1, 10_000_000),
  };
}

function flag(options: StaticOptions, name: 'redirectDirectories' | 'etag' | 'lastModified' | 'immutable', fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${name} must be a boolean`);
  return value;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw invalid(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function invalid(detail: string): PercoreError {
  return new PercoreError('PERCORE_ERR_INVALID_OPTION', detail);
}
