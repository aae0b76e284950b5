import { PercoreError } from '../errors.js';
import type { BackoffOptions } from '../scheduler/backoff.js';
import type { ConnectAddress } from '../scheduler/connect.js';
import type { Scheduler } from '../scheduler/scheduler.js';

export interface RespClientOptions {
  /** TCP host (default 127.0.0.1) and port (default 6379); or `path`, a Unix domain socket. */
  host?: string;
  port?: number;
  path?: string;
  /** AUTH (or HELLO 3 AUTH) on every (re)connect; `username` needs Redis 6 ACLs (default user: "default"). */
  username?: string;
  password?: string;
  /** SELECT on every (re)connect. */
  db?: number;
  /** 2 (default) or 3: HELLO 3 on every (re)connect, then maps, sets, doubles and push frames. */
  protocol?: 2 | 3;
  /** Bulk strings as UTF-8 strings (default) or Buffers. */
  bulkAs?: 'string' | 'buffer';
  /** DNS plus the TCP handshake, and then the client's own handshake (AUTH, SELECT, HELLO), each (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Longest wait for a reply, counted from the write (default 0: none). Past it the command fails
   * PERCORE_ERR_RESP_TIMEOUT and the connection is closed: the replies still coming would settle
   * the wrong commands. The others in flight fail PERCORE_ERR_RESP_CONNECTION_LOST.
   */
  commandTimeoutMs?: number;
  /** Commands queued plus in flight; past it a command fails at once with PERCORE_ERR_RESP_QUEUE_FULL (default 10_000). */
  maxPending?: number;
  /**
   * true (default): commands issued while disconnected wait for the reconnect (bounded by
   * maxPending) and are sent once, in order. false: they fail at once with PERCORE_ERR_RESP_CONNECTION_LOST.
   */
  offlineQueue?: boolean;
  /** Reconnect with exponential backoff and full jitter (default), or false: the first lost connection closes the client. */
  reconnect?: false | BackoffOptions;
  /** The scheduler its connection task runs on (default: one of its own). */
  scheduler?: Scheduler;
}

export const DEFAULT_REDIS_PORT = 6379;
export const DEFAULT_REDIS_HOST = '127.0.0.1';
export const DEFAULT_MAX_PENDING = 10_000;
export const DEFAULT_RESP_CONNECT_TIMEOUT_MS = 10_000;

/** The options with their defaults, checked once. */
export interface ResolvedRespOptions {
  readonly address: ConnectAddress;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number | undefined;
  readonly protocol: 2 | 3;
  readonly bulkAs: 'string' | 'buffer';
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxPending: number;
  readonly offlineQueue: boolean;
  readonly reconnect: false | BackoffOptions;
}

export function resolveRespOptions(options: RespClientOptions): ResolvedRespOptions {
  const protocol = options.protocol ?? 2;
  if (protocol !== 2 && protocol !== 3) invalid(`protocol must be 2 or 3, got ${String(protocol)}`);
  const bulkAs = options.bulkAs ?? 'string';
  if (bulkAs !== 'string' && bulkAs !== 'buffer') invalid(`bulkAs must be 'string' or 'buffer', got ${String(bulkAs)}`);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_RESP_CONNECT_TIMEOUT_MS;
  if (!(connectTimeoutMs > 0) || !Number.isFinite(connectTimeoutMs))
    invalid(`connectTimeoutMs must be a positive number, got ${connectTimeoutMs}`);
  const commandTimeoutMs = options.commandTimeoutMs ?? 0;
  if (!(commandTimeoutMs >= 0) || !Number.isFinite(commandTimeoutMs))
    invalid(`commandTimeoutMs must be a number >= 0, got ${commandTimeoutMs}`);
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  if (!Number.isInteger(maxPending) || maxPending < 1) invalid(`maxPending must be an integer >= 1, got ${maxPending}`);
  if (options.db !== undefined && (!Number.isInteger(options.db) || options.db < 0)) invalid(`db must be an integer >= 0, got ${options.db}`);
  if (options.username !== undefined && options.password === undefined) invalid('username needs a password');
  const address: ConnectAddress =
    options.path !== undefined
      ? { path: options.path }
      : { host: options.host ?? DEFAULT_REDIS_HOST, port: options.port ?? DEFAULT_REDIS_PORT };
  return {
    address,
    username: options.username,
    password: options.password,
    db: options.db,
    protocol,
    bulkAs,
    connectTimeoutMs,
    commandTimeoutMs,
    maxPending,
    offlineQueue: options.offlineQueue ?? true,
    reconnect: options.reconnect ?? {},
  };
}

function invalid(detail: string): never {
  throw new PercoreError('PERCORE_ERR_INVALID_OPTION', detail);
}
