import { BroadcastChannel } from 'node:worker_threads';

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

/** A publish as it travels over IPC. Node's IPC speaks JSON, so bytes travel as base64. */
export interface PublishEnvelope {
  percore: 'publish';
  topic: string;
  data: string;
  base64: boolean;
  binary: boolean;
  compress: boolean;
}

export interface Publish {
  topic: string;
  message: string | Buffer;
  isBinary: boolean;
  compress: boolean;
}

/** The sink a publish ends in: deliver locally and, in a worker, relay. */
export type PublishSink = (topic: string, message: MessageData, isBinary: boolean, compress: boolean) => void;

export function toEnvelope(topic: string, message: MessageData, isBinary: boolean, compress: boolean): PublishEnvelope {
  if (typeof message === 'string') return { percore: 'publish', topic, data: message, base64: false, binary: isBinary, compress };
  return { percore: 'publish', topic, data: bytesOf(message).toString('base64'), base64: true, binary: isBinary, compress };
}

export function fromEnvelope(envelope: PublishEnvelope): Publish {
  return {
    topic: envelope.topic,
    message: envelope.base64 ? Buffer.from(envelope.data, 'base64') : envelope.data,
    isBinary: envelope.binary,
    compress: envelope.compress,
  };
}

export function isPublishEnvelope(value: unknown): value is PublishEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const envelope = value as Partial<PublishEnvelope>;
  return (
    envelope.percore === 'publish' &&
    typeof envelope.topic === 'string' &&
    typeof envelope.data === 'string' &&
    typeof envelope.base64 === 'boolean' &&
    typeof envelope.binary === 'boolean' &&
    typeof envelope.compress === 'boolean'
  );
}

/** A Buffer over the message's bytes, without copying them. */
export function bytesOf(message: ArrayBuffer | Uint8Array): Buffer {
  return message instanceof ArrayBuffer ? Buffer.from(message) : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

// ---- From worker_threads ------------------------------------------------------------------

/** The BroadcastChannel that carries publishes from any thread to its process's main thread. */
export const PUBLISH_CHANNEL = 'percore:publish';

interface ThreadPublish {
  topic: string;
  message: string | Uint8Array;
  isBinary: boolean;
  compress: boolean;
}

let sender: BroadcastChannel | null = null;

/**
 * Publishes to `topic`'s subscribers across the whole cluster from any thread of a process that
 * called `serve` with the `uws` engine: a `worker_thread` of a worker (or of the primary), or
 * the main thread itself. The message goes over the 'percore:publish' BroadcastChannel to the
 * process's main thread, which publishes it as `handle.publish` would. Fire and forget: in a
 * process that serves no WebSockets, nothing is listening and the message is dropped.
 */
export function publishFromThread(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
  if (sender === null) {
    sender = new BroadcastChannel(PUBLISH_CHANNEL);
    // Posting is synchronous; the channel need not keep this thread alive.
    sender.unref();
  }
  // Structured clone copies a view's whole backing buffer (a pooled Buffer's is 8 KiB): send
  // only the message's own bytes.
  const payload = typeof message === 'string' ? message : new Uint8Array(bytesOf(message));
  const post: ThreadPublish = { topic, message: payload, isBinary, compress };
  sender.postMessage(post);
}

/**
 * Delivers publishes from this process's threads to `sink`; returns the function that stops.
 * One per process (serve installs it), or each message would be delivered once per listener.
 */
export function onThreadPublish(sink: PublishSink): () => void {
  const channel = new BroadcastChannel(PUBLISH_CHANNEL);
  channel.unref();
  channel.onmessage = (event: unknown) => {
    const post = (event as { data?: unknown }).data as Partial<ThreadPublish> | undefined;
    if (typeof post !== 'object' || post === null || typeof post.topic !== 'string') return;
    const { topic, message } = post;
    if (typeof message !== 'string' && !(message instanceof Uint8Array)) return;
    sink(topic, message, post.isBinary === true, post.compress === true);
  };
  return () => channel.close();
}
