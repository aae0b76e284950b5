import { resolve } from 'node:path';
import type { ServeOptions } from '@percore/server';

export const LOG_FORMATS = ['common', 'combined', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** --metrics, --metrics-port, --health, --access-log and --log-format, resolved. All off by default: hello then runs as before. */
export interface ObservabilityConfig {
  metrics: boolean;
  metricsPath: string;
  /** 0 picks a free one. */
  metricsPort: number | null;
  health: boolean;
  /** null: off; 'stdout'; or an absolute file path. */
  accessLog: string | null;
  logFormat: LogFormat;
}

export interface ObservabilityValues {
  metrics?: string;
  'metrics-port'?: string;
  health?: boolean;
  'access-log'?: string;
  'log-format'?: string;
}

export const OBSERVABILITY_OPTIONS = {
  metrics: { type: 'string' },
  'metrics-port': { type: 'string' },
  health: { type: 'boolean' },
  'access-log': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

const OPTIONAL_VALUE_FLAGS = new Set(['--metrics', '--access-log']);

/**
 * `--metrics` and `--access-log` take a value only after '=' (GNU getopt's optional arguments);
 * parseArgs has none, so a bare one becomes `--metrics=`, whose empty value means the default.
 */
export function withOptionalValues(args: readonly string[]): string[] {
  const terminator = args.indexOf('--');
  return args.map((arg, index) => ((terminator === -1 || index < terminator) && OPTIONAL_VALUE_FLAGS.has(arg) ? `${arg}=` : arg));
}

/** The options from parseArgs' values, or the error to print. `mainPort` is checked against --metrics-port. */
export function observabilityConfig(values: ObservabilityValues, mainPort: number, cwd: string): ObservabilityConfig | string {
  const metricsPath = values.metrics === undefined || values.metrics === '' ? '/metrics' : values.metrics;
  if (!/^\/[^\s?#]*$/.test(metricsPath)) return `--metrics must be a path starting with '/' (no query), got "${metricsPath}"`;
  let metricsPort: number | null = null;
  if (values['metrics-port'] !== undefined) {
    const text = values['metrics-port'];
    if (!/^\d+$/.test(text) || Number(text) > 65535) return `--metrics-port must be from 0 to 65535, got "${text}"`;
    metricsPort = Number(text);
    if (metricsPort !== 0 && metricsPort === mainPort)
      return `--metrics-port ${metricsPort} is the main port too: give another, or leave it out to serve metrics on the main port`;
  }
  const metrics = values.metrics !== undefined || metricsPort !== null;
  const health = values.health ?? false;
  if (metrics && health && metricsPort === null && (metricsPath === '/healthz' || metricsPath === '/readyz')) {
    return `--metrics asks for ${metricsPath}, a health check's path: choose another metrics path`;
  }
  const log = values['access-log'];
  const accessLog = log === undefined ? null : log === '' || log === 'stdout' ? 'stdout' : resolve(cwd, log);
  const format = values['log-format'];
  if (format !== undefined && accessLog === null) return "--log-format sets the access log's format: add --access-log[=FILE]";
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format)) {
    return `--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${format}"`;
  }
  return { metrics, metricsPath, metricsPort, health, accessLog, logFormat: (format ?? 'combined') as LogFormat };
}

/** The `serve()` options for them; none when all are off. */
export function observabilityOptions(config: ObservabilityConfig): Pick<ServeOptions, 'metrics' | 'health' | 'accessLog'> {
  return {
    ...(config.metrics && {
      metrics: config.metricsPort === null ? { path: config.metricsPath } : { path: config.metricsPath, port: config.metricsPort },
    }),
    ...(config.health && { health: true }),
    ...(config.accessLog !== null && { accessLog: { format: config.logFormat, destination: config.accessLog } }),
  };
}

/** For the start-up line: the metrics path, or its URL on a port of its own (the one picked for 0). */
export function observabilityNotes(config: ObservabilityConfig, metricsUrl: string | null): string {
  const notes: string[] = [];
  if (config.metrics) notes.push(`metrics at ${config.metricsPort === null || metricsUrl === null ? config.metricsPath : metricsUrl}`);
  if (config.health) notes.push('health at /healthz and /readyz');
  if (config.accessLog !== null) notes.push(`access log ${config.logFormat} to ${config.accessLog}`);
  return notes.map((note) => `, ${note}`).join('');
}
