import { PercoreError } from '../errors.js';
import { TOKEN } from './chars.js';

/** Response header checks shared by every engine: a bad name or value throws, never reaches the wire. */

/** RFC 9110 5.1: a field name is a token. Returns it in lower case. */
export function checkHeaderName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `invalid name ${JSON.stringify(name)}`);
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code > 0x7f || TOKEN[code] === 0) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `invalid name ${JSON.stringify(name)}`);
    }
  }
  return name.toLowerCase();
}

/** RFC 9110 5.5: values of visible ASCII, SP and HTAB only; CR and LF would split the response. */
export function checkHeaderValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code >= 0x7f) {
      throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `invalid value for ${name}`);
    }
  }
}
