import { bytesOf, type MessageData } from '../pubsub/types.js';
import { SendStatus, type WebSocketConnection } from '../websocket/api.js';
import { checkClose, CloseCode } from '../websocket/close-codes.js';
import type { WebSocketTask } from './websocket-task.js';

/** What a socket needs from its server: the topics, and where publishes go. */
export interface SocketHub {
  subscribe(topic: string, socket: NetWebSocket): boolean;
  unsubscribe(topic: string, socket: NetWebSocket): boolean;
  isSubscribed(topic: string, socket: NetWebSocket): boolean;
  /** To every subscriber of `topic` in the cluster but `except`. */
  publishFrom(except: NetWebSocket | null, topic: string, message: MessageData, isBinary: boolean, compress: boolean): void;
}

/** A message as the bytes of its payload. */
export function payloadOf(message: MessageData): Buffer {
  return typeof message === 'string' ? Buffer.from(message) : bytesOf(message);
}

/**
 * One open WebSocket on the net engine: the handlers' view of a WebSocketTask. Valid from `open`
 * until `close`; after that every method is a no-op (send and ping return DROPPED), as on uws.
 */
export class NetWebSocket<UserData = unknown> implements WebSocketConnection<UserData> {
  /** The topics this socket is in, made at its first subscribe. */
  private subscribed: Set<string> | null = null;

  /** @internal */
  constructor(
    /** @internal Null once closed. */
    public task: WebSocketTask | null,
    private readonly hub: SocketHub,
    readonly data: UserData,
    readonly protocol: string,
    readonly path: string,
    readonly remoteAddress: string,
  ) {}

  get closed(): boolean {
    return this.task === null;
  }

  send(message: MessageData, isBinary = typeof message !== 'string', compress = false): SendStatus {
    return this.task === null ? SendStatus.DROPPED : this.task.sendMessage(payloadOf(message), isBinary, compress);
  }

  getBufferedAmount(): number {
    return this.task === null ? 0 : this.task.bufferedAmount;
  }

  ping(payload?: MessageData): SendStatus {
    return this.task === null ? SendStatus.DROPPED : this.task.sendPing(payload === undefined ? Buffer.alloc(0) : payloadOf(payload));
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.task === null) return;
    checkClose(code, reason);
    this.task.closeWith(code, reason);
  }

  terminate(): void {
    this.task?.terminate();
  }

  subscribe(topic: string): boolean {
    if (this.task === null || !this.hub.subscribe(topic, this)) return false;
    (this.subscribed ??= new Set()).add(topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    if (this.task === null || !this.hub.unsubscribe(topic, this)) return false;
    this.subscribed!.delete(topic);
    return true;
  }

  isSubscribed(topic: string): boolean {
    return this.task !== null && this.hub.isSubscribed(topic, this);
  }

  get topics(): string[] {
    return this.task === null || this.subscribed === null ? [] : [...this.subscribed];
  }

  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    this.hub.publishFrom(this.task === null ? null : this, topic, message, isBinary, compress);
  }

  cork(sends: () => void): void {
    const socket = this.task?.socket;
    if (socket === undefined || socket.destroyed) {
      sends();
      return;
    }
    socket.cork();
    try {
      sends();
    } finally {
      socket.uncork();
    }
  }

  /** @internal A publish's frame (TopicSubscriber), encoded once for every subscriber. */
  sendEncoded(frame: Buffer, message: Buffer, isBinary: boolean): void {
    this.task?.sendFrame(frame, message, isBinary);
  }

  /** @internal The socket has closed: it leaves its topics, and every use from here on is a no-op. */
  detach(): void {
    this.task = null;
    if (this.subscribed === null) return;
    for (const topic of this.subscribed) this.hub.unsubscribe(topic, this);
    this.subscribed = null;
  }
}
