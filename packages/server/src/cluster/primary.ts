import cluster, { type Worker } from 'node:cluster';
import { PercoreError } from '../errors.js';
import type { Logger } from '../scheduler/scheduler.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { isWorkerMessage, type PrimaryMessage, type WorkerMessage, type WorkerStats } from './messages.js';
import type { ClusterStats, ResolvedServeOptions } from './options.js';
import { isPublishEnvelope, type PublishEnvelope } from '../pubsub/envelope.js';
import type { FamilySnapshot } from '../metrics/snapshot.js';
import { MetricsGatherer } from './metrics-gatherer.js';
import { managesTicketKeys, newTicketKeys, TICKET_KEYS_ENV } from './ticket-keys.js';

/** Environment variables that tell a forked process it is a percore worker, and where to listen. */
export const WORKER_ENV = 'PERCORE_WORKER';
export const PORT_ENV = 'PERCORE_PORT';
/** The metrics port the primary probed, when metrics have a port of their own. */
export const METRICS_PORT_ENV = 'PERCORE_METRICS_PORT';

/** Extra time past a drain's grace before a worker that has not exited is killed. */
const KILL_MARGIN_MS = 2000;
/** How long a worker has to report that it stopped accepting before its drain goes ahead anyway. */
const STOP_ACCEPTING_TIMEOUT_MS = 2000;
const MAX_RESTART_DELAY_MS = 5000;

interface WorkerRecord {
  worker: Worker;
  state: 'starting' | 'listening' | 'draining';
  stats: WorkerStats | null;
  /** The worker's last reported fatal error, if any. */
  lastError: string | null;
  listening: Deferred<void>;
  /** Resolved when the worker reports its listening socket closed (or it exited). */
  stoppedAccepting: Deferred<void>;
  exited: Deferred<{ code: number | null; signal: string | null }>;
  killed: boolean;
  /** The ticket keys (hex) this worker was given last. */
  ticketKeys: string | null;
}

/**
 * The cluster's primary: forks one worker per core, replaces those that die (with backoff, and
 * gives up on a crash loop), drains them on shutdown, rolls them one at a time on restart,
 * aggregates their stats, and relays publishes between workers. It never touches a connection:
 * workers accept from the shared listening socket themselves (node's SCHED_NONE policy).
 */
export class Supervisor {
  private readonly records = new Map<number, WorkerRecord>();
  private readonly deaths: number[] = [];
  private restarts = 0;
  private phase: 'starting' | 'running' | 'rolling' | 'stopping' | 'stopped' = 'starting';
  private lastDeath = '';
  private readonly done = deferred<number>();
  private statsTimer: NodeJS.Timeout | null = null;
  private startup: Deferred<void> | null = null;
  private readonly metrics: MetricsGatherer | null;
  /** The cluster's TLS session ticket keys (hex), when percore makes them; null otherwise. */
  private ticketKeys: string | null;
  private rotationTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: ResolvedServeOptions,
    private readonly port: number,
    private readonly logger: Logger,
    /** The metrics port probed for the workers, when metrics have one. */
    private readonly metricsPort: number | null = null,
  ) {
    const metrics = options.metricsConfig;
    this.metrics = metrics === null ? null : new MetricsGatherer(metrics.collectTimeoutMs, logger, () => this.metricsFamilies());
    void this.done.promise.then(() => this.metrics?.stop());
    // One set of keys for every worker: a session ticket one issued resumes on any other.
    this.ticketKeys = managesTicketKeys(options) ? newTicketKeys().toString('hex') : null;
    void this.done.promise.then(() => this.stopRotation());
  }

  /** What only the primary knows: restarts, and the workers serving. */
  private metricsFamilies(): FamilySnapshot[] {
    return [
      {
        name: 'percore_worker_restarts_total',
        help: 'Workers replaced after dying.',
        type: 'counter',
        labelNames: [],
        series: [{ labels: [], value: this.restarts }],
      },
      {
        name: 'percore_workers',
        help: 'Worker processes listening now.',
        type: 'gauge',
        labelNames: [],
        series: [{ labels: [], value: this.workerPids().length }],
      },
    ];
  }

  /** Gathers the cluster's metrics for a scrape that landed on `origin`, and answers it there. */
  private gatherMetrics(origin: WorkerRecord, requestId: number): void {
    const targets = [...this.records.values()]
      .filter((record) => record.state !== 'starting' && record.worker.isConnected())
      .map((record) => ({
        id: record.worker.id,
        ask: (collectId: number) => record.worker.send({ percore: 'metrics-collect', id: collectId } satisfies PrimaryMessage, () => {}),
      }));
    this.metrics!.gather(targets, (snapshot) => {
      if (origin.worker.isConnected())
        origin.worker.send({ percore: 'metrics-reply', id: requestId, snapshot } satisfies PrimaryMessage, () => {});
    });
  }

  /** Resolves with the exit code the primary should end with: 0 after a clean drain. */
  get exited(): Promise<number> {
    return this.done.promise;
  }

  /** Forks the workers and resolves once every one is listening. */
  async start(): Promise<void> {
    // Workers accept from the shared handle directly: the primary never touches a connection.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    this.startup = deferred<void>();
    for (let i = 0; i < this.options.workers; i++) this.fork();
    await this.startup.promise;
    this.phase = 'running';
    if (this.options.statsIntervalMs > 0 && this.options.onStats) {
      const onStats = this.options.onStats;
      this.statsTimer = setInterval(() => onStats(this.stats()), this.options.statsIntervalMs);
      this.statsTimer.unref();
    }
    if (this.ticketKeys !== null && this.options.tlsTicketRotationMs > 0) {
      this.rotationTimer = setInterval(() => this.rotateTicketKeys(), this.options.tlsTicketRotationMs);
      this.rotationTimer.unref();
    }
  }

  /**
   * Makes new TLS session ticket keys and gives them to every listening worker (one still starting
   * gets them once it listens; one forked later, at fork). node:tls holds one key, so tickets
   * issued before now stop resuming. Returns false where percore does not manage the keys.
   */
  rotateTicketKeys(): boolean {
    if (this.ticketKeys === null) return false;
    this.ticketKeys = newTicketKeys().toString('hex');
    for (const record of this.records.values()) if (record.state === 'listening') this.sendTicketKeys(record);
    return true;
  }

  private sendTicketKeys(record: WorkerRecord): void {
    if (this.ticketKeys === null || record.ticketKeys === this.ticketKeys || !record.worker.isConnected()) return;
    record.ticketKeys = this.ticketKeys;
    record.worker.send({ percore: 'tls-ticket-keys', keys: this.ticketKeys } satisfies PrimaryMessage, () => {});
  }

  private stopRotation(): void {
    if (this.rotationTimer !== null) clearInterval(this.rotationTimer);
    this.rotationTimer = null;
  }

  stats(): ClusterStats {
    const workers: WorkerStats[] = [];
    for (const record of this.records.values()) if (record.stats !== null) workers.push(record.stats);
    let requests = 0;
    let connections = 0;
    let accepted = 0;
    for (const stats of workers) {
      requests += stats.requests;
      connections += stats.listener.connections;
      accepted += stats.listener.accepted;
    }
    return { workers, requests, connections, accepted, restarts: this.restarts };
  }

  workerPids(): number[] {
    return [...this.records.values()].filter((record) => record.state === 'listening').map((record) => record.worker.process.pid!);
  }

  /**
   * Sends a publish to every worker but `origin` (which has delivered it to its own subscribers
   * already), so each subscriber in the cluster gets it once. Draining workers are skipped: their
   * sockets are closing.
   */
  publish(envelope: PublishEnvelope, origin: Worker | null = null): void {
    for (const record of this.records.values()) {
      if (record.worker === origin || record.state === 'draining' || !record.worker.isConnected()) continue;
      record.worker.send(envelope, () => {}); // a worker that just died is being replaced
    }
  }

  /** Zero-downtime rolling restart: each new worker is listening before its predecessor drains. */
  async restart(): Promise<void> {
    if (this.phase !== 'running') {
      this.logger.info?.(`rolling restart ignored: the cluster is ${this.phase}`);
      return;
    }
    this.phase = 'rolling';
    const old = [...this.records.values()].filter((record) => record.state === 'listening');
    this.logger.info?.(`rolling restart of ${old.length} workers`);
    try {
      for (const record of old) {
        const fresh = this.fork();
        await fresh.listening.promise;
        await this.stopAccepting([record]);
        await this.drain(record, this.options.shutdownGraceMs);
      }
      this.logger.info?.('rolling restart done');
    } catch (error) {
      this.logger.error('PERCORE_ERR_WORKER_DIED', 'rolling restart stopped: a new worker failed to start', error);
    } finally {
      if (this.phase === 'rolling') this.phase = 'running';
    }
  }

  /** Drains every worker, then resolves with the exit code: 0 if all drained cleanly. */
  async close(graceMs = this.options.shutdownGraceMs): Promise<number> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return this.done.promise;
    this.phase = 'stopping';
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    const records = [...this.records.values()];
    // Every worker stops accepting before any closes a connection: a client whose connection a
    // drain closes reconnects at once, and must find the port closed (a refused connect it can
    // retry), not a listener that will close with its connection queued, unanswered.
    await this.stopAccepting(records);
    const results = await Promise.all(records.map((record) => this.drain(record, graceMs)));
    const clean = results.every(Boolean);
    this.phase = 'stopped';
    this.done.resolve(clean ? 0 : 1);
    return this.done.promise;
  }

  /** Kills every worker at once (a second Ctrl-C). */
  kill(): void {
    for (const record of this.records.values()) {
      record.killed = true;
      record.worker.process.kill('SIGKILL');
    }
  }

  private fork(): WorkerRecord {
    const env: Record<string, string> = { [WORKER_ENV]: '1', [PORT_ENV]: String(this.port) };
    if (this.metricsPort !== null) env[METRICS_PORT_ENV] = String(this.metricsPort);
    if (this.ticketKeys !== null) env[TICKET_KEYS_ENV] = this.ticketKeys;
    const worker = cluster.fork(env);
    const record: WorkerRecord = {
      worker,
      state: 'starting',
      stats: null,
      lastError: null,
      listening: deferred<void>(),
      stoppedAccepting: deferred<void>(),
      exited: deferred(),
      killed: false,
      ticketKeys: this.ticketKeys,
    };
    // A rejected listening promise is handled by whoever awaits it; don't let it go unhandled.
    record.listening.promise.catch(() => {});
    this.records.set(worker.id, record);
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(record, message);
    });
    worker.on('exit', (code, signal) => this.onExit(record, code, signal));
    worker.on('error', () => {}); // IPC errors surface as an exit
    return record;
  }

  private onMessage(record: WorkerRecord, message: WorkerMessage): void {
    switch (message.percore) {
      case 'listening':
        record.state = 'listening';
        // Keys rotated while it started reached it too early: it listens for messages only now.
        this.sendTicketKeys(record);
        record.listening.resolve();
        if (this.startup !== null && [...this.records.values()].every((r) => r.state !== 'starting')) {
          this.startup.resolve();
          this.startup = null;
        }
        return;
      case 'listen-failed': {
        // Not a crash: the address is the problem, and every replacement would fail the same way.
        const error = new PercoreError('PERCORE_ERR_LISTEN_FAILED', message.message);
        record.listening.reject(error);
        this.fail(error);
        return;
      }
      case 'stopped-accepting':
        record.stoppedAccepting.resolve();
        return;
      case 'stats':
        record.stats = message.stats;
        return;
      case 'fatal':
        record.lastError = message.error;
        return;
      case 'publish':
        if (isPublishEnvelope(message)) this.publish(message, record.worker);
        return;
      case 'metrics-request':
        if (this.metrics !== null) this.gatherMetrics(record, message.id);
        return;
      case 'metrics-snapshot':
        this.metrics?.received(record.worker.id, message.id, message.snapshot);
        return;
    }
  }

  private onExit(record: WorkerRecord, code: number | null, signal: string | null): void {
    this.records.delete(record.worker.id);
    this.metrics?.workerExited(record.worker.id);
    record.exited.resolve({ code, signal });
    record.stoppedAccepting.resolve();
    if (record.state === 'draining' || this.phase === 'stopping' || this.phase === 'stopped') return;

    const pid = record.worker.process.pid;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    this.lastDeath = record.lastError ?? `worker ${pid} ended with ${how}`;
    record.listening.reject(new PercoreError('PERCORE_ERR_WORKER_DIED', `worker ${pid} died (${how}) before listening`));
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! <= now - this.options.crashLoopWindowMs) this.deaths.shift();

    if (this.deaths.length >= this.options.crashLoopDeaths) {
      const seconds = this.options.crashLoopWindowMs / 1000;
      this.fail(
        new PercoreError('PERCORE_ERR_CRASH_LOOP', `${this.deaths.length} worker deaths within ${seconds} s; last: ${this.lastDeath}`),
      );
      return;
    }
    const delay = Math.min(this.options.restartDelayMs * 2 ** (this.deaths.length - 1), MAX_RESTART_DELAY_MS);
    this.logger.error('PERCORE_ERR_WORKER_DIED', `worker ${pid} died (${how}); replacing it in ${delay} ms`, record.lastError ?? undefined);
    // Not unref'd: with every worker dead, this timer is what keeps the primary alive.
    setTimeout(() => {
      if (this.phase === 'stopping' || this.phase === 'stopped') return;
      this.restarts++;
      this.fork();
    }, delay);
  }

  /** Stops the cluster because it cannot run: kills the workers and settles with exit code 1. */
  private fail(error: PercoreError): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    this.phase = 'stopping';
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.logger.error(error.code, error.message);
    this.kill();
    this.startup?.reject(error);
    this.startup = null;
    void Promise.all([...this.records.values()].map((record) => record.exited.promise)).then(() => {
      this.phase = 'stopped';
      this.done.resolve(1);
    });
  }

  /** Asks workers to close their listening sockets, and waits until each has (or a timeout passes). */
  private async stopAccepting(records: WorkerRecord[]): Promise<void> {
    const asked = records.filter((record) => record.worker.isConnected());
    for (const record of asked) record.worker.send({ percore: 'stop-accepting' } satisfies PrimaryMessage, () => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_ACCEPTING_TIMEOUT_MS)));
    await Promise.race([Promise.all(asked.map((record) => record.stoppedAccepting.promise)), timeout]);
    clearTimeout(timer);
  }

  /** Asks a worker to drain; kills it if it has not exited after the grace. True if it exited cleanly. */
  private async drain(record: WorkerRecord, graceMs: number): Promise<boolean> {
    record.state = 'draining';
    const message: PrimaryMessage = { percore: 'shutdown', graceMs };
    if (record.worker.isConnected()) record.worker.send(message, () => {});
    const deadline = setTimeout(() => {
      record.killed = true;
      this.logger.error(
        'PERCORE_ERR_DRAIN_FORCED',
        `worker ${record.worker.process.pid} did not drain within ${graceMs + KILL_MARGIN_MS} ms; killing it`,
      );
      record.worker.process.kill('SIGKILL');
    }, graceMs + KILL_MARGIN_MS);
    const { code } = await record.exited.promise;
    clearTimeout(deadline);
    return !record.killed && code === 0;
  }
}
