import { PercoreError } from '../errors.js';
import { Reconnector } from '../scheduler/reconnect.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { CloseReason, TaskChild, TaskContext } from '../scheduler/task.js';
import { Timer, type TimerTarget } from '../scheduler/timer-wheel.js';
import { resolveRespOptions, type ResolvedRespOptions, type RespClientOptions } from './client-options.js';
import {
  allowedInSubscriberMode,
  badArgument,
  KIND_REGULAR,
  KIND_SUBSCRIBE,
  KIND_UNSUBSCRIBE,
  PendingCommand,
  refusedCommand,
  setArguments,
  type ReplyCallback,
  type SetOptions,
} from './commands.js';
import { RespConnection, type RespConnectionOwner } from './connection.js';
import type { RespArgument } from './encoder.js';
import { Fifo } from './fifo.js';
import { Subscriptions, type MessageListener, type PatternMessageListener } from './pubsub.js';
import type { RespPush, RespValue } from './values.js';

export type RespClientState = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface RespClientStats {
  state: RespClientState;
  /** Callers' commands queued plus in flight (bounded by maxPending). */
  pending: number;
  /** Not written yet: waiting for the next batch, for drain, or for a connection. */
  queued: number;
  /** Written and waiting for a reply (the client's own commands included). */
  inFlight: number;
  /** Connections made after the first one. */
  reconnects: number;
  /** Callers' commands written to a socket. */
  written: number;
  /** Channels plus patterns subscribed. */
  subscriptions: number;
}

/** How long close() waits for the replies in flight and QUIT's before it drops the connection. */
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/**
 * A Redis client on percore's scheduler (RESP2, or RESP3 with `protocol: 3`): one connection,
 * pipelined. Commands are written in batches, one socket write per turn of the event loop, and
 * each reply settles the oldest command waiting (docs/resp.md, "The client").
 *
 * - An error reply rejects that command only, with RespReplyError; the connection stays up.
 * - A command written when the connection drops fails PERCORE_ERR_RESP_CONNECTION_LOST and is
 *   never sent again (it may or may not have run). Commands not written yet wait for the
 *   reconnect (`offlineQueue`) and are sent once, in order, after AUTH, SELECT, HELLO and the
 *   re-subscriptions.
 * - At most `maxPending` commands are queued and in flight; past it one fails at once
 *   (PERCORE_ERR_RESP_QUEUE_FULL).
 */
export class RespClient implements TimerTarget {
  readonly scheduler: Scheduler;
  private readonly options: ResolvedRespOptions;
  private readonly subscriptions: Subscriptions;
  /** Callers' commands not written yet, oldest first. */
  private readonly queue = new Fifo<PendingCommand>();
  private connection: RespConnection | null = null;
  /** The connection's handshake is done: commands may be written. */
  private ready = false;
  private everReady = false;
  private current: RespClientState = 'connecting';
  private pendingCount = 0;
  private writtenCount = 0;
  private reconnectCount = 0;
  private flushScheduled = false;
  private readonly flushBound = () => this.flush();
  private readonly reconnector: Reconnector<RespConnection> | null;
  /** subscribe() calls waiting for the next connection's re-SUBSCRIBE. */
  private resubscribeWaiters: ReplyCallback[] = [];
  private readonly pushListeners: Array<(push: RespPush) => void> = [];
  private readonly firstConnection: Promise<void>;
  private settleFirstConnection!: (error: Error | null) => void;
  private closing: Promise<void> | null = null;
  private resolveClose: (() => void) | null = null;
  /** terminate() ran: nothing is left to fail or to close. */
  private terminated = false;
  private readonly closeTimer = new Timer(this);
  /** Registered with the scheduler as a connection being made: `scheduler.closeAll()` ends the client too. */
  private readonly shutdownHook: TaskChild = {
    close: (reason) => this.terminate(closedError(`the scheduler closed all (${reason})`)),
  };

  private constructor(options: RespClientOptions) {
    this.options = resolveRespOptions(options);
    this.scheduler = options.scheduler ?? new Scheduler();
    this.subscriptions = new Subscriptions((error) =>
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', 'a RESP message listener threw', error),
    );
    this.firstConnection = new Promise<void>((resolve, reject) => {
      this.settleFirstConnection = (error) => (error === null ? resolve() : reject(error));
    });
    this.scheduler.addConnecting(this.shutdownHook);
    // The connection calls back through this, so that those calls stay off the client's public API.
    const owner: RespConnectionOwner = {
      settle: (command, error, reply) => this.settle(command, error, reply),
      pushed: (push) => this.pushed(push),
      drained: (connection) => this.drained(connection),
      closed: (connection, reason, error) => this.closed(connection, reason, error),
    };
    const factory = (context: TaskContext) => new RespConnection(context, owner, this.subscriptions, this.options);
    const reconnect = this.options.reconnect;
    if (reconnect === false) {
      this.reconnector = null;
      this.scheduler.connect(this.options.address, factory, { timeoutMs: this.options.connectTimeoutMs }).then(
        (connection) => this.connected(connection),
        (error: unknown) => this.terminate(error as PercoreError, error as PercoreError),
      );
    } else {
      this.reconnector = new Reconnector(
        this.scheduler,
        this.options.address,
        factory,
        {
          connected: (connection) => this.connected(connection),
          // The last error of the first connection's attempts is what connect() rejects with.
          gaveUp: (error) =>
            this.terminate(new PercoreError('PERCORE_ERR_RESP_CONNECTION_LOST', 'reconnecting gave up', { cause: error }), error),
        },
        { ...reconnect, timeoutMs: this.options.connectTimeoutMs },
      );
      this.reconnector.start();
    }
  }

  /**
   * Connects, and resolves once the first connection's handshake (AUTH, SELECT, HELLO 3) is done.
   * Rejects with the handshake's RespReplyError (WRONGPASS, NOAUTH...), or the connect error:
   * at once with `reconnect: false` (PERCORE_ERR_CONNECT_REFUSED, _TIMEOUT...), else once
   * `maxAttempts` attempts failed (PERCORE_ERR_RECONNECT_GAVE_UP, with the last as its cause).
   */
  static async connect(options: RespClientOptions = {}): Promise<RespClient> {
    const client = new RespClient(options);
    await client.firstConnection;
    return client;
  }

  get state(): RespClientState {
    return this.current;
  }

  /** Sends a command (pipelined) and resolves with its reply; an error reply rejects with RespReplyError. */
  command<T = RespValue>(...args: RespArgument[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.send(args, (error, reply) => (error === null ? resolve(reply as T) : reject(error)));
    });
  }

  /** The hot-path form of `command`: no promise. The callback always runs later, never inside `send`. */
  send(args: readonly RespArgument[], callback: ReplyCallback): void {
    const refusal = this.refusal(args);
    if (refusal !== null) {
      queueMicrotask(() => callback(refusal));
      return;
    }
    this.enqueue(new PendingCommand(args, callback));
  }

  get(key: RespArgument): Promise<string | Buffer | null> {
    return this.command('GET', key);
  }

  /** 'OK', or null when NX or XX kept it from being set. */
  set(key: RespArgument, value: RespArgument, options?: SetOptions): Promise<'OK' | null> {
    let args: RespArgument[];
    try {
      args = setArguments(key, value, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.command(...args);
  }

  /** How many of the keys existed. */
  del(...keys: RespArgument[]): Promise<number> {
    return this.command('DEL', ...keys);
  }

  incr(key: RespArgument): Promise<number> {
    return this.command('INCR', key);
  }

  /** 1 if the timeout was set, 0 if the key does not exist. */
  expire(key: RespArgument, seconds: number): Promise<number> {
    return this.command('EXPIRE', key, seconds);
  }

  /** Seconds left; -1 without an expiry, -2 without the key. */
  ttl(key: RespArgument): Promise<number> {
    return this.command('TTL', key);
  }

  /** How many subscribers got the message (on this server). */
  publish(channel: RespArgument, message: RespArgument): Promise<number> {
    return this.command('PUBLISH', channel, message);
  }

  /** 'PONG', or the message echoed; the same under RESP2 subscriber mode (where Redis answers ["pong", message]). */
  async ping(message?: RespArgument): Promise<string | Buffer> {
    const reply = await (message === undefined ? this.command('PING') : this.command('PING', message));
    if (Array.isArray(reply)) return reply[1] === '' && message === undefined ? 'PONG' : (reply[1] as string | Buffer);
    return reply as string | Buffer;
  }

  /** QUIT, then close: the same as `close()`. */
  quit(): Promise<void> {
    return this.close();
  }

  /** Subscribes to channels; `listener` gets each message. Resolves once the server confirmed them all. */
  subscribe(channels: string | readonly string[], listener: MessageListener): Promise<void> {
    return this.addSubscriptions('SUBSCRIBE', this.subscriptions.channels, channels, listener);
  }

  /** Unsubscribes from channels (every one when none are given), with all their listeners. */
  unsubscribe(channels?: string | readonly string[]): Promise<void> {
    return this.removeSubscriptions('UNSUBSCRIBE', this.subscriptions.channels, channels);
  }

  /** Subscribes to glob-style patterns; `listener` gets each message with its channel and the pattern. */
  psubscribe(patterns: string | readonly string[], listener: PatternMessageListener): Promise<void> {
    return this.addSubscriptions('PSUBSCRIBE', this.subscriptions.patterns, patterns, listener);
  }

  punsubscribe(patterns?: string | readonly string[]): Promise<void> {
    return this.removeSubscriptions('PUNSUBSCRIBE', this.subscriptions.patterns, patterns);
  }

  /** RESP3 push frames other than pub/sub messages and the confirmations asked for (e.g. client-tracking invalidations). */
  onPush(listener: (push: RespPush) => void): void {
    this.pushListeners.push(listener);
  }

  stats(): RespClientStats {
    return {
      state: this.current,
      pending: this.pendingCount,
      queued: this.queue.length,
      inFlight: this.connection === null ? 0 : this.connection.inFlight.length,
      reconnects: this.reconnectCount,
      written: this.writtenCount,
      subscriptions: this.subscriptions.size,
    };
  }

  /**
   * Sends what is queued, then QUIT, and closes once every reply came (or after `timeoutMs`,
   * default 5 s; what is left then fails PERCORE_ERR_RESP_CLOSED). Commands issued after it fail
   * PERCORE_ERR_RESP_CLOSED. Without a connection up, it closes at once: queued commands fail
   * PERCORE_ERR_RESP_CLOSED.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.terminated) return (this.closing = Promise.resolve());
    this.closing = new Promise<void>((resolve) => (this.resolveClose = resolve));
    const connection = this.connection;
    if (connection === null || !this.ready) {
      this.terminate(new PercoreError('PERCORE_ERR_RESP_CLOSED', 'close() before the connection was ready'));
      return this.closing;
    }
    this.scheduler.timers.schedule(this.closeTimer, options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    // QUIT goes after the queue (flush stops early under backpressure): the FIFO settles it last.
    this.queue.push(new PendingCommand(['QUIT'], () => this.terminate(closedError('close()')), KIND_REGULAR, false));
    this.flush();
    this.current = 'closed';
    return this.closing;
  }

  /** Closes at once: everything queued or in flight fails PERCORE_ERR_RESP_CLOSED. */
  destroy(): void {
    this.terminate(closedError('destroy()'));
  }

  /** TimerTarget: close()'s wait is over. */
  onTimer(): void {
    this.terminate(closedError('close() timed out waiting for replies'));
  }

  // RespConnectionOwner

  private settle(command: PendingCommand, error: Error | null, reply?: RespValue): void {
    if (command.counted) this.pendingCount--;
    try {
      command.callback(error, reply);
    } catch (thrown) {
      this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', `the callback of ${command.name} threw`, thrown);
    }
  }

  private pushed(push: RespPush): void {
    for (const listener of this.pushListeners) {
      try {
        listener(push);
      } catch (error) {
        this.scheduler.logger.error('PERCORE_ERR_TASK_FAILED', 'a RESP push listener threw', error);
      }
    }
  }

  private drained(connection: RespConnection): void {
    if (connection === this.connection) this.flush();
  }

  private closed(connection: RespConnection, reason: CloseReason, error: unknown): void {
    if (connection !== this.connection) return;
    this.connection = null;
    this.ready = false;
    const cause = error;
    if (error instanceof PercoreError && error.code === 'PERCORE_ERR_RESP_PROTOCOL') {
      this.scheduler.logger.warn?.('PERCORE_ERR_RESP_PROTOCOL', 'the Redis server sent bytes that are not RESP; reconnecting', error);
    }
    for (const command of connection.inFlight.drain()) {
      this.lose(command, new PercoreError('PERCORE_ERR_RESP_CONNECTION_LOST', `${command.name} (${reason})`, { cause }), false);
    }
    if (this.closing !== null) {
      this.terminate(closedError('close()'));
    } else if (this.reconnector === null) {
      this.terminate(
        new PercoreError('PERCORE_ERR_RESP_CONNECTION_LOST', `the connection closed (${reason}) and reconnect is off`, { cause }),
      );
    } else {
      this.current = this.everReady ? 'reconnecting' : 'connecting';
      if (!this.options.offlineQueue)
        this.loseQueued(new PercoreError('PERCORE_ERR_RESP_CONNECTION_LOST', 'not connected (offlineQueue is off)', { cause }));
    }
  }

  // Connecting

  private connected(connection: RespConnection): void {
    if (this.terminated) {
      connection.close('shutdown');
      return;
    }
    this.connection = connection;
    this.ready = false;
    const { protocol, username, password, db } = this.options;
    const steps: RespArgument[][] = [];
    if (protocol === 3) steps.push(password === undefined ? ['HELLO', 3] : ['HELLO', 3, 'AUTH', username ?? 'default', password]);
    else if (password !== undefined) steps.push(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
    if (db !== undefined) steps.push(['SELECT', db]);
    let left = steps.length;
    let failure: Error | null = null;
    const stepDone: ReplyCallback = (error) => {
      if (connection !== this.connection) return; // lost meanwhile: `closed` dealt with it
      failure ??= error;
      if (--left > 0) return;
      if (failure === null) this.handshakeDone(connection);
      else this.handshakeFailed(connection, failure);
    };
    const timeoutMs = this.options.commandTimeoutMs || this.options.connectTimeoutMs;
    for (const step of steps) connection.writeCommand(new PendingCommand(step, stepDone, KIND_REGULAR, false), timeoutMs);
    if (steps.length === 0) this.handshakeDone(connection);
  }

  private handshakeDone(connection: RespConnection): void {
    this.resubscribe(connection);
    this.ready = true;
    if (this.everReady) this.reconnectCount++;
    this.everReady = true;
    if (this.closing === null) this.current = 'ready';
    this.settleFirstConnection(null);
    this.flush();
  }

  private handshakeFailed(connection: RespConnection, error: Error): void {
    if (!this.everReady) {
      // A wrong password or db will not be right on the next attempt either: connect() rejects.
      this.terminate(error, error);
      return;
    }
    this.scheduler.logger.error(
      'PERCORE_ERR_RESP_REPLY',
      'the Redis handshake (AUTH, SELECT, HELLO) failed after a reconnect; reconnecting',
      error,
    );
    connection.close('done', error);
  }

  /** Every channel and pattern still subscribed, on the new connection, before the queued commands. */
  private resubscribe(connection: RespConnection): void {
    const waiters = this.resubscribeWaiters;
    this.resubscribeWaiters = [];
    const commands: RespArgument[][] = [];
    if (this.subscriptions.channels.size > 0) commands.push(['SUBSCRIBE', ...this.subscriptions.channels.keys()]);
    if (this.subscriptions.patterns.size > 0) commands.push(['PSUBSCRIBE', ...this.subscriptions.patterns.keys()]);
    let left = commands.length;
    let failure: Error | null = null;
    const confirmed: ReplyCallback = (error) => {
      failure ??= error;
      if (--left > 0) return;
      if (failure instanceof PercoreError && failure.code === 'PERCORE_ERR_RESP_CONNECTION_LOST' && this.current !== 'closed') {
        this.resubscribeWaiters.push(...waiters); // the next connection subscribes again
        return;
      }
      for (const waiter of waiters) waiter(failure);
    };
    const timeoutMs = this.options.commandTimeoutMs;
    for (const args of commands) connection.writeCommand(new PendingCommand(args, confirmed, KIND_SUBSCRIBE, false), timeoutMs);
    if (commands.length === 0) for (const waiter of waiters) waiter(null);
  }

  // Commands

  private refusal(args: readonly RespArgument[]): PercoreError | null {
    if (this.current === 'closed') return closedError(`${String(args[0])} after close`);
    const bad = badArgument(args);
    if (bad !== null) return bad;
    const refused = refusedCommand(args[0]!);
    if (refused !== null) return new PercoreError('PERCORE_ERR_INVALID_OPTION', refused);
    if (this.options.protocol === 2 && this.subscriptions.size > 0 && !allowedInSubscriberMode(args[0]!)) {
      return new PercoreError('PERCORE_ERR_RESP_SUBSCRIBER_MODE', `${String(args[0])}: use a second client for commands, or protocol: 3`);
    }
    if (this.pendingCount >= this.options.maxPending) return new PercoreError('PERCORE_ERR_RESP_QUEUE_FULL', `${this.pendingCount} pending`);
    if (!this.ready && !this.options.offlineQueue)
      return new PercoreError('PERCORE_ERR_RESP_CONNECTION_LOST', 'not connected (offlineQueue is off)');
    return null;
  }

  private enqueue(command: PendingCommand): void {
    if (command.counted) this.pendingCount++;
    this.queue.push(command);
    if (this.ready && !this.flushScheduled) {
      this.flushScheduled = true;
      this.scheduler.defer(this.flushBound);
    }
  }

  /** Writes the queue: called a turn after the first command of a batch, on drain, and once a connection is ready. */
  private flush(): void {
    this.flushScheduled = false;
    const connection = this.connection;
    if (connection === null || !this.ready) return;
    this.writtenCount += connection.writeFrom(this.queue, this.options.commandTimeoutMs);
  }

  /**
   * A command that will get no reply: it fails with `error`, except that a (P)SUBSCRIBE waits for
   * the next connection's re-SUBSCRIBE (unless the client is ending), and a (P)UNSUBSCRIBE is done
   * (the client forgot those names already; no later connection subscribes them).
   */
  private lose(command: PendingCommand, error: PercoreError, ending: boolean): void {
    if (command.kind === KIND_SUBSCRIBE && command.counted && !ending) {
      this.pendingCount--;
      this.resubscribeWaiters.push(command.callback);
    } else if (command.kind === KIND_UNSUBSCRIBE) {
      this.settle(command, null, null);
    } else {
      this.settle(command, error);
    }
  }

  private loseQueued(error: PercoreError, ending = false): void {
    for (const command of this.queue.drain()) this.lose(command, error, ending);
  }

  // Subscriptions

  private addSubscriptions<L>(
    command: 'SUBSCRIBE' | 'PSUBSCRIBE',
    table: Map<string, Set<L>>,
    names: string | readonly string[],
    listener: L,
  ): Promise<void> {
    const list = typeof names === 'string' ? [names] : [...names];
    if (this.current === 'closed') return Promise.reject(closedError(`${command} after close`));
    if (list.length === 0 || list.some((name) => typeof name !== 'string')) {
      return Promise.reject(new PercoreError('PERCORE_ERR_INVALID_OPTION', `${command} takes one or more names as strings`));
    }
    if (typeof listener !== 'function') return Promise.reject(new PercoreError('PERCORE_ERR_INVALID_OPTION', `${command} needs a listener`));
    if (this.ready && this.pendingCount >= this.options.maxPending) {
      return Promise.reject(new PercoreError('PERCORE_ERR_RESP_QUEUE_FULL', `${this.pendingCount} pending`));
    }
    this.subscriptions.add(table, list, listener);
    return new Promise<void>((resolve, reject) => {
      const callback: ReplyCallback = (error) => (error === null ? resolve() : reject(error));
      // Without a ready connection, the next handshake subscribes the whole set.
      if (this.ready) this.enqueue(new PendingCommand([command, ...list], callback, KIND_SUBSCRIBE));
      else this.resubscribeWaiters.push(callback);
    });
  }

  private removeSubscriptions<L>(
    command: 'UNSUBSCRIBE' | 'PUNSUBSCRIBE',
    table: Map<string, Set<L>>,
    names: string | readonly string[] | undefined,
  ): Promise<void> {
    if (this.current === 'closed') return Promise.reject(closedError(`${command} after close`));
    // Always by name: the reply count of a bare UNSUBSCRIBE depends on the server's state.
    const removed = this.subscriptions.remove(table, typeof names === 'string' ? [names] : names);
    if (removed.length === 0 || !this.ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // Not bounded by maxPending: the server must hear it, or under RESP2 it would stay in subscriber mode.
      this.enqueue(new PendingCommand([command, ...removed], (error) => (error === null ? resolve() : reject(error)), KIND_UNSUBSCRIBE));
    });
  }

  // Ending

  /**
   * Ends the client: stops reconnecting, closes the connection, fails what is in flight and
   * queued with `error`. `connectError` is what connect() rejects with if it is still waiting.
   */
  private terminate(error: PercoreError | Error, connectError: Error = error): void {
    if (this.terminated) return;
    this.terminated = true;
    this.current = 'closed';
    this.ready = false;
    this.reconnector?.stop('shutdown');
    this.scheduler.removeConnecting(this.shutdownHook);
    this.scheduler.timers.cancel(this.closeTimer);
    const connection = this.connection;
    this.connection = null;
    const failure = error instanceof PercoreError ? error : closedError('the handshake failed', error);
    if (connection !== null) {
      const inFlight = connection.inFlight.drain();
      connection.close('shutdown');
      for (const command of inFlight) this.lose(command, failure, true);
    }
    this.loseQueued(failure, true);
    const waiters = this.resubscribeWaiters;
    this.resubscribeWaiters = [];
    for (const waiter of waiters) waiter(failure);
    this.settleFirstConnection(connectError);
    this.resolveClose?.();
  }
}

function closedError(detail: string, cause?: unknown): PercoreError {
  return new PercoreError('PERCORE_ERR_RESP_CLOSED', detail, cause === undefined ? undefined : { cause });
}
