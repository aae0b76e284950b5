import { availableParallelism } from 'node:os';
import type { Socket } from 'node:net';
import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';
import type { TaskFactory } from '../scheduler/task.js';
import type { HttpServerOptions } from '../server.js';
import { validateWebSocketBehavior, type WebSocketBehavior } from '../uws/websocket.js';
import type { WorkerStats } from './messages.js';

/** A protocol other than HTTP for `serve`: made once per worker. */
export type ProtocolMaker = () => { factory: TaskFactory; refuse?: (socket: Socket) => void };

export interface ServeOptions extends HttpServerOptions {
  /** The HTTP handler. Give this or `protocol` (or, on the uws engine, only `websockets`: HTTP then answers 404). */
  handler?: Handler;
  /** A custom protocol (a task factory) instead of HTTP; `net` engine only. */
  protocol?: ProtocolMaker;
  /**
   * 'net' (default): percore's own HTTP/1.0 and 1.1 state machine on node:net. 'uws':
   * uWebSockets.js, HTTP/1.1 only (it answers HTTP/1.0 with 505), and WebSockets.
   */
  engine?: Engine;
  /**
   * WebSocket routes by URL pattern ('/chat', '/rooms/:id', '/*'); `uws` engine only. Each
   * worker serves them; publishes (`handle.publish`, a socket's `publish`, `publishFromThread`)
   * reach subscribers in every worker.
   */
  websockets?: Record<string, WebSocketBehavior<any>>;
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
}

export type Engine = 'net' | 'uws';

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
    | 'port' | 'host' | 'engine' | 'cluster' | 'workers' | 'shutdownGraceMs' | 'crashLoopDeaths' | 'crashLoopWindowMs'
    | 'restartDelayMs' | 'statsIntervalMs' | 'handleSignals'
  >
> &
  ServeOptions;

export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  const websocketsOnly = options.handler === undefined && options.protocol === undefined && options.websockets !== undefined;
  if ((options.handler === undefined) === (options.protocol === undefined) && !websocketsOnly) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'serve needs exactly one of `handler` and `protocol`');
  }
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
  };
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
  if (resolved.engine !== 'net' && resolved.engine !== 'uws') {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `engine must be 'net' or 'uws', got ${String(resolved.engine)}`);
  }
  if (resolved.engine === 'uws' && resolved.protocol !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'custom protocols run on the net engine; uws serves HTTP and WebSockets');
  }
  if (resolved.websockets !== undefined) {
    if (resolved.engine !== 'uws') {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `websockets need engine: 'uws' (the ${resolved.engine} engine serves HTTP only)`);
    }
    if (typeof resolved.websockets !== 'object' || resolved.websockets === null) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'websockets must map URL patterns to WebSocket behaviors');
    }
    // Checked here, in the primary, before any worker starts: uWS aborts a process on some.
    for (const [pattern, behavior] of Object.entries(resolved.websockets)) validateWebSocketBehavior(pattern, behavior);
    resolved.handler ??= notFound;
  }
  if (typeof resolved.host !== 'string' || resolved.host.length === 0) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'host must be a non-empty string');
  }
  return resolved;
}

/** The HTTP side of a server that serves only WebSockets. */
const notFound: Handler = (_req, res) => {
  res.status = 404;
  res.end('404 Not Found\n');
};

export function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
