import type {
  HttpRequest as NativeRequest,
  HttpResponse as NativeResponse,
  WebSocket as NativeWebSocket,
  WebSocketBehavior as NativeBehavior,
  us_socket_context_t,
} from 'uws-node18-23';
import { PercoreError, statusForError } from '../errors.js';
import type { MessageData } from '../cluster/pubsub.js';
import { checkHeaderName, checkHeaderValue } from '../http/header-validation.js';
import { buildHeaderRecord } from '../http/request.js';
import { reasonPhrase } from '../http/status.js';
import type { Logger } from '../scheduler/scheduler.js';
import type { Uws } from './load.js';

/**
 * WebSocket routes on the `uws` engine: uWebSockets.js does the protocol (RFC 6455 framing,
 * masking, ping/pong, permessage-deflate, pub/sub); this layer keeps its rules and adds what a
 * server needs on top: an upgrade hook that copies the request before it dies and can go
 * asynchronous safely, sockets that turn every use after close into a no-op, a polite 1009 for
 * oversized messages, 1011 when a handler throws, and 1001 for every socket on shutdown.
 */

/** What `send` and `ping` return, as uWS does. */
export const SendStatus = {
  /** Sent, but buffered past what the kernel took: it drains over time (see `drain`). */
  BACKPRESSURE: 0,
  SUCCESS: 1,
  /** Not sent: past `maxBackpressure`, or the socket is closed. */
  DROPPED: 2,
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** The upgrade request, copied out of uWS's stack-allocated request (rule 5): valid at any time. */
export interface UpgradeRequest {
  /** 'GET' (RFC 6455 4.1: an opening handshake is a GET). */
  readonly method: string;
  /** Path and query as sent: '/chat?room=1'. */
  readonly target: string;
  /** The path, undecoded, without the query. */
  readonly path: string;
  /** The query, undecoded, without the '?', or ''. */
  readonly query: string;
  /** The route's parameters by name: '/rooms/:id' gives `{ id }`. */
  readonly params: Readonly<Record<string, string>>;
  /** Header fields by lower-case name; repeated fields joined with ', ' (cookies with '; '). */
  readonly headers: Readonly<Record<string, string>>;
  header(name: string): string | undefined;
  /** [name0, value0, ...], names in lower case (uWS keeps no other). */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  /** The subprotocols the client offered in Sec-WebSocket-Protocol, in its order (RFC 6455 4.1). */
  readonly protocols: readonly string[];
  /** Aborted when the client goes away while an asynchronous upgrade hook runs. */
  readonly signal: AbortSignal;
}

/**
 * An upgrade refused with an HTTP status (300 to 599); the client sees that response and no
 * WebSocket. The body defaults to the status line's text.
 */
export class UpgradeRejection {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    body?: string,
    headers: Record<string, string> = {},
  ) {
    if (!Number.isInteger(status) || status < 300 || status > 599) {
      throw new PercoreError('PERCORE_ERR_INVALID_STATUS', `an upgrade is refused with a status from 300 to 599, got ${String(status)}`);
    }
    // A bad name or value throws here, never reaches the wire.
    for (const [name, value] of Object.entries(headers)) checkHeaderValue(checkHeaderName(name), value);
    this.body = body ?? `${status} ${reasonPhrase(status)}\n`;
    this.headers = { ...headers };
  }
}

/**
 * Refuses an upgrade: return (or throw) it from an `upgrade` hook. `rejectUpgrade(401)` answers
 * '401 Unauthorized' and closes the connection.
 */
export function rejectUpgrade(status: number, body?: string, headers?: Record<string, string>): UpgradeRejection {
  return new UpgradeRejection(status, body, headers);
}

/** What the upgrade hook may answer with: the socket's user data, or a refusal. */
export type UpgradeResult<UserData> = UserData | UpgradeRejection;

/** One WebSocket route's handlers and settings. Every handler runs guarded: a throw closes that socket with 1011. */
export interface WebSocketBehavior<UserData = unknown> {
  /**
   * Decides on the upgrade: return the socket's user data (now or as a promise), or
   * `rejectUpgrade(status)`. Without a hook every upgrade is accepted with `{}` as user data.
   */
  upgrade?: (req: UpgradeRequest) => UpgradeResult<UserData> | Promise<UpgradeResult<UserData>>;
  /**
   * Chooses the subprotocol from those the client offered, or undefined for none (RFC 6455
   * 4.2.2: it must be one of them). Default: the client's first choice.
   */
  selectProtocol?: (offered: readonly string[], req: UpgradeRequest) => string | undefined;
  open?: (socket: WebSocketConnection<UserData>) => void | Promise<void>;
  /** A whole message (fragments joined). `message` is a copy the handler owns. */
  message?: (socket: WebSocketConnection<UserData>, message: Buffer, isBinary: boolean) => void | Promise<void>;
  /** The socket's backpressure went down; check `getBufferedAmount()` and send more. */
  drain?: (socket: WebSocketConnection<UserData>) => void;
  /** A message `send` or a publish dropped because the socket was past `maxBackpressure`. */
  dropped?: (socket: WebSocketConnection<UserData>, message: Buffer, isBinary: boolean) => void;
  /**
   * The socket is closed, whoever closed it: every use of it from here on is a no-op.
   * 1005: the peer's close frame had no code; 1006: no close frame (connection lost, or cut).
   */
  close?: (socket: WebSocketConnection<UserData>, code: number, reason: string) => void;
  /** A ping arrived; uWS has already answered it with a pong (RFC 6455 5.5.2). */
  ping?: (socket: WebSocketConnection<UserData>, payload: Buffer) => void;
  pong?: (socket: WebSocketConnection<UserData>, payload: Buffer) => void;

  /**
   * The largest message accepted, in bytes (default 16 KiB). A larger one closes the socket with
   * 1009 (RFC 6455 7.4.1). uWS would cut the connection with no close frame at all, so it is set
   * to accept somewhat more (twice the limit, at least 4 KiB and at most 1 MiB more) for percore
   * to refuse politely; beyond that, uWS cuts the connection (the peer sees 1006) rather than
   * buffer it.
   */
  maxPayloadLength?: number;
  /** Seconds without traffic before the socket is closed: 0 (never), or 8 to 960 (default 120; uWS's resolution is about 4 s). */
  idleTimeout?: number;
  /** Send pings to keep an idle connection open within idleTimeout (default true). */
  sendPingsAutomatically?: boolean;
  /** Minutes before any socket is closed regardless: 0 (never, the default) to 240. */
  maxLifetime?: number;
  /** permessage-deflate (RFC 7692): false (default), true (uWS's shared compressor), or a uWS CompressOptions value. */
  compression?: boolean | number;
  /**
   * Bytes a socket may hold buffered for a slow reader (default 64 KiB). Past it, sends and
   * publishes to that socket are dropped (`send` returns DROPPED and `dropped` runs), or, with
   * closeOnBackpressureLimit, the connection is cut. 0 means no limit: avoid it.
   */
  maxBackpressure?: number;
  /** Cut the connection of a socket past maxBackpressure instead of dropping messages (default false). */
  closeOnBackpressureLimit?: boolean;
}

/** What a route needs from its server. */
export interface WebSocketHost {
  readonly draining: boolean;
  readonly logger: Logger;
  socketOpened(socket: WebSocketConnection<unknown>): void;
  socketClosed(socket: WebSocketConnection<unknown>): void;
  upgradeStarted(): void;
  upgradeEnded(): void;
  /** Publishes to every subscriber of the topic, in this process and (relayed) the others. */
  publish(topic: string, message: MessageData, isBinary: boolean, compress: boolean): boolean;
  /** Relays a publish to the other processes only: this process's subscribers already have it. */
  relay(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void;
}

/** The user data uWS carries per socket: only a reference to this slot. */
interface Slot<UserData> {
  data: UserData;
  protocol: string;
  path: string;
  remoteAddress: string;
  socket: WebSocketConnection<UserData> | null;
}
interface NativeUserData {
  percore: Slot<unknown>;
}
type Native = NativeWebSocket<NativeUserData>;

/** RFC 6455 7.1.6: a close reason is at most 123 bytes of UTF-8 (a control frame's payload is 125, less the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * One open WebSocket. Valid from `open` until `close`; after that every method is a no-op (send
 * and ping return DROPPED), because uWS throws on any use of a closed socket.
 */
export class WebSocketConnection<UserData = unknown> {
  /** Whatever the upgrade hook returned. */
  readonly data: UserData;
  /** The subprotocol agreed on, or ''. */
  readonly protocol: string;
  /** The path the socket was opened on. */
  readonly path: string;
  readonly remoteAddress: string;
  private native: Native | null;
  private goingAway = false;

  /** @internal */
  constructor(
    native: Native,
    slot: Slot<UserData>,
    private readonly host: WebSocketHost,
  ) {
    this.native = native;
    this.data = slot.data;
    this.protocol = slot.protocol;
    this.path = slot.path;
    this.remoteAddress = slot.remoteAddress;
  }

  /** Whether the socket is closed: by either side, a timeout, or the server's shutdown. */
  get closed(): boolean {
    return this.native === null;
  }

  /** Sends a message; text unless `isBinary` (default: binary for bytes, text for a string). */
  send(message: MessageData, isBinary = typeof message !== 'string', compress = false): SendStatus {
    if (this.native === null) return SendStatus.DROPPED;
    return this.native.send(message, isBinary, compress) as SendStatus;
  }

  /** Bytes buffered for this socket beyond what the kernel took; 0 once closed. */
  getBufferedAmount(): number {
    return this.native === null ? 0 : this.native.getBufferedAmount();
  }

  ping(payload?: MessageData): SendStatus {
    if (this.native === null) return SendStatus.DROPPED;
    return this.native.ping(payload) as SendStatus;
  }

  /**
   * Closes with a close frame (RFC 6455 5.5.1): code 1000 (normal) unless given, and a reason of
   * at most 123 bytes. The `close` handler runs at once. A no-op once closed.
   */
  close(code = 1000, reason = ''): void {
    if (this.native === null) return;
    checkCloseCode(code);
    if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
      throw new PercoreError('PERCORE_ERR_INVALID_CLOSE', `the close reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes`);
    }
    this.native.end(code, reason);
  }

  /** Cuts the connection without a close frame (the peer sees 1006). A no-op once closed. */
  terminate(): void {
    if (this.native === null) return;
    this.native.close();
  }

  /** Subscribes to a topic of this process's pub/sub; publishes from anywhere in the cluster reach it. */
  subscribe(topic: string): boolean {
    return this.native === null ? false : this.native.subscribe(topic);
  }

  unsubscribe(topic: string): boolean {
    return this.native === null ? false : this.native.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.native === null ? false : this.native.isSubscribed(topic);
  }

  get topics(): string[] {
    return this.native === null ? [] : this.native.getTopics();
  }

  /**
   * Publishes to every subscriber of `topic` in the cluster except this socket (as uWS's
   * ws.publish does). Once the socket is closed it publishes to every subscriber.
   */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    if (this.native === null) {
      this.host.publish(topic, message, isBinary, compress);
      return;
    }
    this.native.publish(topic, message, isBinary, compress);
    this.host.relay(topic, message, isBinary, compress);
  }

  /** Runs `sends` with the socket corked, so that what they send leaves in one write. */
  cork(sends: () => void): void {
    if (this.native === null) sends();
    else this.native.cork(sends);
  }

  /** @internal uWS has called `close`: the native socket is gone. */
  detach(): void {
    this.native = null;
  }

  /**
   * @internal The server is shutting down: close with 1001, going away (RFC 6455 7.4.1). A socket
   * with data still buffered closes once it drains, so that the close frame does not overtake it
   * (or the server's grace runs out first).
   */
  goAway(): void {
    if (this.native === null) return;
    this.goingAway = true;
    if (this.native.getBufferedAmount() === 0) this.native.end(1001, 'going away');
  }

  /** @internal uWS reported a drain. */
  drained(): void {
    if (this.goingAway && this.native !== null && this.native.getBufferedAmount() === 0) this.native.end(1001, 'going away');
  }
}

/**
 * RFC 6455 7.4.1 and 7.4.2: 1004 is reserved, 1005 and 1006 must never be sent, 1015 is for TLS;
 * 3000-4999 are for libraries and applications.
 */
export function checkCloseCode(code: number): void {
  const valid = Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
  if (!valid) throw new PercoreError('PERCORE_ERR_INVALID_CLOSE', `got ${String(code)}`);
}

// ---- Settings -----------------------------------------------------------------------------

const DEFAULT_MAX_PAYLOAD = 16 * 1024;
const MAX_MAX_PAYLOAD = 1 << 30;

/** Throws PERCORE_ERR_INVALID_OPTION for a pattern or setting uWS would reject (it aborts the process on some). */
export function validateWebSocketBehavior<UserData>(pattern: string, behavior: WebSocketBehavior<UserData>): void {
  const invalid = (detail: string) => new PercoreError('PERCORE_ERR_INVALID_OPTION', `WebSocket route ${JSON.stringify(pattern)}: ${detail}`);
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) throw invalid('a pattern starts with /');
  if (typeof behavior !== 'object' || behavior === null) throw invalid('the behavior must be an object');
  for (const name of ['upgrade', 'selectProtocol', 'open', 'message', 'drain', 'dropped', 'close', 'ping', 'pong'] as const) {
    if (behavior[name] !== undefined && typeof behavior[name] !== 'function') throw invalid(`${name} must be a function`);
  }
  const integer = (name: 'maxPayloadLength' | 'idleTimeout' | 'maxLifetime' | 'maxBackpressure', min: number, max: number) => {
    const value = behavior[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)) {
      throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('maxPayloadLength', 1, MAX_MAX_PAYLOAD);
  // uWS terminates the process for 1 to 7 (its timer resolution is 4 s), and above 960.
  integer('idleTimeout', 0, 960);
  if (behavior.idleTimeout !== undefined && behavior.idleTimeout > 0 && behavior.idleTimeout < 8) {
    throw invalid(`idleTimeout must be 0 or from 8 to 960 seconds, got ${behavior.idleTimeout}`);
  }
  integer('maxLifetime', 0, 240);
  integer('maxBackpressure', 0, 2 ** 31 - 1);
  const compression = behavior.compression;
  if (compression !== undefined && typeof compression !== 'boolean' && !(typeof compression === 'number' && Number.isInteger(compression) && compression >= 0)) {
    throw invalid('compression must be a boolean or a uWS CompressOptions value');
  }
}

// ---- The route ----------------------------------------------------------------------------

/**
 * uWS's behavior for one route. uWS matches a WebSocket route only on upgrade requests (it
 * yields a plain GET to the next route), so the HTTP `any('/*')` route stays in charge of the rest.
 */
export function nativeBehavior<UserData>(host: WebSocketHost, uws: Uws, pattern: string, behavior: WebSocketBehavior<UserData>): NativeBehavior<NativeUserData> {
  const parameterNames = pattern
    .split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1));
  const limit = behavior.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD;
  const slack = Math.min(Math.max(limit, 4096), 1 << 20);
  const compression = behavior.compression === true ? uws.SHARED_COMPRESSOR : behavior.compression === false || behavior.compression === undefined ? uws.DISABLED : behavior.compression;
  const socketOf = (native: Native) => native.getUserData().percore.socket as WebSocketConnection<UserData> | null;

  /** Runs a user handler; a throw or a rejection closes the socket with 1011, internal error (RFC 6455 7.4.1). */
  const guarded = (socket: WebSocketConnection<UserData>, what: string, run: () => unknown) => {
    const failed = (error: unknown) => {
      host.logger.error('PERCORE_ERR_WEBSOCKET_HANDLER_FAILED', `the ${what} handler of a WebSocket on ${socket.path} failed`, error);
      socket.close(1011, 'internal error');
    };
    try {
      const result = run();
      if (isThenable(result)) result.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  };

  return {
    maxPayloadLength: limit + slack,
    idleTimeout: behavior.idleTimeout ?? 120,
    sendPingsAutomatically: behavior.sendPingsAutomatically ?? true,
    maxLifetime: behavior.maxLifetime ?? 0,
    compression,
    maxBackpressure: behavior.maxBackpressure ?? 64 * 1024,
    closeOnBackpressureLimit: behavior.closeOnBackpressureLimit ?? false,

    upgrade: (res, req, context) => new Upgrade(host, behavior, parameterNames, res, req, context).run(),

    open: (native) => {
      const slot = native.getUserData().percore as Slot<UserData>;
      const socket = new WebSocketConnection<UserData>(native, slot, host);
      slot.socket = socket;
      host.socketOpened(socket as WebSocketConnection<unknown>);
      if (behavior.open) guarded(socket, 'open', () => behavior.open!(socket));
      // Accepted just as the server began to drain: it goes too.
      if (host.draining) socket.goAway();
    },

    message: (native, message, isBinary) => {
      const socket = socketOf(native);
      if (socket === null || socket.closed) return;
      if (message.byteLength > limit) {
        // RFC 6455 7.4.1: 1009, a message too big to process.
        socket.close(1009, 'message too big');
        return;
      }
      // uWS neuters `message` when this callback returns: the handler gets its own copy.
      if (behavior.message) guarded(socket, 'message', () => behavior.message!(socket, Buffer.from(new Uint8Array(message)), isBinary));
    },

    drain: (native) => {
      const socket = socketOf(native);
      if (socket === null) return;
      socket.drained();
      if (behavior.drain && !socket.closed) guarded(socket, 'drain', () => behavior.drain!(socket));
    },

    dropped: (native, message, isBinary) => {
      const socket = socketOf(native);
      if (socket === null || !behavior.dropped) return;
      guarded(socket, 'dropped', () => behavior.dropped!(socket, Buffer.from(new Uint8Array(message)), isBinary));
    },

    ping: (native, payload) => {
      const socket = socketOf(native);
      if (socket !== null && behavior.ping) guarded(socket, 'ping', () => behavior.ping!(socket, Buffer.from(new Uint8Array(payload))));
    },

    pong: (native, payload) => {
      const socket = socketOf(native);
      if (socket !== null && behavior.pong) guarded(socket, 'pong', () => behavior.pong!(socket, Buffer.from(new Uint8Array(payload))));
    },

    close: (native, code, reason) => {
      const socket = socketOf(native);
      if (socket === null) return;
      // From here on uWS throws on any use of the native socket: make every use a no-op first.
      socket.detach();
      host.socketClosed(socket as WebSocketConnection<unknown>);
      if (behavior.close) {
        const text = Buffer.from(reason).toString('utf8');
        try {
          behavior.close(socket, code, text);
        } catch (error) {
          host.logger.error('PERCORE_ERR_WEBSOCKET_HANDLER_FAILED', `the close handler of a WebSocket on ${socket.path} failed`, error);
        }
      }
    },
  };
}

/**
 * One upgrade request, kept to uWS's rules: the request is copied before anything else (rule 5),
 * onAborted is registered before the hook's promise is awaited (rule 2), and after the await the
 * upgrade or refusal is written inside res.cork (rule 3).
 */
class Upgrade<UserData> implements UpgradeRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly params: Readonly<Record<string, string>>;
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly protocols: readonly string[];
  private readonly key: string;
  private readonly extensions: string;
  private readonly version: string;
  private readonly abort = new AbortController();
  private headerRecord: Record<string, string> | null = null;
  private inCallback = true;
  private aborted = false;

  constructor(
    private readonly host: WebSocketHost,
    private readonly behavior: WebSocketBehavior<UserData>,
    parameterNames: readonly string[],
    private readonly res: NativeResponse,
    req: NativeRequest,
    private readonly context: us_socket_context_t,
  ) {
    this.method = req.getCaseSensitiveMethod();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.target = this.query === '' ? this.path : `${this.path}?${this.query}`;
    const params: Record<string, string> = Object.create(null);
    parameterNames.forEach((name, index) => (params[name] = req.getParameter(index) ?? ''));
    this.params = params;
    const raw: string[] = [];
    req.forEach((name, value) => raw.push(name, value));
    this.rawHeaders = raw;
    this.key = req.getHeader('sec-websocket-key');
    this.extensions = req.getHeader('sec-websocket-extensions');
    this.version = req.getHeader('sec-websocket-version');
    this.protocols = req
      .getHeader('sec-websocket-protocol')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== '');
    this.remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerRecord ??= buildHeaderRecord(this.rawHeaders));
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Runs inside uWS's upgrade callback. */
  run(): void {
    // RFC 6455 4.2.2 and 4.4: a version this server does not speak is answered 426 with the one it does.
    if (this.version !== '13') {
      this.refuse(new UpgradeRejection(426, 'Upgrade Required: Sec-WebSocket-Version 13\n', { 'Sec-WebSocket-Version': '13' }));
      return;
    }
    if (this.host.draining) {
      this.refuse(rejectUpgrade(503));
      return;
    }
    const hook = this.behavior.upgrade;
    if (hook === undefined) {
      this.settle({} as UserData);
      return;
    }
    let result: UpgradeResult<UserData> | Promise<UpgradeResult<UserData>>;
    try {
      result = hook(this);
    } catch (error) {
      this.failed(error);
      return;
    }
    if (!isThenable(result)) {
      this.settle(result as UpgradeResult<UserData>);
      return;
    }
    // Going asynchronous: without an abort handler uWS would abort the process (rule 2).
    this.res.onAborted(() => {
      this.aborted = true;
      this.abort.abort(new PercoreError('PERCORE_ERR_ABORTED', 'the client went away during the upgrade'));
    });
    this.inCallback = false;
    this.host.upgradeStarted();
    (result as Promise<UpgradeResult<UserData>>)
      .then(
        (value) => this.settle(value),
        (error: unknown) => this.failed(error),
      )
      .finally(() => this.host.upgradeEnded());
  }

  private settle(result: UpgradeResult<UserData>): void {
    if (this.aborted) return;
    if (result instanceof UpgradeRejection) {
      this.refuse(result);
      return;
    }
    if (this.host.draining) {
      this.refuse(rejectUpgrade(503));
      return;
    }
    let protocol: string | undefined;
    try {
      protocol = this.behavior.selectProtocol ? this.behavior.selectProtocol(this.protocols, this) : this.protocols[0];
      if (protocol !== undefined && !this.protocols.includes(protocol)) {
        throw new PercoreError('PERCORE_ERR_UPGRADE_FAILED', `selectProtocol chose ${JSON.stringify(protocol)}, which the client did not offer (RFC 6455 4.2.2)`);
      }
    } catch (error) {
      this.failed(error);
      return;
    }
    const slot: Slot<UserData> = { data: result, protocol: protocol ?? '', path: this.path, remoteAddress: this.remoteAddress, socket: null };
    const userData: NativeUserData = { percore: slot as Slot<unknown> };
    this.corked(() => this.res.upgrade(userData, this.key, protocol ?? '', this.extensions, this.context));
  }

  private failed(error: unknown): void {
    if (this.aborted) return;
    if (error instanceof UpgradeRejection) {
      this.refuse(error);
      return;
    }
    const status = statusForError(error);
    if (status >= 500) this.host.logger.error('PERCORE_ERR_UPGRADE_FAILED', `the upgrade hook for ${this.path} failed`, error);
    this.refuse(new UpgradeRejection(status));
  }

  /** Answers with the refusal and closes the connection: the client asked to leave HTTP behind. */
  private refuse(rejection: UpgradeRejection): void {
    if (this.aborted) return;
    this.corked(() => {
      this.res.writeStatus(`${rejection.status} ${reasonPhrase(rejection.status)}`);
      let typed = false;
      for (const [name, value] of Object.entries(rejection.headers)) {
        if (name.toLowerCase() === 'content-type') typed = true;
        this.res.writeHeader(name, value);
      }
      if (!typed && rejection.body !== '') this.res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
      this.res.end(rejection.body, true);
    });
  }

  private corked(write: () => void): void {
    if (this.inCallback) write();
    else this.res.cork(write);
  }
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
