import type { AddressInfo } from 'node:net';
import type { Scheduler } from '../scheduler/scheduler.js';

/** The engines percore ships. */
export type EngineName = 'net' | 'uws';

/** Where an engine listens. */
export interface ListenAddress {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  backlog?: number;
}

export interface EngineCloseOptions {
  /**
   * How long exchanges in progress may take to finish (their responses say `Connection: close`)
   * before their connections are closed regardless. Default 10 s; 0 closes everything at once.
   */
  graceMs?: number;
}

/** What an engine can do, so that callers ask instead of switching on its name. */
export interface EngineCapabilities {
  /** HTTP/1.0 clients, and so `ab`. uWebSockets.js answers them with 505. */
  readonly http10: boolean;
  /** WebSocket routes. */
  readonly websockets: boolean;
  /** Cluster-wide publish to WebSocket topics (`pubsub` is set). */
  readonly pubsub: boolean;
  /** Custom protocols as Tasks on the scheduler, and hand-over of a connection to one. */
  readonly tasks: boolean;
}

export interface EngineStats {
  /** Connections (or, where the engine cannot see them, exchanges and WebSockets) open now. */
  connections: number;
  /** Connections accepted since the start; 0 where the engine does not report accepts. */
  accepted: number;
  /** Connections refused at the connection limit or while closing. */
  refused: number;
  /** TLS handshakes that failed or timed out; present only where the engine serves TLS and counts them. */
  tlsErrors?: number;
}

/** Publishing to WebSocket topics, on engines that have them. */
export interface PubSub {
  /** To this process's subscribers and, once a relay is set, the cluster's. */
  publish(topic: string, message: string | ArrayBuffer | Uint8Array, isBinary?: boolean, compress?: boolean): boolean;
  /** To this process's subscribers only: for a publish relayed from elsewhere. */
  publishLocal(topic: string, message: string | ArrayBuffer | Uint8Array, isBinary?: boolean, compress?: boolean): boolean;
  /** Where publishes go beyond this process (the cluster's primary). */
  setPublishRelay(
    relay: ((topic: string, message: string | ArrayBuffer | Uint8Array, isBinary: boolean, compress: boolean) => void) | null,
  ): void;
  numSubscribers(topic: string): number;
}

/**
 * One shape for every engine (hyper's `server/conn/{http1,http2}`): the cluster, the CLIs and
 * the tests drive `net`, `uws` and later engines through this alone.
 */
export interface Engine extends AsyncDisposable {
  readonly name: EngineName;
  readonly capabilities: EngineCapabilities;
  /** The scheduler its timers (and, on `net`, its tasks) run on. */
  readonly scheduler: Scheduler;
  /** Cluster-wide publishing, where `capabilities.pubsub`; otherwise null. */
  readonly pubsub: PubSub | null;
  /** Aborted once the engine has closed. */
  readonly signal: AbortSignal;
  /** Binds and listens. Rejects with PERCORE_ERR_LISTEN_FAILED (its cause the system error) if it cannot. */
  listen(address?: ListenAddress): Promise<AddressInfo>;
  /** Null until listening and after closing. */
  readonly address: AddressInfo | null;
  /** 'http://127.0.0.1:8080' (or https), once listening. */
  readonly url: string;
  /**
   * Stops accepting new connections (the listening socket closes); those open are served as
   * before, keep-alive included, until `close`. The first half of a drain: a cluster stops every
   * worker accepting before any starts closing connections, so that clients reconnecting from a
   * drained connection are never queued on a listener about to close. Idempotent.
   */
  stopAccepting(): void;
  /**
   * Stops accepting, then drains: each connection's next response says `Connection: close`; a
   * connection that stays idle closes at its idle timeout; after the grace, every one left
   * closes. Resolves when all are closed. Idempotent: the first call's grace wins.
   */
  close(options?: EngineCloseOptions): Promise<void>;
  stats(): EngineStats;
  /**
   * Sets the TLS session ticket keys (48 bytes: node:tls's `ticketKeys`), on engines that serve
   * TLS and can: a cluster's primary gives every worker the same keys, so that a session resumes
   * on whichever worker the reconnect lands. Absent where the engine cannot (uws).
   */
  setTicketKeys?(keys: Buffer): void;
}

/** 'http://host:port' for an address, with IPv6 hosts in brackets. */
export function formatUrl(host: string, port: number, scheme = 'http'): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
