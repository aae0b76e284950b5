import { resolve } from 'node:path';
import { booleanOf, integerOf, oneOf, stringOf } from './config-values.js';
import { UsageError } from './usage-error.js';

export const LOG_FORMATS = ['common', 'combined', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const DEFAULT_METRICS_PATH = '/metrics';
/** The paths `health: true` serves (the server's defaults). */
export const HEALTH_PATHS = ['/healthz', '/readyz'] as const;

/** The metrics, health and access-log part of the CLI's configuration, resolved. */
export interface ObservabilityConfig {
  /** Prometheus text at `metricsPath`, on the main port or on `metricsPort` alone. */
  metrics: boolean;
  metricsPath: string;
  /** 0 picks a free one. */
  metricsPort: number | null;
  /** /healthz and /readyz. */
  health: boolean;
  /** null: off; 'stdout'; or an absolute file path, appended to. */
  accessLog: string | null;
  logFormat: LogFormat;
}

/** One value from the first layer (flags, env, file) that has it; `base` is what a relative path in it is relative to. */
export interface Found {
  value: unknown;
  from: string;
  base: string;
}

export type Pick = (key: 'metrics' | 'metricsPort' | 'health' | 'accessLog' | 'logFormat') => Found | undefined;

/**
 * Resolves the metrics, health and access-log options. `metrics` is a switch or a path, `accessLog`
 * a switch, 'stdout' or a file. `metricsPort` implies metrics; a log format needs the access log on,
 * so that `--log-format json` is never mistaken for the format of percore's own logs.
 */
export function resolveObservability(pick: Pick, mainPort: number): ObservabilityConfig {
  const metricsFound = pick('metrics');
  const metricsValue = metricsFound === undefined ? undefined : metricsSwitchOrPath(metricsFound);
  const portFound = pick('metricsPort');
  const metricsPort = portFound === undefined ? null : integerOf(portFound.value, portFound.from, 0, 65535);
  if (metricsPort !== null && metricsValue === false) {
    throw new UsageError(`${portFound!.from} serves metrics, but ${metricsFound!.from} turns them off: drop one`);
  }
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === mainPort) {
    throw new UsageError(
      `${portFound!.from} ${metricsPort} is the main port too: give another port, or leave it out to serve metrics on the main port`,
    );
  }
  const metrics = metricsPort !== null || (metricsValue !== undefined && metricsValue !== false);
  const metricsPath = typeof metricsValue === 'string' ? metricsValue : DEFAULT_METRICS_PATH;

  const healthFound = pick('health');
  const health = healthFound === undefined ? false : booleanOf(healthFound.value, healthFound.from);
  if (metrics && health && metricsPort === null && (HEALTH_PATHS as readonly string[]).includes(metricsPath)) {
    throw new UsageError(`${metricsFound!.from} asks for ${metricsPath}, a health check's path: choose another metrics path`);
  }

  const logFound = pick('accessLog');
  const accessLog = logFound === undefined ? null : accessLogOf(logFound);
  const formatFound = pick('logFormat');
  if (formatFound !== undefined && accessLog === null) {
    throw new UsageError(`${formatFound.from} sets the access log's format, and the access log is off: add --access-log[=FILE]`);
  }
  const logFormat = formatFound === undefined ? 'combined' : oneOf(formatFound.value, formatFound.from, LOG_FORMATS);
  return { metrics, metricsPath, metricsPort, health, accessLog, logFormat };
}

/** true, false, or a URL path: `--metrics`, `--metrics=/m`, `PERCORE_METRICS=1`, `"metrics": "/m"`. */
function metricsSwitchOrPath({ value, from }: Found): boolean | string {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^\/[^\s?#]*$/.test(value)) return value;
  throw new UsageError(`${from} must be on, off or a path starting with '/' (no query), got ${JSON.stringify(value)}`);
}

/** 'stdout', or a file path made absolute; null when switched off. */
function accessLogOf({ value, from, base }: Found): string | null {
  if (value === false) return null;
  if (value === true || value === 'stdout') return 'stdout';
  return resolve(base, stringOf(value, from, false));
}
