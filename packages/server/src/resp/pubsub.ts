import type { RespValue } from './values.js';

/** Called for each message published on a subscribed channel. */
export type MessageListener = (message: RespValue, channel: string) => void;
/** Called for each message published on a channel matching a subscribed pattern. */
export type PatternMessageListener = (message: RespValue, channel: string, pattern: string) => void;

/**
 * The client's subscriptions: what it wants, not what one connection has confirmed. Every
 * connection gets them (re-SUBSCRIBE and re-PSUBSCRIBE after each reconnect), so they survive
 * reconnects; messages published while no connection was up are lost (Redis pub/sub is
 * fire-and-forget: redis.io/docs/latest/develop/interact/pubsub, "at-most-once" delivery).
 */
export class Subscriptions {
  readonly channels = new Map<string, Set<MessageListener>>();
  readonly patterns = new Map<string, Set<PatternMessageListener>>();

  constructor(private readonly listenerFailed: (error: unknown) => void) {}

  /** Channels plus patterns. */
  get size(): number {
    return this.channels.size + this.patterns.size;
  }

  add<L>(table: Map<string, Set<L>>, names: readonly string[], listener: L): void {
    for (const name of names) {
      let listeners = table.get(name);
      if (listeners === undefined) table.set(name, (listeners = new Set()));
      listeners.add(listener);
    }
  }

  /** Forgets `names` (every one when undefined) with all their listeners; returns those it had. */
  remove<L>(table: Map<string, Set<L>>, names: readonly string[] | undefined): string[] {
    if (names === undefined) {
      const all = [...table.keys()];
      table.clear();
      return all;
    }
    const removed: string[] = [];
    for (const name of names) if (table.delete(name)) removed.push(name);
    return removed;
  }

  /**
   * Delivers a pub/sub message: `data` holds, from `start`, [channel, payload] for "message" or
   * [pattern, channel, payload] for "pmessage" (the same under RESP2 arrays and RESP3 pushes).
   * Returns false when `kind` is neither.
   */
  deliver(kind: string, data: readonly RespValue[], start: number): boolean {
    if (kind === 'message') {
      const channel = text(data[start]);
      const listeners = this.channels.get(channel);
      if (listeners !== undefined) for (const listener of listeners) this.call(() => listener(data[start + 1]!, channel));
      return true;
    }
    if (kind === 'pmessage') {
      const pattern = text(data[start]);
      const channel = text(data[start + 1]);
      const listeners = this.patterns.get(pattern);
      if (listeners !== undefined) for (const listener of listeners) this.call(() => listener(data[start + 2]!, channel, pattern));
      return true;
    }
    return false;
  }

  private call(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.listenerFailed(error);
    }
  }
}

/** A string or Buffer element as text (channel names and kinds arrive as Buffers under bulkAs 'buffer'). */
export function text(value: RespValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  return String(value);
}

/** The kinds of subscription confirmations, as arrays (RESP2) or pushes (RESP3). */
export function isConfirmationKind(kind: string): boolean {
  return kind === 'subscribe' || kind === 'unsubscribe' || kind === 'psubscribe' || kind === 'punsubscribe';
}
