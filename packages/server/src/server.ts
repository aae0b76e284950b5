import type { AddressInfo } from 'node:net';
import type { Handler } from './http/api.js';
import { httpProtocol, type HttpProtocol } from './http/connection.js';
import type { HttpOptions } from './http/options.js';
import { Listener, type CloseOptions } from './scheduler/listener.js';
import { Scheduler, type Logger } from './scheduler/scheduler.js';

export interface HttpServerOptions extends HttpOptions {
  /** Connections open at once; more are answered 503 and closed (default 10,000). */
  maxConnections?: number;
  /** Milliseconds per tick of the scheduler's timer wheel (default 50). */
  timerResolutionMs?: number;
  logger?: Logger;
  /** An existing scheduler to run on (one per worker); by default the server makes its own. */
  scheduler?: Scheduler;
}

export interface ListenAddress {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  backlog?: number;
}

/**
 * An HTTP/1.x server on the `net` engine in this process: a scheduler, a listener and the HTTP
 * protocol task. The cluster runs one of these per worker.
 */
export class HttpServer {
  readonly scheduler: Scheduler;
  readonly listener: Listener;
  readonly protocol: HttpProtocol;

  constructor(handler: Handler, options: HttpServerOptions = {}) {
    const { maxConnections, timerResolutionMs, logger, scheduler, ...httpOptions } = options;
    this.protocol = httpProtocol(handler, httpOptions);
    this.scheduler = scheduler ?? new Scheduler({ timerResolutionMs, logger });
    this.listener = new Listener(this.scheduler, {
      factory: this.protocol.factory,
      refuse: this.protocol.refuse,
      maxConnections,
    });
  }

  /** Binds and listens; rejects with the system error (EADDRINUSE, EACCES, ...) if it cannot. */
  listen(address: ListenAddress = {}): Promise<AddressInfo> {
    return this.listener.listen({ port: address.port ?? 0, host: address.host ?? '127.0.0.1', backlog: address.backlog });
  }

  get address(): AddressInfo | null {
    return this.listener.address;
  }

  /** 'http://127.0.0.1:8080', once listening. */
  get url(): string {
    const address = this.address;
    if (address === null) throw new Error('the server is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Stops accepting, lets exchanges in progress finish (their responses say `Connection: close`),
   * closes idle connections, and resolves when all are closed or `graceMs` has passed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.listener.close(options);
  }
}

export function createHttpServer(handler: Handler, options?: HttpServerOptions): HttpServer {
  return new HttpServer(handler, options);
}
