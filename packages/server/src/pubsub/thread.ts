import { BroadcastChannel } from 'node:worker_threads';
import { bytesOf, type MessageData, type PublishSink } from './types.js';

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
