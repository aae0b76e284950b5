/** @percore/server/uws: the uWebSockets.js engine and its loader. */
export { UwsEngine, type UwsEngineOptions } from '../uws/engine.js';
export { loadUws, type Uws } from '../uws/load.js';
export { PUBLISH_CHANNEL } from '../pubsub/thread.js';
