import { PercoreError } from '../errors.js';
import type { HeaderValue } from './api.js';
import { checkHeaderName, checkHeaderValue } from './header-validation.js';

/**
 * The headers a handler sets on a response, shared by every engine. Framing stays the server's:
 * Content-Length is kept as a number (honoured when streaming), Transfer-Encoding is refused,
 * and Connection only records whether the handler asked to close.
 */
export class ResponseHeaders {
  readonly names: string[] = [];
  readonly lowerNames: string[] = [];
  readonly values: string[] = [];
  /** The Content-Length the handler declared, or -1. */
  declaredLength = -1;
  /** Whether the handler set `Connection: close`. */
  closeRequested = false;

  set(name: string, value: HeaderValue): void {
    const lower = checkHeaderName(name);
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    checkHeaderValue(name, text);
    switch (lower) {
      case 'content-length':
        if (!/^\d{1,15}$/.test(text)) throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', `Content-Length: ${text}`);
        this.declaredLength = Number(text);
        return;
      case 'transfer-encoding':
        throw new PercoreError('PERCORE_ERR_INVALID_RESPONSE_HEADER', 'Transfer-Encoding is set by the server');
      case 'connection':
        // RFC 9110 7.6.1: only "close" means anything here; the server writes the field itself.
        this.closeRequested = /(^|,)\s*close\s*(,|$)/i.test(text);
        return;
    }
    this.remove(lower);
    this.names.push(name);
    this.lowerNames.push(lower);
    this.values.push(text);
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    if (lower === 'content-length') return this.declaredLength >= 0 ? String(this.declaredLength) : undefined;
    const index = this.lowerNames.indexOf(lower);
    return index === -1 ? undefined : this.values[index];
  }

  /** Removes a header by its lower-case name. */
  remove(lower: string): void {
    if (lower === 'content-length') this.declaredLength = -1;
    else if (lower === 'connection') this.closeRequested = false;
    for (let i = this.lowerNames.length - 1; i >= 0; i--) {
      if (this.lowerNames[i] === lower) {
        this.lowerNames.splice(i, 1);
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  has(lower: string): boolean {
    return this.lowerNames.includes(lower);
  }
}
