import { PercoreError } from '../errors.js';
import type { Logger } from '../scheduler/scheduler.js';
import { isThenable, type WebSocketBehavior, type WebSocketConnection } from './api.js';
import { CloseCode } from './close-codes.js';

/** A WebSocket route's settings: their defaults, their checks, and how its handlers run. */

export const DEFAULT_MAX_PAYLOAD = 16 * 1024;
export const MAX_MAX_PAYLOAD = 1 << 30;
export const DEFAULT_IDLE_TIMEOUT_S = 120;
export const DEFAULT_MAX_BACKPRESSURE = 64 * 1024;

const HANDLERS = ['upgrade', 'selectProtocol', 'open', 'message', 'drain', 'dropped', 'close', 'ping', 'pong'] as const;

/**
 * Throws PERCORE_ERR_INVALID_OPTION for a pattern or setting either engine would reject (uWS
 * aborts the process on some). `engine` decides the engine-only settings.
 */
export function validateWebSocketBehavior<UserData>(
  pattern: string,
  behavior: WebSocketBehavior<UserData>,
  engine: 'net' | 'uws' = 'uws',
): void {
  const invalid = (detail: string) => new PercoreError('PERCORE_ERR_INVALID_OPTION', `WebSocket route ${JSON.stringify(pattern)}: ${detail}`);
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) throw invalid('a pattern starts with /');
  if (typeof behavior !== 'object' || behavior === null) throw invalid('the behavior must be an object');
  for (const name of HANDLERS) {
    if (behavior[name] !== undefined && typeof behavior[name] !== 'function') throw invalid(`${name} must be a function`);
  }
  const integer = (name: 'maxPayloadLength' | 'idleTimeout' | 'maxLifetime' | 'maxBackpressure', min: number, max: number) => {
    const value = behavior[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)) {
      throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('maxPayloadLength', 1, MAX_MAX_PAYLOAD);
  // uWS terminates the process for 1 to 7 (its timer resolution is 4 s), and above 960; net keeps the same range.
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
  if (behavior.perMessageDeflate !== undefined) {
    if (engine === 'uws') throw invalid("perMessageDeflate is the net engine's; on uws, give compression a uWS CompressOptions value");
    if (typeof behavior.perMessageDeflate !== 'object' || behavior.perMessageDeflate === null)
      throw invalid('perMessageDeflate must be an object');
  }
}

/** Whether a route asks for permessage-deflate. */
export function wantsCompression(behavior: WebSocketBehavior<unknown>): boolean {
  return behavior.compression === true || (typeof behavior.compression === 'number' && behavior.compression !== 0);
}

/**
 * Runs a user handler; a throw or a rejection logs PERCORE_ERR_WEBSOCKET_HANDLER_FAILED and
 * closes the socket with 1011, internal error (RFC 6455 7.4.1).
 */
export function runGuarded(logger: Logger, socket: WebSocketConnection<unknown>, what: string, run: () => unknown): void {
  const failed = (error: unknown) => {
    logger.error('PERCORE_ERR_WEBSOCKET_HANDLER_FAILED', `the ${what} handler of a WebSocket on ${socket.path} failed`, error);
    socket.close(CloseCode.INTERNAL_ERROR, 'internal error');
  };
  try {
    const result = run();
    if (isThenable(result)) result.then(undefined, failed);
  } catch (error) {
    failed(error);
  }
}
