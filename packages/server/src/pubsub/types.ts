/**
 * Cluster-wide publish. uWebSockets.js delivers a publish to the subscribers of one process
 * only, so a publish crosses processes the way everything else does here: through the primary.
 *
 *   worker A: app.publish (its own subscribers) ──IPC──▶ primary ──IPC──▶ every other worker: app.publish
 *   primary:                                             primary ──IPC──▶ every worker: app.publish
 *   worker_thread: BroadcastChannel 'percore:publish' ──▶ its process's main thread, then as above
 *
 * The origin delivers locally and the primary relays to every worker but the origin, so each
 * subscriber gets a message once.
 */

/** What a publish carries: text, or bytes. */
export type MessageData = string | ArrayBuffer | Uint8Array;

/** The sink a publish ends in: deliver locally and, in a worker, relay. */
export type PublishSink = (topic: string, message: MessageData, isBinary: boolean, compress: boolean) => void;

/** A Buffer over the message's bytes, without copying them. */
export function bytesOf(message: ArrayBuffer | Uint8Array): Buffer {
  return message instanceof ArrayBuffer ? Buffer.from(message) : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}
