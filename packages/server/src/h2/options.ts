import { PercoreError } from '../errors.js';

/** HTTP/2's limits on the net engine (served over TLS to clients that negotiate ALPN `h2`). */
export interface Http2Options {
  /**
   * Streams a client may have open at once on one connection (RFC 9113 6.5.2
   * SETTINGS_MAX_CONCURRENT_STREAMS). Default 100, the least RFC 9113 5.1.2 recommends.
   */
  maxConcurrentStreams?: number;
  /**
   * Bytes of one request's header list, as RFC 9113 6.5.2 counts them (each field's name and
   * value plus 32). Default: `http.maxHeaderSize` (16 KiB); more is refused with 431.
   */
  maxHeaderListSize?: number;
  /**
   * Rapid reset (CVE-2023-44487): a client that resets more than `maxResets` streams within
   * `resetWindowMs` is sent GOAWAY ENHANCE_YOUR_CALM and cut off. Default 200 in 10 s: far past
   * what a browser cancelling its loads does, and reached within a fraction of a second by an attack.
   */
  maxResets?: number;
  resetWindowMs?: number;
  /** The flow-control window each stream starts with (RFC 9113 6.9.2). Default 65,535 bytes, the protocol's. */
  initialWindowSize?: number;
}

export type ResolvedHttp2Options = Required<Http2Options>;

export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
export const DEFAULT_MAX_RESETS = 200;
export const DEFAULT_RESET_WINDOW_MS = 10_000;
/** RFC 9113 6.9.2: the initial window is 65,535 until SETTINGS change it. */
const PROTOCOL_INITIAL_WINDOW = 65_535;
/** RFC 9113 6.9.1: a window can never exceed 2^31-1. */
const MAX_WINDOW = 2 ** 31 - 1;

/** Fills in defaults; throws PERCORE_ERR_INVALID_OPTION naming a value out of range. */
export function resolveHttp2Options(options: Http2Options | undefined, maxHeaderSize: number): ResolvedHttp2Options {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'http2 must be true, false or an object of HTTP/2 options');
  }
  const known = ['maxConcurrentStreams', 'maxHeaderListSize', 'maxResets', 'resetWindowMs', 'initialWindowSize'];
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `unknown HTTP/2 option "${key}"`);
  }
  const resolved: ResolvedHttp2Options = {
    maxConcurrentStreams: options?.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    maxHeaderListSize: options?.maxHeaderListSize ?? maxHeaderSize,
    maxResets: options?.maxResets ?? DEFAULT_MAX_RESETS,
    resetWindowMs: options?.resetWindowMs ?? DEFAULT_RESET_WINDOW_MS,
    initialWindowSize: options?.initialWindowSize ?? PROTOCOL_INITIAL_WINDOW,
  };
  const within = (key: keyof ResolvedHttp2Options, min: number, max: number): void => {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `http2.${key} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  within('maxConcurrentStreams', 1, 2 ** 31 - 1);
  within('maxHeaderListSize', 1, 2 ** 32 - 1);
  within('maxResets', 1, 2 ** 31 - 1);
  within('resetWindowMs', 1, 2 ** 31 - 1);
  within('initialWindowSize', 0, MAX_WINDOW);
  return resolved;
}
