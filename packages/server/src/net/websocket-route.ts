import type { WebSocketBehavior } from '../websocket/api.js';
import {
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_MAX_BACKPRESSURE,
  DEFAULT_MAX_PAYLOAD,
  validateWebSocketBehavior,
  wantsCompression,
} from '../websocket/behavior.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions } from '../websocket/permessage-deflate.js';
import { RoutePattern } from '../websocket/route-pattern.js';

/** One WebSocket route of the net engine, its settings resolved once. */
export interface WebSocketRoute {
  readonly pattern: RoutePattern;
  readonly behavior: WebSocketBehavior<unknown>;
  readonly maxPayloadLength: number;
  /** 0: never. */
  readonly idleTimeoutMs: number;
  readonly sendPings: boolean;
  /** 0: never. */
  readonly maxLifetimeMs: number;
  /** 0: no limit. */
  readonly maxBackpressure: number;
  readonly closeOnBackpressureLimit: boolean;
  /** permessage-deflate's settings, or null when the route does not compress. */
  readonly deflate: Required<PerMessageDeflateOptions> | null;
}

/** Checks and resolves a route (PERCORE_ERR_INVALID_OPTION for a bad one). */
export function resolveWebSocketRoute(pattern: string, behavior: WebSocketBehavior<unknown>): WebSocketRoute {
  validateWebSocketBehavior(pattern, behavior, 'net');
  return {
    pattern: new RoutePattern(pattern),
    behavior,
    maxPayloadLength: behavior.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD,
    idleTimeoutMs: (behavior.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S) * 1000,
    sendPings: behavior.sendPingsAutomatically ?? true,
    maxLifetimeMs: (behavior.maxLifetime ?? 0) * 60_000,
    maxBackpressure: behavior.maxBackpressure ?? DEFAULT_MAX_BACKPRESSURE,
    closeOnBackpressureLimit: behavior.closeOnBackpressureLimit ?? false,
    deflate: wantsCompression(behavior) ? resolveDeflateOptions(behavior.perMessageDeflate ?? true) : null,
  };
}
