import type { Socket } from 'node:net';
import type { Scheduler } from './scheduler.js';
import { Timer, type TimerTarget } from './timer-wheel.js';
import type { LinkedEntry } from './linked-set.js';
import { PercoreError } from '../errors.js';

/** Why a task closed. The first reason given wins. */
export type CloseReason =
  /** The task finished and half-closed, or closed itself. */
  | 'done'
  /** The peer closed or reset the connection. */
  | 'peer-closed'
  /** A timeout set with `setTimeout` expired and the task closed. */
  | 'timeout'
  /** The socket failed (see the error). */
  | 'socket-error'
  /** The task's own code threw (see the error); the scheduler isolated it. */
  | 'task-error'
  /** The task's parent closed, and closed its children (`TaskContext.parent`). */
  | 'parent-closed'
  /** The listener or scheduler is shutting down. */
  | 'shutdown'
  /** The task handed its socket to another task (`handOver`); the socket stays open. */
  | 'handed-over';

/** What a task is made from: handed to a protocol's task factory for each new connection. */
export interface TaskContext {
  readonly scheduler: Scheduler;
  readonly socket: Socket;
  /**
   * The task this one belongs to (Hellepoll's `Task(scheduler, parent)`): closing the parent
   * closes this task with 'parent-closed'. Inbound tasks have none; outbound ones may (`connect`).
   */
  readonly parent?: Task;
}

/** What a task closes when it closes: its child tasks, and outbound connections still being made for it. */
export interface TaskChild {
  close(reason: CloseReason, error?: unknown): void;
}

export type TaskFactory = (context: TaskContext) => Task;

/** How a task uses its socket. */
export interface TaskSocketOptions {
  /**
   * Whether the task reads the socket itself (default true). A task that lends its socket to a
   * protocol implemented outside the scheduler (node:http2's session, which reads the socket's
   * handle directly) passes false: it gets no `onData`, `onEnd` or `onDrain`, and still owns the
   * connection's life: its timeouts, shutdown, close and `onClose`.
   */
  readonly readsSocket?: boolean;
}

/** Told once that a task has closed, with the reason and error its `onClose` got (`Task.addCloseListener`). */
export type CloseListener = (reason: CloseReason, error: unknown) => void;

/**
 * Makes the task that takes over a socket (`Task.handOver`): `head` holds the bytes already read
 * past the previous protocol's last message; they reach the new task's `onData` first.
 */
export type HandOverFactory<T extends Task = Task> = (context: TaskContext, head: Buffer) => T;

const EMPTY_HEAD = Buffer.alloc(0);

/** Default time a half-closed task keeps reading (and discarding) before it drops the socket. */
export const DEFAULT_LINGER_MS = 2000;

const kTask = Symbol('percore.task');
type TaskSocket = Socket & { [kTask]: Task };

// Why reading is paused: a bit each, so that each reason resumes only what it paused.
const PAUSED_BY_WRITE = 1;
const PAUSED_BY_PROTOCOL = 2;

const enum Phase {
  Open,
  /** Output flushed then FIN sent; input is discarded until the peer closes or linger expires. */
  HalfClosed,
  Closed,
  /** The socket went to another task: this one is done and never touches the socket again. */
  HandedOver,
}

let nextTaskId = 1;

/**
 * One connection driven by one protocol state machine: Hellepoll's Task.
 *
 * A protocol subclasses Task and implements `onData`. The contract:
 * - **Sated:** `onData(chunk)` consumes all of `chunk`, or keeps the unconsumed rest itself until
 *   more comes. The task is never handed the same bytes twice.
 * - **Backpressure:** `write` returns false once the socket's buffer is full; reading then stops
 *   until the socket drains, and `onDrain` runs.
 * - **Half-close:** `halfClose()` flushes what is queued, sends FIN, then closes.
 * - **Timeouts** go through the scheduler's timer wheel: `setTimeout(ms)` then `onTimeout()`.
 * - **Isolation:** if a callback throws, only this task is closed (`onClose('task-error', error)`).
 * - `onClose(reason)` runs exactly once, after the socket has closed.
 */
export abstract class Task implements TimerTarget {
  readonly id = nextTaskId++;
  readonly scheduler: Scheduler;
  readonly socket: Socket;
  private readonly parentTask: Task | null;
  private children: Set<TaskChild> | null = null;
  private readonly timer = new Timer(this);
  /** Its place among the scheduler's live tasks. */
  private readonly entry: LinkedEntry<Task>;
  private phase = Phase.Open;
  private pausedBy = 0;
  /** Whether `onSocketDrain` is on the socket (added at the first refused write). */
  private drainListened = false;
  private closeReason: CloseReason | null = null;
  private closeError: unknown = undefined;
  private successor: Task | null = null;
  /** Told after `onClose`; `closeNotified` once they have been, so a late listener is told at once. */
  private closeListeners: CloseListener[] | null = null;
  private closeNotified = false;
  /** The socket's byte counts when this task got it (non-zero after a hand-over). */
  private bytesReadBefore = 0;
  private bytesWrittenBefore = 0;

  constructor(context: TaskContext, options?: TaskSocketOptions) {
    this.scheduler = context.scheduler;
    this.socket = context.socket;
    this.parentTask = context.parent ?? null;
    (this.socket as TaskSocket)[kTask] = this;
    // Shared listeners with the socket as `this`: no closures per connection.
    // 'drain' is listened for only once a write has been refused (pauseFor): most connections never fill their buffer.
    if (options?.readsSocket !== false) {
      this.socket.on('data', onSocketData);
      this.socket.on('end', onSocketEnd);
    }
    this.socket.on('error', onSocketError);
    this.socket.on('close', onSocketClose);
    this.entry = this.scheduler.adopt(this);
    if (this.parentTask !== null) this.parentTask.current.addChild(this);
  }

  /** The task that closes this one when it closes (the task its parent handed over to, if it did), or null. */
  get parent(): Task | null {
    return this.parentTask === null ? null : this.parentTask.current;
  }

  /** Consumes `chunk` whole, or keeps the rest until more data comes (the sated rule). */
  abstract onData(chunk: Buffer): void;

  /** The socket's buffer has drained after `write` returned false. */
  onDrain(): void {}

  /** The peer sent FIN: no more data will come. By default, flush what is queued and close. */
  onEnd(): void {
    this.halfClose();
  }

  /** The timeout set with `setTimeout` expired. By default, close. */
  onTimeout(): void {
    this.close('timeout');
  }

  /** The listener is shutting down. By default, close now; protocols may finish their work first. */
  onShutdown(): void {
    this.close('shutdown');
  }

  /**
   * The shutdown's grace period is over and this task is still open. By default, close now; a
   * protocol whose connection is idle may half-close instead, so that a request crossing the
   * close is discarded rather than answered with a reset.
   */
  onShutdownDeadline(): void {
    this.close('shutdown');
  }

  /** Runs once, after the socket has closed. */
  onClose(_reason: CloseReason, _error?: unknown): void {}

  get closed(): boolean {
    return this.phase !== Phase.Open;
  }

  /** The task driving this task's socket now: this one, or the one it was handed over to. */
  get current(): Task {
    let task: Task = this;
    while (task.successor !== null) task = task.successor;
    return task;
  }

  /**
   * Hands the socket to a new task made by `factory`, under the same scheduler (Go's Hijacker,
   * Tornado's detach). This task is done at once without closing the socket: it leaves the
   * scheduler, its timer is cancelled, and its `onClose` runs with 'handed-over'. The new task
   * gets the socket's events and starts unpaused, unless the socket's write buffer is full (then
   * it resumes on drain and sees `onDrain`). `head`, the bytes read past the old protocol's last
   * message, goes to the new task's `onData` before `handOver` returns, ahead of later reads.
   * Only an open task can hand over: otherwise PERCORE_ERR_TASK_CLOSED.
   */
  handOver<T extends Task>(factory: HandOverFactory<T>, head: Buffer = EMPTY_HEAD): T {
    if (this.phase !== Phase.Open) throw new PercoreError('PERCORE_ERR_TASK_CLOSED', `task #${this.id} cannot hand over`);
    const socket = this.socket;
    this.phase = Phase.HandedOver;
    this.closeReason = 'handed-over';
    this.scheduler.timers.cancel(this.timer);
    this.scheduler.release(this, this.entry);
    removeSocketListeners(socket);
    this.pausedBy = 0;
    try {
      this.onClose('handed-over');
    } catch (error) {
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `task #${this.id} threw in onClose`, error);
    }
    this.notifyClosed();
    let next: T;
    try {
      // The new task takes this one's place in the task tree: under its parent, over its children.
      next = factory(
        this.parentTask === null ? { scheduler: this.scheduler, socket } : { scheduler: this.scheduler, socket, parent: this.parentTask },
        head,
      );
    } catch (error) {
      // Nobody owns the socket now: drop it rather than leak it.
      socket.destroy();
      this.parentTask?.current.removeChild(this);
      this.closeChildren();
      throw error;
    }
    this.successor = next;
    next.bytesReadBefore = socket.bytesRead;
    next.bytesWrittenBefore = socket.bytesWritten;
    this.passChildrenTo(next);
    // Reading stays paused only for a full write buffer, which the new task inherits.
    if (socket.writableNeedDrain) next.pauseFor(PAUSED_BY_WRITE);
    else socket.resume();
    if (head.length > 0) Task.handleData(next, head);
    // A FIN that came before the hand-over is not emitted again: tell the new task of it now.
    if (socket.readableEnded) Task.handleEnd(next);
    return next;
  }

  /** Bytes read from the socket while this task had it (a hand-over splits the socket's count). */
  get bytesRead(): number {
    return (this.successor === null ? this.socket.bytesRead : this.successor.bytesReadBefore) - this.bytesReadBefore;
  }

  /** Bytes written to the socket while this task had it. */
  get bytesWritten(): number {
    return (this.successor === null ? this.socket.bytesWritten : this.successor.bytesWrittenBefore) - this.bytesWrittenBefore;
  }

  /** Queues `data` for the peer. Returns false when the socket's buffer is full; reading stops until it drains. */
  write(data: Uint8Array | string): boolean {
    if (this.phase !== Phase.Open) return false;
    if (this.socket.write(data)) return true;
    this.pauseFor(PAUSED_BY_WRITE);
    return false;
  }

  /** Whether a write would queue behind a full socket buffer. */
  get writeBlocked(): boolean {
    return (this.pausedBy & PAUSED_BY_WRITE) !== 0;
  }

  /** Stops reading for the protocol's own reasons (for example, a full pipeline). */
  pauseReading(): void {
    this.pauseFor(PAUSED_BY_PROTOCOL);
  }

  resumeReading(): void {
    this.resumeFor(PAUSED_BY_PROTOCOL);
  }

  /**
   * Flushes queued output, sends FIN, then closes once the peer closes or after `lingerMs`.
   * `reason` is what `onClose` will be told, unless one was already set.
   */
  halfClose(lingerMs = DEFAULT_LINGER_MS, reason: CloseReason = 'done'): void {
    if (this.phase !== Phase.Open) return;
    this.phase = Phase.HalfClosed;
    this.closeReason ??= reason;
    // Keep reading, so the peer's FIN arrives and unread input cannot turn our close into a reset
    // that destroys the response in flight (RFC 9112 9.6, lingering close).
    this.pausedBy = 0;
    this.socket.resume();
    this.socket.end();
    this.scheduler.timers.schedule(this.timer, lingerMs);
  }

  /** Closes the connection now, dropping queued output. */
  close(reason: CloseReason = 'done', error?: unknown): void {
    if (this.phase >= Phase.Closed) return;
    if (this.closeReason === null || reason === 'task-error' || reason === 'socket-error') {
      this.closeReason = reason;
      this.closeError = error;
    }
    this.phase = Phase.Closed;
    this.scheduler.timers.cancel(this.timer);
    this.socket.destroy();
    this.closeChildren();
  }

  /**
   * Ties `child` to this task: when this task closes, it closes `child` with 'parent-closed'. A
   * task already closed closes `child` at once. Tasks made with a `parent` are added by themselves.
   */
  addChild(child: TaskChild): void {
    if (this.phase >= Phase.Closed) {
      child.close('parent-closed');
      return;
    }
    (this.children ??= new Set()).add(child);
  }

  /** Unties `child`; a child task does this itself when it closes. */
  removeChild(child: TaskChild): void {
    this.children?.delete(child);
  }

  /**
   * Tells `listener` once this task has closed, after its own `onClose` and with the same reason
   * and error ('handed-over' after a hand-over): for code that holds a task it did not write, such
   * as a pool or a reconnector. A task whose `onClose` has run already tells it at once. A listener
   * that throws is logged (PERCORE_ERR_TASK_FAILED); the others still run.
   */
  addCloseListener(listener: CloseListener): void {
    if (this.closeNotified) this.callCloseListener(listener);
    else (this.closeListeners ??= []).push(listener);
  }

  removeCloseListener(listener: CloseListener): void {
    const listeners = this.closeListeners;
    const index = listeners === null ? -1 : listeners.indexOf(listener);
    if (index !== -1) listeners!.splice(index, 1);
  }

  /** Child tasks, and outbound connections being made for this task, still open. */
  get childCount(): number {
    return this.children === null ? 0 : this.children.size;
  }

  private passChildrenTo(next: Task): void {
    this.parentTask?.current.removeChild(this);
    const children = this.children;
    if (children === null) return;
    this.children = null;
    for (const child of children) next.addChild(child);
  }

  private closeChildren(): void {
    const children = this.children;
    if (children === null) return;
    this.children = null;
    for (const child of children) child.close('parent-closed');
  }

  /** Arms (or re-arms) this task's one timeout on the scheduler's wheel. */
  setTimeout(ms: number): void {
    if (this.phase === Phase.Open) this.scheduler.timers.schedule(this.timer, ms);
  }

  clearTimeout(): void {
    if (this.phase === Phase.Open) this.scheduler.timers.cancel(this.timer);
  }

  /** TimerTarget: the wheel calls this when the task's timeout expires; protocols override onTimeout instead. */
  onTimer(): void {
    if (this.phase === Phase.HalfClosed) {
      this.close(this.closeReason ?? 'done');
      return;
    }
    this.guard(callOnTimeout);
  }

  private pauseFor(bit: number): void {
    if (this.phase === Phase.HandedOver) return;
    if (bit === PAUSED_BY_WRITE && !this.drainListened) {
      this.drainListened = true;
      this.socket.on('drain', onSocketDrain);
    }
    if (this.pausedBy === 0) this.socket.pause();
    this.pausedBy |= bit;
  }

  private resumeFor(bit: number): void {
    if ((this.pausedBy & bit) === 0) return;
    this.pausedBy &= ~bit;
    if (this.pausedBy === 0 && this.phase === Phase.Open) this.socket.resume();
  }

  /** Runs a protocol callback; a throw closes this task only. */
  private guard(call: (task: Task, arg: Buffer | undefined) => void, arg?: Buffer): void {
    try {
      call(this, arg);
    } catch (error) {
      this.scheduler.taskFailed(this, error);
    }
  }

  /** @internal */
  static handleData(task: Task, chunk: Buffer): void {
    // After a half-close, input is read only to reach the peer's FIN, and dropped.
    if (task.phase !== Phase.Open) return;
    task.guard(callOnData, chunk);
  }

  /** @internal */
  static handleDrain(task: Task): void {
    task.resumeFor(PAUSED_BY_WRITE);
    if (task.phase === Phase.Open) task.guard(callOnDrain);
  }

  /** @internal */
  static handleEnd(task: Task): void {
    if (task.phase === Phase.Open) {
      task.closeReason ??= 'peer-closed';
      task.guard(callOnEnd);
    } else if (task.phase === Phase.HalfClosed) {
      // Both directions are done; Node destroys the socket once our FIN is flushed too.
      task.socket.destroySoon();
    }
  }

  /** @internal */
  static handleError(task: Task, error: Error): void {
    if (task.closeReason === null || task.closeReason === 'done' || task.closeReason === 'peer-closed') {
      task.closeReason = isPeerReset(error) ? 'peer-closed' : 'socket-error';
      task.closeError = error;
    }
  }

  /** @internal */
  static handleClose(task: Task): void {
    task.phase = Phase.Closed;
    task.scheduler.timers.cancel(task.timer);
    task.scheduler.release(task, task.entry);
    task.closeChildren();
    task.parent?.removeChild(task);
    task.closeReason ??= 'peer-closed';
    try {
      task.onClose(task.closeReason, task.closeError);
    } catch (error) {
      task.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `task #${task.id} threw in onClose`, error);
    }
    task.notifyClosed();
  }

  private notifyClosed(): void {
    this.closeNotified = true;
    const listeners = this.closeListeners;
    if (listeners === null) return;
    this.closeListeners = null;
    for (const listener of listeners) this.callCloseListener(listener);
  }

  private callCloseListener(listener: CloseListener): void {
    try {
      listener(this.closeReason!, this.closeError);
    } catch (error) {
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `a close listener of task #${this.id} threw`, error);
    }
  }
}

function isPeerReset(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function callOnData(task: Task, chunk: Buffer | undefined): void {
  task.onData(chunk!);
}
function callOnDrain(task: Task): void {
  task.onDrain();
}
function callOnEnd(task: Task): void {
  task.onEnd();
}
function callOnTimeout(task: Task): void {
  task.onTimeout();
}

function removeSocketListeners(socket: Socket): void {
  socket.off('data', onSocketData);
  socket.off('drain', onSocketDrain);
  socket.off('end', onSocketEnd);
  socket.off('error', onSocketError);
  socket.off('close', onSocketClose);
}

function onSocketData(this: TaskSocket, chunk: Buffer): void {
  Task.handleData(this[kTask], chunk);
}
function onSocketDrain(this: TaskSocket): void {
  Task.handleDrain(this[kTask]);
}
function onSocketEnd(this: TaskSocket): void {
  Task.handleEnd(this[kTask]);
}
function onSocketError(this: TaskSocket, error: Error): void {
  Task.handleError(this[kTask], error);
}
function onSocketClose(this: TaskSocket): void {
  Task.handleClose(this[kTask]);
}
