import type { AddressInfo, Socket } from 'node:net';
import { PercoreError } from '../errors.js';
import {
  formatUrl,
  type Engine,
  type EngineCapabilities,
  type EngineCloseOptions,
  type EngineStats,
  type ListenAddress,
  type PubSub,
} from '../http/engine.js';
import { checkHandler, schedulerFor, type EngineOptions } from '../http/engine-options.js';
import { Listener, type ListenerOptions } from '../scheduler/listener.js';
import { listenFailed } from '../scheduler/listen-error.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskFactory } from '../scheduler/task.js';
import type { TransportOptions } from '../scheduler/transport.js';
import type { WebSocketBehavior } from '../websocket/api.js';
import type { Handler } from '../http/api.js';
import { withTracing } from '../http/tracing.js';
import { Http2Host } from '../h2/host.js';
import { resolveHttp2Options, type Http2Options } from '../h2/options.js';
import { httpProtocol, type HttpProtocol } from './connection.js';
import { WebSocketHub } from './websocket-hub.js';

/** A protocol for the net engine's listener: a task per connection, and how to refuse one over the limit. */
export interface TaskProtocol {
  factory: TaskFactory;
  /** Answers a connection refused at the limit; it must end or destroy the socket (default: destroy). */
  refuse?: (socket: Socket) => void;
}

/** The connection layer's settings: the listener's. */
export type ConnectionOptions = Pick<ListenerOptions, 'maxConnections' | 'noDelay'>;

export interface NetEngineOptions extends EngineOptions {
  /** A custom protocol (Tasks on the scheduler) instead of HTTP: give this or `handler`. */
  protocol?: TaskProtocol;
  /** Connections open at once (default 10,000; more are answered 503) and TCP_NODELAY. */
  connections?: ConnectionOptions;
  /** TLS (node:tls options) and an ALPN name → task factory map; plain TCP without it. */
  transport?: TransportOptions;
  /**
   * HTTP/2 for clients that negotiate ALPN `h2` on the TLS port, on the same handler (RFC 9113):
   * on by default under TLS for an HTTP server, with the limits in Http2Options; `false` serves
   * HTTP/1.1 alone. Clients that negotiate `http/1.1` (or nothing) stay on percore's own parser.
   * Not on plain TCP: h2c (prior knowledge or Upgrade) is not served.
   */
  http2?: boolean | Http2Options;
  /**
   * WebSocket routes by URL pattern ('/chat', '/rooms/:id', '/*'), on percore's own RFC 6455
   * state machine. Without a `handler`, plain HTTP requests are answered 404.
   */
  websockets?: Record<string, WebSocketBehavior<any>>;
}

const NET_CAPABILITIES: EngineCapabilities = Object.freeze({ http10: true, websockets: true, pubsub: true, tasks: true });

/**
 * The `net` engine: percore's own HTTP/1.0 and 1.1 state machine (or any protocol written as a
 * Task) on node:net, in this process: a scheduler, a listener and a task per connection. The
 * cluster runs one of these per worker.
 */
export class NetEngine implements Engine {
  readonly name = 'net';
  readonly capabilities = NET_CAPABILITIES;
  readonly scheduler: Scheduler;
  readonly listener: Listener;
  /** The WebSocket routes and this process's topics (empty for a server without WebSockets). */
  readonly websockets: WebSocketHub;
  /** HTTP/2's sessions on this engine's TLS port, or null where HTTP/2 is off. */
  readonly http2: Http2Host | null = null;
  private readonly closed = new AbortController();
  private closing: Promise<void> | null = null;

  constructor(options: NetEngineOptions) {
    if (options.protocol !== undefined && (options.handler !== undefined || options.websockets !== undefined)) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'give the net engine a `handler` (and `websockets`) or a `protocol`, not both');
    }
    this.scheduler = schedulerFor(options);
    this.websockets = new WebSocketHub(options.websockets ?? {}, this.scheduler.logger);
    let protocol: TaskProtocol;
    let transport = options.transport;
    if (options.protocol !== undefined) {
      if (options.http2 !== undefined && options.http2 !== false) {
        throw new PercoreError(
          'PERCORE_ERR_INVALID_OPTION',
          'http2 serves the HTTP handler: a custom protocol takes its own ALPN entries in transport.alpn',
        );
      }
      protocol = options.protocol;
    } else {
      const handler = this.websockets.handlerFor(options.handler);
      const http = netHttpProtocol(options, handler, this.websockets);
      protocol = http;
      this.http2 = http2HostFor(options, handler, http, this.scheduler);
      if (this.http2 !== null) transport = { ...transport, alpn: { h2: this.http2.factory, ...transport!.alpn } };
    }
    if (typeof protocol.factory !== 'function') {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'protocol.factory must be a function (context) => Task');
    }
    this.listener = new Listener(this.scheduler, {
      ...options.connections,
      factory: protocol.factory,
      refuse: protocol.refuse,
      transport,
    });
  }

  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Cluster-wide publishing to this process's WebSocket topics (and, in a cluster, the others'). */
  get pubsub(): PubSub {
    return this.websockets;
  }

  async listen(address: ListenAddress = {}): Promise<AddressInfo> {
    const host = address.host ?? '127.0.0.1';
    const port = address.port ?? 0;
    try {
      return await this.listener.listen({ host, port, backlog: address.backlog });
    } catch (error) {
      throw listenFailed(host, port, error);
    }
  }

  get address(): AddressInfo | null {
    return this.closing === null ? this.listener.address : null;
  }

  get url(): string {
    const address = this.address;
    if (address === null) throw new PercoreError('PERCORE_ERR_NOT_LISTENING');
    return formatUrl(address.address, address.port, this.listener.secure ? 'https' : 'http');
  }

  stats(): EngineStats {
    return this.listener.stats();
  }

  stopAccepting(): void {
    this.listener.stopAccepting();
  }

  setTicketKeys(keys: Buffer): void {
    this.listener.setTicketKeys(keys);
  }

  close(options: EngineCloseOptions = {}): Promise<void> {
    if (this.closing === null) {
      // Upgrades are refused from now on; each open WebSocket is sent 1001 by its task's onShutdown.
      this.websockets.draining = true;
      this.closing = this.listener.close(options).then(() => {
        this.websockets.close();
        this.closed.abort();
      });
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function netHttpProtocol(options: NetEngineOptions, handler: Handler, websockets: WebSocketHub): HttpProtocol {
  // Without WebSocket routes the handler is used as it is: the hello path pays nothing for them.
  if (websockets.routes.length === 0 || options.handler !== undefined) checkHandler(options.handler);
  return httpProtocol(handler, options.http, options.observer ?? null);
}

/** HTTP/2 on the TLS port: on by default under TLS; refused on plain TCP, where h2c is not served. */
function http2HostFor(options: NetEngineOptions, handler: Handler, http: HttpProtocol, scheduler: Scheduler): Http2Host | null {
  const setting = options.http2;
  if (setting !== undefined && typeof setting !== 'boolean' && (typeof setting !== 'object' || setting === null)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'http2 must be true, false or an object of HTTP/2 options');
  }
  if (setting === false) return null;
  if (options.transport?.tls === undefined) {
    if (setting === undefined) return null;
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      'http2 is served over TLS (ALPN h2): give transport.tls; h2c on plain TCP is not served',
    );
  }
  if (options.transport.alpn?.h2 !== undefined) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_OPTION',
      'transport.alpn.h2 and http2 both claim h2: give http2: false to use your own factory',
    );
  }
  const settings = resolveHttp2Options(setting === true ? undefined : setting, http.options.maxHeaderSize);
  return new Http2Host(handler, http.options, settings, withTracing(http.observer), scheduler);
}
