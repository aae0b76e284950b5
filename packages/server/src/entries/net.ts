/** @percore/server/net: the net engine's parts, for servers assembled by hand. */
export { NetEngine, type ConnectionOptions, type NetEngineOptions, type TaskProtocol } from '../net/engine.js';
export { httpProtocol, HttpTask, type HttpProtocol } from '../net/connection.js';
