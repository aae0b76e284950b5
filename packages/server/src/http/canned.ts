import { errorCatalog, type ErrorCode } from '../errors.js';
import { httpDate } from './date.js';
import { reasonPhrase, statusLine } from './status.js';

/**
 * Canned error replies for exchanges that end the connection: malformed requests, limits and
 * timeouts. The body names the error code, so a client's developer can see why.
 */
const tails = new Map<ErrorCode, string>();

function tail(code: ErrorCode): string {
  let text = tails.get(code);
  if (text === undefined) {
    const status = errorCatalog[code].status;
    const body = `${status} ${reasonPhrase(status)}: ${code}\n`;
    text =
      `\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`;
    tails.set(code, text);
  }
  return text;
}

/** The full reply for `code`, which must carry an HTTP status. Always `Connection: close`. */
export function cannedResponse(code: ErrorCode): string {
  return `${statusLine(errorCatalog[code].status)}Date: ${httpDate()}${tail(code)}`;
}

/** RFC 9110 15.2.1: the interim reply that asks a client to send its body. */
export const CONTINUE_RESPONSE = 'HTTP/1.1 100 Continue\r\n\r\n';
