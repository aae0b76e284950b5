// Rules cited as "rule N": docs/uws-rules.md
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { TemplatedApp, us_listen_socket } from 'uws-node18-23';
import { PercoreError } from '../errors.js';
import type { Handler } from '../http/api.js';
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
import type { ExchangeObserver } from '../http/observer.js';
import { withTracing, type ObserverChoice } from '../http/tracing.js';
import { resolveHttpOptions, type ResolvedHttpOptions } from '../http/options.js';
import type { MessageData, PublishSink } from '../pubsub/types.js';
import type { Logger, Scheduler } from '../scheduler/scheduler.js';
import type { TransportOptions } from '../scheduler/transport.js';
import { UwsExchange, type ExchangeHost } from './exchange.js';
import { framingError, methodError, refuseRequest } from './framing.js';
import { loadUws, type Uws } from './load.js';
import { makeApp } from './tls.js';
import { refusedHandshake } from './websocket-upgrade.js';
import { RoutePattern } from '../websocket/route-pattern.js';
import { nativeBehavior, validateWebSocketBehavior, type WebSocketBehavior, type UwsWebSocket, type WebSocketHost } from './websocket.js';

export interface UwsEngineOptions extends EngineOptions {
  /**
   * WebSocket routes by URL pattern ('/chat', '/rooms/:id', '/*'). Without a `handler`, plain
   * HTTP requests are answered 404.
   */
  websockets?: Record<string, WebSocketBehavior<any>>;
  /**
   * TLS through uWS's SSLApp: `tls` with `key`, `cert` (PEM strings or Buffers, as for the net
   * engine), and optionally `ca` and `passphrase`. No `alpn`: uWS has no ALPN map.
   */
  transport?: TransportOptions;
}

const UWS_CAPABILITIES: EngineCapabilities = Object.freeze({ http10: false, websockets: true, pubsub: true, tasks: false });

/** The HTTP side of a server that serves only WebSockets. */
const notFound: Handler = (_req, res) => {
  res.status = 404;
  res.end('404 Not Found\n');
};

const DEFAULT_GRACE_MS = 10_000;

/**
 * uWS 20.51 and 20.69 (HttpContext.h, HTTP_IDLE_TIMEOUT_S = 10) time an idle HTTP connection out
 * after 10 s, counted in 4 s ticks of uSockets' sweep timer (LIBUS_TIMEOUT_GRANULARITY): 3 ticks,
 * so the close comes 8 to 12 s after the connection's last response (measured: 8.3 to 11.4 s),
 * as a FIN. This bound, with a margin for the sweep's own lateness.
 */
const UWS_IDLE_CLOSE_MS = 12_500;

/** uWS's route for each method it is given one for, and the method as the request line spells it. */
const METHOD_ROUTES = [
  ['get', 'GET'],
  ['head', 'HEAD'],
  ['post', 'POST'],
  ['put', 'PUT'],
  ['del', 'DELETE'],
  ['patch', 'PATCH'],
  ['options', 'OPTIONS'],
] as const;

/**
 * The `uws` engine: uWebSockets.js serving percore's `(req, res)` handlers, with percore's
 * semantics on top (status defaults, limits, 413, 500 on a throw, response timeouts on the
 * scheduler's wheel). uWS answers HTTP/1.0 with 505 and requires Host (rule 1); it parses, times out
 * idle connections and writes Date and Content-Length itself.
 *
 * On Linux every listen uses SO_REUSEPORT, so each cluster worker listens on its own and the
 * kernel spreads the connections (rule 7); a listen on a busy port may "succeed", which is why
 * the primary probes the address first.
 *
 * WebSocket routes (`ws`) and pub/sub (`publish`, and each socket's subscribe/publish) are uWS's
 * own; in a cluster, `serve` relays publishes through the primary to the other workers.
 */
export class UwsEngine implements Engine, PubSub, ExchangeHost, WebSocketHost {
  readonly name = 'uws';
  readonly capabilities = UWS_CAPABILITIES;
  readonly handler: Handler;
  readonly observer: ExchangeObserver | null;
  /** The observer, and the same with the tracing channels'. */
  readonly observers: ObserverChoice;
  readonly uws: Uws;
  readonly app: TemplatedApp;
  readonly options: ResolvedHttpOptions;
  readonly scheduler: Scheduler;
  /** Whether connections come over TLS (SSLApp). */
  readonly secure: boolean;
  draining = false;
  private token: us_listen_socket | null = null;
  private listening: AddressInfo | null = null;
  private readonly closedController = new AbortController();
  private inFlight = 0;
  private requests = 0;
  private onIdle: (() => void) | null = null;
  /** While draining: when the last response that kept its connection open ended (performance.now()). */
  private lastKeptAlive = 0;
  /** Whether any response has left its connection open (a drain has idle connections to wait for). */
  private keptAliveOnce = false;
  private closing: Promise<void> | null = null;
  private closed = false;
  private readonly sockets = new Set<UwsWebSocket<unknown>>();
  private pendingUpgrades = 0;
  private relayTo: PublishSink | null = null;
  /** The WebSocket routes' patterns, for the handshakes uWS leaves to HTTP (refusedHandshake). */
  private readonly wsPatterns: RoutePattern[] = [];

  constructor(options: UwsEngineOptions) {
    const websockets = options.websockets ?? {};
    const handler = options.handler ?? (Object.keys(websockets).length > 0 ? notFound : undefined);
    checkHandler(handler);
    this.handler = handler;
    this.observer = options.observer ?? null;
    this.observers = withTracing(this.observer);
    this.options = resolveHttpOptions(options.http);
    this.scheduler = schedulerFor(options);
    this.uws = loadUws();
    this.app = makeApp(this.uws, options.transport);
    this.secure = options.transport?.tls !== undefined;
    // A route per common method, so that no exchange has to read the method to know it (uWS
    // prefers the method's own route over `any`, and matches methods case-sensitively: 'get' goes
    // to `any`). WebSocket upgrades outrank them all. Framing uWS lets through is refused first.
    for (const [route, method] of METHOD_ROUTES) {
      const isHead = method === 'HEAD';
      this.app[route]('/*', (res, req) => {
        const refused = framingError(req);
        if (refused !== null) refuseRequest(res, refused);
        else if (this.wsPatterns.length === 0 || !refusedHandshake(res, req, this.wsPatterns))
          new UwsExchange(this, res, req, isHead, method).run();
      });
    }
    this.app.any('/*', (res, req) => {
      const method = req.getCaseSensitiveMethod();
      const refused = methodError(method) ?? framingError(req);
      if (refused !== null) refuseRequest(res, refused);
      else if (this.wsPatterns.length === 0 || !refusedHandshake(res, req, this.wsPatterns))
        new UwsExchange(this, res, req, false, method).run();
    });
    for (const [pattern, behavior] of Object.entries(websockets)) this.ws(pattern, behavior);
  }

  get pubsub(): PubSub {
    return this;
  }

  get signal(): AbortSignal {
    return this.closedController.signal;
  }

  /**
   * Adds a WebSocket route. uWS takes it only for upgrade requests, so the HTTP handler still
   * answers a plain GET on the same path. Throws PERCORE_ERR_INVALID_OPTION for a setting uWS
   * would refuse.
   */
  ws<UserData>(pattern: string, behavior: WebSocketBehavior<UserData>): this {
    validateWebSocketBehavior(pattern, behavior, 'uws');
    this.wsPatterns.push(new RoutePattern(pattern));
    this.app.ws(pattern, nativeBehavior(this, this.uws, pattern, behavior));
    return this;
  }

  /**
   * Publishes to every socket subscribed to `topic`: in this process, and, in a cluster, in every
   * other worker. Text unless `isBinary` (default: binary for bytes). Returns whether uWS
   * accepted it here (false once the server is closed).
   */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): boolean {
    const published = this.publishLocal(topic, message, isBinary, compress);
    this.relay(topic, message, isBinary, compress);
    return published;
  }

  /** Publishes to this process's subscribers only: for a publish relayed from elsewhere. */
  publishLocal(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): boolean {
    if (this.closed) return false;
    return this.app.publish(topic, message, isBinary, compress);
  }

  /** Subscribers of `topic` in this process. */
  numSubscribers(topic: string): number {
    return this.closed ? 0 : this.app.numSubscribers(topic);
  }

  /** Open WebSockets in this process. */
  get websocketCount(): number {
    return this.sockets.size;
  }

  /** Where publishes go beyond this process (the cluster's primary); set by `serve`. */
  setPublishRelay(relay: PublishSink | null): void {
    this.relayTo = relay;
  }

  /** Listens; rejects with PERCORE_ERR_LISTEN_FAILED when uWS cannot bind (uWS gives no reason). */
  listen(address: ListenAddress = {}): Promise<AddressInfo> {
    const host = address.host ?? '127.0.0.1';
    const port = address.port ?? 0;
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (token) => {
        if (token === false) {
          reject(new PercoreError('PERCORE_ERR_LISTEN_FAILED', `uWebSockets.js could not listen on ${host}:${port}`));
          return;
        }
        this.token = token;
        const family = isIP(host) === 6 ? 'IPv6' : 'IPv4';
        this.listening = { address: host, family, port: this.uws.us_socket_local_port(token) };
        resolve(this.listening);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.listening;
  }

  get url(): string {
    if (this.listening === null) throw new PercoreError('PERCORE_ERR_NOT_LISTENING');
    return formatUrl(this.listening.address, this.listening.port, this.secure ? 'https' : 'http');
  }

  get requestCount(): number {
    return this.requests;
  }

  stats(): EngineStats {
    // uWS does not report its connections; in-flight exchanges and open WebSockets are what
    // percore can see.
    return { connections: this.inFlight + this.sockets.size, accepted: 0, refused: 0 };
  }

  stopAccepting(): void {
    if (this.token !== null) this.uws.us_listen_socket_close(this.token);
    this.token = null;
  }

  /**
   * Rule 8: closing the listen socket leaves keep-alive connections open, and JavaScript cannot
   * see the idle ones. So a drain never closes a connection a request may be crossing: stop
   * accepting, close every WebSocket with 1001, going away (RFC 6455 7.4.1), refuse new upgrades
   * with 503, and answer every request still arriving with `Connection: close` (uWS then closes
   * that connection). A connection left idle is closed by uWS itself at its idle timeout, at the
   * latest UWS_IDLE_CLOSE_MS after its last kept-alive response; the drain waits that long past the
   * last one (the drain's start, or a response kept alive since), then calls app.close() for what
   * is left: nothing, unless `graceMs` ran out first.
   */
  close(options: EngineCloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.closing ??= new Promise<void>((resolve) => {
      this.draining = true;
      this.stopAccepting();
      this.listening = null;
      // Only connections that have had a response are waited for: one that never sent a request
      // is invisible, and uWS closes it 8 to 12 s after it opened (or app.close() does).
      this.lastKeptAlive = this.keptAliveOnce ? performance.now() : -Infinity;
      for (const socket of [...this.sockets]) socket.goAway();
      let finished = false;
      let idleTimer: NodeJS.Timeout | null = null;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        if (idleTimer !== null) clearTimeout(idleTimer);
        this.onIdle = null;
        // A tick later: a close frame written inside a uWS callback is still corked until it returns.
        setImmediate(() => {
          this.closed = true;
          this.app.close();
          this.closedController.abort();
          resolve();
        });
      };
      const deadline = setTimeout(finish, graceMs);
      // Called whenever nothing is in progress: done once uWS has had time to close every idle connection.
      this.onIdle = () => {
        const wait = this.lastKeptAlive + UWS_IDLE_CLOSE_MS - performance.now();
        if (wait <= 0) finish();
        else if (idleTimer === null) {
          idleTimer = setTimeout(() => {
            idleTimer = null;
            this.settleIdle();
          }, wait);
        }
      };
      this.settleIdle();
    });
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  exchangeStarted(): void {
    this.inFlight++;
    this.requests++;
  }

  exchangeEnded(keptAlive: boolean): void {
    this.inFlight--;
    // Only a drain needs the time (a streamed response whose head went out before it keeps its
    // connection); outside one, the drain's start stands for every earlier response.
    if (keptAlive) {
      this.keptAliveOnce = true;
      if (this.draining) this.lastKeptAlive = performance.now();
    }
    this.settleIdle();
  }

  // ---- WebSocketHost -----------------------------------------------------------------------

  get logger(): Logger {
    return this.scheduler.logger;
  }

  socketOpened(socket: UwsWebSocket<unknown>): void {
    this.sockets.add(socket);
  }

  socketClosed(socket: UwsWebSocket<unknown>): void {
    this.sockets.delete(socket);
    this.settleIdle();
  }

  upgradeStarted(): void {
    this.pendingUpgrades++;
  }

  upgradeEnded(): void {
    this.pendingUpgrades--;
    this.settleIdle();
  }

  relay(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    if (!this.closed) this.relayTo?.(topic, message, isBinary, compress);
  }

  // ------------------------------------------------------------------------------------------

  /** While draining: finishes once no exchange, upgrade or WebSocket is left. */
  private settleIdle(): void {
    if (this.onIdle !== null && this.inFlight === 0 && this.pendingUpgrades === 0 && this.sockets.size === 0) this.onIdle();
  }
}
