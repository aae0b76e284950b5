/**
 * Topics and their subscribers, in one process: the net engine's pub/sub (uWS keeps its own).
 * A subscriber is anything that takes a frame already encoded, so that a publish encodes its
 * frame once however many sockets it reaches.
 */
export interface TopicSubscriber {
  /** Sends a whole encoded frame; `message` is its payload, for a drop report. */
  sendEncoded(frame: Buffer, message: Buffer, isBinary: boolean): void;
}

export class TopicRegistry<Subscriber extends TopicSubscriber> {
  private readonly topics = new Map<string, Set<Subscriber>>();

  /** Adds `subscriber` to `topic`; false if it was already there. */
  subscribe(topic: string, subscriber: Subscriber): boolean {
    let subscribers = this.topics.get(topic);
    if (subscribers === undefined) this.topics.set(topic, (subscribers = new Set()));
    if (subscribers.has(subscriber)) return false;
    subscribers.add(subscriber);
    return true;
  }

  /** Removes `subscriber` from `topic`; false if it was not there. A topic left empty is forgotten. */
  unsubscribe(topic: string, subscriber: Subscriber): boolean {
    const subscribers = this.topics.get(topic);
    if (subscribers === undefined || !subscribers.delete(subscriber)) return false;
    if (subscribers.size === 0) this.topics.delete(topic);
    return true;
  }

  isSubscribed(topic: string, subscriber: Subscriber): boolean {
    return this.topics.get(topic)?.has(subscriber) ?? false;
  }

  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /**
   * Hands `frame` to every subscriber of `topic` but `except`; returns how many got it. A
   * subscriber that unsubscribes while it is being sent to (a close) does not disturb the rest.
   */
  publish(topic: string, frame: Buffer, message: Buffer, isBinary: boolean, except: Subscriber | null): number {
    const subscribers = this.topics.get(topic);
    if (subscribers === undefined) return 0;
    let sent = 0;
    for (const subscriber of subscribers) {
      if (subscriber === except) continue;
      subscriber.sendEncoded(frame, message, isBinary);
      sent++;
    }
    return sent;
  }
}
