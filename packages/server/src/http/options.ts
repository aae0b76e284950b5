import { PercoreError } from '../errors.js';

/** Size limits on a request. Each answers with its own status when exceeded. */
export interface HttpLimits {
  /** Bytes of the request line, CRLF excluded (414). Default 8 KiB. */
  maxRequestLineLength: number;
  /** Bytes of the whole head: request line, fields and CRLFs (431). Default 16 KiB. */
  maxHeaderSize: number;
  /** Header fields in one request (431). Default 100. */
  maxHeaderCount: number;
  /** Bytes of a request body, after chunked decoding (413). Default 1 MiB. */
  maxBodySize: number;
}

/** Timeouts, in milliseconds. 0 disables one (Hellepoll's `-z` disables them all). */
export interface HttpTimeouts {
  /** From a request's first byte (or the connection's start) to its complete head (408). Default 10 s. */
  headerTimeout: number;
  /** An open keep-alive connection with no request in progress is closed after this. Default 5 s. */
  keepAliveTimeout: number;
  /** The longest pause between two reads of a request body (408). Default 30 s. */
  bodyTimeout: number;
  /** The longest a handler may go without producing any response bytes (503). Default 30 s. */
  responseTimeout: number;
}

export interface HttpOptions extends Partial<HttpLimits>, Partial<HttpTimeouts> {
  /** Never keep connections alive: every response closes (Tornado's no_keep_alive). */
  noKeepAlive?: boolean;
  /** Bytes of request body buffered ahead of a streaming reader before reading pauses. Default 64 KiB. */
  bodyHighWaterMark?: number;
  /** Bytes of pipelined requests held while an earlier response is in progress before reading pauses. Default 64 KiB. */
  pipelineHighWaterMark?: number;
  /** Sent as the `Server` header when set. Default: none. */
  serverName?: string;
}

export type ResolvedHttpOptions = HttpLimits &
  HttpTimeouts & {
    noKeepAlive: boolean;
    bodyHighWaterMark: number;
    pipelineHighWaterMark: number;
    serverName: string | null;
  };

export const defaultHttpOptions: Readonly<ResolvedHttpOptions> = Object.freeze({
  maxRequestLineLength: 8 * 1024,
  maxHeaderSize: 16 * 1024,
  maxHeaderCount: 100,
  maxBodySize: 1024 * 1024,
  headerTimeout: 10_000,
  keepAliveTimeout: 5_000,
  bodyTimeout: 30_000,
  responseTimeout: 30_000,
  noKeepAlive: false,
  bodyHighWaterMark: 64 * 1024,
  pipelineHighWaterMark: 64 * 1024,
  serverName: null,
});

/** Returns the timeouts all set to 0: Hellepoll's `-z`, for benchmarks. */
export const noTimeouts: Readonly<HttpTimeouts> = Object.freeze({
  headerTimeout: 0,
  keepAliveTimeout: 0,
  bodyTimeout: 0,
  responseTimeout: 0,
});

/**
 * For a server behind a reverse proxy or load balancer that keeps upstream connections alive
 * (nginx's upstream `keepalive_timeout` and an AWS ALB's idle timeout are both 60 s): the server
 * must outlast the balancer's idle timeout, so that the balancer, never the server, closes an
 * idle connection. Otherwise the server's close can cross a request the balancer has just sent
 * on it, and the balancer answers 502. Spread into `http`: `http: { ...behindLoadBalancer }`.
 */
export const behindLoadBalancer: Readonly<Pick<HttpTimeouts, 'keepAliveTimeout'>> = Object.freeze({
  keepAliveTimeout: 65_000,
});

const positiveIntegers = [
  'maxRequestLineLength',
  'maxHeaderSize',
  'maxHeaderCount',
  'maxBodySize',
  'bodyHighWaterMark',
  'pipelineHighWaterMark',
] as const;
const durations = ['headerTimeout', 'keepAliveTimeout', 'bodyTimeout', 'responseTimeout'] as const;

/** Fills in defaults and refuses values that are out of range, naming the option. */
export function resolveHttpOptions(options: HttpOptions = {}): ResolvedHttpOptions {
  const resolved: ResolvedHttpOptions = { ...defaultHttpOptions };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in defaultHttpOptions)) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `unknown HTTP option "${key}"`);
    }
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of positiveIntegers) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${key} must be a positive integer, got ${String(value)}`);
    }
  }
  for (const key of durations) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2 ** 31 - 1) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${key} must be a number of milliseconds from 0 to 2^31-1, got ${String(value)}`);
    }
  }
  if (resolved.maxRequestLineLength > resolved.maxHeaderSize) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'maxRequestLineLength cannot exceed maxHeaderSize');
  }
  if (typeof resolved.noKeepAlive !== 'boolean') {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `noKeepAlive must be a boolean, got ${String(resolved.noKeepAlive)}`);
  }
  if (resolved.serverName !== null && (typeof resolved.serverName !== 'string' || !/^[\x20-\x7e]*$/.test(resolved.serverName))) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'serverName must be a string of printable ASCII');
  }
  return resolved;
}
