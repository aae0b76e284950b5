import { PercoreError } from '../errors.js';
import { defaultRegistry, MetricsRegistry } from './registry.js';
import { DEFAULT_BUCKETS } from './registry.js';

/** `serve({ metrics })`: Prometheus `/metrics`, aggregated across the cluster. */
export interface MetricsOptions {
  /** Where the text is served (default '/metrics'). */
  path?: string;
  /** A port of its own (in every worker, like the main one): then the path is served there only. 0 picks one. */
  port?: number;
  /** The separate port's address (default: the server's host). */
  host?: string;
  /** The program's own metrics (default: `defaultRegistry`). */
  registry?: MetricsRegistry;
  /** How long a scrape waits for every worker's figures (default 1000 ms); a late worker's last figures stand in. */
  collectTimeoutMs?: number;
  /** Bounds of `http_request_duration_seconds`, in seconds (default: DEFAULT_BUCKETS). */
  durationBuckets?: readonly number[];
}

export interface ResolvedMetricsOptions {
  readonly path: string;
  readonly port: number | undefined;
  readonly host: string | undefined;
  readonly registry: MetricsRegistry;
  readonly collectTimeoutMs: number;
  readonly durationBuckets: readonly number[];
}

/** Null when metrics are off (the default). Throws PERCORE_ERR_INVALID_OPTION for a bad setting. */
export function resolveMetricsOptions(value: boolean | MetricsOptions | undefined): ResolvedMetricsOptions | null {
  if (value === undefined || value === false) return null;
  const options: MetricsOptions = value === true ? {} : value;
  const fail = (why: string): never => {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `metrics: ${why}`);
  };
  if (typeof options !== 'object' || options === null) fail('give true or an object');
  const path = options.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path))
    fail(`path must be an absolute path without a query, got ${String(path)}`);
  const { port, host } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    fail(`port must be an integer from 0 to 65535, got ${String(port)}`);
  if (host !== undefined && (typeof host !== 'string' || host.length === 0)) fail('host must be a non-empty string');
  if (host !== undefined && port === undefined) fail('host applies to a separate port: give port too');
  const registry = options.registry ?? defaultRegistry;
  if (!(registry instanceof MetricsRegistry)) fail('registry must be a MetricsRegistry');
  const collectTimeoutMs = options.collectTimeoutMs ?? 1000;
  if (!Number.isInteger(collectTimeoutMs) || collectTimeoutMs < 1 || collectTimeoutMs > 60_000)
    fail('collectTimeoutMs must be an integer from 1 to 60000');
  const durationBuckets = options.durationBuckets ?? DEFAULT_BUCKETS;
  return { path, port, host, registry, collectTimeoutMs, durationBuckets };
}
