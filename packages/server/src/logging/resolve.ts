import { PercoreError } from '../errors.js';
import { defaultLogger } from './default-logger.js';
import type { Logger } from './logger.js';
import { fromPino, isPinoLike, type PinoLike } from './pino.js';

/** What the `logger` option takes: percore's Logger, or a pino instance. */
export type LoggerOption = Logger | PinoLike;

/**
 * The Logger for the `logger` option: the default JSON logger on stderr when none is given
 * (throwing PERCORE_ERR_INVALID_OPTION for a bad `LOG_LEVEL`), a pino instance adapted, or a
 * percore Logger as it is.
 */
export function resolveLogger(option: LoggerOption | undefined): Logger {
  if (option === undefined) return defaultLogger();
  if (isPinoLike(option)) return fromPino(option);
  if (typeof option === 'object' && option !== null && typeof option.error === 'function') return option;
  throw new PercoreError(
    'PERCORE_ERR_INVALID_OPTION',
    'logger must be a pino instance or a Logger with error(code, message, error?) (and optionally info(message))',
  );
}
