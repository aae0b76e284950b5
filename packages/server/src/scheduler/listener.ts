import { createServer, type AddressInfo, type ListenOptions, type Server, type Socket } from 'node:net';
import { PercoreError } from '../errors.js';
import type { Scheduler } from './scheduler.js';
import type { Task, TaskFactory } from './task.js';

export interface ListenerOptions {
  /** Makes the task for each accepted connection. */
  factory: TaskFactory;
  /** Connections open at once through this listener; more are refused (default 10,000). */
  maxConnections?: number;
  /**
   * Answers a connection refused at the limit, then closes it. HTTP replies 503; the default
   * closes at once. It must end or destroy the socket.
   */
  refuse?: (socket: Socket) => void;
  /** Disable Nagle's algorithm on accepted sockets (default true). */
  noDelay?: boolean;
}

export interface ListenerStats {
  connections: number;
  accepted: number;
  refused: number;
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

/** Accepts connections on a node:net server and makes one task per connection. */
export class Listener {
  readonly server: Server;
  private readonly tasks = new Set<Task>();
  private readonly maxConnections: number;
  private readonly factory: TaskFactory;
  private readonly refuse: (socket: Socket) => void;
  private accepted = 0;
  private refused = 0;
  private closing: Promise<void> | null = null;
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
    // allowHalfOpen: a peer's FIN must not close our side before queued responses are written.
    this.server = createServer({ allowHalfOpen: true, noDelay: options.noDelay ?? true }, (socket) => this.accept(socket));
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
    return { connections: this.tasks.size, accepted: this.accepted, refused: this.refused };
  }

  /**
   * Stops accepting, asks each task to finish (`onShutdown`), and resolves once every task has
   * closed, closing the stragglers after `graceMs`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.drain(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.closing;
  }

  private async drain(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const task of this.tasks) {
      if (graceMs === 0) task.close('shutdown');
      else task.onShutdown();
    }
    if (this.tasks.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          for (const task of this.tasks) task.close('shutdown');
        }, graceMs);
        this.onEmpty = () => {
          clearTimeout(deadline);
          resolve();
        };
      });
    }
    await stopped;
  }

  private accept(socket: Socket): void {
    if (this.closing !== null || this.tasks.size >= this.maxConnections) {
      this.refused++;
      socket.on('error', ignoreError);
      // Bound how long a refused socket may hold resources if the peer never reads or closes.
      socket.setTimeout(REFUSED_SOCKET_LINGER_MS, () => socket.destroy());
      this.refuse(socket);
      return;
    }
    this.accepted++;
    const task = this.factory({ scheduler: this.scheduler, socket });
    this.tasks.add(task);
    socket.once('close', () => {
      this.tasks.delete(task);
      if (this.tasks.size === 0) this.onEmpty?.();
    });
  }
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function ignoreError(): void {}
