import { PercoreError } from '../errors.js';
import { backoffDelay, DEFAULT_INITIAL_DELAY_MS, GIVE_UP, jittered, validateBackoff, type BackoffOptions } from './backoff.js';
import type { ConnectAddress, ConnectOptions } from './connect.js';
import type { Scheduler } from './scheduler.js';
import type { CloseReason, Task, TaskChild, TaskContext } from './task.js';
import { Timer, type TimerTarget } from './timer-wheel.js';

export { backoffDelay, GIVE_UP, type BackoffOptions } from './backoff.js';

export interface ReconnectOptions extends ConnectOptions, BackoffOptions {}

export interface ReconnectHandlers<T extends Task> {
  /** Each time a connection is made (attempt: 1 for the first success after failures counted from 1). */
  connected(task: T, attempt: number): void;
  /** The connected task closed (reason and error as its onClose got them). A reconnect is scheduled unless stopped. */
  disconnected?(reason: CloseReason, error: unknown): void;
  /** An attempt failed (a PercoreError from connect: REFUSED/TIMEOUT/FAILED); the next one waits delayMs. */
  attemptFailed?(error: PercoreError, attempt: number, delayMs: number): void;
  /** maxAttempts reached: PERCORE_ERR_RECONNECT_GAVE_UP with the last error as cause. No more attempts. */
  gaveUp?(error: PercoreError): void;
}

export type ReconnectState = 'connecting' | 'connected' | 'waiting' | 'stopped';

/**
 * Keeps one outbound connection up: connects, and when the task closes or an attempt fails,
 * waits on the scheduler's timer wheel (exponential backoff with full jitter, `backoffDelay`)
 * and connects again with a new task from `factory`. The attempt count resets after each
 * success. A task is never reused: each connection gets a fresh one, so a protocol needs no
 * reconnect state of its own (a client that must redo something, such as SUBSCRIBE, does it in
 * `connected`).
 *
 * It stops for good on `stop()`, once `maxAttempts` attempts fail in a row (`gaveUp`), when the
 * scheduler closes all (`closeAll` stops it like a connection being made), when the `parent`
 * task closes, when a connect is refused as malformed (PERCORE_ERR_INVALID_OPTION, through
 * `gaveUp`), and when its task hands its socket over (the socket is the successor's now).
 * Handlers run on the scheduler's turn; one that throws is logged and does not stop it.
 */
export class Reconnector<T extends Task> implements TimerTarget {
  private current: ReconnectState = 'stopped';
  private started = false;
  private stopped = false;
  private connectedTask: T | null = null;
  /** Consecutive failed attempts since the last success. */
  private failures = 0;
  /** Bumped by each attempt and by `stop`, so that a connect settling late knows it is stale. */
  private generation = 0;
  private readonly timer = new Timer(this);
  private readonly connectOptions: ConnectOptions;
  /** What `closeAll` and a closing parent call: they stop the reconnector rather than a socket. */
  private readonly stopper: TaskChild = { close: (reason) => this.stop(reason) };
  private readonly onTaskClosed = (reason: CloseReason, error: unknown) => this.taskClosed(reason, error);

  constructor(
    private readonly scheduler: Scheduler,
    private readonly address: ConnectAddress,
    private readonly factory: (context: TaskContext) => T,
    private readonly handlers: ReconnectHandlers<T>,
    private readonly options: ReconnectOptions = {},
  ) {
    validateBackoff(options);
    const { timeoutMs, parent, noDelay, lookup } = options;
    this.connectOptions = { timeoutMs, parent, noDelay, lookup };
  }

  /** Makes the first attempt now. Once started (or stopped), calling it again does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    // Registered as a connection being made for as long as it runs: `closeAll` stops it.
    this.scheduler.addConnecting(this.stopper);
    // A parent closed already closes (stops) the stopper at once.
    this.options.parent?.current.addChild(this.stopper);
    if (!this.stopped) this.attempt();
  }

  /** 'stopped' before `start()` too. */
  get state(): ReconnectState {
    return this.current;
  }

  /** The connected task, or null. */
  get task(): T | null {
    return this.connectedTask;
  }

  /** Skips the wait and tries now (e.g. a caller needs it); no-op unless 'waiting'. */
  retryNow(): void {
    if (this.current !== 'waiting') return;
    this.scheduler.timers.cancel(this.timer);
    this.attempt();
  }

  /** Stops for good: cancels the timer, abandons a connect in flight, closes the task ('shutdown' or the given reason). */
  stop(reason: CloseReason = 'shutdown'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.current = 'stopped';
    // A connect in flight cannot be cancelled from here (connect has no abort handle): bumping the
    // generation makes it stale, and a task it still makes is closed at once, unseen.
    this.generation++;
    this.scheduler.timers.cancel(this.timer);
    this.scheduler.removeConnecting(this.stopper);
    this.options.parent?.current.removeChild(this.stopper);
    const task = this.connectedTask;
    this.connectedTask = null;
    if (task !== null) {
      task.removeCloseListener(this.onTaskClosed);
      task.close(reason);
    }
  }

  /** TimerTarget: the backoff wait is over. */
  onTimer(): void {
    if (this.current === 'waiting') this.attempt();
  }

  private attempt(): void {
    this.current = 'connecting';
    const generation = ++this.generation;
    this.scheduler.connect(this.address, this.factory, this.connectOptions).then(
      (task) => this.attemptConnected(generation, task),
      (error: unknown) => this.attemptFailed(generation, error),
    );
  }

  private attemptConnected(generation: number, task: T): void {
    if (generation !== this.generation) {
      task.close('shutdown');
      return;
    }
    const attempt = this.failures + 1;
    this.failures = 0;
    this.current = 'connected';
    this.connectedTask = task;
    this.call('connected', () => this.handlers.connected(task, attempt));
    // After `connected`, so that a task closed already (its factory may close it) is told of in
    // that order: the listener then runs at once. Unless `connected` stopped us.
    if (this.connectedTask === task) task.addCloseListener(this.onTaskClosed);
  }

  private attemptFailed(generation: number, error: unknown): void {
    if (generation !== this.generation) return;
    const failure = error instanceof PercoreError ? error : new PercoreError('PERCORE_ERR_CONNECT_FAILED', String(error), { cause: error });
    if (failure.code === 'PERCORE_ERR_CONNECT_ABORTED') {
      // The scheduler or the parent closed while connecting; the stopper is told too, or was.
      this.stop('shutdown');
      return;
    }
    this.failures++;
    const delayMs = failure.code === 'PERCORE_ERR_INVALID_OPTION' ? GIVE_UP : backoffDelay(this.failures, this.options);
    if (delayMs === GIVE_UP) {
      const attempts = this.failures;
      this.stop();
      const gaveUp = new PercoreError('PERCORE_ERR_RECONNECT_GAVE_UP', `after ${attempts} failed attempt(s): ${failure.message}`, {
        cause: failure,
      });
      this.call('gaveUp', () => this.handlers.gaveUp?.(gaveUp));
      return;
    }
    this.wait(delayMs);
    this.call('attemptFailed', () => this.handlers.attemptFailed?.(failure, this.failures, delayMs));
  }

  private taskClosed(reason: CloseReason, error: unknown): void {
    this.connectedTask = null;
    if (reason === 'handed-over') {
      this.stop();
      return;
    }
    // The first wait after a lost connection is the initial delay, jittered like any other.
    this.wait(jittered(this.options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS, this.options));
    this.call('disconnected', () => this.handlers.disconnected?.(reason, error));
  }

  private wait(delayMs: number): void {
    this.current = 'waiting';
    this.scheduler.timers.schedule(this.timer, delayMs);
  }

  /** Runs a handler; one that throws is logged and the reconnector carries on. */
  private call(name: keyof ReconnectHandlers<T>, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `the reconnector's ${name} handler threw`, error);
    }
  }
}
