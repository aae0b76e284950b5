import type { AddressInfo, ListenOptions, Server, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { PercoreError } from '../errors.js';
import type { Scheduler } from './scheduler.js';
import type { Task, TaskFactory } from './task.js';
import { LinkedSet, type LinkedEntry } from './linked-set.js';
import {
  createPlainServer,
  createSecureServer,
  factoryFor,
  resolveTransport,
  type TlsTransport,
  type TransportOptions,
} from './transport.js';

export interface ListenerOptions {
  /** Makes the task for each accepted connection (under TLS: those that negotiate no `alpn` entry). */
  factory: TaskFactory;
  /**
   * Connections open at once through this listener; more are refused (default 10,000). Under TLS
   * those still in their handshake count too, and one over the limit is dropped unanswered.
   */
  maxConnections?: number;
  /**
   * Answers a connection refused at the limit, then closes it. HTTP replies 503; the default
   * closes at once. It must end or destroy the socket.
   */
  refuse?: (socket: Socket) => void;
  /** Disable Nagle's algorithm on accepted sockets (default true). */
  noDelay?: boolean;
  /** TCP (default) or TLS with an ALPN map; under TLS a task gets its socket once the handshake is done. */
  transport?: TransportOptions;
}

export interface ListenerStats {
  connections: number;
  accepted: number;
  refused: number;
  /** TLS handshakes that failed or timed out (present only under TLS). */
  tlsErrors?: number;
}

export interface CloseOptions {
  /**
   * How long tasks may take to finish their work after `onShutdown` (default 10 s); then they
   * are closed. 0 closes them at once.
   */
  graceMs?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 10_000;
const DEFAULT_GRACE_MS = 10_000;
const REFUSED_SOCKET_LINGER_MS = 1000;

/** Accepts connections on a node:net (or node:tls) server and makes one task per connection. */
export class Listener {
  readonly server: Server;
  /** Whether connections come over TLS. */
  readonly secure: boolean;
  private readonly tasks = new LinkedSet<Task>();
  private readonly maxConnections: number;
  private readonly factory: TaskFactory;
  private readonly refuse: (socket: Socket) => void;
  private accepted = 0;
  private refused = 0;
  private readonly tls: TlsTransport | null;
  private tlsErrors = 0;
  /** Under TLS, every TCP connection, so that close() can drop those still in their handshake. */
  private readonly rawSockets = new LinkedSet<Socket>();
  private closing: Promise<void> | null = null;
  /** Set once the listening socket is closing; settles when net.Server reports it closed. */
  private stopped: Promise<void> | null = null;
  /** Set while draining: runs when the last task has closed. */
  private onEmpty: (() => void) | null = null;

  constructor(
    readonly scheduler: Scheduler,
    options: ListenerOptions,
  ) {
    const max = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(max) || max < 1) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `maxConnections must be a positive integer, got ${max}`);
    }
    this.maxConnections = max;
    this.factory = options.factory;
    this.refuse = options.refuse ?? destroySocket;
    this.tls = resolveTransport(options.transport);
    this.secure = this.tls !== null;
    const noDelay = options.noDelay ?? true;
    if (this.tls === null) {
      this.server = createPlainServer(noDelay, (socket) => this.accept(socket, this.factory));
    } else {
      const tls = this.tls;
      this.server = createSecureServer(
        tls,
        noDelay,
        (socket) => this.accept(socket, factoryFor(tls, socket, this.factory)),
        (error) => this.handshakeFailed(error),
      );
      this.server.on('connection', (socket: Socket) => this.trackRaw(socket));
      // Under TLS the limit counts connections still in their handshake: one over it is dropped
      // at accept, before it costs a handshake (no 503 can be sent before TLS is up).
      this.server.maxConnections = max;
      this.server.on('drop', () => this.refused++);
    }
  }

  /** Starts listening. Rejects (with the system error, e.g. EADDRINUSE) if the address can't be bound. */
  listen(options: ListenOptions): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(options, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  stats(): ListenerStats {
    const stats: ListenerStats = { connections: this.tasks.size, accepted: this.accepted, refused: this.refused };
    if (this.secure) stats.tlsErrors = this.tlsErrors;
    return stats;
  }

  /**
   * Sets the TLS session ticket keys (48 bytes, node:tls `ticketKeys`). Throws
   * PERCORE_ERR_INVALID_OPTION on a plain TCP listener or for keys of another length.
   */
  setTicketKeys(keys: Buffer): void {
    if (!this.secure) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'ticket keys need a TLS transport');
    if (!Buffer.isBuffer(keys) || keys.length !== 48) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'TLS ticket keys are 48 bytes');
    }
    (this.server as TlsServer).setTicketKeys(keys);
  }

  /**
   * Stops accepting, asks each task to finish (`onShutdown`), and resolves once every task has
   * closed, closing the stragglers after `graceMs`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.drain(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.closing;
  }

  /** Closes the listening socket; open connections go on as before. Idempotent. */
  stopAccepting(): void {
    this.stopped ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async drain(graceMs: number): Promise<void> {
    this.stopAccepting();
    // `current`: a task that handed its socket over is done; its successor is told instead.
    for (const task of this.tasks) {
      if (graceMs === 0) task.current.close('shutdown');
      else task.current.onShutdown();
    }
    if (this.tasks.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          for (const task of this.tasks) task.current.onShutdownDeadline();
        }, graceMs);
        this.onEmpty = () => {
          clearTimeout(deadline);
          resolve();
        };
      });
    }
    // Connections still in their TLS handshake have no task to close them.
    for (const socket of this.rawSockets) socket.destroy();
    await this.stopped;
  }

  private trackRaw(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    tracked[kRawEntry] = this.rawSockets.add(socket);
    tracked[kListener] = this;
    socket.on('close', onRawSocketClose);
  }

  /** A handshake that failed or timed out: counted; logged the first time only, so a scanner cannot flood the log. */
  private handshakeFailed(error: Error): void {
    if (this.tlsErrors++ > 0) return;
    this.scheduler.logger.error(
      'PERCORE_ERR_TLS_HANDSHAKE_FAILED',
      `a TLS handshake failed (${(error as NodeJS.ErrnoException).code ?? error.message}); later failures are only counted, in stats().tlsErrors`,
      error,
    );
  }

  private accept(socket: Socket | TLSSocket, factory: TaskFactory): void {
    if (this.stopped !== null || this.tasks.size >= this.maxConnections) {
      this.refused++;
      socket.on('error', ignoreError);
      // Bound how long a refused socket may hold resources if the peer never reads or closes.
      socket.setTimeout(REFUSED_SOCKET_LINGER_MS, () => socket.destroy());
      this.refuse(socket);
      return;
    }
    this.accepted++;
    const task = factory({ scheduler: this.scheduler, socket });
    // A shared listener and two fields on the socket: a closure with `once` per connection cost a
    // wrapper, and a splice out of the socket's close listeners, on every connection.
    const tracked = socket as TrackedSocket;
    tracked[kTaskEntry] = this.tasks.add(task);
    tracked[kListener] = this;
    socket.on('close', onTrackedSocketClose);
  }

  /** @internal The socket of the task in `entry` has closed. */
  static forgetTask(listener: Listener, entry: LinkedEntry<Task>): void {
    listener.tasks.delete(entry);
    if (listener.tasks.size === 0) listener.onEmpty?.();
  }

  /** @internal A TLS connection's TCP socket has closed. */
  static forgetRaw(listener: Listener, entry: LinkedEntry<Socket>): void {
    listener.rawSockets.delete(entry);
  }
}

const kListener = Symbol('percore.listener');
const kTaskEntry = Symbol('percore.listenerTask');
const kRawEntry = Symbol('percore.listenerRawSocket');
type TrackedSocket = Socket & { [kListener]: Listener; [kTaskEntry]: LinkedEntry<Task>; [kRawEntry]: LinkedEntry<Socket> };

function onTrackedSocketClose(this: TrackedSocket): void {
  Listener.forgetTask(this[kListener], this[kTaskEntry]);
}

function onRawSocketClose(this: TrackedSocket): void {
  Listener.forgetRaw(this[kListener], this[kRawEntry]);
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function ignoreError(): void {}
