import type { WebSocketBehavior as NativeBehavior } from 'uws-node18-23';
import type { Uws } from './load.js';
import type { WebSocketBehavior } from '../websocket/api.js';
import { DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_BACKPRESSURE, DEFAULT_MAX_PAYLOAD, runGuarded } from '../websocket/behavior.js';
import { UwsWebSocket, type Native, type NativeUserData, type Slot, type WebSocketHost } from './websocket-connection.js';
import { framingError, refuseRequest } from './framing.js';
import { Upgrade } from './websocket-upgrade.js';

export * from '../websocket/api.js';
export { UwsWebSocket, type WebSocketHost } from './websocket-connection.js';
export { validateWebSocketBehavior } from '../websocket/behavior.js';

/**
 * WebSocket routes on the `uws` engine: uWebSockets.js does the protocol (RFC 6455 framing,
 * masking, ping/pong, permessage-deflate, pub/sub); this layer keeps its rules and adds what a
 * server needs on top: an upgrade hook that copies the request before it dies and can go
 * asynchronous safely, sockets that turn every use after close into a no-op, a polite 1009 for
 * oversized messages, 1011 when a handler throws, and 1001 for every socket on shutdown.
 */

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
  const socketOf = (native: Native) => native.getUserData().percore.socket as UwsWebSocket<UserData> | null;

  const guarded = (socket: UwsWebSocket<UserData>, what: string, run: () => unknown) =>
    runGuarded(host.logger, socket as UwsWebSocket<unknown>, what, run);

  return {
    maxPayloadLength: limit + slack,
    idleTimeout: behavior.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S,
    sendPingsAutomatically: behavior.sendPingsAutomatically ?? true,
    maxLifetime: behavior.maxLifetime ?? 0,
    compression,
    maxBackpressure: behavior.maxBackpressure ?? DEFAULT_MAX_BACKPRESSURE,
    closeOnBackpressureLimit: behavior.closeOnBackpressureLimit ?? false,

    upgrade: (res, req, context) => {
      // The framing checks of every HTTP route (framing.ts): an upgrade request is a request first.
      const refused = framingError(req);
      if (refused !== null) refuseRequest(res, refused);
      else new Upgrade(host, behavior, parameterNames, res, req, context).run();
    },

    open: (native) => {
      const slot = native.getUserData().percore as Slot<UserData>;
      const socket = new UwsWebSocket<UserData>(native, slot, host);
      slot.socket = socket;
      host.socketOpened(socket as UwsWebSocket<unknown>);
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
      host.socketClosed(socket as UwsWebSocket<unknown>);
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
