import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { PercoreError } from '../errors.js';
import type { Handler, HeaderValue, HttpRequest, HttpResponse } from '../http/api.js';
import { handlerFailureReply } from '../http/canned.js';

/**
 * Error pages: what the router (and serveStatic) answer for 404, 405, a handler's failure, ...
 * A page is a handler (it runs with `res.status` already set), a file (read once, when the pages
 * are prepared), or a body. Without one, a status gets the plain default, as the engines' own
 * replies: `404 Not Found\n`, text/plain; charset=utf-8.
 */
export type ErrorPage =
  Handler | { readonly file: string; readonly contentType?: string } | { readonly body: string | Uint8Array; readonly contentType?: string };

/** Pages by status (400 to 599). */
export type ErrorPages = Partial<Record<number, ErrorPage>>;

type PreparedPage = Handler | { readonly contentType: string; readonly body: Uint8Array | string; readonly length: number };
type PreparedPages = ReadonlyMap<number, PreparedPage>;

const TEXT_PLAIN = 'text/plain; charset=utf-8';
/** Kept small on purpose: the router has no dependencies. Anything else: say `contentType`. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': TEXT_PLAIN,
  '.json': 'application/json',
};

/**
 * Headers that describe a representation the handler had begun: they would describe the error
 * page wrongly (RFC 9110 8). Allow stays (a 405 needs it).
 */
const REPRESENTATION_HEADERS = [
  'Content-Type',
  'Content-Length',
  'ETag',
  'Last-Modified',
  'Cache-Control',
  'Content-Encoding',
  'Content-Range',
  'Accept-Ranges',
  'Vary',
  'Content-Disposition',
] as const;

const prepared = new WeakMap<ErrorPages, PreparedPages>();

function invalidOption(detail: string, cause?: unknown): PercoreError {
  return new PercoreError('PERCORE_ERR_INVALID_OPTION', `errorPages: ${detail}`, cause === undefined ? undefined : { cause });
}

function prepareOne(status: number, page: ErrorPage): PreparedPage {
  if (typeof page === 'function') return page;
  if (typeof page !== 'object' || page === null) throw invalidOption(`${status}: a page is a handler, { file } or { body }`);
  if (page.contentType !== undefined && typeof page.contentType !== 'string') throw invalidOption(`${status}: contentType must be a string`);
  if ('file' in page) {
    if (typeof page.file !== 'string' || page.file === '') throw invalidOption(`${status}: file must be a path`);
    let body: Buffer;
    try {
      body = readFileSync(page.file);
    } catch (error) {
      throw invalidOption(`${status}: cannot read ${page.file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
    }
    const contentType = page.contentType ?? TYPES_BY_EXTENSION[extname(page.file).toLowerCase()] ?? 'application/octet-stream';
    return { contentType, body, length: body.length };
  }
  if ('body' in page) {
    const { body } = page;
    if (typeof body === 'string') return { contentType: page.contentType ?? TEXT_PLAIN, body, length: Buffer.byteLength(body) };
    if (body instanceof Uint8Array) return { contentType: page.contentType ?? TEXT_PLAIN, body, length: body.byteLength };
    throw invalidOption(`${status}: body must be a string or a Uint8Array`);
  }
  throw invalidOption(`${status}: a page is a handler, { file } or { body }`);
}

/**
 * Checks `pages` and reads their files, once per pages object (later calls find them cached).
 * Throws PERCORE_ERR_INVALID_OPTION for a status outside 400-599, a page of the wrong shape, or
 * a file that cannot be read. Call it where the pages are configured, so that a mistake shows
 * when the server is set up rather than on the first error.
 */
export function prepareErrorPages(pages: ErrorPages): void {
  preparedPages(pages);
}

function preparedPages(pages: ErrorPages): PreparedPages {
  let map = prepared.get(pages);
  if (map !== undefined) return map;
  if (typeof pages !== 'object' || pages === null) throw invalidOption('must be an object of pages by status');
  const built = new Map<number, PreparedPage>();
  for (const [key, page] of Object.entries(pages)) {
    const status = Number(key);
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw invalidOption(`${JSON.stringify(key)} is not an error status (400-599)`);
    if (page !== undefined) built.set(status, prepareOne(status, page));
  }
  prepared.set(pages, (map = built));
  return map;
}

/**
 * Answers `status` with its page from `pages`, or the default one: first removes the
 * representation headers a handler may have set (Content-Type, ETag, ...; not Allow), sets
 * `res.status` and `headers` (e.g. Allow for a 405). HEAD gets the page's head, without its body.
 * Needs the head unsent (else PERCORE_ERR_HEADERS_SENT). A handler page's result is returned.
 */
export function sendErrorPage(
  req: HttpRequest,
  res: HttpResponse,
  status: number,
  pages?: ErrorPages,
  headers?: Readonly<Record<string, HeaderValue>>,
): void | Promise<void> {
  const page = pages === undefined ? undefined : preparedPages(pages).get(status);
  for (const name of REPRESENTATION_HEADERS) res.removeHeader(name);
  res.status = status;
  if (headers !== undefined) for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
  if (typeof page === 'function') return page(req, res);
  const { contentType, body, length } = page ?? defaultPage(status);
  res.setHeader('Content-Type', contentType);
  if (req.method === 'HEAD') {
    // RFC 9110 9.3.2: the head a GET would get, Content-Length included, and no content.
    res.setHeader('Content-Length', length);
    res.end();
  } else {
    res.end(body);
  }
}

const defaults: Array<{ contentType: string; body: string; length: number }> = [];

function defaultPage(status: number): { contentType: string; body: string; length: number } {
  let page = defaults[status];
  if (page === undefined) {
    const reply = handlerFailureReply(status);
    defaults[status] = page = { contentType: reply.contentType, body: reply.body, length: Buffer.byteLength(reply.body) };
  }
  return page;
}
