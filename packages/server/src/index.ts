export { errorCatalog, PercoreError, isPercoreError, statusForError, type ErrorCode } from './errors.js';

export { Scheduler, stderrLogger, type Logger, type SchedulerOptions, type SchedulerStats } from './scheduler/scheduler.js';
export { Task, DEFAULT_LINGER_MS, type CloseReason, type TaskContext, type TaskFactory } from './scheduler/task.js';
export { TimerWheel, Timer, type TimerTarget, type TimerWheelOptions } from './scheduler/timer-wheel.js';
export { Listener, DEFAULT_MAX_CONNECTIONS, type ListenerOptions, type ListenerStats, type CloseOptions } from './scheduler/listener.js';

export type { Handler, HttpRequest, HttpResponse, HeaderValue, BodyReadOptions } from './http/api.js';
export { httpProtocol, HttpTask, type HttpProtocol } from './http/connection.js';
export { RequestParser, ParseEvent, type ParserSink } from './http/parser.js';
export {
  defaultHttpOptions, noTimeouts, resolveHttpOptions,
  type HttpOptions, type HttpLimits, type HttpTimeouts, type ResolvedHttpOptions,
} from './http/options.js';

export { respProtocol, RespTask } from './protocols/resp.js';

export { createHttpServer, HttpServer, type HttpServerOptions, type ListenAddress } from './server.js';

export { serve, type ServeHandle } from './cluster/serve.js';
export type { ServeOptions, ClusterStats, ProtocolMaker } from './cluster/options.js';
export type { WorkerStats } from './cluster/messages.js';

export { UwsServer, type UwsServerOptions } from './uws/server.js';
export {
  WebSocketConnection, SendStatus, UpgradeRejection, rejectUpgrade,
  type WebSocketBehavior, type UpgradeRequest, type UpgradeResult,
} from './uws/websocket.js';
export { publishFromThread, PUBLISH_CHANNEL, type MessageData } from './cluster/pubsub.js';
export { loadUws } from './uws/load.js';
export type { Engine } from './cluster/options.js';
