import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';
import type { Engine, EngineStats } from '../http/engine.js';
import { combineObservers, type ExchangeObserver } from '../http/observer.js';
import { healthChecks } from '../health/health-checks.js';
import { metricsEndpoint } from '../metrics/endpoint.js';
import { renderExposition } from '../metrics/exposition.js';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { mergeSnapshots, type FamilySnapshot, type MergeConflict, type MetricsSnapshot } from '../metrics/snapshot.js';
import type { MessageData, PublishSink } from '../pubsub/types.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { createServer } from '../server.js';
import type { WorkerStats } from './messages.js';
import type { ResolvedServeOptions } from './options.js';

/** Where a scrape's figures come from: the cluster (through the primary), or this process alone. */
export type SnapshotSource = () => Promise<MetricsSnapshot>;

/** What a server with no handler of its own answers outside its WebSocket routes (the uws default). */
const notFound: Handler = (_req, res) => {
  res.status = 404;
  res.end();
};

/**
 * What one process serves: the chosen engine, with an observer that counts its requests, and,
 * when asked for, the metrics endpoint (on the main port or one of its own) and the health
 * checks in front of the program's handler. Used by each cluster worker, and by
 * `serve({ cluster: false })`.
 */
export class WorkerRuntime {
  readonly engine: Engine;
  /** The metrics port's own server, when metrics have a port of their own. */
  readonly metricsEngine: Engine | null = null;
  private requests = 0;
  private accepting = true;
  private readonly httpMetrics: HttpMetrics | null = null;
  private readonly processMetrics: ProcessMetrics | null = null;
  private snapshotSource: SnapshotSource = () => Promise.resolve(this.metricsSnapshot());
  private readonly reportedConflicts = new Set<string>();

  constructor(private readonly options: ResolvedServeOptions) {
    const counter: ExchangeObserver = { started: () => void this.requests++ };
    const metrics = options.metricsConfig;
    if (metrics !== null) {
      this.httpMetrics = new HttpMetrics(metrics.durationBuckets);
      this.processMetrics = new ProcessMetrics();
    }
    const scrape = () => this.snapshotSource().then(renderExposition);
    let handler = options.handler;
    if (metrics !== null && metrics.port === undefined) handler = metricsEndpoint(metrics.path, scrape, handler ?? notFound);
    if (options.healthConfig !== null) handler = healthChecks(options.healthConfig, () => this.accepting, handler ?? notFound);
    this.engine = createServer({ ...options, handler, observer: combineObservers(counter, this.httpMetrics, options.observer)! });
    if (metrics !== null && metrics.port !== undefined) {
      // Plain HTTP/1.1 on the net engine whatever the main one is: a scrape needs nothing more.
      this.metricsEngine = createServer({ engine: 'net', handler: metricsEndpoint(metrics.path, scrape, null), logger: options.logger });
    }
  }

  get scheduler(): Scheduler {
    return this.engine.scheduler;
  }

  /** Whether this process serves WebSocket topics (and so takes publishes). */
  get publishes(): boolean {
    return this.engine.pubsub !== null;
  }

  /** Listens; resolves with the port. Rejects with PERCORE_ERR_LISTEN_FAILED, the system error as its cause. */
  async listen(host: string, port: number, backlog?: number): Promise<number> {
    return (await this.engine.listen({ host, port, backlog })).port;
  }

  /** Listens on the metrics port, when metrics have one; resolves with it (null: none). */
  async listenMetrics(port: number): Promise<number | null> {
    if (this.metricsEngine === null) return null;
    const host = this.options.metricsConfig!.host ?? this.options.host;
    return (await this.metricsEngine.listen({ host, port })).port;
  }

  /** Where scrapes get their figures: in a cluster, the primary's gathering of every worker's. */
  setSnapshotSource(source: SnapshotSource): void {
    this.snapshotSource = source;
  }

  /**
   * This process's metrics: percore's (HTTP, connections, process) and the program's registry,
   * merged. A program's family that clashes with percore's is left out, and logged once.
   */
  metricsSnapshot(): MetricsSnapshot {
    const metrics = this.options.metricsConfig;
    if (metrics === null) return [];
    const own = [...this.httpMetrics!.collect(), ...connectionFamilies(this.engine.stats()), ...this.processMetrics!.collect()];
    const conflicts: MergeConflict[] = [];
    const merged = mergeSnapshots([own, metrics.registry.snapshot()], conflicts);
    for (const { name, reason } of conflicts) {
      if (this.reportedConflicts.has(name)) continue;
      this.reportedConflicts.add(name);
      this.scheduler.logger.error(
        'PERCORE_ERR_INVALID_METRIC',
        `the program's ${name} is left out of the metrics: it is percore's, as ${reason}`,
      );
    }
    return merged;
  }

  stats(): WorkerStats {
    return { pid: process.pid, requests: this.requests, scheduler: this.engine.scheduler.stats(), listener: this.engine.stats() };
  }

  /**
   * Serves TLS session tickets with these keys (48 bytes) from now on, unless the program set
   * `transport.tls.ticketKeys` (its keys win) or the engine cannot take keys (uws). Returns
   * whether the keys were taken.
   */
  useTicketKeys(keys: Buffer): boolean {
    if (this.options.transport?.tls?.ticketKeys !== undefined || this.engine.setTicketKeys === undefined) return false;
    this.engine.setTicketKeys(keys);
    return true;
  }

  /** Closes the listening socket; readiness answers 503 from now on. */
  stopAccepting(): void {
    this.accepting = false;
    this.engine.stopAccepting();
  }

  async close(graceMs: number): Promise<void> {
    this.accepting = false;
    // The metrics port stays up while the main one drains, so a last scrape can still land.
    await this.engine.close({ graceMs });
    await this.metricsEngine?.close({ graceMs: 0 });
    this.processMetrics?.stop();
  }

  /** Publishes to this process's subscribers and, once a relay is set, the cluster's. */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    const pubsub = this.engine.pubsub;
    if (pubsub === null) throw pubsubUnavailable();
    pubsub.publish(topic, message, isBinary, compress);
  }

  /** Publishes to this process's subscribers only (a publish relayed by the primary). */
  publishLocal(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    this.engine.pubsub?.publishLocal(topic, message, isBinary, compress);
  }

  /** Where this process's publishes go beyond it: the primary, in a cluster. */
  setPublishRelay(relay: PublishSink): void {
    this.engine.pubsub?.setPublishRelay(relay);
  }
}

/** The engine's connection counts as metrics. */
function connectionFamilies(stats: EngineStats): FamilySnapshot[] {
  const one = (value: number) => [{ labels: [], value }];
  return [
    {
      name: 'percore_open_connections',
      help: 'Client connections open now.',
      type: 'gauge',
      labelNames: [],
      aggregation: 'sum',
      series: one(stats.connections),
    },
    {
      name: 'percore_connections_accepted_total',
      help: 'Client connections accepted.',
      type: 'counter',
      labelNames: [],
      series: one(stats.accepted),
    },
    {
      name: 'percore_connections_refused_total',
      help: 'Connections refused over the connection limit.',
      type: 'counter',
      labelNames: [],
      series: one(stats.refused),
    },
  ];
}

export function pubsubUnavailable(): PercoreError {
  return new PercoreError('PERCORE_ERR_PUBSUB_UNAVAILABLE', 'this engine has no WebSocket topics to publish to');
}
