import { PercoreError } from '../errors.js';

/**
 * Route patterns: '/' then segments separated by '/'. A segment is static text, `:name` (a
 * parameter: one whole, non-empty segment), or `*` as the last segment (the rest of the path,
 * possibly empty). The syntax of the uws engine's WebSocket routes. A trailing '/' is an empty
 * last segment: '/a/' and '/a' are different routes.
 */
export type Segment =
  { readonly kind: 'static'; readonly text: string } | { readonly kind: 'param'; readonly name: string } | { readonly kind: 'wildcard' };

const PARAM_NAME = /^[A-Za-z_$][\w$]*$/;
/** RFC 3986 3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; '*' is kept for the wildcard. */
const STATIC_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()+,;=:@]|%[0-9A-Fa-f]{2})*$/;

function invalid(pattern: string, detail: string): PercoreError {
  return new PercoreError('PERCORE_ERR_INVALID_ROUTE', `${JSON.stringify(pattern)}: ${detail}`);
}

/** The segments of `pattern`; throws PERCORE_ERR_INVALID_ROUTE for a pattern that is not one. */
export function parsePattern(pattern: string): Segment[] {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) throw invalid(String(pattern), 'a pattern starts with /');
  const texts = pattern.slice(1).split('/');
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    const last = i === texts.length - 1;
    if (text === '*') {
      if (!last) throw invalid(pattern, '* must be the last segment');
      segments.push({ kind: 'wildcard' });
    } else if (text.startsWith(':')) {
      const name = text.slice(1);
      if (!PARAM_NAME.test(name)) throw invalid(pattern, `${JSON.stringify(text)} is not a parameter (:name, letters, digits, _ and $)`);
      if (names.has(name)) throw invalid(pattern, `the parameter :${name} appears twice`);
      names.add(name);
      segments.push({ kind: 'param', name });
    } else {
      // Only the last segment may be empty: the trailing slash of '/' or '/a/'.
      if (text === '' && !last) throw invalid(pattern, 'empty segment (//)');
      if (!STATIC_SEGMENT.test(text))
        throw invalid(pattern, `${JSON.stringify(text)} holds a character a path segment cannot (RFC 3986 3.3)`);
      segments.push({ kind: 'static', text });
    }
  }
  return segments;
}

/**
 * The segments of a mount prefix: a pattern without `*`, without a trailing '/' (except '/'
 * itself, the root, which has none).
 */
export function parsePrefix(prefix: string): Segment[] {
  if (prefix === '/') return [];
  const segments = parsePattern(prefix);
  if (prefix.endsWith('/')) throw invalid(prefix, 'a mount prefix does not end in /');
  if (segments.some((segment) => segment.kind === 'wildcard')) throw invalid(prefix, 'a mount prefix has no *');
  return segments;
}

/** RFC 9110 9.1: a method is a token (RFC 9110 5.6.2), case-sensitive. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function checkMethod(method: string): void {
  if (typeof method !== 'string' || !TOKEN.test(method)) {
    throw new PercoreError('PERCORE_ERR_INVALID_ROUTE', `${JSON.stringify(method)} is not a method token (RFC 9110 9.1)`);
  }
}

export { invalid as invalidRoute };
