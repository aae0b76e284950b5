import { availableParallelism } from 'node:os';
import { PercoreError } from '../errors.js';
import { checkServerOptions, type ServerOptions } from '../server.js';
import { resolveHealthOptions, type HealthOptions, type ResolvedHealthOptions } from '../health/health-checks.js';
import { resolveMetricsOptions, type MetricsOptions, type ResolvedMetricsOptions } from '../metrics/options.js';
import type { WorkerStats } from './messages.js';
import { DEFAULT_TICKET_ROTATION_MS } from './ticket-keys.js';

/**
 * What `serve` takes: a server's options (`createServer`'s: engine, handler or protocol,
 * websockets, http, connections, scheduler, observer) and the cluster's. Each worker makes its
 * server from the same options.
 */
export interface ServeOptions extends ServerOptions {
  /** Default 8080. 0 picks a free port (the same one for every worker). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  backlog?: number;
  /** Run workers under a supervising primary (default true); false serves in this process. */
  cluster?: boolean;
  /** Worker processes (default: os.availableParallelism()). */
  workers?: number;
  /** How long a draining worker may take to finish its exchanges (default 10 s). */
  shutdownGraceMs?: number;
  /** This many worker deaths within `crashLoopWindowMs` stop the primary (default 5 in 10 s). */
  crashLoopDeaths?: number;
  crashLoopWindowMs?: number;
  /** First delay before replacing a dead worker, doubled per recent death up to 5 s (default 100 ms). */
  restartDelayMs?: number;
  /** How often workers report stats to the primary (default 1000 ms; 0: only at exit). */
  statsIntervalMs?: number;
  /**
   * Own the process's signals and exit (default true): SIGTERM and SIGINT drain then exit,
   * SIGHUP rolls the workers, and a crash loop exits non-zero.
   */
  handleSignals?: boolean;
  /** Called in the primary (or single process) with fresh stats after each interval. */
  onStats?: (stats: ClusterStats) => void;
  /**
   * Prometheus `/metrics` (off by default): any worker answers a scrape with the whole cluster's
   * figures. `true` serves '/metrics' on the main port; see MetricsOptions for a port of its own.
   */
  metrics?: boolean | MetricsOptions;
  /** `/healthz` and `/readyz` for load balancers (off by default); readiness is 503 once a drain starts. */
  health?: boolean | HealthOptions;
  /**
   * Under TLS on the net engine, the primary makes the session ticket keys and gives them to every
   * worker, so a session resumes on whichever worker a reconnect lands; it makes new ones this
   * often (default 12 h; 0: never). Tickets issued before a rotation no longer resume (a full
   * handshake follows). Unused where `transport.tls.ticketKeys` is set: the program's keys win.
   */
  tlsTicketRotationMs?: number;
}

export interface ClusterStats {
  workers: WorkerStats[];
  /** Sums over the workers. */
  requests: number;
  connections: number;
  accepted: number;
  /** Workers replaced after dying. */
  restarts: number;
}

export type ResolvedServeOptions = Required<
  Pick<
    ServeOptions,
    | 'port'
    | 'host'
    | 'engine'
    | 'cluster'
    | 'workers'
    | 'shutdownGraceMs'
    | 'crashLoopDeaths'
    | 'crashLoopWindowMs'
    | 'restartDelayMs'
    | 'statsIntervalMs'
    | 'handleSignals'
    | 'tlsTicketRotationMs'
  >
> &
  ServeOptions & {
    /** `metrics` checked and filled in; null when off. */
    readonly metricsConfig: ResolvedMetricsOptions | null;
    readonly healthConfig: ResolvedHealthOptions | null;
  };

export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  checkServerOptions(options);
  const resolved: ResolvedServeOptions = {
    ...options,
    port: options.port ?? 8080,
    host: options.host ?? '127.0.0.1',
    engine: options.engine ?? 'net',
    cluster: options.cluster ?? true,
    workers: options.workers ?? availableParallelism(),
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    crashLoopDeaths: options.crashLoopDeaths ?? 5,
    crashLoopWindowMs: options.crashLoopWindowMs ?? 10_000,
    restartDelayMs: options.restartDelayMs ?? 100,
    statsIntervalMs: options.statsIntervalMs ?? 1000,
    handleSignals: options.handleSignals ?? true,
    tlsTicketRotationMs: options.tlsTicketRotationMs ?? DEFAULT_TICKET_ROTATION_MS,
    metricsConfig: resolveMetricsOptions(options.metrics),
    healthConfig: resolveHealthOptions(options.health),
  };
  const needsHttp = (what: string) => {
    if (options.handler === undefined && options.websockets === undefined) {
      throw new PercoreError(
        'PERCORE_ERR_INVALID_OPTION',
        `${what} on the main port needs an HTTP server (a handler or websockets), not a custom protocol`,
      );
    }
  };
  if (resolved.metricsConfig !== null && resolved.metricsConfig.port === undefined) needsHttp('metrics');
  if (resolved.healthConfig !== null) needsHttp('health');
  if (resolved.metricsConfig?.port !== undefined && resolved.metricsConfig.port !== 0 && resolved.metricsConfig.port === options.port) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      `metrics.port ${resolved.metricsConfig.port} is the server's own port: leave it out to serve metrics there`,
    );
  }
  const integer = (name: keyof ResolvedServeOptions, min: number, max: number) => {
    const value = resolved[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('port', 0, 65535);
  integer('workers', 1, 1024);
  integer('shutdownGraceMs', 0, 2 ** 31 - 1);
  integer('crashLoopDeaths', 1, 1000);
  integer('crashLoopWindowMs', 1, 2 ** 31 - 1);
  integer('restartDelayMs', 0, 60_000);
  integer('statsIntervalMs', 0, 2 ** 31 - 1);
  integer('tlsTicketRotationMs', 0, 2 ** 31 - 1);
  if (typeof resolved.host !== 'string' || resolved.host.length === 0) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'host must be a non-empty string');
  }
  return resolved;
}
