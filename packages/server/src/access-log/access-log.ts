import type { ExchangeObserver } from '../http/observer.js';
import { LineWriter } from '../logging/line-writer.js';
import type { Logger } from '../logging/logger.js';
import { FORMATTERS, LOGGED_HEADERS } from './formats.js';
import { resolveAccessLog, type AccessLogFormat, type AccessLogOption } from './options.js';

/** Where the access log's lines go: a LineWriter, or anything that takes whole lines. */
export interface LineSink {
  write(line: string): void;
}

/** An exchange observer that writes one line per exchange, as it ends or is aborted. */
export function accessLogObserver(format: AccessLogFormat, sink: LineSink): ExchangeObserver {
  const formatLine = FORMATTERS[format];
  const observer: ExchangeObserver = {
    ended: (record) => sink.write(formatLine(record, false)),
    aborted: (record) => sink.write(formatLine(record, true)),
  };
  return format === 'common' ? observer : { ...observer, requestHeaders: LOGGED_HEADERS };
}

/** A process's access log: its observer, and the writer behind it. */
export interface AccessLog {
  readonly observer: ExchangeObserver;
  readonly writer: LineWriter;
  /** Writes what is pending and closes the file. */
  close(): Promise<void>;
}

/**
 * How long an access-log line may wait to share a write with the lines after it. Under load an
 * event loop's turn holds a few exchanges; a write per turn then cost about three times the CPU
 * per line of one per 20 ms (benchmarks/results/2026-12-02-access-log.md). A clean exit still
 * writes everything; a SIGKILL loses up to this much more.
 */
export const ACCESS_LOG_FLUSH_MS = 20;

/** Opens the access log the option asks for (null when off); its drops and failed writes go to `logger`. */
export function openAccessLog(option: AccessLogOption | undefined, logger: Logger): AccessLog | null {
  const settings = resolveAccessLog(option);
  if (settings === null) return null;
  const writer = new LineWriter({ destination: settings.destination, logger, flushIntervalMs: ACCESS_LOG_FLUSH_MS });
  return { observer: accessLogObserver(settings.format, writer), writer, close: () => writer.close() };
}
