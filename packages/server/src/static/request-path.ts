import { PercoreError } from '../errors.js';

/** The most characters of a request path serveStatic looks at; longer ones are refused (400). */
export const MAX_PATH_LENGTH = 4096;

/** A request path made safe to join under the root. */
export interface SafePath {
  /** The decoded segments, none of them '', '.', '..', nor holding '/', '\\' or NUL. */
  readonly segments: readonly string[];
  /** The decoded path, '/'-joined, with a leading '/' and the trailing one if sent: the cache key. */
  readonly key: string;
  /** Whether the path ended in '/' (a directory asked in its slash form). */
  readonly trailingSlash: boolean;
  /** Whether a segment starts with '.' (a dotfile or a dot-directory). */
  readonly dotted: boolean;
}

/**
 * Decodes a request path once (RFC 3986 2.1) and refuses what could climb out of the root or
 * smuggle a separator, with PERCORE_ERR_INVALID_PATH (400):
 * - raw '\\', and a decoded '/', '\\' or NUL inside a segment ('%2f', '%5c', '%00');
 * - '.' and '..' segments, raw or encoded ('%2e%2e'): a client removes dot segments before
 *   sending (RFC 3986 5.2.4), so a server that sees one is being probed;
 * - empty segments ('//'), malformed escapes, and escapes that are not UTF-8 (overlong '%c0%ae'
 *   fails decodeURIComponent, which accepts only well-formed UTF-8);
 * - paths over MAX_PATH_LENGTH.
 * Decoding happens once: '%252e' becomes the literal name '%2e', never '.'.
 */
const ROOT: SafePath = { segments: [], key: '/', trailingSlash: true, dotted: false };

export function parseRequestPath(path: string): SafePath {
  if (path.length > MAX_PATH_LENGTH) throw invalid('too long');
  if (path.charCodeAt(0) !== 0x2f /* / */) throw invalid('not an absolute path');
  if (path.includes('\\')) throw invalid('a backslash');
  // The root itself is asked in its slash form: '/'.
  if (path.length === 1) return ROOT;
  const trailingSlash = path.charCodeAt(path.length - 1) === 0x2f;
  const body = path.slice(1, trailingSlash ? -1 : undefined);
  if (body === '') throw invalid('an empty segment');
  const raw = body === '' ? [] : body.split('/');
  const segments: string[] = [];
  let dotted = false;
  for (const part of raw) {
    const segment = part.includes('%') ? decodeSegment(part) : part;
    if (segment === '' || segment === '.' || segment === '..') throw invalid('an empty or dot segment');
    if (segment.includes('/') || segment.includes('\\') || segment.includes('\0')) throw invalid('an encoded separator or NUL');
    if (segment.charCodeAt(0) === 0x2e /* . */) dotted = true;
    segments.push(segment);
  }
  const joined = '/' + segments.join('/');
  return { segments, key: trailingSlash ? joined + '/' : joined, trailingSlash, dotted };
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid('a malformed percent-escape');
  }
}

function invalid(why: string): PercoreError {
  return new PercoreError('PERCORE_ERR_INVALID_PATH', why);
}
