import { openAccessLog, type AccessLog } from './access-log/access-log.js';
import { checkAccessLog, type AccessLogOption } from './access-log/options.js';
import { PercoreError } from './errors.js';
import type { Engine, EngineName } from './http/engine.js';
import { combineObservers } from './http/observer.js';
import { resolveLogger, type LoggerOption } from './logging/resolve.js';
import { NetEngine, type NetEngineOptions } from './net/engine.js';
import { resolveTransport } from './scheduler/transport.js';
import { UwsEngine, type UwsEngineOptions } from './uws/engine.js';
import { validateWebSocketBehavior } from './websocket/behavior.js';

/** What `createServer` takes: the engine, and the options of every layer, grouped. */
export interface ServerOptions extends Omit<NetEngineOptions, 'logger'>, Omit<UwsEngineOptions, 'logger'> {
  /**
   * 'net' (default): percore's own HTTP/1.0 and 1.1 state machine on node:net, and custom
   * protocols as Tasks. 'uws': uWebSockets.js, HTTP/1.1 only (it answers HTTP/1.0 with 505), and
   * WebSockets with pub/sub.
   */
  engine?: EngineName;
  /**
   * Where errors and lifecycle lines go: a pino instance, or percore's Logger. Default: JSON
   * lines in pino's shape on stderr, at the level `LOG_LEVEL` names (default info).
   */
  logger?: LoggerOption;
  /**
   * One line per exchange, in `common`, `combined` (default) or `json` format, to stdout
   * (default) or a file; off by default. Every worker writes its own lines, each whole.
   */
  accessLog?: AccessLogOption;
}

const ENGINE_NAMES: readonly EngineName[] = ['net', 'uws'];

/**
 * Makes a server in this process on the chosen engine; `listen` starts it. `serve` runs the same
 * options on every core.
 *
 * Throws PERCORE_ERR_INVALID_OPTION for options the engine cannot honour (WebSockets on `net`, a
 * custom protocol on `uws`), and PERCORE_ERR_UWS_UNAVAILABLE where no uWebSockets.js binary loads.
 */
export function createServer(options: ServerOptions): Engine {
  checkServerOptions(options);
  const { engine = 'net', accessLog: accessLogOption, logger: loggerOption, ...rest } = options;
  const logger = resolveLogger(loggerOption);
  const accessLog = openAccessLog(accessLogOption, logger);
  const observer = combineObservers(rest.observer, accessLog?.observer) ?? undefined;
  const engineOptions = { ...rest, logger, observer };
  const server = engine === 'uws' ? new UwsEngine(engineOptions) : new NetEngine(engineOptions);
  if (accessLog !== null) closeAccessLogAfter(server, accessLog);
  return server;
}

/** The access log's last lines (those of exchanges cut at the end of a drain) go out before `close` resolves. */
function closeAccessLogAfter(server: Engine, accessLog: AccessLog): void {
  const closeServer = server.close.bind(server);
  server.close = (closeOptions) => closeServer(closeOptions).finally(() => accessLog.close());
}

/** Refuses what no engine, or not the chosen one, can serve; before anything is made. */
export function checkServerOptions(options: ServerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'the server options must be an object');
  }
  const engine = options.engine ?? 'net';
  if (!ENGINE_NAMES.includes(engine)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `engine must be 'net' or 'uws', got ${String(engine)}`);
  }
  if (options.handler === undefined && options.protocol === undefined && options.websockets === undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'a server needs a `handler` or `websockets` (or a `protocol` on net)');
  }
  if (engine === 'uws' && options.protocol !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'custom protocols run on the net engine; uws serves HTTP and WebSockets');
  }
  if (engine === 'uws' && options.connections !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'connections (maxConnections, noDelay) are net engine options; uWS manages its own');
  }
  if (engine === 'uws' && options.http2 !== undefined && options.http2 !== false) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      'http2 runs on the net engine: uWebSockets.js serves HTTP/1.1 only (it negotiates no ALPN)',
    );
  }
  if (engine === 'uws' && options.transport?.sni !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.sni runs on the net engine: the uws engine serves one certificate');
  }
  if (engine === 'uws' && options.transport?.alpn !== undefined) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'transport.alpn runs on the net engine: uWebSockets.js has no ALPN map');
  }
  // In the primary too, so that bad TLS options, logger or access log fail once, before any worker starts.
  resolveTransport(options.transport);
  resolveLogger(options.logger);
  checkAccessLog(options.accessLog);
  if (options.websockets !== undefined) {
    if (typeof options.websockets !== 'object' || options.websockets === null) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'websockets must map URL patterns to WebSocket behaviors');
    }
    // Checked before any worker starts: uWS aborts a process on some settings.
    for (const [pattern, behavior] of Object.entries(options.websockets)) validateWebSocketBehavior(pattern, behavior, engine);
  }
}
