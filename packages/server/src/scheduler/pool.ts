import { PercoreError } from '../errors.js';
import type { ConnectAddress, ConnectOptions } from './connect.js';
import type { Scheduler } from './scheduler.js';
import type { CloseReason, Task, TaskChild, TaskContext } from './task.js';
import { Timer, type TimerTarget } from './timer-wheel.js';

export interface PoolOptions extends ConnectOptions {
  /** Most connections open at once (default 10). */
  size?: number;
  /** Most callers waiting for a connection (default 1000); past it acquire() rejects PERCORE_ERR_POOL_FULL at once. */
  maxWaiting?: number;
  /** How long acquire() waits (default 5000 ms) before PERCORE_ERR_POOL_TIMEOUT. */
  acquireTimeoutMs?: number;
  /** An idle connection closes after this long (default 30_000; 0 keeps it). On the timer wheel. */
  idleTimeoutMs?: number;
  /** Called before an idle connection is handed out; false closes it and tries another (optional). */
  validate?: (task: Task) => boolean;
}

export interface PoolStats {
  /** Connections open: idle plus busy. */
  open: number;
  idle: number;
  /** Acquired and not yet released. */
  busy: number;
  /** Connections being made. */
  connecting: number;
  /** Callers waiting in acquire(). */
  waiting: number;
  /** Connections made, ever. */
  created: number;
  /** Connections closed for staying idle past idleTimeoutMs. */
  closedIdle: number;
  /** Connection attempts that failed. */
  failedConnects: number;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_POOL_MAX_WAITING = 1000;
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;
export const DEFAULT_POOL_IDLE_TIMEOUT_MS = 30_000;

/** One open connection of the pool; its timer is the idle timeout while it is idle. */
class PooledConnection<T extends Task> implements TimerTarget {
  readonly timer = new Timer(this);
  busy = true;

  constructor(
    readonly task: T,
    private readonly pool: ConnectionPool<T>,
  ) {}

  onTimer(): void {
    this.pool.idleExpired(this);
  }
}

/** A caller of acquire() waiting for a connection; its timer is the acquire timeout. */
class Waiter<T extends Task> implements TimerTarget {
  readonly timer = new Timer(this);

  constructor(
    readonly resolve: (task: T) => void,
    readonly reject: (error: PercoreError) => void,
    private readonly pool: ConnectionPool<T>,
  ) {}

  onTimer(): void {
    this.pool.waitExpired(this);
  }
}

/**
 * A bounded set of outbound connections to one address, each a task from `factory`, lent to one
 * caller at a time. `acquire()` takes the most recently used idle connection (LIFO keeps a few
 * connections warm and lets the rest reach their idle timeout), else connects if fewer than `size`
 * are open or opening, else waits in a FIFO queue of at most `maxWaiting` callers for at most
 * `acquireTimeoutMs`. The oldest waiter gets the next connection that comes free or is made, and
 * the next connect error (PERCORE_ERR_CONNECT_REFUSED, _TIMEOUT, _FAILED): a caller never waits
 * out its timeout on a server that refuses. A task that closes, idle or busy, leaves the pool and
 * frees its slot, and a waiter gets a new connection in its place. Every timer is on the
 * scheduler's wheel. `closeAll` (and the `parent` task, if given) closes the pool as `close({ force: true })`.
 */
export class ConnectionPool<T extends Task> {
  private readonly size: number;
  private readonly maxWaiting: number;
  private readonly acquireTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly validate: ((task: Task) => boolean) | undefined;
  private readonly connectOptions: ConnectOptions;
  private readonly connections = new Map<T, PooledConnection<T>>();
  /** Idle connections, the most recently released last. */
  private readonly idle: Array<PooledConnection<T>> = [];
  /** FIFO: a Set iterates in insertion order and deletes a timed-out waiter in O(1). */
  private readonly waiters = new Set<Waiter<T>>();
  private connecting = 0;
  private busy = 0;
  private created = 0;
  private closedIdle = 0;
  private failedConnects = 0;
  /** Tasks made and not yet closed (their onClose has not run): close() waits for them. */
  private unclosed = 0;
  private closing = false;
  private drained: (() => void) | null = null;
  private drainedPromise: Promise<void> | null = null;
  private readonly closer: TaskChild = { close: () => void this.close({ force: true }) };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly address: ConnectAddress,
    private readonly factory: (context: TaskContext) => T,
    options: PoolOptions = {},
  ) {
    this.size = options.size ?? DEFAULT_POOL_SIZE;
    this.maxWaiting = options.maxWaiting ?? DEFAULT_POOL_MAX_WAITING;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_POOL_IDLE_TIMEOUT_MS;
    this.validate = options.validate;
    if (!Number.isInteger(this.size) || this.size < 1) invalid(`size must be an integer >= 1, got ${this.size}`);
    if (!Number.isInteger(this.maxWaiting) || this.maxWaiting < 0) invalid(`maxWaiting must be an integer >= 0, got ${this.maxWaiting}`);
    if (!(this.acquireTimeoutMs > 0) || !Number.isFinite(this.acquireTimeoutMs))
      invalid(`acquireTimeoutMs must be a positive number, got ${this.acquireTimeoutMs}`);
    if (!(this.idleTimeoutMs >= 0) || !Number.isFinite(this.idleTimeoutMs))
      invalid(`idleTimeoutMs must be a number >= 0, got ${this.idleTimeoutMs}`);
    const { timeoutMs, parent, noDelay, lookup } = options;
    this.connectOptions = { timeoutMs, parent, noDelay, lookup };
    scheduler.addConnecting(this.closer);
    parent?.current.addChild(this.closer);
  }

  /** An idle connection (LIFO), else a new one if under `size`, else the next to come free (FIFO, bounded). */
  acquire(): Promise<T> {
    if (this.closing) return Promise.reject(new PercoreError('PERCORE_ERR_POOL_CLOSED', this.target()));
    const idle = this.takeIdle();
    if (idle !== null) return Promise.resolve(idle);
    const canConnect = this.connections.size + this.connecting < this.size;
    if (!canConnect && this.waiters.size >= this.maxWaiting) {
      return Promise.reject(
        new PercoreError('PERCORE_ERR_POOL_FULL', `${this.target()}: ${this.size} connections busy, ${this.waiters.size} callers waiting`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = new Waiter<T>(resolve, reject, this);
      this.waiters.add(waiter);
      this.scheduler.timers.schedule(waiter.timer, this.acquireTimeoutMs);
      if (canConnect) this.connect();
    });
  }

  /** Gives `task` back: to the oldest waiter, else to the idle list. A task that closed is dropped. */
  release(task: T): void {
    const connection = this.connections.get(task);
    if (task.closed) {
      if (connection !== undefined) this.drop(connection);
      return;
    }
    if (connection === undefined || !connection.busy) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `task #${task.id} is not a busy connection of this pool`);
    }
    if (this.closing) {
      this.discard(connection, 'shutdown');
      return;
    }
    this.busy--;
    connection.busy = false;
    this.handOut(connection);
  }

  /** acquire, run, release (or close the task if fn throws, since its state is unknown). */
  async use<R>(fn: (task: T) => Promise<R> | R): Promise<R> {
    const task = await this.acquire();
    let result: R;
    try {
      result = await fn(task);
    } catch (error) {
      const connection = this.connections.get(task);
      if (connection !== undefined) this.discard(connection, 'task-error', error);
      throw error;
    }
    this.release(task);
    return result;
  }

  stats(): PoolStats {
    return {
      open: this.connections.size,
      idle: this.idle.length,
      busy: this.busy,
      connecting: this.connecting,
      waiting: this.waiters.size,
      created: this.created,
      closedIdle: this.closedIdle,
      failedConnects: this.failedConnects,
    };
  }

  /**
   * Rejects waiters with PERCORE_ERR_POOL_CLOSED, closes idle tasks, closes busy ones when released
   * (or at once with force). Resolves once every task of the pool has closed and no connection is
   * being made (one still being made is closed as soon as it is). Calling it again returns the same
   * promise, and `force` still applies.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.scheduler.removeConnecting(this.closer);
      this.connectOptions.parent?.current.removeChild(this.closer);
      this.drainedPromise = new Promise<void>((resolve) => (this.drained = resolve));
      for (const waiter of [...this.waiters]) this.rejectWaiter(waiter, new PercoreError('PERCORE_ERR_POOL_CLOSED', this.target()));
      for (const connection of [...this.idle]) this.discard(connection, 'shutdown');
    }
    if (options.force === true) {
      for (const connection of [...this.connections.values()]) this.discard(connection, 'shutdown');
    }
    this.checkDrained();
    return this.drainedPromise!;
  }

  /** @internal PooledConnection's idle timeout. */
  idleExpired(connection: PooledConnection<T>): void {
    if (connection.busy || this.connections.get(connection.task) !== connection) return;
    this.closedIdle++;
    this.discard(connection, 'timeout');
  }

  /** @internal Waiter's acquire timeout. */
  waitExpired(waiter: Waiter<T>): void {
    this.rejectWaiter(
      waiter,
      new PercoreError('PERCORE_ERR_POOL_TIMEOUT', `${this.target()}: no connection came free within ${this.acquireTimeoutMs} ms`),
    );
  }

  private takeIdle(): T | null {
    let connection: PooledConnection<T> | undefined;
    while ((connection = this.idle.pop()) !== undefined) {
      this.scheduler.timers.cancel(connection.timer);
      if (connection.task.closed) {
        this.drop(connection);
        continue;
      }
      if (this.validate !== undefined && !this.isValid(connection.task)) {
        this.discard(connection, 'done');
        continue;
      }
      connection.busy = true;
      this.busy++;
      return connection.task;
    }
    return null;
  }

  private isValid(task: T): boolean {
    try {
      return this.validate!(task);
    } catch (error) {
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `the pool's validate threw for task #${task.id}; it was closed`, error);
      return false;
    }
  }

  /** A connection that came free or was just made: to the oldest waiter, else idle. */
  private handOut(connection: PooledConnection<T>): void {
    const waiter = this.firstWaiter();
    if (waiter !== undefined) {
      this.removeWaiter(waiter);
      connection.busy = true;
      this.busy++;
      waiter.resolve(connection.task);
      return;
    }
    connection.busy = false;
    this.idle.push(connection);
    if (this.idleTimeoutMs > 0) this.scheduler.timers.schedule(connection.timer, this.idleTimeoutMs);
  }

  private connect(): void {
    this.connecting++;
    this.scheduler.connect(this.address, this.factory, this.connectOptions).then(
      (task) => this.connected(task),
      (error: unknown) => this.connectFailed(error),
    );
  }

  private connected(task: T): void {
    this.connecting--;
    this.created++;
    this.unclosed++;
    const connection = new PooledConnection(task, this);
    this.connections.set(task, connection);
    this.busy++; // counted busy until handOut places it
    task.addCloseListener(() => this.taskClosed(connection));
    if (this.connections.get(task) !== connection) return; // it closed already, and was dropped
    if (this.closing) {
      this.discard(connection, 'shutdown');
      return;
    }
    this.busy--;
    connection.busy = false;
    this.handOut(connection);
  }

  private connectFailed(error: unknown): void {
    this.connecting--;
    this.failedConnects++;
    const failure = error instanceof PercoreError ? error : new PercoreError('PERCORE_ERR_CONNECT_FAILED', String(error), { cause: error });
    const waiter = this.firstWaiter();
    if (waiter !== undefined) this.rejectWaiter(waiter, failure);
    // The slot is free again: the next waiters each get an attempt (and its error) of their own.
    this.connectForWaiters();
    this.checkDrained();
  }

  /** The task's onClose has run: it leaves the pool if still in it, and a waiter may get a new connection. */
  private taskClosed(connection: PooledConnection<T>): void {
    this.unclosed--;
    if (this.connections.get(connection.task) === connection) this.drop(connection);
    this.checkDrained();
  }

  /** Takes a connection out of the pool and closes its task. */
  private discard(connection: PooledConnection<T>, reason: CloseReason, error?: unknown): void {
    this.drop(connection);
    connection.task.close(reason, error);
  }

  /** Takes a connection out of the pool (its task closed, or is being closed), and fills its slot for a waiter. */
  private drop(connection: PooledConnection<T>): void {
    if (!this.connections.delete(connection.task)) return;
    this.scheduler.timers.cancel(connection.timer);
    if (connection.busy) {
      this.busy--;
    } else {
      const index = this.idle.indexOf(connection);
      if (index !== -1) this.idle.splice(index, 1);
    }
    this.connectForWaiters();
  }

  /** Starts connections for waiters that no connection being made will serve, within `size`. */
  private connectForWaiters(): void {
    if (this.closing) return;
    while (this.waiters.size > this.connecting && this.connections.size + this.connecting < this.size) this.connect();
  }

  private firstWaiter(): Waiter<T> | undefined {
    return this.waiters.values().next().value;
  }

  private removeWaiter(waiter: Waiter<T>): void {
    this.waiters.delete(waiter);
    this.scheduler.timers.cancel(waiter.timer);
  }

  private rejectWaiter(waiter: Waiter<T>, error: PercoreError): void {
    if (!this.waiters.has(waiter)) return;
    this.removeWaiter(waiter);
    waiter.reject(error);
  }

  private checkDrained(): void {
    if (this.closing && this.unclosed === 0 && this.connecting === 0 && this.drained !== null) {
      this.drained();
      this.drained = null;
    }
  }

  private target(): string {
    return 'path' in this.address ? this.address.path : `${this.address.host ?? 'localhost'}:${this.address.port}`;
  }
}

function invalid(detail: string): never {
  throw new PercoreError('PERCORE_ERR_INVALID_OPTION', detail);
}
