import type { WebSocketBehavior as NativeBehavior } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import type { Uws } from './load.js';
import type { WebSocketBehavior, WebSocketHost } from './websocket-api.js';
import { WebSocketConnection, type Native, type NativeUserData, type Slot } from './websocket-connection.js';
import { framingError, refuseRequest } from './framing.js';
import { isThenable, Upgrade } from './websocket-upgrade.js';

export * from './websocket-api.js';
export { WebSocketConnection, checkCloseCode } from './websocket-connection.js';

/**
 * WebSocket routes on the `uws` engine: uWebSockets.js does the protocol (RFC 6455 framing,
 * masking, ping/pong, permessage-deflate, pub/sub); this layer keeps its rules and adds what a
 * server needs on top: an upgrade hook that copies the request before it dies and can go
 * asynchronous safely, sockets that turn every use after close into a no-op, a polite 1009 for
 * oversized messages, 1011 when a handler throws, and 1001 for every socket on shutdown.
 */

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
  if (
    compression !== undefined &&
    typeof compression !== 'boolean' &&
    !(typeof compression === 'number' && Number.isInteger(compression) && compression >= 0)
  ) {
    throw invalid('compression must be a boolean or a uWS CompressOptions value');
  }
}

// ---- The route ----------------------------------------------------------------------------

/**
 * uWS's behavior for one route. uWS matches a WebSocket route only on upgrade requests (it
 * yields a plain GET to the next route), so the HTTP `any('/*')` route stays in charge of the rest.
 */
export function nativeBehavior<UserData>(
  host: WebSocketHost,
  uws: Uws,
  pattern: string,
  behavior: WebSocketBehavior<UserData>,
): NativeBehavior<NativeUserData> {
  const parameterNames = pattern
    .split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1));
  const limit = behavior.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD;
  const slack = Math.min(Math.max(limit, 4096), 1 << 20);
  const compression =
    behavior.compression === true
      ? uws.SHARED_COMPRESSOR
      : behavior.compression === false || behavior.compression === undefined
        ? uws.DISABLED
        : behavior.compression;
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

    upgrade: (res, req, context) => {
      // The framing checks of every HTTP route (framing.ts): an upgrade request is a request first.
      const refused = framingError(req);
      if (refused !== null) refuseRequest(res, refused);
      else new Upgrade(host, behavior, parameterNames, res, req, context).run();
    },

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
