import type { Handler } from '../http/api.js';
import { defaultHttpOptions } from '../http/options.js';
import { Listener, type ListenerStats } from '../scheduler/listener.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { HttpServer, type HttpServerOptions } from '../server.js';
import { UwsServer } from '../uws/server.js';
import type { WorkerStats } from './messages.js';
import type { ResolvedServeOptions } from './options.js';

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
  private requests = 0;

  constructor(options: ResolvedServeOptions) {
    if (options.handler !== undefined) {
      const handler = options.handler;
      const counted: Handler = (req, res) => {
        this.requests++;
        return handler(req, res);
      };
      this.served = options.engine === 'uws' ? uwsServed(new UwsServer(counted, pickServerOptions(options))) : netServed(new HttpServer(counted, pickServerOptions(options)));
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
