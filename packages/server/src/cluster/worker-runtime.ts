import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';
import { defaultHttpOptions } from '../http/options.js';
import { Listener, type ListenerStats } from '../scheduler/listener.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { HttpServer, type HttpServerOptions } from '../server.js';
import { UwsServer } from '../uws/server.js';
import type { WorkerStats } from './messages.js';
import type { ResolvedServeOptions } from './options.js';
import type { MessageData, PublishSink } from './pubsub.js';

/** What one process serves with, whichever the engine. */
interface Served {
  readonly scheduler: Scheduler;
  listen(host: string, port: number, backlog?: number): Promise<number>;
  stats(): ListenerStats;
  close(graceMs: number): Promise<void>;
}

/**
 * What one process serves: HTTP on the chosen engine (or a custom protocol on the net engine),
 * counting requests. Used by each cluster worker, and by `serve({ cluster: false })`.
 */
export class WorkerRuntime {
  readonly served: Served;
  /** The uws engine's server, which also serves WebSockets and pub/sub; null on the net engine. */
  readonly uws: UwsServer | null = null;
  private requests = 0;

  constructor(options: ResolvedServeOptions) {
    if (options.handler !== undefined) {
      const handler = options.handler;
      const counted: Handler = (req, res) => {
        this.requests++;
        return handler(req, res);
      };
      if (options.engine === 'uws') {
        const server = new UwsServer(counted, pickServerOptions(options));
        for (const [pattern, behavior] of Object.entries(options.websockets ?? {})) server.ws(pattern, behavior);
        this.uws = server;
        this.served = uwsServed(server);
      } else {
        this.served = netServed(new HttpServer(counted, pickServerOptions(options)));
      }
    } else {
      const scheduler = options.scheduler ?? new Scheduler({ timerResolutionMs: options.timerResolutionMs, logger: options.logger });
      const listener = new Listener(scheduler, { ...options.protocol!(), maxConnections: options.maxConnections });
      this.served = listenerServed(scheduler, listener);
    }
  }

  get scheduler(): Scheduler {
    return this.served.scheduler;
  }

  listen(host: string, port: number, backlog?: number): Promise<number> {
    return this.served.listen(host, port, backlog);
  }

  stats(): WorkerStats {
    return { pid: process.pid, requests: this.requests, scheduler: this.served.scheduler.stats(), listener: this.served.stats() };
  }

  close(graceMs: number): Promise<void> {
    return this.served.close(graceMs);
  }

  /** Publishes to this process's subscribers and, once a relay is set, the cluster's. */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    this.pubsub().publish(topic, message, isBinary, compress);
  }

  /** Publishes to this process's subscribers only (a publish relayed by the primary). */
  publishLocal(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    this.uws?.publishLocal(topic, message, isBinary, compress);
  }

  /** Where this process's publishes go beyond it: the primary, in a cluster. */
  setPublishRelay(relay: PublishSink): void {
    this.uws?.setPublishRelay(relay);
  }

  private pubsub(): UwsServer {
    if (this.uws === null) throw pubsubUnavailable();
    return this.uws;
  }
}

export function pubsubUnavailable(): PercoreError {
  return new PercoreError('PERCORE_ERR_PUBSUB_UNAVAILABLE', "publish needs engine: 'uws' (WebSockets and pub/sub run on uWebSockets.js)");
}

function listenerServed(scheduler: Scheduler, listener: Listener): Served {
  return {
    scheduler,
    listen: (host, port, backlog) => listener.listen({ host, port, backlog }).then((address) => address.port),
    stats: () => listener.stats(),
    close: (graceMs) => listener.close({ graceMs }),
  };
}

function netServed(server: HttpServer): Served {
  return listenerServed(server.scheduler, server.listener);
}

function uwsServed(server: UwsServer): Served {
  return {
    scheduler: server.scheduler,
    listen: (host, port) => server.listen(host, port),
    stats: () => server.stats(),
    close: (graceMs) => server.close(graceMs),
  };
}
const serverOptionKeys = [...Object.keys(defaultHttpOptions), 'maxConnections', 'timerResolutionMs', 'logger', 'scheduler'];

/** The options `HttpServer` takes, out of `serve`'s (which it would refuse as unknown). */
function pickServerOptions(options: ResolvedServeOptions): HttpServerOptions {
  const picked: Record<string, unknown> = {};
  for (const key of serverOptionKeys) {
    const value = (options as unknown as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked as HttpServerOptions;
}
