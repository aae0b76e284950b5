import type { ErrorCode } from '../errors.js';

/**
 * Where percore reports what it isolated and what its lifecycle did: one line per event. The
 * default writes JSON lines in pino's shape to stderr (logging/json-logger.ts); a pino instance
 * can stand in through `resolveLogger`.
 */
export interface Logger {
  /** A failure percore isolated (a task, a handler, a worker), with its `PERCORE_ERR_*` code. */
  error(code: ErrorCode, message: string, error?: unknown): void;
  /** Something went wrong but nothing failed (access-log lines dropped); optional, `error` stands in. */
  warn?(code: ErrorCode, message: string, error?: unknown): void;
  /** Lifecycle lines (workers started, replaced, drained); optional. */
  info?(message: string): void;
  /** Detail for debugging; optional. */
  debug?(message: string): void;
}
