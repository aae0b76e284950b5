/**
 * serveStatic(root, options): a handler that serves the files under `root` on every engine,
 * with validators and conditional requests, ranges, precompressed siblings and an in-memory
 * cache of small hot files. Decisions and defaults: docs/static.md.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PercoreError } from '../errors.js';
import type { Handler, HttpRequest, HttpResponse } from '../http/api.js';
import { prepareErrorPages, sendErrorPage, type ErrorPages } from '../routing/error-pages.js';
import { evaluatePreconditions, rangeStillValid, type Validators } from './conditional.js';
import { ContentTypes } from './content-type.js';
import { negotiateCoding, parseAcceptEncoding, type Coding } from './encoding.js';
import { FileCache } from './file-cache.js';
import { locate } from './locate.js';
import { resolveStaticOptions, type ResolvedStaticOptions, type StaticOptions } from './options.js';
import { parseRange } from './range.js';
import { representationFor, representationOf, type FileEntry, type Representation } from './representation.js';
import { parseRequestPath } from './request-path.js';
import { sendFileRange } from './send-file.js';

export interface ServeStaticOptions extends StaticOptions {
  /** Pages for the statuses serveStatic answers itself (405, 412, 416), as a router's errorPages. */
  errorPages?: ErrorPages;
}

const ALLOW = { Allow: 'GET, HEAD' } as const;
/**
 * The one error every miss throws (the router or the engine answers 404 for it): made once, so a
 * 404 allocates no error and captures no stack.
 */
const NOT_FOUND = new PercoreError('PERCORE_ERR_NOT_FOUND');
/** A validator no request can name, for when ETags are off: only '*' matches it. */
const NO_ETAG = '\0';

/** The handler. Throws PERCORE_ERR_INVALID_OPTION at once for a bad root or option. */
export function serveStatic(root: string, options: ServeStaticOptions = {}): Handler {
  const { errorPages, ...rest } = options;
  if (errorPages !== undefined) prepareErrorPages(errorPages);
  const server = new StaticFiles(resolveStaticOptions(root, rest), errorPages);
  return (req, res) => server.handle(req, res);
}

class StaticFiles {
  private readonly types: ContentTypes;
  private readonly cache: FileCache | null;
  /** Files up to this size are kept in memory (0 without a cache). */
  private readonly keepUpTo: number;
  private readonly vary: boolean;
  private readonly allValidators: boolean;
  /** Parsed Accept-Encoding values, by field value: browsers send a handful of distinct ones. */
  private readonly acceptEncodings = new Map<string, Map<string, number> | null>();

  constructor(
    private readonly options: ResolvedStaticOptions,
    private readonly errorPages: ErrorPages | undefined,
  ) {
    this.types = new ContentTypes(options.mimeTypes, options.defaultMimeType);
    const cache = options.cache;
    this.cache = cache === null ? null : new FileCache(cache.revalidateMs, cache.maxEntries, cache.maxBytes);
    this.keepUpTo = cache === null ? 0 : Math.min(cache.maxFileSize, cache.maxBytes);
    this.vary = options.codings.length > 0;
    this.allValidators = options.etag && options.lastModified;
  }

  /**
   * With ETag off, a tag nobody can name ('*' still matches). With Last-Modified off, NaN: the
   * date conditions are then ignored, as RFC 9110 13.2.1 says for a resource without a date.
   */
  private validatorsOf(representation: Representation): Validators {
    return {
      etag: this.options.etag ? representation.etag : NO_ETAG,
      lastModified: this.options.lastModified ? representation.lastModified : NaN,
    };
  }

  handle(req: HttpRequest, res: HttpResponse): void | Promise<void> {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return sendErrorPage(req, res, 405, this.errorPages, ALLOW);
    const basePath = req.basePath;
    const relative = basePath === '' ? req.path : req.path.slice(basePath.length);
    if (this.cache !== null) {
      // The hot path: a canonical path (no escapes) whose entry is fresh needs no parsing and no
      // fs call; nor does one known to be missing.
      const now = Date.now();
      const entry = this.cache.fresh(relative, now);
      if (entry !== undefined && !relative.includes('%')) return this.respond(req, res, entry, relative);
      if (entry === undefined && this.cache.missing(relative, now) && !relative.includes('%')) throw NOT_FOUND;
    }
    return this.lookUp(req, res, relative);
  }

  private async lookUp(req: HttpRequest, res: HttpResponse, relative: string): Promise<void> {
    // Mounted at '/static' and asked '/static': the root directory without its slash.
    if (relative === '') return this.redirectOrMissing(req, res);
    const path = parseRequestPath(relative);
    if (path.dotted && this.options.hideDotfiles) throw NOT_FOUND;
    const now = Date.now();
    const cached = this.cache?.fresh(path.key, now);
    if (cached !== undefined) return this.respond(req, res, cached, path.key);
    if (this.cache?.missing(path.key, now)) throw NOT_FOUND;
    const located = await locate(path, this.options);
    if (located.kind === 'missing') {
      this.cache?.markMissing(path.key, now);
      throw NOT_FOUND;
    }
    if (located.kind === 'redirect') return this.redirectOrMissing(req, res);
    const previous = this.cache?.any(path.key);
    const identity = await representationOf(located.file, null, this.keepUpTo, now, previous?.identity);
    const encoded: Representation[] = [];
    for (const sibling of located.siblings) {
      encoded.push(
        await representationOf(
          sibling,
          sibling.coding,
          this.keepUpTo,
          now,
          previous?.encoded.find((r) => r.coding === sibling.coding),
        ),
      );
    }
    let bytes = identity.body?.length ?? 0;
    for (const representation of encoded) bytes += representation.body?.length ?? 0;
    const entry: FileEntry = {
      contentType: this.types.forFile(located.file.path),
      identity,
      encoded,
      codings: encoded.map((r) => r.coding!),
      bytes,
      checkedAt: now,
    };
    this.cache?.set(path.key, entry);
    return this.respond(req, res, entry, path.key);
  }

  /** RFC 9110 15.4.2: 301 to the directory's slash form, the query kept. */
  private redirectOrMissing(req: HttpRequest, res: HttpResponse): void {
    if (!this.options.redirectDirectories) throw NOT_FOUND;
    const path = req.path;
    // The Location is the request's own path: never a protocol-relative '//host' (an open
    // redirect), which a checked path cannot start with, and checked again here.
    if (path.charCodeAt(0) !== 0x2f || path.charCodeAt(1) === 0x2f || path.charCodeAt(1) === 0x5c)
      throw new PercoreError('PERCORE_ERR_INVALID_PATH');
    const query = req.query;
    res.status = 301;
    res.setHeader('Location', query === '' ? `${path}/` : `${path}/?${query}`);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(req.method === 'HEAD' ? undefined : 'Moved Permanently\n');
  }

  private chooseRepresentation(req: HttpRequest, entry: FileEntry): Representation {
    if (entry.encoded.length === 0) return entry.identity;
    const field = req.header('accept-encoding');
    if (field === undefined) return entry.identity;
    let weights = this.acceptEncodings.get(field);
    if (weights === undefined) {
      weights = parseAcceptEncoding(field);
      if (this.acceptEncodings.size < 256) this.acceptEncodings.set(field, weights);
    }
    const coding: Coding | null = weights === null ? null : negotiateCoding(weights, entry.codings);
    if (coding === null) return entry.identity;
    return entry.encoded.find((r) => r.coding === coding)!;
  }

  private respond(req: HttpRequest, res: HttpResponse, entry: FileEntry, key: string): void | Promise<void> {
    const representation = this.chooseRepresentation(req, entry);
    if (representation.body === null && req.method === 'GET') return this.openAndRespond(req, res, entry, representation, key);
    return this.respondWith(req, res, entry, representation, null);
  }

  /** For a streamed file: opens it first, so the validators sent are those of the bytes read. */
  private async openAndRespond(req: HttpRequest, res: HttpResponse, entry: FileEntry, cached: Representation, key: string): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(cached.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') {
        this.cache?.delete(key);
        throw NOT_FOUND;
      }
      throw error;
    }
    try {
      const stats = await handle.stat();
      let representation = cached;
      if (stats.size !== cached.size || stats.mtimeMs !== cached.mtimeMs) {
        // Changed since it was cached: describe what is there now, and look again next time.
        this.cache?.delete(key);
        representation = representationFor(cached.path, cached.coding, stats.size, stats.mtimeMs, Date.now(), null);
      }
      await this.respondWith(req, res, entry, representation, handle);
    } finally {
      await handle.close();
    }
  }

  private respondWith(
    req: HttpRequest,
    res: HttpResponse,
    entry: FileEntry,
    representation: Representation,
    handle: FileHandle | null,
  ): void | Promise<void> {
    const options = this.options;
    // A representation is its own validators, unless some are turned off.
    const validators: Validators = this.allValidators ? representation : this.validatorsOf(representation);
    if (this.vary) res.setHeader('Vary', 'Accept-Encoding');
    if (options.etag) res.setHeader('ETag', representation.etag);
    if (options.lastModified) res.setHeader('Last-Modified', representation.lastModifiedText);
    if (options.cacheControl !== null) res.setHeader('Cache-Control', options.cacheControl);
    if (
      req.header('if-match') !== undefined ||
      req.header('if-none-match') !== undefined ||
      req.header('if-modified-since') !== undefined ||
      req.header('if-unmodified-since') !== undefined
    ) {
      const condition = evaluatePreconditions(req, validators);
      if (condition === 304) {
        // RFC 9110 15.4.5: 304 carries the validators, Cache-Control and Vary a 200 would, no content.
        res.status = 304;
        res.end();
        return;
      }
      if (condition === 412) return sendErrorPage(req, res, 412, this.errorPages);
    }
    res.setHeader('Content-Type', entry.contentType);
    res.setHeader('Accept-Ranges', 'bytes');
    if (representation.coding !== null) res.setHeader('Content-Encoding', representation.coding);
    const size = representation.size;
    let start = 0;
    let end = size - 1;
    // RFC 9110 14.2: Range applies to GET only; If-Range false means the whole representation.
    const rangeField = req.header('range');
    if (rangeField !== undefined && req.method === 'GET' && rangeStillValid(req.header('if-range'), validators)) {
      const range = parseRange(rangeField, size);
      if (range.kind === 'unsatisfiable') {
        return sendErrorPage(req, res, 416, this.errorPages, { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
      }
      if (range.kind === 'range') {
        start = range.start;
        end = range.end;
        res.status = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      }
    }
    const length = end - start + 1;
    if (req.method === 'HEAD') {
      res.setHeader('Content-Length', length);
      res.end();
      return;
    }
    const body = representation.body;
    if (body !== null) {
      res.end(length === body.length ? body : body.subarray(start, end + 1));
      return;
    }
    res.setHeader('Content-Length', length);
    if (length === 0) {
      res.end();
      return;
    }
    return sendFileRange(res, handle!, start, end, options.chunkSize);
  }
}
