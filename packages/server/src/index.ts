/**
 * @percore/server: what users build with. Serving (`serve` on every core, `createServer` in one
 * process), the handler API, the errors, the scheduler and its tasks, and the WebSocket API.
 * The rest lives behind subpaths: `@percore/server/parser`, `/net`, `/uws`, `/scheduler`.
 */

// Serving
export { serve, type ServeHandle } from './cluster/serve.js';
export type { ClusterStats, ServeOptions } from './cluster/options.js';
export type { WorkerStats } from './cluster/messages.js';
export { createServer, type ServerOptions } from './server.js';
export type { Engine, EngineCapabilities, EngineCloseOptions, EngineName, EngineStats, ListenAddress, PubSub } from './http/engine.js';
export type { EngineOptions, SchedulerSettings } from './http/engine-options.js';
export type { ConnectionOptions, NetEngineOptions, TaskProtocol } from './net/engine.js';
export type { UwsEngineOptions } from './uws/engine.js';

// Handlers
export type { BodyReadOptions, Handler, HeaderValue, HttpRequest, HttpResponse } from './http/api.js';
export { behindLoadBalancer, noTimeouts, type HttpLimits, type HttpOptions, type HttpTimeouts } from './http/options.js';
export type { ExchangeObserver, ExchangeRecord } from './http/observer.js';

// Routing and error pages
export { Router, type RouteMatch, type RouterOptions } from './routing/router.js';
export { sendErrorPage, type ErrorPage, type ErrorPages } from './routing/error-pages.js';
export { serveStatic, type ServeStaticOptions } from './static/serve-static.js';
export type { StaticCacheOptions, StaticOptions } from './static/options.js';

// Metrics, health checks and tracing
export {
  Counter,
  DEFAULT_BUCKETS,
  defaultRegistry,
  Gauge,
  Histogram,
  MetricsRegistry,
  type CounterChild,
  type GaugeChild,
  type GaugeOptions,
  type HistogramChild,
  type HistogramOptions,
  type MetricOptions,
} from './metrics/registry.js';
export type { MetricsOptions } from './metrics/options.js';
export { EXPOSITION_CONTENT_TYPE, renderExposition } from './metrics/exposition.js';
export { mergeSnapshots, type FamilySnapshot, type GaugeAggregation, type MetricsSnapshot, type SeriesSnapshot } from './metrics/snapshot.js';
export type { HealthOptions } from './health/health-checks.js';
export { REQUEST_ABORT_CHANNEL, REQUEST_END_CHANNEL, REQUEST_START_CHANNEL, type TracingMessage } from './http/tracing.js';

// Logs
export { resolveLogger, type LoggerOption } from './logging/resolve.js';
export { createJsonLogger, type JsonLogger, type JsonLoggerOptions } from './logging/json-logger.js';
export type { PinoLike } from './logging/pino.js';
export { accessLogObserver, type LineSink } from './access-log/access-log.js';
export type { AccessLogFormat, AccessLogOption, AccessLogSettings } from './access-log/options.js';

// Errors
export { errorCatalog, isPercoreError, PercoreError, statusForError, type ErrorCode } from './errors.js';

// The scheduler and its tasks
export { Scheduler, type Logger, type SchedulerOptions, type SchedulerStats } from './scheduler/scheduler.js';
export {
  Task,
  type CloseListener,
  type CloseReason,
  type HandOverFactory,
  type TaskChild,
  type TaskContext,
  type TaskFactory,
} from './scheduler/task.js';
export type { ConnectAddress, ConnectOptions } from './scheduler/connect.js';
export { Listener, type ListenerOptions, type ListenerStats } from './scheduler/listener.js';
export {
  Reconnector,
  type BackoffOptions,
  type ReconnectHandlers,
  type ReconnectOptions,
  type ReconnectState,
} from './scheduler/reconnect.js';
export { ConnectionPool, type PoolOptions, type PoolStats } from './scheduler/pool.js';
export type { TransportOptions } from './scheduler/transport.js';
export type { Http2Options } from './h2/options.js';

// The RESP (Redis) protocol: a client task on the scheduler, and the codec
export { RespClient, type RespClientState, type RespClientStats } from './resp/client.js';
export { DEFAULT_MAX_PENDING, DEFAULT_REDIS_PORT, type RespClientOptions } from './resp/client-options.js';
export type { ReplyCallback, SetOptions } from './resp/commands.js';
export type { MessageListener, PatternMessageListener } from './resp/pubsub.js';
export { RespPush, RespReplyError, type RespValue } from './resp/values.js';
export { RespDecoder, type DecoderOptions } from './resp/decoder.js';
export { CommandBatch, encodeCommand, type RespArgument } from './resp/encoder.js';

// WebSockets and pub/sub (both engines)
export {
  rejectUpgrade,
  SendStatus,
  UpgradeRejection,
  type UpgradeRequest,
  type UpgradeResult,
  type WebSocketBehavior,
  type WebSocketConnection,
} from './websocket/api.js';
export { CloseCode } from './websocket/close-codes.js';
export { publishFromThread } from './pubsub/thread.js';
export type { MessageData } from './pubsub/types.js';
