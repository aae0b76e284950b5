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

/** Opens the access log the option asks for (null when off); its drops and failed writes go to `logger`. */
export function openAccessLog(option: AccessLogOption | undefined, logger: Logger): AccessLog | null {
  const settings = resolveAccessLog(option);
  if (settings === null) return null;
  const writer = new LineWriter({ destination: settings.destination, logger });
  return { observer: accessLogObserver(settings.format, writer), writer, close: () => writer.close() };
}
