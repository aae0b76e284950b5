import { isPercoreError } from '../errors.js';
import { createJsonLogger, type JsonLogger } from './json-logger.js';
import type { Logger } from './logger.js';

let shared: JsonLogger | null = null;
/** The `LOG_LEVEL` the shared logger was made with. */
let sharedFor: string | undefined;

/**
 * The process's default logger: JSON lines on stderr at `LOG_LEVEL`, made at the first call (and
 * again if `LOG_LEVEL` has changed since). Throws PERCORE_ERR_INVALID_OPTION while `LOG_LEVEL`
 * is not a level.
 */
export function defaultLogger(): JsonLogger {
  const level = process.env.LOG_LEVEL;
  if (shared === null || level !== sharedFor) {
    shared = createJsonLogger();
    sharedFor = level;
  }
  return shared;
}

/** What `stderrLogger` writes through while `LOG_LEVEL` is bad, and the value it was bad with. */
let fallback: JsonLogger | null = null;
let fallbackFor: string | undefined;

/**
 * The default for code that must not throw while it reports (a bare Scheduler's): the default
 * logger, or, while `LOG_LEVEL` is bad, one at `info` that says so first. `createServer` and
 * `serve` make the default logger up front, so there a bad `LOG_LEVEL` fails at the start.
 */
function reporting(): JsonLogger {
  try {
    return defaultLogger();
  } catch (error) {
    if (fallback === null || fallbackFor !== process.env.LOG_LEVEL) {
      fallback = createJsonLogger({ level: 'info' });
      fallbackFor = process.env.LOG_LEVEL;
      if (isPercoreError(error)) fallback.error(error.code, `${error.message}; logging at info`);
    }
    return fallback;
  }
}

/** The default logger, resolved at each line's first use; the scheduler's default. */
export const stderrLogger: Logger = {
  error: (code, message, error) => reporting().error(code, message, error),
  warn: (code, message, error) => reporting().warn(code, message, error),
  info: (message) => reporting().info(message),
  debug: (message) => reporting().debug(message),
};
