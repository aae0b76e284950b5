import { errorCatalog, type ErrorCode } from '../errors.js';
import { httpDate } from './date.js';
import { reasonPhrase, statusLine } from './status.js';

/** An error reply, engine-neutral: each engine writes it in its own way. */
export interface CannedReply {
  readonly status: number;
  readonly reason: string;
  readonly contentType: string;
  readonly body: string;
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';

function reply(status: number, body: string): CannedReply {
  return Object.freeze({ status, reason: reasonPhrase(status), contentType: TEXT_PLAIN, body });
}

/**
 * Canned error replies for exchanges that end the connection: malformed requests, limits and
 * timeouts. The body names the error code, so a client's developer can see why. Built once per
 * code, on its first use.
 */
const byCode = new Map<ErrorCode, CannedReply>();

/** The reply for `code`, which must carry an HTTP status. */
export function cannedReply(code: ErrorCode): CannedReply {
  let entry = byCode.get(code);
  if (entry === undefined) {
    const status = errorCatalog[code].status;
    entry = reply(status, `${status} ${reasonPhrase(status)}: ${code}\n`);
    byCode.set(code, entry);
  }
  return entry;
}

const byStatus: CannedReply[] = [];

/** The reply to a handler that threw or rejected before its response head went out. */
export function handlerFailureReply(status: number): CannedReply {
  return (byStatus[status] ??= reply(status, `${status} ${reasonPhrase(status)}\n`));
}

/** The net engine's bytes after the status line and Date, per code. */
const tails = new Map<ErrorCode, string>();

function tail(code: ErrorCode): string {
  let text = tails.get(code);
  if (text === undefined) {
    const { contentType, body } = cannedReply(code);
    text = `\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` + `Connection: close\r\n\r\n${body}`;
    tails.set(code, text);
  }
  return text;
}

/** The full HTTP/1.1 reply for `code`, which must carry an HTTP status. Always `Connection: close`. */
export function cannedResponse(code: ErrorCode): string {
  return `${statusLine(errorCatalog[code].status)}Date: ${httpDate()}${tail(code)}`;
}

/** RFC 9110 15.2.1: the interim reply that asks a client to send its body. */
export const CONTINUE_RESPONSE = 'HTTP/1.1 100 Continue\r\n\r\n';
