import type { ExchangeRecord } from '../http/observer.js';
import { escapeField } from './escape.js';
import type { AccessLogFormat } from './options.js';
import { clfTime, isoTime } from './time.js';

/** Formats one exchange as a line, newline included; `aborted` when it ended without a whole response. */
export type LineFormat = (record: ExchangeRecord, aborted: boolean) => string;

/**
 * nginx's "client closed request", logged for an exchange aborted before its response head went
 * out (a client that left, a connection cut at a timeout or at the end of a drain's grace).
 */
export const ABORTED_STATUS = 499;

/** The request headers the formats read after the exchange ends. */
export const LOGGED_HEADERS: readonly string[] = ['referer', 'user-agent'];

function statusOf(record: ExchangeRecord, aborted: boolean): number {
  return aborted && record.status === 0 ? ABORTED_STATUS : record.status;
}

/** Read once: `performance.timeOrigin` is a getter that costs a call on every read. */
const TIME_ORIGIN = performance.timeOrigin;

/** When the exchange began (its head was parsed), in ms since the epoch. */
function startedAt(record: ExchangeRecord): number {
  return TIME_ORIGIN + record.startTime;
}

/** Apache's CLF: `%h - - [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b`, without the newline. */
function commonFields(record: ExchangeRecord, aborted: boolean): string {
  const host = record.remoteAddress === '' ? '-' : escapeField(record.remoteAddress);
  const request = `${escapeField(record.method)} ${escapeField(record.target)} HTTP/${record.httpVersion}`;
  const bytes = record.bytesOut > 0 ? String(record.bytesOut) : '-';
  return `${host} - - [${clfTime(startedAt(record))}] "${request}" ${statusOf(record, aborted)} ${bytes}`;
}

/** A quoted header as `%{Referer}i` writes it: `-` when absent or empty. */
function quotedHeader(record: ExchangeRecord, name: string): string {
  const value = record.requestHeader(name);
  return value === undefined || value === '' ? '"-"' : `"${escapeField(value)}"`;
}

export const formatCommon: LineFormat = (record, aborted) => `${commonFields(record, aborted)}\n`;

/** Common, then `"%{Referer}i" "%{User-agent}i"`. */
export const formatCombined: LineFormat = (record, aborted) =>
  `${commonFields(record, aborted)} ${quotedHeader(record, 'referer')} ${quotedHeader(record, 'user-agent')}\n`;

/** What JSON must escape in a string: `"`, `\`, control characters, and surrogates (a lone one is escaped). */
// eslint-disable-next-line no-control-regex -- finding control characters is its purpose
const JSON_ESCAPED = /["\\\x00-\x1f\ud800-\udfff]/;

/** A string as JSON; the common case (nothing to escape) without JSON.stringify's cost, about half. */
function jsonString(value: string): string {
  return JSON_ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
}

function jsonOrNull(value: string | undefined): string {
  return value === undefined ? 'null' : jsonString(value);
}

/** What ended the exchange badly, for the JSON line: a percore error's code, else the error's message. */
function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') return (error as { code: string }).code;
  return error instanceof Error ? error.message : String(error);
}

const pid = process.pid;

/** One JSON object per line; every field always present (`null` where unknown), `error` only when set. */
export const formatJson: LineFormat = (record, aborted) => {
  const error = errorText(record.error);
  return (
    `{"time":"${isoTime(startedAt(record))}","remoteAddress":${jsonString(record.remoteAddress)}` +
    `,"method":${jsonString(record.method)},"target":${jsonString(record.target)},"httpVersion":${jsonString(record.httpVersion)}` +
    `,"status":${statusOf(record, aborted)},"bytesIn":${record.bytesIn},"bytesOut":${record.bytesOut}` +
    `,"durationMs":${Math.round(record.durationMs * 1000) / 1000},"route":${jsonOrNull(record.route)}` +
    `,"userAgent":${jsonOrNull(record.requestHeader('user-agent'))},"referer":${jsonOrNull(record.requestHeader('referer'))}` +
    `,"pid":${pid},"aborted":${aborted}${error === undefined ? '' : `,"error":${jsonString(error)}`}}\n`
  );
};

export const FORMATTERS: Readonly<Record<AccessLogFormat, LineFormat>> = {
  common: formatCommon,
  combined: formatCombined,
  json: formatJson,
};
