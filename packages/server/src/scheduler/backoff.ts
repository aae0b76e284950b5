import { PercoreError } from '../errors.js';

/** How long to wait between connection attempts: exponential backoff with "full jitter". */
export interface BackoffOptions {
  /** First delay after a lost connection or a failed attempt (default 100 ms). */
  initialDelayMs?: number;
  /** Doubling stops here (default 10_000 ms, or initialDelayMs if that is longer). */
  maxDelayMs?: number;
  /** Consecutive failed attempts before giving up (default Infinity). */
  maxAttempts?: number;
  /** 'full' (default: a uniform delay in [0, capped]) or 'none' (for tests). AWS's "full jitter". */
  jitter?: 'full' | 'none';
  /** Random source in [0,1), for tests (default Math.random). */
  random?: () => number;
}

export const DEFAULT_INITIAL_DELAY_MS = 100;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/** What `backoffDelay` returns once `maxAttempts` attempts have failed: make no more. */
export const GIVE_UP = -1;

/**
 * The wait after the `attempt`-th consecutive failed attempt (counted from 1): `initialDelayMs`
 * doubled per failure before it, capped at `maxDelayMs`; with 'full' jitter, a uniform delay in
 * [0, that cap), so that clients cut off together do not all come back together (AWS Architecture
 * Blog, "Exponential Backoff And Jitter", 2015). Returns GIVE_UP (-1) once `attempt` reaches
 * `maxAttempts`. Pure: the same arguments and random source give the same delay.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `attempt must be an integer >= 1, got ${attempt}`);
  if (attempt >= (options.maxAttempts ?? Infinity)) return GIVE_UP;
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = maxDelay(options);
  // 2 ** 1024 is Infinity, and Math.min takes it back to the cap.
  return jittered(Math.min(max, initial * 2 ** (attempt - 1)), options);
}

/** `cappedMs`, or with 'full' jitter a uniform delay in [0, cappedMs), rounded down to whole milliseconds. */
export function jittered(cappedMs: number, options: BackoffOptions): number {
  if (options.jitter === 'none') return cappedMs;
  return Math.floor((options.random ?? Math.random)() * cappedMs);
}

/** Throws PERCORE_ERR_INVALID_OPTION for options that would make no sense of the schedule. */
export function validateBackoff(options: BackoffOptions): void {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = maxDelay(options);
  const attempts = options.maxAttempts ?? Infinity;
  if (!(initial >= 0) || !Number.isFinite(initial)) invalid(`initialDelayMs must be a number >= 0, got ${initial}`);
  if (!(max >= initial) || !Number.isFinite(max)) invalid(`maxDelayMs must be a number >= initialDelayMs (${initial}), got ${max}`);
  if (!(attempts >= 1) || (attempts !== Infinity && !Number.isInteger(attempts)))
    invalid(`maxAttempts must be an integer >= 1 or Infinity, got ${attempts}`);
  if (options.jitter !== undefined && options.jitter !== 'full' && options.jitter !== 'none')
    invalid(`jitter must be 'full' or 'none', got ${String(options.jitter)}`);
}

function maxDelay(options: BackoffOptions): number {
  return options.maxDelayMs ?? Math.max(DEFAULT_MAX_DELAY_MS, options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS);
}

function invalid(detail: string): never {
  throw new PercoreError('PERCORE_ERR_INVALID_OPTION', detail);
}
