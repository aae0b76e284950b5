import { closeSync, openSync } from 'node:fs';
import { PercoreError } from '../errors.js';

/**
 * `common`: Apache's Common Log Format. `combined`: common, then the Referer and User-Agent.
 * `json`: one JSON object per line.
 */
export type AccessLogFormat = 'common' | 'combined' | 'json';

export interface AccessLogSettings {
  /** Default 'combined'. */
  format?: AccessLogFormat;
  /** 'stdout' (default), or a file path, opened for appending by every worker. */
  destination?: string;
}

/** The `accessLog` option: off by default; `true` is `{ format: 'combined', destination: 'stdout' }`. */
export type AccessLogOption = boolean | AccessLogSettings;

export interface ResolvedAccessLog {
  readonly format: AccessLogFormat;
  readonly destination: string;
}

const FORMATS: readonly AccessLogFormat[] = ['common', 'combined', 'json'];

/** The access log's settings, or null when it is off. Throws PERCORE_ERR_INVALID_OPTION for a bad one. */
export function resolveAccessLog(option: AccessLogOption | undefined): ResolvedAccessLog | null {
  if (option === undefined || option === false) return null;
  if (option === true) return { format: 'combined', destination: 'stdout' };
  if (typeof option !== 'object' || option === null) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'accessLog must be true, false or { format, destination }');
  }
  const { format = 'combined', destination = 'stdout' } = option;
  if (!FORMATS.includes(format)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `accessLog.format must be one of ${FORMATS.join(', ')}; got ${String(format)}`);
  }
  if (typeof destination !== 'string' || destination.length === 0) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', "accessLog.destination must be 'stdout' or a file path");
  }
  return { format, destination };
}

/**
 * Checks the option, and that its file can be opened for appending (creating it): called where
 * options are checked once (a cluster's primary), so a bad path fails before any worker starts.
 */
export function checkAccessLog(option: AccessLogOption | undefined): void {
  const resolved = resolveAccessLog(option);
  if (resolved === null || resolved.destination === 'stdout') return;
  try {
    closeSync(openSync(resolved.destination, 'a'));
  } catch (cause) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      `accessLog: cannot open ${resolved.destination} for appending: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}
