import { Socket, type LookupFunction } from 'node:net';
import { PercoreError, type ErrorCode } from '../errors.js';
import type { Scheduler } from './scheduler.js';
import type { CloseReason, Task, TaskContext, TaskChild } from './task.js';
import { Timer, type TimerTarget } from './timer-wheel.js';

/** Where to connect: a TCP host and port, or a Unix domain socket path. */
export type ConnectAddress = { readonly host?: string; readonly port: number } | { readonly path: string };

export interface ConnectOptions {
  /** How long DNS lookup plus the TCP handshake may take, on the scheduler's timer wheel (default 10 s). */
  timeoutMs?: number;
  /** The task the new one belongs to: closing it closes the new task, or abandons the connection while it is being made. */
  parent?: Task;
  /** Disable Nagle's algorithm on the socket (default true, as the Listener does). */
  noDelay?: boolean;
  /** Resolves the host instead of `dns.lookup` (node:net's `lookup` option). */
  lookup?: LookupFunction;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_HOST = 'localhost';

/**
 * Opens an outbound connection and makes a task on it with `factory`, once connected: the task
 * then has the same contract as an inbound one (sated onData, backpressure, timeouts on the
 * wheel, isolation). The promise resolves with the task, or rejects with a PercoreError whose
 * `cause` is the system error:
 * - PERCORE_ERR_CONNECT_REFUSED: the peer refused (ECONNREFUSED);
 * - PERCORE_ERR_CONNECT_TIMEOUT: not connected within `timeoutMs`;
 * - PERCORE_ERR_CONNECT_FAILED: anything else (DNS failure, unreachable network, a factory that threw);
 * - PERCORE_ERR_CONNECT_ABORTED: the parent task or the scheduler closed first;
 * - PERCORE_ERR_INVALID_OPTION: a malformed address or timeout.
 * The task never sees a connection that was not made, so it needs no connect state of its own.
 */
export function connect<T extends Task>(
  scheduler: Scheduler,
  address: ConnectAddress,
  factory: (context: TaskContext) => T,
  options: ConnectOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    return Promise.reject(new PercoreError('PERCORE_ERR_INVALID_OPTION', `timeoutMs must be a positive number, got ${timeoutMs}`));
  }
  return new Promise<T>((resolve, reject) => {
    new PendingConnect(scheduler, address, factory, options, timeoutMs, resolve, reject);
  });
}

/** A connection being made: a child of its parent task and of the scheduler until it connects or fails. */
class PendingConnect<T extends Task> implements TimerTarget, TaskChild {
  private readonly timer = new Timer(this);
  private readonly socket: Socket;
  private readonly parent: Task | null;
  private readonly target: string;
  private settled = false;
  private readonly onError = (error: Error) => this.failed(error);

  constructor(
    private readonly scheduler: Scheduler,
    address: ConnectAddress,
    private readonly factory: (context: TaskContext) => T,
    options: ConnectOptions,
    private readonly timeoutMs: number,
    private readonly resolve: (task: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.parent = options.parent ?? null;
    this.target = 'path' in address ? address.path : `${address.host ?? DEFAULT_HOST}:${address.port}`;
    // allowHalfOpen as on inbound sockets: the peer's FIN must not close our side before queued output is written.
    this.socket = new Socket({ allowHalfOpen: true });
    this.socket.once('connect', () => this.connected());
    this.socket.once('error', this.onError);
    if (this.parent !== null) this.parent.current.addChild(this);
    if (this.settled) return; // the parent had closed already
    scheduler.addConnecting(this);
    scheduler.timers.schedule(this.timer, timeoutMs);
    const noDelay = options.noDelay ?? true;
    try {
      if ('path' in address) this.socket.connect({ path: address.path });
      else this.socket.connect({ host: address.host ?? DEFAULT_HOST, port: address.port, lookup: options.lookup, noDelay });
    } catch (error) {
      // node:net throws at once for a malformed address (a port out of range, a bad host type).
      this.abandon(new PercoreError('PERCORE_ERR_INVALID_OPTION', `cannot connect to ${this.target}`, { cause: error }));
    }
  }

  /** TaskChild: the parent task or the scheduler closed while connecting. */
  close(reason: CloseReason): void {
    this.abandon(new PercoreError('PERCORE_ERR_CONNECT_ABORTED', `${this.target} (${reason})`));
  }

  /** TimerTarget: the connect timeout expired. */
  onTimer(): void {
    this.abandon(new PercoreError('PERCORE_ERR_CONNECT_TIMEOUT', `${this.target} after ${this.timeoutMs} ms`));
  }

  private connected(): void {
    if (this.settled) return;
    this.settle();
    this.socket.off('error', this.onError);
    let task: T;
    try {
      task = this.factory({ scheduler: this.scheduler, socket: this.socket, parent: this.parent ?? undefined });
    } catch (error) {
      this.socket.destroy();
      this.scheduler.logger.error('PERCORE_ERR_CONNECT_FAILED', `the task factory for ${this.target} threw`, error);
      this.reject(new PercoreError('PERCORE_ERR_CONNECT_FAILED', `${this.target}: the task factory threw`, { cause: error }));
      return;
    }
    this.resolve(task);
  }

  private failed(error: Error): void {
    if (this.settled) return;
    this.settle();
    this.socket.destroy();
    this.reject(new PercoreError(codeFor(error), `${this.target}: ${error.message}`, { cause: error }));
  }

  private abandon(error: PercoreError): void {
    if (this.settled) return;
    this.settle();
    this.socket.destroy();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    this.scheduler.timers.cancel(this.timer);
    this.scheduler.removeConnecting(this);
    // `current`: the parent may have handed its socket over since, and this went along.
    this.parent?.current.removeChild(this);
  }
}

function codeFor(error: Error): ErrorCode {
  return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'PERCORE_ERR_CONNECT_REFUSED' : 'PERCORE_ERR_CONNECT_FAILED';
}
