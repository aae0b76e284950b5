import { PercoreError } from '../errors.js';

/**
 * One captured path parameter, decoded once (decodeURIComponent: UTF-8, RFC 3986 2.1). `raw` is
 * the segment as sent; a named parameter longer than `maxLength` characters of it (the raw form:
 * the bound applies before any decoding work) is PERCORE_ERR_PARAM_TOO_LONG (414). A malformed
 * escape, or an escape that decodes to NUL, is PERCORE_ERR_INVALID_PATH (400). An encoded '/'
 * (%2F) decodes to '/' inside the parameter: it never splits segments, since matching is done on
 * the raw path.
 */
export function decodeParam(name: string, raw: string, maxLength: number): string {
  if (name !== '*' && raw.length > maxLength) {
    throw new PercoreError('PERCORE_ERR_PARAM_TOO_LONG', `:${name} is ${raw.length} characters, over ${maxLength}`);
  }
  if (raw.indexOf('%') === -1) return raw;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new PercoreError('PERCORE_ERR_INVALID_PATH', `${name === '*' ? '*' : `:${name}`} has a malformed percent-encoding`);
  }
  if (value.indexOf('\0') !== -1) throw new PercoreError('PERCORE_ERR_INVALID_PATH', `${name === '*' ? '*' : `:${name}`} decodes to a NUL`);
  return value;
}
