import type { HandOverFactory } from '../scheduler/task.js';

/**
 * The handler API, shared by every engine. A handler never sees the engine: the `net` engine
 * (percore's own HTTP/1.x state machine) and later engines implement these same interfaces.
 */

export interface BodyReadOptions {
  /** The most bytes to accept; more rejects with PERCORE_ERR_BODY_TOO_LARGE (413). Default: the server's maxBodySize. */
  limit?: number;
}

/**
 * The request a handler receives. On the `uws` engine, uWebSockets.js frees its request when its
 * callback returns, so fields are read lazily: a handler that goes asynchronous (awaits, or
 * returns without ending the response) can read everything at any time later; a handler that
 * ends the response synchronously must read what it needs before it returns, or a later first
 * read throws PERCORE_ERR_REQUEST_EXPIRED. On `net` everything can be read at any time.
 */
export interface HttpRequest extends AsyncIterable<Buffer> {
  /** As sent, case-sensitive: 'GET', 'POST', ... */
  readonly method: string;
  /** The request-target exactly as sent: '/a/b?x=1', 'http://host/a', or '*'. */
  readonly target: string;
  /** The target's path, undecoded, without the query: '/a/b'. */
  readonly path: string;
  /** The target's query, undecoded, without the '?': 'x=1', or ''. */
  readonly query: string;
  /** '2.0' for a request on an HTTP/2 stream (net engine, over TLS with ALPN h2). */
  readonly httpVersion: '1.0' | '1.1' | '2.0';
  /** Header fields by lower-case name; repeated fields joined with ', ' (cookies with '; '). */
  readonly headers: Readonly<Record<string, string>>;
  /** One header by name, any case. */
  header(name: string): string | undefined;
  /** Field names and values as sent: [name0, value0, name1, value1, ...]. */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Whether a body is being or has been read. A body can be read once. */
  readonly bodyUsed: boolean;
  /** The whole body, buffered. */
  bytes(options?: BodyReadOptions): Promise<Buffer>;
  /** The whole body as UTF-8 text. */
  text(options?: BodyReadOptions): Promise<string>;
  /** The whole body parsed as JSON; invalid JSON rejects with PERCORE_ERR_INVALID_JSON (400). */
  json<T = unknown>(options?: BodyReadOptions): Promise<T>;
  /** Trailer fields of a chunked body, once it has been read; otherwise empty. */
  readonly trailers: readonly string[];
  /**
   * The path parameters of the route that matched ('/users/:id' gives `{ id }`), each
   * percent-decoded once; a trailing `*` puts the rest of the path under '*'. Empty until a
   * router matches. Written by the router.
   */
  params: Readonly<Record<string, string>>;
  /**
   * The pattern of the route that matched, mount prefixes included ('/api/users/:id'), or
   * undefined while none has. Observers label by it (never by the raw path). Written by the router.
   */
  route: string | undefined;
  /**
   * The prefix that the routers above a mounted handler matched ('/api'), '' when nothing is
   * mounted: the handler's own part of the path is `path.slice(basePath.length)`. Written by the router.
   */
  basePath: string;
  /**
   * An error a handler threw that has been answered already (a router's 5xx error page), or
   * undefined: the exchange observer reports it as the exchange's error. Written by the router.
   */
  handlerError: unknown;
}

export type HeaderValue = string | number | readonly string[];

export interface HttpResponse {
  /** The status code, 200 unless set. */
  status: number;
  setHeader(name: string, value: HeaderValue): this;
  getHeader(name: string): string | undefined;
  removeHeader(name: string): this;
  /** Whether the head has been written; headers and status are fixed after that. */
  readonly headersSent: boolean;
  /** Whether `end` has been called (or the exchange ended otherwise). */
  readonly finished: boolean;
  /** Whether the client went away (or the exchange timed out) before the response finished. */
  readonly aborted: boolean;
  /** Aborted when the client goes away before the response finished. */
  readonly signal: AbortSignal;
  /** Runs `callback` once if the client goes away before the response finished. */
  onAborted(callback: () => void): void;
  /**
   * Streams a piece of the body. The first write sends the head: Content-Length if set,
   * else chunked on HTTP/1.1, else close-delimited on HTTP/1.0. Returns false when the client is
   * not keeping up; then await `drain()` before writing more.
   */
  write(chunk: string | Uint8Array): boolean;
  /** Resolves when the connection can take more data (at once if it can, or if the exchange is over). */
  drain(): Promise<void>;
  /** Sends the rest of the body, if any, and finishes. Adds Content-Length when nothing was streamed. */
  end(body?: string | Uint8Array): void;
  /**
   * A trailer field, sent after the body (RFC 9110 6.5): a checksum, or gRPC's status. Set it any
   * time before `end`. It goes out where the framing carries trailers: on HTTP/2 (set it, or
   * announce it with a `Trailer` header, before the head goes out), and on HTTP/1.1 with a
   * chunked body (one streamed without Content-Length); elsewhere it is dropped, as RFC 9110 6.5
   * lets a sender do. Fields that frame, route or authenticate the message are refused
   * (PERCORE_ERR_INVALID_RESPONSE_HEADER); the uws engine throws PERCORE_ERR_TRAILERS_UNSUPPORTED.
   */
  setTrailer(name: string, value: HeaderValue): this;
  /**
   * Switches the connection to another protocol (RFC 9110 7.8, 15.2.2): sends `101 Switching
   * Protocols` with `Connection: Upgrade`, `Upgrade: <protocol>`, the headers set so far and
   * `headers`, then hands the socket to the task `factory` makes. `head` holds the bytes the client
   * sent after this request (pipelined), which reach the new task's `onData` first. Valid only for
   * an HTTP/1.1 request whose `Upgrade` lists `protocol` and whose `Connection` has `upgrade`, with
   * its body (if any) received whole: otherwise PERCORE_ERR_UPGRADE_NOT_REQUESTED, and nothing
   * is sent. Engines without tasks (uws) throw PERCORE_ERR_UPGRADE_UNSUPPORTED.
   */
  upgrade(protocol: string, factory: HandOverFactory, headers?: Readonly<Record<string, HeaderValue>>): void;
}

export type Handler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;
