import { PercoreError } from '../errors.js';
import { TimerWheel } from './timer-wheel.js';
import { LinkedSet, type LinkedEntry } from './linked-set.js';
import type { Task, TaskChild, TaskContext } from './task.js';
import { connect, type ConnectAddress, type ConnectOptions } from './connect.js';
import { stderrLogger } from '../logging/default-logger.js';
import type { Logger } from '../logging/logger.js';

/**
 * Where the scheduler reports what it isolated: logging/logger.ts. The default, `stderrLogger`,
 * writes JSON lines in pino's shape to stderr at `LOG_LEVEL` (logging/default-logger.ts).
 */
export type { Logger } from '../logging/logger.js';
export { stderrLogger };

export interface SchedulerOptions {
  /** Milliseconds per tick of the timer wheel (default 50). */
  timerResolutionMs?: number;
  logger?: Logger;
}

export interface SchedulerStats {
  /** Tasks open now. */
  liveTasks: number;
  /** The most tasks open at once. */
  peakTasks: number;
  openedTasks: number;
  closedTasks: number;
  /** Tasks closed because their code threw, and deferred callbacks that threw. */
  taskErrors: number;
  bytesIn: number;
  bytesOut: number;
  /** Timers pending in the wheel. */
  pendingTimers: number;
}

/**
 * One per worker: Hellepoll's scheduler in Node terms. It owns the live tasks, one timer wheel,
 * the deferred-callback queue and the stats, and it isolates failures: a task that throws is
 * closed with a logged error code while every other task carries on.
 */
export class Scheduler {
  readonly timers: TimerWheel;
  readonly logger: Logger;
  private readonly tasks = new LinkedSet<Task>();
  /** Outbound connections being made (`connect`); `closeAll` abandons them. */
  private readonly connecting = new Set<TaskChild>();
  private deferred: Array<() => void> = [];
  private deferScheduled = false;
  private readonly runDeferredBound = () => this.runDeferred();
  private peak = 0;
  private opened = 0;
  private closed = 0;
  private errors = 0;
  /** Bytes of tasks already closed; live tasks are added when stats are read. */
  private closedBytesIn = 0;
  private closedBytesOut = 0;

  constructor(options: SchedulerOptions = {}) {
    this.logger = options.logger ?? stderrLogger;
    this.timers = new TimerWheel({
      resolutionMs: options.timerResolutionMs,
      onError: (error) => this.reportError('a timer callback threw', error),
    });
  }

  /** Runs `fn` on a later turn of the event loop, after I/O: Hellepoll's add_callback. */
  defer(fn: () => void): void {
    this.deferred.push(fn);
    if (!this.deferScheduled) {
      this.deferScheduled = true;
      setImmediate(this.runDeferredBound);
    }
  }

  /** The tasks open now. */
  liveTasks(): IterableIterator<Task> {
    return this.tasks.values();
  }

  stats(): SchedulerStats {
    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    for (const task of this.tasks) {
      bytesIn += task.bytesRead;
      bytesOut += task.bytesWritten;
    }
    return {
      liveTasks: this.tasks.size,
      peakTasks: this.peak,
      openedTasks: this.opened,
      closedTasks: this.closed,
      taskErrors: this.errors,
      bytesIn,
      bytesOut,
      pendingTimers: this.timers.size,
    };
  }

  /**
   * Opens an outbound connection and makes a task on it with `factory` once connected; see
   * `connect` in scheduler/connect.ts for the errors it rejects with.
   */
  connect<T extends Task>(address: ConnectAddress, factory: (context: TaskContext) => T, options?: ConnectOptions): Promise<T> {
    return connect(this, address, factory, options);
  }

  /** Closes every live task, and abandons the outbound connections still being made. */
  closeAll(): void {
    for (const pending of this.connecting) pending.close('shutdown');
    for (const task of this.tasks) task.close('shutdown');
  }

  /** @internal Called by `connect` while a connection is being made. */
  addConnecting(pending: TaskChild): void {
    this.connecting.add(pending);
  }

  /** @internal */
  removeConnecting(pending: TaskChild): void {
    this.connecting.delete(pending);
  }

  /** @internal Called by a task when it opens. */
  adopt(task: Task): LinkedEntry<Task> {
    const entry = this.tasks.add(task);
    this.opened++;
    if (this.tasks.size > this.peak) this.peak = this.tasks.size;
    return entry;
  }

  /** @internal Called by a task once its socket has closed, with the entry `adopt` gave it. */
  release(task: Task, entry: LinkedEntry<Task>): void {
    if (!this.tasks.delete(entry)) return;
    this.closed++;
    this.closedBytesIn += task.bytesRead;
    this.closedBytesOut += task.bytesWritten;
  }

  /** @internal Error isolation: logs the failure and closes only the task that threw. */
  taskFailed(task: Task, error: unknown): void {
    this.errors++;
    this.logger.error('PERCORE_ERR_TASK_FAILED', `task #${task.id} threw and was closed`, error);
    task.close('task-error', error);
  }

  private reportError(message: string, error: unknown): void {
    this.errors++;
    const code = error instanceof PercoreError ? error.code : 'PERCORE_ERR_TASK_FAILED';
    this.logger.error(code, message, error);
  }

  private runDeferred(): void {
    this.deferScheduled = false;
    const batch = this.deferred;
    this.deferred = [];
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!();
      } catch (error) {
        this.reportError('a deferred callback threw', error);
      }
    }
  }
}
