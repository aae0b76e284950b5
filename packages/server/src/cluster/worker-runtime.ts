import type { Handler } from '../http/api.js';
import { defaultHttpOptions } from '../http/options.js';
import { Listener } from '../scheduler/listener.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { HttpServer, type HttpServerOptions } from '../server.js';
import type { WorkerStats } from './messages.js';
import type { ResolvedServeOptions } from './options.js';

/**
 * What one process serves: a scheduler and a listener running HTTP (or the given protocol),
 * counting requests. Used by each cluster worker, and by `serve({ cluster: false })`.
 */
export class WorkerRuntime {
  readonly scheduler: Scheduler;
  readonly listener: Listener;
  requests = 0;

  constructor(options: ResolvedServeOptions) {
    if (options.handler !== undefined) {
      const handler = options.handler;
      const counted: Handler = (req, res) => {
        this.requests++;
        return handler(req, res);
      };
      const server = new HttpServer(counted, pickServerOptions(options));
      this.scheduler = server.scheduler;
      this.listener = server.listener;
    } else {
      this.scheduler = options.scheduler ?? new Scheduler({ timerResolutionMs: options.timerResolutionMs, logger: options.logger });
      const protocol = options.protocol!();
      this.listener = new Listener(this.scheduler, { ...protocol, maxConnections: options.maxConnections });
    }
  }

  listen(host: string, port: number, backlog?: number): Promise<number> {
    return this.listener.listen({ host, port, backlog }).then((address) => address.port);
  }

  stats(): WorkerStats {
    return { pid: process.pid, requests: this.requests, scheduler: this.scheduler.stats(), listener: this.listener.stats() };
  }

  close(graceMs: number): Promise<void> {
    return this.listener.close({ graceMs });
  }
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
