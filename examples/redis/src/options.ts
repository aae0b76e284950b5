/** The server's limits and settings, with Redis's names where Redis has the same knob. */
export interface RedisServerOptions {
  /** The longest bulk string accepted (proto-max-bulk-len; default 64 MiB, Redis: 512 MiB). */
  maxBulkLength?: number;
  /** The most arguments in one command (default 65,536). */
  maxArguments?: number;
  /** Bytes held for one incomplete command (client-query-buffer-limit; default 256 MiB, Redis: 1 GiB). */
  maxQueryBytes?: number;
  /**
   * Replies queued for a client that does not read, past which it is disconnected
   * (client-output-buffer-limit's hard limit; default 64 MiB, Redis: 32 MiB for pub/sub clients).
   */
  maxOutputBytes?: number;
  /** Close a connection idle for this many seconds (Redis's `timeout`; default 0: never). Subscribers are exempt, as in Redis. */
  idleTimeoutSeconds?: number;
}

export type ResolvedRedisOptions = Required<RedisServerOptions>;

export const DEFAULT_OPTIONS: ResolvedRedisOptions = Object.freeze({
  maxBulkLength: 64 * 1024 * 1024,
  maxArguments: 65_536,
  maxQueryBytes: 256 * 1024 * 1024,
  maxOutputBytes: 64 * 1024 * 1024,
  idleTimeoutSeconds: 0,
});

export function resolveOptions(options: RedisServerOptions = {}): ResolvedRedisOptions {
  const resolved = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  for (const [name, value] of Object.entries(resolved)) {
    const min = name === 'idleTimeoutSeconds' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return resolved;
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
