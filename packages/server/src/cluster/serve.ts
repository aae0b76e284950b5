import cluster from 'node:cluster';
import { PercoreError } from '../errors.js';
import { formatUrl } from '../http/engine.js';
import { describeListenError, listenFailed } from '../scheduler/listen-error.js';
import { resolveLogger } from '../logging/resolve.js';
import type { Logger } from '../scheduler/scheduler.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';
import { resolveServeOptions, type ClusterStats, type ResolvedServeOptions, type ServeOptions } from './options.js';
import { METRICS_PORT_ENV, PORT_ENV, Supervisor, WORKER_ENV } from './primary.js';
import { probeAddress } from './probe.js';
import { fromEnvelope, isPublishEnvelope, toEnvelope } from '../pubsub/envelope.js';
import { onThreadPublish } from '../pubsub/thread.js';
import type { MessageData } from '../pubsub/types.js';
import { WorkerRuntime } from './worker-runtime.js';
import { managesTicketKeys, newTicketKeys, TICKET_KEYS_ENV } from './ticket-keys.js';
import type { MetricsSnapshot } from '../metrics/snapshot.js';

/** A repeated stop signal sooner than this after the first is taken as the same request. */
const FORCE_SIGNAL_GAP_MS = 1000;
/** A worker's wait for the primary's answer to a scrape, past the primary's own wait for the workers. */
const SCRAPE_MARGIN_MS = 1000;

export interface ServeHandle {
  /** 'primary' supervises workers; 'worker' serves under one; 'single' serves in this process alone. */
  readonly role: 'primary' | 'worker' | 'single';
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Where Prometheus scrapes: the metrics path's URL, on the main port or its own; null when metrics are off. */
  readonly metricsUrl: string | null;
  /** Processes serving: the worker count, or 1. */
  readonly workers: number;
  /** The latest stats: the primary's aggregate of its workers' reports, or this process's own. */
  stats(): ClusterStats;
  /** The pids of the processes serving now. */
  workerPids(): number[];
  /** Rolling restart (primary only): replaces the workers one at a time without dropping a request. */
  restart(): Promise<void>;
  /**
   * Under TLS on the net engine (with no `transport.tls.ticketKeys` of the program's), makes new
   * session ticket keys now, for every worker (the primary), or this process (`cluster: false`);
   * tickets issued before stop resuming. Returns false where percore does not manage the keys
   * (and in a worker: the primary rotates).
   */
  rotateTicketKeys(): boolean;
  /**
   * Publishes to every WebSocket subscribed to `topic`, in every worker of the cluster (from the
   * primary, a worker, or a single process). Text unless `isBinary` (default: binary for bytes).
   */
  publish(topic: string, message: MessageData, isBinary?: boolean, compress?: boolean): void;
  /** Drains and stops; resolves with the exit code the process should end with (0: clean). */
  close(): Promise<number>;
  /** Resolves with the exit code once the server has stopped, for whatever reason. */
  readonly exited: Promise<number>;
  /** Aborted once the server has stopped (in a worker: once it has drained). */
  readonly signal: AbortSignal;
  /** `await using handle = await serve(...)`: drains and stops at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** An AbortSignal aborted when `done` settles. */
function signalWhen(done: Promise<unknown>): AbortSignal {
  const controller = new AbortController();
  void done.then(() => controller.abort());
  return controller.signal;
}

/**
 * Serves HTTP (or a custom protocol) on every core. Call it from a program's main module: the
 * primary supervises, and each worker, re-running the same module, lands in the worker branch.
 * With `cluster: false` the same options serve in this process, for tests and embedding.
 *
 * Rejects with PERCORE_ERR_LISTEN_FAILED (and a sentence saying why) if the address can't be bound.
 */
export async function serve(options: ServeOptions): Promise<ServeHandle> {
  const resolved = resolveServeOptions(options);
  const logger = resolveLogger(resolved.logger);
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return serveAsWorker(resolved);
  if (!resolved.cluster) return serveInProcess(resolved, logger);
  return serveAsPrimary(resolved, logger);
}

async function serveAsPrimary(options: ResolvedServeOptions, logger: Logger): Promise<ServeHandle> {
  let port: number;
  try {
    ({ port } = await probeAddress(options.host, options.port));
  } catch (error) {
    throw listenFailed(options.host, options.port, error);
  }
  const metrics = options.metricsConfig;
  let metricsPort: number | null = null;
  if (metrics?.port !== undefined) {
    const metricsHost = metrics.host ?? options.host;
    try {
      ({ port: metricsPort } = await probeAddress(metricsHost, metrics.port));
    } catch (error) {
      throw listenFailed(metricsHost, metrics.port, error);
    }
  }
  const supervisor = new Supervisor(options, port, logger, metricsPort);
  const publish = (topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false) => {
    supervisor.publish(toEnvelope(topic, message, isBinary, compress));
  };
  // The primary's own worker_threads publish through it too.
  const stopThreadPublishes = onThreadPublish((topic, message, isBinary, compress) =>
    supervisor.publish(toEnvelope(topic, message, isBinary, compress)),
  );
  void supervisor.exited.then(stopThreadPublishes);
  const handle: ServeHandle = {
    role: 'primary',
    host: options.host,
    port,
    url: formatUrl(options.host, port, options.transport?.tls !== undefined ? 'https' : 'http'),
    metricsUrl: metricsUrlFor(options, port, metricsPort),
    workers: options.workers,
    stats: () => supervisor.stats(),
    workerPids: () => supervisor.workerPids(),
    restart: () => supervisor.restart(),
    rotateTicketKeys: () => supervisor.rotateTicketKeys(),
    publish,
    close: () => supervisor.close(),
    exited: supervisor.exited,
    signal: signalWhen(supervisor.exited),
    [Symbol.asyncDispose]: async () => void (await supervisor.close()),
  };
  if (options.handleSignals) {
    // A second signal forces the exit, but only a deliberate one: a wrapper (pnpm, timeout)
    // often forwards the same Ctrl-C the process group already got.
    let firstSignalAt = 0;
    const stop = () => {
      if (firstSignalAt !== 0) {
        if (Date.now() - firstSignalAt < FORCE_SIGNAL_GAP_MS) return;
        logger.info?.('second signal: killing the workers now');
        supervisor.kill();
        return;
      }
      firstSignalAt = Date.now();
      logger.info?.(`draining ${options.workers} workers (up to ${options.shutdownGraceMs} ms); signal again to force`);
      void supervisor.close();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => void supervisor.restart());
    // The primary owns the process: it ends when the cluster does, with the cluster's code.
    void supervisor.exited.then((code) => process.exit(code));
  }
  await supervisor.start();
  return handle;
}

async function serveAsWorker(options: ResolvedServeOptions): Promise<ServeHandle> {
  const runtime = new WorkerRuntime(options);
  const send = (message: WorkerMessage, then?: () => void) => {
    if (process.connected) process.send!(message, undefined, {}, () => then?.());
    else then?.();
  };
  // Ctrl-C reaches the whole process group: the primary decides, and tells us over IPC.
  process.on('SIGINT', () => {});
  process.on('uncaughtException', (error) => {
    send({ percore: 'fatal', error: error.stack ?? String(error) }, () => process.exit(1));
    setTimeout(() => process.exit(1), 1000).unref();
  });

  // Publishes leave through the primary, which hands them to every other worker.
  runtime.setPublishRelay((topic, message, isBinary, compress) => send(toEnvelope(topic, message, isBinary, compress)));
  const stopThreadPublishes = runtime.publishes ? onThreadPublish((...publish) => runtime.publish(...publish)) : () => {};

  // A scrape here asks the primary, which gathers every worker's figures (this one's too).
  const scrapes = new Map<number, { resolve: (snapshot: MetricsSnapshot) => void; timer: NodeJS.Timeout }>();
  let nextScrape = 1;
  if (options.metricsConfig !== null) {
    const waitMs = options.metricsConfig.collectTimeoutMs + SCRAPE_MARGIN_MS;
    runtime.setSnapshotSource(
      () =>
        new Promise<MetricsSnapshot>((resolve, reject) => {
          if (!process.connected) return reject(new PercoreError('PERCORE_ERR_METRICS_UNAVAILABLE', 'the primary is gone'));
          const id = nextScrape++;
          const timer = setTimeout(() => {
            scrapes.delete(id);
            reject(new PercoreError('PERCORE_ERR_METRICS_UNAVAILABLE', `the primary did not answer within ${waitMs} ms`));
          }, waitMs);
          scrapes.set(id, { resolve, timer });
          send({ percore: 'metrics-request', id });
        }),
    );
  }

  const port = Number(process.env[PORT_ENV]);
  let metricsPort: number | null = null;
  try {
    await runtime.listen(options.host, port, options.backlog);
    // The cluster's ticket keys, so a session resumes on any worker. After listen: node's cluster
    // hands each worker, as it listens, the ticket keys the first worker had when it listened
    // (tls.Server's _setServerData), which would undo a rotation in every worker forked later.
    // No connection is accepted before this continuation runs.
    const ticketKeys = process.env[TICKET_KEYS_ENV];
    if (ticketKeys !== undefined) runtime.useTicketKeys(Buffer.from(ticketKeys, 'hex'));
    if (process.env[METRICS_PORT_ENV] !== undefined) metricsPort = await runtime.listenMetrics(Number(process.env[METRICS_PORT_ENV]));
  } catch (error) {
    // The primary makes the PercoreError again from this sentence.
    const cause = (error instanceof PercoreError ? error.cause : error) as NodeJS.ErrnoException | undefined;
    const message = cause === undefined ? (error as Error).message : describeListenError(options.host, port, cause);
    send({ percore: 'listen-failed', code: cause?.code ?? 'UNKNOWN', message }, () => process.exit(1));
    return new Promise(() => {}); // the process is exiting
  }

  let draining: Promise<number> | null = null;
  const drain = (graceMs: number): Promise<number> => {
    if (draining === null) {
      stopThreadPublishes();
      draining = runtime.close(graceMs).then(() => {
        // Its last figures, so that the cluster's counters keep what it counted (id 0: no scrape's).
        if (options.metricsConfig !== null) send({ percore: 'metrics-snapshot', id: 0, snapshot: runtime.metricsSnapshot() });
        send({ percore: 'stats', stats: runtime.stats() }, () => process.exit(0));
        return 0;
      });
    }
    return draining;
  };
  process.on('message', (message: PrimaryMessage) => {
    if (message?.percore === 'stop-accepting') {
      // Node's cluster tells the primary of the closed listener on this same channel, before
      // this answer: once the primary reads it, no new connection comes here.
      runtime.stopAccepting();
      send({ percore: 'stopped-accepting' });
    } else if (message?.percore === 'shutdown') void drain(message.graceMs);
    else if (message?.percore === 'tls-ticket-keys') runtime.useTicketKeys(Buffer.from(message.keys, 'hex'));
    else if (message?.percore === 'metrics-collect')
      send({ percore: 'metrics-snapshot', id: message.id, snapshot: runtime.metricsSnapshot() });
    else if (message?.percore === 'metrics-reply') {
      const scrape = scrapes.get(message.id);
      scrapes.delete(message.id);
      if (scrape !== undefined) {
        clearTimeout(scrape.timer);
        scrape.resolve(message.snapshot);
      }
    } else if (isPublishEnvelope(message)) {
      const { topic, message: data, isBinary, compress } = fromEnvelope(message);
      runtime.publishLocal(topic, data, isBinary, compress);
    }
  });
  process.on('SIGTERM', () => void drain(options.shutdownGraceMs));
  // The primary is gone: nobody will replace or stop us, so finish up and leave. Node's cluster
  // would end the worker at once on a disconnect it did not ask for, dropping every connection
  // held here; marked as expected, it leaves the drain to us.
  if (cluster.worker !== undefined) cluster.worker.exitedAfterDisconnect = true;
  process.on('disconnect', () => void drain(options.shutdownGraceMs));

  if (options.statsIntervalMs > 0) {
    setInterval(() => send({ percore: 'stats', stats: runtime.stats() }), options.statsIntervalMs).unref();
  }
  send({ percore: 'listening', port });
  return localHandle(
    'worker',
    options,
    port,
    metricsPort,
    runtime,
    () => drain(options.shutdownGraceMs),
    new Promise(() => {}),
    () => false,
  );
}

async function serveInProcess(options: ResolvedServeOptions, logger: Logger): Promise<ServeHandle> {
  const runtime = new WorkerRuntime(options);
  const port = await runtime.listen(options.host, options.port, options.backlog);
  let metricsPort: number | null = null;
  try {
    if (options.metricsConfig?.port !== undefined) metricsPort = await runtime.listenMetrics(options.metricsConfig.port);
  } catch (error) {
    await runtime.close(0);
    throw error;
  }
  let resolveExited!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExited = resolve));
  let closing: Promise<number> | null = null;
  let statsTimer: NodeJS.Timeout | null = null;
  // One process: node:tls made its own ticket keys; percore only rotates them.
  const managesKeys = managesTicketKeys(options);
  const rotateTicketKeys = () => managesKeys && runtime.useTicketKeys(newTicketKeys());
  let rotationTimer: NodeJS.Timeout | null = null;
  if (managesKeys && options.tlsTicketRotationMs > 0) {
    rotationTimer = setInterval(rotateTicketKeys, options.tlsTicketRotationMs);
    rotationTimer.unref();
  }
  const stopThreadPublishes = runtime.publishes ? onThreadPublish((...publish) => runtime.publish(...publish)) : () => {};
  const close = () => {
    if (closing === null) {
      stopThreadPublishes();
      if (rotationTimer !== null) clearInterval(rotationTimer);
      closing = runtime.close(options.shutdownGraceMs).then(() => {
        if (statsTimer !== null) clearInterval(statsTimer);
        resolveExited(0);
        return 0;
      });
    }
    return closing;
  };
  if (options.statsIntervalMs > 0 && options.onStats) {
    const onStats = options.onStats;
    statsTimer = setInterval(() => onStats(singleStats(runtime)), options.statsIntervalMs);
    statsTimer.unref();
  }
  if (options.handleSignals) {
    const stop = () => {
      logger.info?.(`draining (up to ${options.shutdownGraceMs} ms)`);
      void close().then((code) => process.exit(code));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return localHandle('single', options, port, metricsPort, runtime, close, exited, rotateTicketKeys);
}

/** The handle of a process that serves itself: a cluster worker, or a single process. */
function localHandle(
  role: 'worker' | 'single',
  options: ResolvedServeOptions,
  port: number,
  metricsPort: number | null,
  runtime: WorkerRuntime,
  close: () => Promise<number>,
  exited: Promise<number>,
  rotateTicketKeys: () => boolean,
): ServeHandle {
  return {
    role,
    host: options.host,
    port,
    url: formatUrl(options.host, port, options.transport?.tls !== undefined ? 'https' : 'http'),
    metricsUrl: metricsUrlFor(options, port, metricsPort),
    workers: 1,
    stats: () => singleStats(runtime),
    workerPids: () => [process.pid],
    publish: (topic, message, isBinary, compress) => runtime.publish(topic, message, isBinary, compress),
    restart: () =>
      Promise.reject(
        new PercoreError(
          'PERCORE_ERR_RESTART_UNAVAILABLE',
          role === 'worker' ? 'restart is the primary’s to call' : 'restart needs the cluster (cluster: true)',
        ),
      ),
    rotateTicketKeys,
    close,
    exited,
    // Aborted once the engine has drained: a worker's `exited` never settles (its process ends first).
    signal: runtime.engine.signal,
    [Symbol.asyncDispose]: async () => void (await close()),
  };
}

/** The scrape URL: the metrics path on its own port (plain HTTP), or on the main one. */
function metricsUrlFor(options: ResolvedServeOptions, port: number, metricsPort: number | null): string | null {
  const metrics = options.metricsConfig;
  if (metrics === null) return null;
  if (metricsPort !== null) return `${formatUrl(metrics.host ?? options.host, metricsPort, 'http')}${metrics.path}`;
  return `${formatUrl(options.host, port, options.transport?.tls !== undefined ? 'https' : 'http')}${metrics.path}`;
}

function singleStats(runtime: WorkerRuntime): ClusterStats {
  const stats = runtime.stats();
  return {
    workers: [stats],
    requests: stats.requests,
    connections: stats.listener.connections,
    accepted: stats.listener.accepted,
    restarts: 0,
  };
}
