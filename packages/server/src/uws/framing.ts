// Rules cited as "rule N": docs/uws-rules.md; what uWS itself lets through: its "Framing" table.
import type { HttpRequest as NativeRequest, HttpResponse as NativeResponse } from 'uws-node18-23';
import type { ErrorCode } from '../errors.js';
import { cannedReply } from '../http/canned.js';
import { TOKEN } from '../http/chars.js';

/**
 * The checks uWebSockets.js leaves to its wrapper, made before a handler runs. uWS (20.51) frames
 * a body by the first Content-Length or Transfer-Encoding field line alone and treats any
 * non-empty Transfer-Encoding as chunked, so it lets through repeated Content-Lengths, codings
 * after or besides chunked, and Host values that are not a host. Each check costs what the hot
 * path can afford: three header look-ups per request, and a walk over every field only when a
 * Content-Length or Transfer-Encoding has a value.
 */
export function framingError(req: NativeRequest): ErrorCode | null {
  if (!validHost(req.getHeader('host'))) return 'PERCORE_ERR_INVALID_HOST';
  if (req.getHeader('content-length') === '' && req.getHeader('transfer-encoding') === '') return null;
  return scanFraming(req);
}

/**
 * For the `any` route, which sees every method without a route of its own. RFC 9110 9.1: a method
 * is a case-sensitive token (uWS hands over 'G@T' as it came; 'get' is a method of its own, which
 * uWS routes to `any`, not to `get`). CONNECT is not implemented, as on the net engine.
 */
export function methodError(method: string): ErrorCode | null {
  if (method.length === 0) return 'PERCORE_ERR_INVALID_METHOD';
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c > 0x7f || TOKEN[c] === 0) return 'PERCORE_ERR_INVALID_METHOD';
  }
  return method === 'CONNECT' ? 'PERCORE_ERR_METHOD_NOT_IMPLEMENTED' : null;
}

/**
 * Answers a refused request with its canned reply and closes the connection, inside uWS's
 * callback and before any handler: end(body, true) writes `Connection: close`, then shuts the
 * socket down and closes it (RFC 9112 6.3: the framing is unknown, nothing after it can be read).
 */
export function refuseRequest(res: NativeResponse, code: ErrorCode): void {
  const reply = cannedReply(code);
  res.writeStatus(`${reply.status} ${reply.reason}`);
  res.writeHeader('Content-Type', reply.contentType);
  res.end(reply.body, true);
}

let contentLengths = 0;
let badContentLength = false;
let transferEncodings = 0;
let chunkedCodings = 0;
let otherCodings = 0;
let lastIsChunked = false;

/** Every Content-Length and Transfer-Encoding field line, as net's parser judges them. */
function scanFraming(req: NativeRequest): ErrorCode | null {
  contentLengths = 0;
  badContentLength = false;
  transferEncodings = 0;
  chunkedCodings = 0;
  otherCodings = 0;
  lastIsChunked = false;
  req.forEach(noteField);
  // RFC 9112 6.3 (5): an invalid or repeated Content-Length is unrecoverable framing. uWS reads
  // the first field line only, where another reader may take the second.
  if (badContentLength) return 'PERCORE_ERR_INVALID_CONTENT_LENGTH';
  if (contentLengths > 1) return 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH';
  if (transferEncodings === 0) return null;
  // RFC 9112 6.3 (3): both framings is how requests are smuggled (uWS refuses it only when the
  // first field line of each has a value).
  if (contentLengths > 0) return 'PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING';
  // RFC 9112 6.3 (4): chunked must be the final coding, applied once (6.1); uWS assumes chunked
  // for any value.
  if (!lastIsChunked || chunkedCodings !== 1) return 'PERCORE_ERR_CHUNKED_NOT_FINAL';
  // RFC 9112 6.1: a coding the server does not understand SHOULD get 501; uWS would hand the
  // still-encoded body to the handler.
  if (otherCodings > 0) return 'PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING';
  return null;
}

/** uWS gives names in lower case and values without surrounding whitespace. */
function noteField(name: string, value: string): void {
  if (name.length === 14 && name === 'content-length') {
    contentLengths++;
    // RFC 9110 8.6: Content-Length = 1*DIGIT.
    if (!/^[0-9]+$/.test(value)) badContentLength = true;
  } else if (name.length === 17 && name === 'transfer-encoding') {
    transferEncodings++;
    // RFC 9110 5.6.1: a comma list, empty elements ignored, across all field lines.
    for (const element of value.split(',')) {
      const coding = element.trim();
      if (coding === '') continue;
      if (coding.toLowerCase() === 'chunked') {
        chunkedCodings++;
        lastIsChunked = true;
      } else {
        otherCodings++;
        lastIsChunked = false;
      }
    }
  }
}

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const HEX = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/** RFC 3986 3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ), '%' apart. */
const REG_NAME = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) if (isAlnum(c) || "-._~!$&'()*+,;=".includes(String.fromCharCode(c))) table[c] = 1;
  return table;
})();

/** IPvFuture's tail: 1*( unreserved / sub-delims / ":" ). */
const IP_FUTURE = (() => {
  const table = REG_NAME.slice();
  table[0x3a] = 1; // ':'
  return table;
})();

/**
 * RFC 3986 3.2.2, inside the brackets, by shape as the net parser checks it: IPv6 characters
 * (HEXDIG, ":", ".") with at least one ":", or IPvFuture, "v" 1*HEXDIG "." 1*( ... ).
 */
function validIpLiteral(host: string, start: number, end: number): boolean {
  if (start === end) return false;
  if ((host.charCodeAt(start) | 0x20) === 0x76 /* v */) {
    const dot = host.indexOf('.', start);
    if (dot === -1 || dot >= end - 1 || dot === start + 1) return false;
    for (let i = start + 1; i < dot; i++) if (!HEX(host.charCodeAt(i))) return false;
    for (let i = dot + 1; i < end; i++) {
      const c = host.charCodeAt(i);
      if (c > 0x7f || IP_FUTURE[c] === 0) return false;
    }
    return true;
  }
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (c !== 0x2e && !HEX(c)) return false;
  }
  return colons > 0;
}

/**
 * RFC 9112 3.2: Host = uri-host [ ":" port ] (RFC 3986 3.2.2, 3.2.3), and a server MUST answer 400
 * to an invalid one. Empty is valid (a target without authority). The grammar, not the meaning:
 * an IP-literal's contents are checked for their characters only.
 */
export function validHost(host: string): boolean {
  const length = host.length;
  let i = 0;
  if (length > 0 && host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    if (close === -1 || !validIpLiteral(host, 1, close)) return false;
    i = close + 1;
  } else {
    while (i < length) {
      const c = host.charCodeAt(i);
      if (c === 0x3a /* : */) break;
      if (c === 0x25 /* % */) {
        if (i + 2 >= length || !HEX(host.charCodeAt(i + 1)) || !HEX(host.charCodeAt(i + 2))) return false;
        i += 3;
        continue;
      }
      if (c > 0x7f || REG_NAME[c] === 0) return false;
      i++;
    }
  }
  if (i === length) return true;
  if (host.charCodeAt(i) !== 0x3a) return false;
  // port = *DIGIT
  for (i++; i < length; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
