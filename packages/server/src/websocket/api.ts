import { PercoreError } from '../errors.js';
import type { MessageData } from '../pubsub/types.js';
import { checkHeaderName, checkHeaderValue } from '../http/header-validation.js';
import { reasonPhrase } from '../http/status.js';
import type { PerMessageDeflateOptions } from './permessage-deflate.js';

/**
 * The WebSocket API, the same on both engines: behaviours, upgrade requests and refusals, the
 * socket, send status. The `uws` engine runs it on uWebSockets.js; the `net` engine on percore's
 * own RFC 6455 state machine (websocket/frame-parser.ts).
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

/** The upgrade request: valid at any time (on uws it is copied out of uWS's stack-allocated request). */
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
  /**
   * Seconds without a frame received before the socket is cut (its `close` sees 1006): 0 (never),
   * or 8 to 960 (default 120; uWS's resolution is about 4 s, net's the timer wheel's).
   */
  idleTimeout?: number;
  /** Send a ping to a socket idle for half of idleTimeout, to keep it open (default true). */
  sendPingsAutomatically?: boolean;
  /** Minutes before any socket is closed regardless: 0 (never, the default) to 240. */
  maxLifetime?: number;
  /**
   * permessage-deflate (RFC 7692): false (default) or true. On uws, true is uWS's shared
   * compressor, and a uWS CompressOptions number is taken as well; on net, true (or any non-zero
   * number) negotiates it with `perMessageDeflate`'s settings.
   */
  compression?: boolean | number;
  /** net only: permessage-deflate's settings when `compression` is on (window bits, context takeover, threshold, zlib jobs). */
  perMessageDeflate?: PerMessageDeflateOptions;
  /**
   * Bytes a socket may hold buffered for a slow reader (default 64 KiB). Past it, sends and
   * publishes to that socket are dropped (`send` returns DROPPED and `dropped` runs), or, with
   * closeOnBackpressureLimit, the connection is cut. 0 means no limit: avoid it.
   */
  maxBackpressure?: number;
  /** Cut the connection of a socket past maxBackpressure instead of dropping messages (default false). */
  closeOnBackpressureLimit?: boolean;
}

/**
 * One open WebSocket, on either engine. Valid from `open` until `close`; after that every method is
 * a no-op (send and ping return DROPPED).
 */
export interface WebSocketConnection<UserData = unknown> {
  /** Whatever the upgrade hook returned. */
  readonly data: UserData;
  /** The subprotocol agreed on, or ''. */
  readonly protocol: string;
  /** The path the socket was opened on. */
  readonly path: string;
  readonly remoteAddress: string;
  /** Whether the socket is closed: by either side, a timeout, or the server's shutdown. */
  readonly closed: boolean;
  /** Sends a message; text unless `isBinary` (default: binary for bytes, text for a string). */
  send(message: MessageData, isBinary?: boolean, compress?: boolean): SendStatus;
  /** Bytes buffered for this socket beyond what the kernel took; 0 once closed. */
  getBufferedAmount(): number;
  ping(payload?: MessageData): SendStatus;
  /**
   * Closes with a close frame (RFC 6455 5.5.1): code 1000 (normal) unless given, and a reason of
   * at most 123 bytes (else PERCORE_ERR_INVALID_CLOSE). The `close` handler runs at once. A no-op once closed.
   */
  close(code?: number, reason?: string): void;
  /** Cuts the connection without a close frame (the peer sees 1006). A no-op once closed. */
  terminate(): void;
  /** Subscribes to a topic of this process's pub/sub; publishes from anywhere in the cluster reach it. */
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  readonly topics: string[];
  /**
   * Publishes to every subscriber of `topic` in the cluster except this socket (as uWS's
   * ws.publish does). Once the socket is closed it publishes to every subscriber.
   */
  publish(topic: string, message: MessageData, isBinary?: boolean, compress?: boolean): void;
  /** Runs `sends` with the socket corked, so that what they send leaves in one write. */
  cork(sends: () => void): void;
}

export function isThenable(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
