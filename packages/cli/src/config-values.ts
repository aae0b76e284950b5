import { UsageError } from './usage-error.js';

/**
 * Checks for one configuration value wherever it came from. `from` names the source for the
 * message: `--port`, `PERCORE_PORT`, or `"port" in percore.json`.
 */

export function stringOf(raw: unknown, from: string, allowEmpty: boolean): string {
  if (typeof raw === 'number' && Number.isInteger(raw)) return String(raw);
  if (typeof raw !== 'string' || (!allowEmpty && raw === '')) throw new UsageError(`${from} must be a non-empty string`);
  return raw;
}

export function integerOf(raw: unknown, from: string, min: number, max: number): number {
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${from} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function booleanOf(raw: unknown, from: string): boolean {
  if (typeof raw !== 'boolean') throw new UsageError(`${from} must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

export function oneOf<T extends string>(raw: unknown, from: string, allowed: readonly T[]): T {
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`${from} must be ${allowed.join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** An environment switch: 1/true or 0/false. */
export function envBoolean(name: string, value: string): boolean {
  const parsed = envSwitch(value);
  if (typeof parsed !== 'boolean') throw new UsageError(`${name} must be 1, 0, true or false, got '${value}'`);
  return parsed;
}

/** An environment switch that may carry a value instead (PERCORE_METRICS=/m, PERCORE_ACCESS_LOG=/var/log/x): 1/true, 0/false, or the text. */
export function envSwitch(value: string): boolean | string {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return value;
}
