/**
 * The process's pub/sub registry (Redis's pubsub.c): channel → subscribers and pattern →
 * subscribers. A message is encoded once and the same bytes are handed to every receiver.
 * Its scope is the process: in a cluster each worker has its own (see the README).
 */
import { encodeArray } from './protocol/reply-writer.js';
import { globMatch } from './store/glob.js';

export interface Subscriber {
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  /** Queues an encoded message for the client. */
  deliver(message: Buffer): void;
}

export class PubSubHub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly patterns = new Map<string, Set<Subscriber>>();

  get channelCount(): number {
    return this.channels.size;
  }

  get patternCount(): number {
    return this.patterns.size;
  }

  /** Returns whether it was new for this subscriber. */
  subscribe(subscriber: Subscriber, channel: string): boolean {
    return add(this.channels, subscriber.channels, subscriber, channel);
  }

  unsubscribe(subscriber: Subscriber, channel: string): boolean {
    return remove(this.channels, subscriber.channels, subscriber, channel);
  }

  psubscribe(subscriber: Subscriber, pattern: string): boolean {
    return add(this.patterns, subscriber.patterns, subscriber, pattern);
  }

  punsubscribe(subscriber: Subscriber, pattern: string): boolean {
    return remove(this.patterns, subscriber.patterns, subscriber, pattern);
  }

  /** Drops every subscription of a closing client. */
  forget(subscriber: Subscriber): void {
    for (const channel of [...subscriber.channels]) this.unsubscribe(subscriber, channel);
    for (const pattern of [...subscriber.patterns]) this.punsubscribe(subscriber, pattern);
  }

  /** Sends `message` to the channel's subscribers and the matching patterns'; returns how many received it. */
  publish(channel: Buffer, message: Buffer): number {
    const name = channel.toString('latin1');
    let receivers = 0;
    const direct = this.channels.get(name);
    if (direct !== undefined) {
      const encoded = encodeArray(['message', channel, message]);
      for (const subscriber of direct) subscriber.deliver(encoded);
      receivers += direct.size;
    }
    for (const [pattern, subscribers] of this.patterns) {
      if (!globMatch(pattern, name)) continue;
      const encoded = encodeArray(['pmessage', Buffer.from(pattern, 'latin1'), channel, message]);
      for (const subscriber of subscribers) subscriber.deliver(encoded);
      receivers += subscribers.size;
    }
    return receivers;
  }
}

function add(index: Map<string, Set<Subscriber>>, own: Set<string>, subscriber: Subscriber, name: string): boolean {
  if (own.has(name)) return false;
  own.add(name);
  let set = index.get(name);
  if (set === undefined) index.set(name, (set = new Set()));
  set.add(subscriber);
  return true;
}

function remove(index: Map<string, Set<Subscriber>>, own: Set<string>, subscriber: Subscriber, name: string): boolean {
  if (!own.delete(name)) return false;
  const set = index.get(name);
  set?.delete(subscriber);
  if (set?.size === 0) index.delete(name);
  return true;
}
