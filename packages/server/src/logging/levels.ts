import { PercoreError } from '../errors.js';

/** pino's numeric levels; `silent` logs nothing. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

export type LevelName = keyof typeof LEVELS;

export const LEVEL_ENV = 'LOG_LEVEL';

const NAMES = Object.keys(LEVELS) as LevelName[];

function isLevelName(value: string): value is LevelName {
  return Object.hasOwn(LEVELS, value);
}

/**
 * A level name as `LOG_LEVEL` gives it (trimmed; upper case allowed); unset or empty is `info`.
 * Throws PERCORE_ERR_INVALID_OPTION for any other value, naming where it came from.
 */
export function parseLevel(value: string | undefined, source = LEVEL_ENV): LevelName {
  if (value === undefined) return 'info';
  const name = value.trim().toLowerCase();
  if (name === '') return 'info';
  if (!isLevelName(name)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${source} must be one of ${NAMES.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return name;
}
