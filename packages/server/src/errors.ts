/**
 * The catalog of percore errors. Every error percore raises or answers with carries a stable
 * `PERCORE_ERR_*` code; those that end an HTTP exchange also carry the status they answer with.
 */

interface ErrorSpec {
  /** The HTTP status answered when this error ends a request; 0 when it is not an HTTP reply. */
  readonly status: number;
  readonly message: string;
}

function spec(status: number, message: string): ErrorSpec {
  return { status, message };
}

export const errorCatalog = {
  // Request line (RFC 9112 3)
  PERCORE_ERR_INVALID_METHOD: spec(400, 'The method is not a valid token'),
  PERCORE_ERR_INVALID_TARGET: spec(400, 'The request-target is malformed'),
  PERCORE_ERR_INVALID_REQUEST_LINE: spec(400, 'The request line is malformed'),
  PERCORE_ERR_INVALID_VERSION: spec(400, 'The HTTP version is malformed'),
  PERCORE_ERR_VERSION_NOT_SUPPORTED: spec(505, 'Only HTTP/1.0 and HTTP/1.1 are supported'),
  PERCORE_ERR_METHOD_NOT_IMPLEMENTED: spec(501, 'CONNECT is not implemented'),
  PERCORE_ERR_REQUEST_LINE_TOO_LONG: spec(414, 'The request line is longer than the configured limit'),

  // Line endings (RFC 9112 2.2)
  PERCORE_ERR_BARE_CR: spec(400, 'A CR was not followed by LF'),
  PERCORE_ERR_BARE_LF: spec(400, 'A line ended in LF without CR'),

  // Header fields (RFC 9112 5, RFC 9110 5)
  PERCORE_ERR_INVALID_HEADER_NAME: spec(400, 'A header field name is not a valid token'),
  PERCORE_ERR_INVALID_HEADER_VALUE: spec(400, 'A header field value holds a forbidden character'),
  PERCORE_ERR_WHITESPACE_BEFORE_COLON: spec(400, 'Whitespace between a header field name and its colon'),
  PERCORE_ERR_OBSOLETE_LINE_FOLDING: spec(400, 'Obsolete line folding is not accepted'),
  PERCORE_ERR_HEADERS_TOO_LARGE: spec(431, 'The header block is larger than the configured limit'),
  PERCORE_ERR_TOO_MANY_HEADERS: spec(431, 'More header fields than the configured limit'),
  PERCORE_ERR_MISSING_HOST: spec(400, 'HTTP/1.1 requests must carry a Host header'),
  PERCORE_ERR_DUPLICATE_HOST: spec(400, 'More than one Host header'),
  PERCORE_ERR_INVALID_HOST: spec(400, 'The Host header is not a valid uri-host [ ":" port ]'),
  PERCORE_ERR_EXPECTATION_FAILED: spec(417, 'Only the 100-continue expectation is supported'),

  // Message framing (RFC 9112 6)
  PERCORE_ERR_INVALID_CONTENT_LENGTH: spec(400, 'Content-Length is not a decimal number'),
  PERCORE_ERR_DUPLICATE_CONTENT_LENGTH: spec(400, 'More than one Content-Length'),
  PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING: spec(400, 'Content-Length and Transfer-Encoding together'),
  PERCORE_ERR_CHUNKED_NOT_FINAL: spec(400, 'Transfer-Encoding does not end in a single chunked coding'),
  PERCORE_ERR_TRANSFER_ENCODING_ON_HTTP10: spec(400, 'Transfer-Encoding in an HTTP/1.0 request'),
  PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING: spec(501, 'A transfer coding other than chunked'),
  PERCORE_ERR_INVALID_CHUNK_SIZE: spec(400, 'A chunk size is not a hexadecimal number'),
  PERCORE_ERR_INVALID_CHUNK_EXTENSION: spec(400, 'A chunk extension is malformed'),
  PERCORE_ERR_INVALID_CHUNK_FRAMING: spec(400, 'Chunk data is not followed by CRLF'),
  PERCORE_ERR_BODY_TOO_LARGE: spec(413, 'The body is larger than the configured limit'),

  // Timeouts and capacity
  PERCORE_ERR_HEADER_TIMEOUT: spec(408, 'The request head did not arrive in time'),
  PERCORE_ERR_BODY_TIMEOUT: spec(408, 'The request body stalled'),
  PERCORE_ERR_RESPONSE_TIMEOUT: spec(503, 'The handler did not answer in time'),
  PERCORE_ERR_SERVER_BUSY: spec(503, 'The server is at its connection limit'),

  // Handler and API use
  PERCORE_ERR_HANDLER_FAILED: spec(500, 'The handler threw or rejected'),
  PERCORE_ERR_INVALID_JSON: spec(400, 'The request body is not valid JSON'),
  PERCORE_ERR_ABORTED: spec(0, 'The client went away before the exchange finished'),
  PERCORE_ERR_BODY_ALREADY_READ: spec(0, 'The request body can be read only once'),
  PERCORE_ERR_HEADERS_SENT: spec(0, 'The response head has already been sent'),
  PERCORE_ERR_RESPONSE_FINISHED: spec(0, 'The response has already ended'),
  PERCORE_ERR_INVALID_RESPONSE_HEADER: spec(0, 'A response header name or value is invalid'),
  PERCORE_ERR_INVALID_STATUS: spec(0, 'A response status must be an integer from 100 to 999'),
  PERCORE_ERR_UPGRADE_NOT_REQUESTED: spec(
    0,
    'The request did not ask for this upgrade: it needs HTTP/1.1, Upgrade naming the protocol, Connection: upgrade, and no body pending (RFC 9110 7.8)',
  ),
  PERCORE_ERR_UPGRADE_UNSUPPORTED: spec(0, 'This engine cannot hand a connection over to another protocol'),
  PERCORE_ERR_TRAILERS_UNSUPPORTED: spec(0, 'This engine cannot send trailer fields'),

  // Routing and static files
  PERCORE_ERR_INVALID_ROUTE: spec(0, 'A route pattern is invalid or conflicts with one already registered'),
  PERCORE_ERR_NOT_FOUND: spec(404, 'No route or file matches the path'),
  PERCORE_ERR_METHOD_NOT_ALLOWED: spec(405, 'The path exists, but not for this method'),
  PERCORE_ERR_PARAM_TOO_LONG: spec(414, 'A path parameter is longer than the configured limit'),
  PERCORE_ERR_INVALID_PATH: spec(400, 'The path holds a malformed percent-encoding, a NUL or an encoded separator'),
  PERCORE_ERR_FILE_CHANGED: spec(500, 'A file changed while it was being sent; the connection was cut'),

  // Cluster
  PERCORE_ERR_LISTEN_FAILED: spec(0, 'The server could not listen'),
  PERCORE_ERR_WORKER_DIED: spec(0, 'A worker died unexpectedly and is being replaced'),
  PERCORE_ERR_CRASH_LOOP: spec(0, 'Workers keep dying; the primary stopped'),
  PERCORE_ERR_DRAIN_FORCED: spec(0, 'A worker did not drain in time and was killed'),
  PERCORE_ERR_RESTART_UNAVAILABLE: spec(0, 'Only the primary of a cluster can restart its workers'),

  // Transport: TLS under HTTP (RFC 8446, ALPN RFC 7301)
  PERCORE_ERR_TLS_CONFIG: spec(0, 'The TLS options are incomplete or unusable'),
  PERCORE_ERR_TLS_HANDSHAKE_FAILED: spec(0, 'A TLS handshake failed or timed out; the connection was dropped'),

  // HTTP/2 (RFC 9113), over TLS with ALPN h2 on the net engine
  PERCORE_ERR_HTTP2_RAPID_RESET: spec(0, 'A client reset streams faster than allowed; its connection was closed (CVE-2023-44487)'),
  PERCORE_ERR_HTTP2_SESSION_FAILED: spec(0, 'An HTTP/2 connection failed with a protocol or socket error and was closed'),

  // uWebSockets.js engine
  PERCORE_ERR_UWS_UNAVAILABLE: spec(0, 'The uws engine cannot run here'),
  PERCORE_ERR_PROXY_PROTOCOL: spec(0, 'A PROXY protocol header was malformed, missing or late; the connection was closed'),
  PERCORE_ERR_REQUEST_EXPIRED: spec(0, 'The uws engine request is gone: read it before the response ends'),

  // WebSockets and pub/sub (RFC 6455, RFC 7692)
  PERCORE_ERR_UPGRADE_FAILED: spec(500, 'The WebSocket upgrade hook threw or rejected'),
  PERCORE_ERR_WEBSOCKET_HANDLER_FAILED: spec(0, 'A WebSocket handler threw; the socket was closed with 1011'),
  PERCORE_ERR_INVALID_CLOSE: spec(
    0,
    'A WebSocket close code must be 1000-1003, 1007-1014 or 3000-4999, with a reason of at most 123 bytes (RFC 6455 5.5, 7.4)',
  ),
  PERCORE_ERR_PUBSUB_UNAVAILABLE: spec(0, 'The engine has no WebSocket topics to publish to'),
  PERCORE_ERR_PUBSUB_BRIDGE: spec(0, 'The Redis bridge could not carry a publish between hosts (Redis down or a bad message)'),
  PERCORE_ERR_WEBSOCKET_INVALID_HANDSHAKE: spec(400, 'The WebSocket opening handshake is malformed (RFC 6455 4.2.1)'),
  PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION: spec(400, 'The Sec-WebSocket-Extensions offer is malformed (RFC 7692 5)'),
  PERCORE_ERR_WEBSOCKET_PROTOCOL: spec(0, 'The peer broke WebSocket framing; the connection failed with 1002 (RFC 6455 5, 7.1.7)'),
  PERCORE_ERR_WEBSOCKET_INVALID_UTF8: spec(0, 'A text message or close reason was not UTF-8; the connection failed with 1007 (RFC 6455 8.1)'),
  PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG: spec(0, 'A message was larger than maxPayloadLength; the socket closed with 1009 (RFC 6455 7.4.1)'),
  PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE: spec(0, 'A compressed message did not inflate; the connection failed with 1007 (RFC 7692 8)'),
  PERCORE_ERR_WEBSOCKET_BACKPRESSURE: spec(0, 'A socket went past maxBackpressure with closeOnBackpressureLimit; it was cut'),

  // Scheduler and configuration
  PERCORE_ERR_TASK_FAILED: spec(0, 'A task threw; it was closed and the scheduler carried on'),
  PERCORE_ERR_TASK_CLOSED: spec(0, 'The task has closed or half-closed: it can no longer hand over its socket'),
  PERCORE_ERR_INVALID_OPTION: spec(0, 'An option is out of range or of the wrong type'),
  PERCORE_ERR_NOT_LISTENING: spec(0, 'The server is not listening'),
  PERCORE_ERR_OBSERVER_FAILED: spec(0, 'An exchange observer threw; the exchange carried on'),

  // Metrics
  PERCORE_ERR_INVALID_METRIC: spec(0, 'A metric name, label or value is invalid, or clashes with one registered before'),
  PERCORE_ERR_METRICS_UNAVAILABLE: spec(503, 'The cluster’s metrics could not be gathered'),

  // Outbound connections (scheduler connect)
  PERCORE_ERR_CONNECT_REFUSED: spec(0, 'The peer refused the connection'),
  PERCORE_ERR_CONNECT_TIMEOUT: spec(0, 'The connection was not made in time'),
  PERCORE_ERR_CONNECT_FAILED: spec(0, 'The connection could not be made'),
  PERCORE_ERR_CONNECT_ABORTED: spec(0, 'The connection was abandoned before it was made: its parent task or the scheduler closed'),
  PERCORE_ERR_RECONNECT_GAVE_UP: spec(0, 'Reconnecting stopped after the configured number of failed attempts'),

  // Connection pools (scheduler pool)
  PERCORE_ERR_POOL_FULL: spec(0, 'Every connection of the pool is busy and its wait queue is full'),
  PERCORE_ERR_POOL_TIMEOUT: spec(0, 'No connection of the pool came free in time'),
  PERCORE_ERR_POOL_CLOSED: spec(0, 'The pool is closed'),

  // The RESP (Redis) client
  PERCORE_ERR_RESP_PROTOCOL: spec(0, 'The server sent bytes that are not RESP; the connection was closed'),
  PERCORE_ERR_RESP_REPLY: spec(0, 'The server answered the command with an error reply'),
  PERCORE_ERR_RESP_CONNECTION_LOST: spec(
    0,
    'No connection carried the command: it was lost with the command in flight (never sent again), or there was none (offlineQueue off)',
  ),
  PERCORE_ERR_RESP_QUEUE_FULL: spec(0, 'Too many commands are pending; this one failed fast'),
  PERCORE_ERR_RESP_CLOSED: spec(0, 'The client is closed'),
  PERCORE_ERR_RESP_TIMEOUT: spec(0, 'The command got no reply in time'),
  PERCORE_ERR_RESP_SUBSCRIBER_MODE: spec(0, 'Under RESP2 a subscribed connection takes only (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING and QUIT'),

  // Logs
  PERCORE_ERR_LOG_LINES_DROPPED: spec(0, 'Log lines were dropped: too many were waiting for a slow destination'),
  PERCORE_ERR_LOG_WRITE_FAILED: spec(0, 'Writing log lines failed; those lines were lost'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalog;

/** An error with a stable code, and the HTTP status it answers with (0 when none). */
export class PercoreError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = errorCatalog[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'PercoreError';
    this.code = code;
    this.status = entry.status;
  }
}

export function isPercoreError(value: unknown): value is PercoreError {
  return value instanceof PercoreError;
}

/** The status an error answers with, for errors thrown out of a handler: 500 unless it says otherwise. */
export function statusForError(error: unknown): number {
  if (error instanceof PercoreError && error.status >= 400) return error.status;
  return errorCatalog.PERCORE_ERR_HANDLER_FAILED.status;
}
