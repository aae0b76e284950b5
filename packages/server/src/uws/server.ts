import type { TemplatedApp, us_listen_socket } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';
import { resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions } from '../http/options.js';
import type { ListenerStats } from '../scheduler/listener.js';
import { Scheduler, type Logger } from '../scheduler/scheduler.js';
import { UwsExchange, type ExchangeHost } from './exchange.js';
import { loadUws, type Uws } from './load.js';

export interface UwsServerOptions extends HttpOptions {
  timerResolutionMs?: number;
  logger?: Logger;
  scheduler?: Scheduler;
}

/**
 * The `uws` engine: uWebSockets.js serving percore's `(req, res)` handlers, with percore's
 * semantics on top (status defaults, limits, 413, 500 on a throw, response timeouts on the
 * scheduler's wheel). uWS answers HTTP/1.0 with 505 and requires Host; it parses, times out
 * idle connections and writes Date and Content-Length itself.
 *
 * On Linux every listen uses SO_REUSEPORT, so each cluster worker listens on its own and the
 * kernel spreads the connections (rule 7); a listen on a busy port may "succeed", which is why
 * the primary probes the address first.
 */
export class UwsServer implements ExchangeHost {
  readonly uws: Uws;
  readonly app: TemplatedApp;
  readonly options: ResolvedHttpOptions;
  readonly scheduler: Scheduler;
  draining = false;
  private token: us_listen_socket | null = null;
  private inFlight = 0;
  private requests = 0;
  private onIdle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly handler: Handler,
    options: UwsServerOptions = {},
  ) {
    const { timerResolutionMs, logger, scheduler, ...httpOptions } = options;
    this.options = resolveHttpOptions(httpOptions);
    this.scheduler = scheduler ?? new Scheduler({ timerResolutionMs, logger });
    this.uws = loadUws();
    this.app = this.uws.App();
    // HEAD apart, so that no exchange has to read the method to know it (uWS prefers the
    // method's own route over `any`).
    this.app.head('/*', (res, req) => {
      new UwsExchange(this, res, req, true).run();
    });
    this.app.any('/*', (res, req) => {
      new UwsExchange(this, res, req, false).run();
    });
  }

  /** Listens; rejects with PERCORE_ERR_LISTEN_FAILED when uWS cannot bind. Resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (token) => {
        if (token === false) {
          reject(new PercoreError('PERCORE_ERR_LISTEN_FAILED', `uWebSockets.js could not listen on ${host}:${port}`));
          return;
        }
        this.token = token;
        resolve(this.uws.us_socket_local_port(token));
      });
    });
  }

  get requestCount(): number {
    return this.requests;
  }

  stats(): ListenerStats {
    // uWS does not report its connections; in-flight exchanges are what percore can see.
    return { connections: this.inFlight, accepted: 0, refused: 0 };
  }

  /**
   * Rule 8: closing the listen socket leaves keep-alive connections open. Stop accepting, let
   * exchanges in progress finish (their responses close their connections), then close every
   * remaining connection; after `graceMs`, close them regardless.
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.draining = true;
      if (this.token !== null) this.uws.us_listen_socket_close(this.token);
      this.token = null;
      const finish = () => {
        clearTimeout(deadline);
        this.onIdle = null;
        this.app.close();
        resolve();
      };
      const deadline = setTimeout(finish, graceMs);
      if (this.inFlight === 0) finish();
      else this.onIdle = finish;
    });
    return this.closing;
  }

  exchangeStarted(): void {
    this.inFlight++;
    this.requests++;
  }

  exchangeEnded(): void {
    if (--this.inFlight === 0) this.onIdle?.();
  }
}
