import type { WebSocket as NativeWebSocket } from 'uws-node18-23';
import type { MessageData } from '../pubsub/types.js';
import type { Logger } from '../scheduler/scheduler.js';
import { SendStatus, type WebSocketConnection } from '../websocket/api.js';
import { checkClose } from '../websocket/close-codes.js';

/** What a route needs from its server. */
export interface WebSocketHost {
  readonly draining: boolean;
  readonly logger: Logger;
  socketOpened(socket: UwsWebSocket<unknown>): void;
  socketClosed(socket: UwsWebSocket<unknown>): void;
  upgradeStarted(): void;
  upgradeEnded(): void;
  /** Publishes to every subscriber of the topic, in this process and (relayed) the others. */
  publish(topic: string, message: MessageData, isBinary: boolean, compress: boolean): boolean;
  /** Relays a publish to the other processes only: this process's subscribers already have it. */
  relay(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void;
}

/** One open WebSocket on the `uws` engine, and the per-socket slot uWS carries for it. */

/** The user data uWS carries per socket: only a reference to this slot. */
export interface Slot<UserData> {
  data: UserData;
  protocol: string;
  path: string;
  remoteAddress: string;
  socket: UwsWebSocket<UserData> | null;
}
export interface NativeUserData {
  percore: Slot<unknown>;
}
export type Native = NativeWebSocket<NativeUserData>;

/**
 * One open WebSocket on uWS. Valid from `open` until `close`; after that every method is a no-op
 * (send and ping return DROPPED), because uWS throws on any use of a closed socket.
 */
export class UwsWebSocket<UserData = unknown> implements WebSocketConnection<UserData> {
  /** Whatever the upgrade hook returned. */
  readonly data: UserData;
  /** The subprotocol agreed on, or ''. */
  readonly protocol: string;
  /** The path the socket was opened on. */
  readonly path: string;
  readonly remoteAddress: string;
  private native: Native | null;
  private goingAway = false;

  /** @internal */
  constructor(
    native: Native,
    slot: Slot<UserData>,
    private readonly host: WebSocketHost,
  ) {
    this.native = native;
    this.data = slot.data;
    this.protocol = slot.protocol;
    this.path = slot.path;
    this.remoteAddress = slot.remoteAddress;
  }

  /** Whether the socket is closed: by either side, a timeout, or the server's shutdown. */
  get closed(): boolean {
    return this.native === null;
  }

  /** Sends a message; text unless `isBinary` (default: binary for bytes, text for a string). */
  send(message: MessageData, isBinary = typeof message !== 'string', compress = false): SendStatus {
    if (this.native === null) return SendStatus.DROPPED;
    return this.native.send(message, isBinary, compress) as SendStatus;
  }

  /** Bytes buffered for this socket beyond what the kernel took; 0 once closed. */
  getBufferedAmount(): number {
    return this.native === null ? 0 : this.native.getBufferedAmount();
  }

  ping(payload?: MessageData): SendStatus {
    if (this.native === null) return SendStatus.DROPPED;
    return this.native.ping(payload) as SendStatus;
  }

  /**
   * Closes with a close frame (RFC 6455 5.5.1): code 1000 (normal) unless given, and a reason of
   * at most 123 bytes. The `close` handler runs at once. A no-op once closed.
   */
  close(code = 1000, reason = ''): void {
    if (this.native === null) return;
    checkClose(code, reason);
    this.native.end(code, reason);
  }

  /** Cuts the connection without a close frame (the peer sees 1006). A no-op once closed. */
  terminate(): void {
    if (this.native === null) return;
    this.native.close();
  }

  /** Subscribes to a topic of this process's pub/sub; publishes from anywhere in the cluster reach it. */
  subscribe(topic: string): boolean {
    return this.native === null ? false : this.native.subscribe(topic);
  }

  unsubscribe(topic: string): boolean {
    return this.native === null ? false : this.native.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.native === null ? false : this.native.isSubscribed(topic);
  }

  get topics(): string[] {
    return this.native === null ? [] : this.native.getTopics();
  }

  /**
   * Publishes to every subscriber of `topic` in the cluster except this socket (as uWS's
   * ws.publish does). Once the socket is closed it publishes to every subscriber.
   */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    if (this.native === null) {
      this.host.publish(topic, message, isBinary, compress);
      return;
    }
    this.native.publish(topic, message, isBinary, compress);
    this.host.relay(topic, message, isBinary, compress);
  }

  /** Runs `sends` with the socket corked, so that what they send leaves in one write. */
  cork(sends: () => void): void {
    if (this.native === null) sends();
    else this.native.cork(sends);
  }

  /** @internal uWS has called `close`: the native socket is gone. */
  detach(): void {
    this.native = null;
  }

  /**
   * @internal The server is shutting down: close with 1001, going away (RFC 6455 7.4.1). A socket
   * with data still buffered closes once it drains, so that the close frame does not overtake it
   * (or the server's grace runs out first).
   */
  goAway(): void {
    if (this.native === null) return;
    this.goingAway = true;
    if (this.native.getBufferedAmount() === 0) this.native.end(1001, 'going away');
  }

  /** @internal uWS reported a drain. */
  drained(): void {
    if (this.goingAway && this.native !== null && this.native.getBufferedAmount() === 0) this.native.end(1001, 'going away');
  }
}
