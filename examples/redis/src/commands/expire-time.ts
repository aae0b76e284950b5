/**
 * Expire arguments as Redis reads them (expire.c getExpireMillisecondsOrReply and
 * expireGenericCommand): an int64, scaled to milliseconds and made absolute without leaving int64.
 */
import { INT64_MAX, INT64_MIN, parseInt64 } from '../store/integers.js';
import { Errors } from './command.js';

export const enum TimeUnit {
  Seconds,
  Milliseconds,
}

export type ExpireResult = { at: number } | { error: string };

/**
 * SET's EX/PX/EXAT/PXAT: must be > 0. `relative` counts from now. Returns a Unix-ms deadline.
 */
export function setExpireDeadline(arg: Buffer, unit: TimeUnit, relative: boolean, now: number): ExpireResult {
  const value = parseInt64(arg);
  if (value === null) return { error: Errors.notInteger };
  let ms = BigInt(value);
  if (ms <= 0n || (unit === TimeUnit.Seconds && ms > INT64_MAX / 1000n)) return { error: Errors.invalidExpire('set') };
  if (unit === TimeUnit.Seconds) ms *= 1000n;
  if (relative) {
    if (ms > INT64_MAX - BigInt(now)) return { error: Errors.invalidExpire('set') };
    ms += BigInt(now);
  }
  return { at: Number(ms) };
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT's time: any int64 (0 or less, or past, deletes the key).
 * `name` is the command's, for the error.
 */
export function expireDeadline(arg: Buffer, unit: TimeUnit, relative: boolean, now: number, name: string): ExpireResult {
  const value = parseInt64(arg);
  if (value === null) return { error: Errors.notInteger };
  let when = BigInt(value);
  if (unit === TimeUnit.Seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) return { error: Errors.invalidExpire(name) };
    when *= 1000n;
  }
  if (relative) {
    if (when > INT64_MAX - BigInt(now)) return { error: Errors.invalidExpire(name) };
    when += BigInt(now);
  }
  // Past (or zero) deadlines delete; clamp so that the keyspace's "0 is never" cannot be hit.
  return { at: when <= 0n ? -1 : Number(when) };
}
