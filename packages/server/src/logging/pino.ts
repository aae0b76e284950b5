import type { ErrorCode } from '../errors.js';
import type { Logger } from './logger.js';

/**
 * What percore uses of a pino logger (pino's `Logger` fits it, as does any logger with pino's
 * `error(obj, msg)` / `info(msg)` shape and its `child`, `level` and `levels`).
 */
export interface PinoLike {
  readonly level: string;
  readonly levels: { readonly values: Readonly<Record<string, number>> };
  child(bindings: Record<string, unknown>): unknown;
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/**
 * Whether `value` is a pino logger rather than a percore Logger: pino's have `child`, a string
 * `level` and a `levels.values` map, none of which a percore Logger has.
 */
export function isPinoLike(value: unknown): value is PinoLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof PinoLike, unknown>>;
  const levels = candidate.levels as { values?: unknown } | undefined;
  return (
    typeof candidate.child === 'function' &&
    typeof candidate.level === 'string' &&
    typeof levels === 'object' &&
    levels !== null &&
    typeof levels.values === 'object' &&
    levels.values !== null &&
    typeof candidate.error === 'function' &&
    typeof candidate.info === 'function'
  );
}

/**
 * percore's Logger on a pino instance: `error(code, msg, err)` → `pino.error({ code, err }, msg)`,
 * `warn` the same, `info(msg)` → `pino.info(msg)`. pino's own level filters the lines.
 */
export function fromPino(pino: PinoLike): Logger {
  const fields = (code: ErrorCode, error: unknown) => (error === undefined ? { code } : { code, err: error });
  const logger: Logger = {
    error: (code, message, error) => pino.error(fields(code, error), message),
    info: (message) => pino.info(message),
  };
  if (typeof pino.warn === 'function') logger.warn = (code, message, error) => pino.warn(fields(code, error), message);
  if (typeof pino.debug === 'function') logger.debug = (message) => pino.debug(message);
  return logger;
}
