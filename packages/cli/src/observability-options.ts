import type { ServeOptions } from '@percore/server';
import type { ObservabilityConfig } from './observability-config.js';

/** The `serve()` options for metrics, health checks and the access log. */
export type ObservabilityServeOptions = Pick<ServeOptions, 'metrics' | 'health' | 'accessLog'>;

/** Maps the CLI's configuration to serve()'s options; nothing when all is off, so the server runs as it would without the CLI's flags. */
export function observabilityOptions(config: ObservabilityConfig): ObservabilityServeOptions {
  const options: ObservabilityServeOptions = {};
  if (config.metrics)
    options.metrics = config.metricsPort === null ? { path: config.metricsPath } : { path: config.metricsPath, port: config.metricsPort };
  if (config.health) options.health = true;
  if (config.accessLog !== null) options.accessLog = { format: config.logFormat, destination: config.accessLog };
  return options;
}

/**
 * What the start-up line says about them: `metrics at /metrics` (or at the URL of their own port,
 * the one picked for 0), `health at /healthz and /readyz`, `access log combined to stdout`.
 */
export function observabilityNotes(config: ObservabilityConfig, metricsUrl: string | null): string[] {
  const notes: string[] = [];
  if (config.metrics) notes.push(`metrics at ${config.metricsPort === null || metricsUrl === null ? config.metricsPath : metricsUrl}`);
  if (config.health) notes.push('health at /healthz and /readyz');
  if (config.accessLog !== null) notes.push(`access log ${config.logFormat} to ${config.accessLog}`);
  return notes;
}
