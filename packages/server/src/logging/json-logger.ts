import { hostname } from 'node:os';
import type { ErrorCode } from '../errors.js';
import { LEVELS, parseLevel, type LevelName } from './levels.js';
import type { Logger } from './logger.js';
import { serializeError } from './serialize-error.js';

export interface JsonLoggerOptions {
  /** The least level written (default: `LOG_LEVEL` from the environment, else `info`). */
  level?: LevelName;
  /** Takes each whole line, newline included (default: one write to stderr). */
  write?: (line: string) => void;
}

/** percore's default logger: one JSON line per event, in pino's shape. */
export interface JsonLogger extends Required<Logger> {
  readonly level: LevelName;
}

/**
 * One write per line: lines from several workers sharing stderr stay whole (a pipe's writes up
 * to PIPE_BUF are atomic, and Node writes stderr synchronously on pipes and files).
 */
function writeStderr(line: string): void {
  process.stderr.write(line);
}

function noop(): void {}

/**
 * A logger writing pino's line shape: `{"level":50,"time":…,"pid":…,"hostname":…,"code":…,
 * "err":{…},"msg":…}`, numeric levels as pino's. Methods below the level do nothing.
 * Throws PERCORE_ERR_INVALID_OPTION when `level` is not given and `LOG_LEVEL` is not a level.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): JsonLogger {
  const level = options.level === undefined ? parseLevel(process.env.LOG_LEVEL) : parseLevel(options.level, 'level');
  const write = options.write ?? writeStderr;
  const threshold = LEVELS[level];
  // The fields every line starts with after its level, serialized once.
  const origin = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  const line = (value: number, message: string, code?: ErrorCode, error?: unknown): string => {
    let text = `{"level":${value},"time":${Date.now()}${origin}`;
    if (code !== undefined) text += `,"code":${JSON.stringify(code)}`;
    if (error !== undefined) text += `,"err":${serializeError(error)}`;
    return `${text},"msg":${JSON.stringify(String(message))}}\n`;
  };
  const coded = (value: number) =>
    value < threshold ? noop : (code: ErrorCode, message: string, error?: unknown) => write(line(value, message, code, error));
  const plain = (value: number) => (value < threshold ? noop : (message: string) => write(line(value, message)));
  return {
    level,
    error: coded(LEVELS.error),
    warn: coded(LEVELS.warn),
    info: plain(LEVELS.info),
    debug: plain(LEVELS.debug),
  };
}
