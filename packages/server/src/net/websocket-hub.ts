import { PercoreError } from '../errors.js';
import type { Handler, HttpRequest, HttpResponse } from '../http/api.js';
import type { PubSub } from '../http/engine.js';
import type { MessageData, PublishSink } from '../pubsub/types.js';
import type { Logger } from '../scheduler/scheduler.js';
import type { WebSocketBehavior } from '../websocket/api.js';
import { encodeFrameWhole } from '../websocket/frame-writer.js';
import { isWebSocketAttempt } from '../websocket/handshake.js';
import { TopicRegistry } from '../websocket/topics.js';
import { NetUpgrade } from './websocket-upgrade.js';
import { resolveWebSocketRoute, type WebSocketRoute } from './websocket-route.js';
import { payloadOf, type NetWebSocket } from './websocket-socket.js';
import type { WebSocketServerSide } from './websocket-task.js';

/** The HTTP side of a server that serves only WebSockets. */
const notFound: Handler = (_req, res) => {
  res.status = 404;
  res.end('404 Not Found\n');
};

/**
 * The net engine's WebSockets: the routes, the open sockets, and this process's topics. A request
 * on a route that means to open a WebSocket goes to the upgrade (RFC 6455 4.2); any other to the
 * HTTP handler. Publishes go to this process's subscribers and, in a cluster, through the relay.
 */
export class WebSocketHub implements PubSub, WebSocketServerSide {
  readonly routes: readonly WebSocketRoute[];
  /** Set when the engine starts to drain: upgrades are refused with 503 from then on. */
  draining = false;
  private readonly sockets = new Set<NetWebSocket>();
  private readonly topicRegistry = new TopicRegistry<NetWebSocket>();
  private relayTo: PublishSink | null = null;
  private shutDown = false;

  constructor(
    routes: Readonly<Record<string, WebSocketBehavior<any>>>,
    readonly logger: Logger,
  ) {
    if (typeof routes !== 'object' || routes === null) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'websockets must map URL patterns to WebSocket behaviors');
    }
    this.routes = Object.entries(routes).map(([pattern, behavior]) => resolveWebSocketRoute(pattern, behavior));
  }

  /** The handler for the engine: upgrades on the WebSocket routes, `handler` (or 404) for the rest. */
  handlerFor(handler: Handler | undefined): Handler {
    const next = handler ?? notFound;
    if (this.routes.length === 0) return next;
    return (req: HttpRequest, res: HttpResponse) => {
      const upgrade = req.header('upgrade');
      const key = req.header('sec-websocket-key');
      if ((upgrade !== undefined || key !== undefined) && isWebSocketAttempt(upgrade, key)) {
        for (const route of this.routes) {
          const params = route.pattern.match(req.path);
          if (params !== null) return new NetUpgrade(this, route, params, req, res).run();
        }
      }
      return next(req, res);
    };
  }

  /** Open WebSockets in this process. */
  get websocketCount(): number {
    return this.sockets.size;
  }

  /** Sends every open socket 1001, going away, each once its buffered data is out. */
  goAway(): void {
    this.draining = true;
    for (const socket of [...this.sockets]) socket.task?.goAway();
  }

  /** The engine has closed: publishing is over. */
  close(): void {
    this.shutDown = true;
  }

  // ---- WebSocketServerSide -------------------------------------------------------------------

  opened(socket: NetWebSocket): void {
    this.sockets.add(socket);
  }

  closed(socket: NetWebSocket): void {
    this.sockets.delete(socket);
  }

  subscribe(topic: string, socket: NetWebSocket): boolean {
    return this.topicRegistry.subscribe(topic, socket);
  }

  unsubscribe(topic: string, socket: NetWebSocket): boolean {
    return this.topicRegistry.unsubscribe(topic, socket);
  }

  isSubscribed(topic: string, socket: NetWebSocket): boolean {
    return this.topicRegistry.isSubscribed(topic, socket);
  }

  publishFrom(except: NetWebSocket | null, topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    this.deliver(topic, message, isBinary, except);
    this.relay(topic, message, isBinary, compress);
  }

  // ---- PubSub --------------------------------------------------------------------------------

  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): boolean {
    const published = this.publishLocal(topic, message, isBinary, compress);
    this.relay(topic, message, isBinary, compress);
    return published;
  }

  /**
   * To this process's subscribers only. The frame is encoded once for all of them; it goes out
   * uncompressed whatever `compress` says (a compressed frame would have to be made per socket,
   * each with its own deflate context).
   */
  publishLocal(topic: string, message: MessageData, isBinary = typeof message !== 'string', _compress = false): boolean {
    if (this.shutDown) return false;
    this.deliver(topic, message, isBinary, null);
    return true;
  }

  setPublishRelay(relay: PublishSink | null): void {
    this.relayTo = relay;
  }

  numSubscribers(topic: string): number {
    return this.topicRegistry.count(topic);
  }

  private deliver(topic: string, message: MessageData, isBinary: boolean, except: NetWebSocket | null): void {
    const subscribers = this.topicRegistry.count(topic);
    if (subscribers === 0 || (subscribers === 1 && except !== null && this.topicRegistry.isSubscribed(topic, except))) return;
    const payload = payloadOf(message);
    // RFC 6455 5.6: opcode 2 for binary, 1 for text.
    const frame = encodeFrameWhole(isBinary ? 2 : 1, payload, false);
    this.topicRegistry.publish(topic, frame, payload, isBinary, except);
  }

  private relay(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    if (!this.shutDown) this.relayTo?.(topic, message, isBinary, compress);
  }
}
