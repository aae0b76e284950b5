import { PercoreError } from '../errors.js';
import { Task, type CloseReason, type TaskContext } from '../scheduler/task.js';
import { KIND_REGULAR, KIND_SUBSCRIBE, type PendingCommand } from './commands.js';
import { RespDecoder } from './decoder.js';
import { CommandBatch } from './encoder.js';
import { Fifo } from './fifo.js';
import { isConfirmationKind, text, type Subscriptions } from './pubsub.js';
import { RespPush, RespReplyError, type RespValue } from './values.js';

/** What a connection tells the client that owns it. */
export interface RespConnectionOwner {
  /** A command's reply (an error reply as `error`), or its failure: the owner counts it and calls back. */
  settle(command: PendingCommand, error: Error | null, reply?: RespValue): void;
  /** A RESP3 push that is not a pub/sub message nor an expected confirmation. */
  pushed(push: RespPush): void;
  /** The socket's write buffer drained: more commands can be written. */
  drained(connection: RespConnection): void;
  /** The connection closed; the commands still in `inFlight` are the owner's to fail. */
  closed(connection: RespConnection, reason: CloseReason, error: unknown): void;
}

export interface RespConnectionSettings {
  readonly protocol: 2 | 3;
  readonly bulkAs: 'string' | 'buffer';
}

/** One batch is written at most this big; the rest waits for the next turn or for drain. */
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * One connection to a Redis server: a Task on the scheduler that writes commands in batches and
 * settles them in order from a FIFO of replies (RESP is strictly in order: each reply answers the
 * oldest command still waiting). Pub/sub messages and RESP3 pushes are taken out of the stream
 * before the FIFO sees it; subscription confirmations count against the (P)(UN)SUBSCRIBE that asked.
 *
 * It keeps no state across connections: the client makes a new one on each (re)connect.
 */
export class RespConnection extends Task {
  /** Commands written and waiting for their reply, oldest first. */
  readonly inFlight = new Fifo<PendingCommand>();
  private readonly decoder: RespDecoder;
  private readonly batch = new CommandBatch();
  private readonly protocol: 2 | 3;
  /** RESP2: the server's count of this connection's subscriptions, from the last confirmation. */
  private serverSubscriptions = 0;
  /** The task's one timer watches the oldest command with a deadline. */
  private timerArmed = false;

  constructor(
    context: TaskContext,
    private readonly owner: RespConnectionOwner,
    private readonly subscriptions: Subscriptions,
    settings: RespConnectionSettings,
  ) {
    super(context);
    this.protocol = settings.protocol;
    this.decoder = new RespDecoder((value) => this.reply(value), { bulkAs: settings.bulkAs });
  }

  /**
   * Writes commands from `queue`, oldest first, as batches of one socket write each, until the
   * queue is empty or the socket's buffer is full (then `drained` says when to go on). Each one
   * written moves to `inFlight`: from here on it is never sent again. Returns how many it wrote.
   */
  writeFrom(queue: Fifo<PendingCommand>, timeoutMs: number): number {
    let written = 0;
    while (queue.length > 0 && !this.writeBlocked && !this.closed) {
      const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : 0;
      do {
        const command = queue.shift()!;
        this.batch.push(command.args);
        command.deadline = deadline;
        this.inFlight.push(command);
        written++;
      } while (queue.length > 0 && this.batch.size < MAX_BATCH_BYTES);
      this.flushBatch();
    }
    return written;
  }

  /** Writes one command now (the client's own: AUTH, SELECT, HELLO, re-SUBSCRIBE, QUIT), past any backpressure. */
  writeCommand(command: PendingCommand, timeoutMs: number): void {
    if (this.closed) return;
    this.batch.push(command.args);
    command.deadline = timeoutMs > 0 ? performance.now() + timeoutMs : 0;
    this.inFlight.push(command);
    this.flushBatch();
  }

  private flushBatch(): void {
    this.write(this.batch.take());
    const oldest = this.inFlight.peek();
    if (!this.timerArmed && oldest !== undefined && oldest.deadline > 0) this.armFor(oldest);
  }

  override onData(chunk: Buffer): void {
    try {
      this.decoder.feed(chunk);
    } catch (error) {
      if (!(error instanceof PercoreError) || error.code !== 'PERCORE_ERR_RESP_PROTOCOL') throw error;
      // The stream can no longer be followed: what is in flight is lost, and the client reconnects.
      this.close('socket-error', error);
    }
  }

  override onDrain(): void {
    this.owner.drained(this);
  }

  /** The server sent FIN: no reply can come any more. */
  override onEnd(): void {
    this.close('peer-closed');
  }

  override onTimeout(): void {
    this.timerArmed = false;
    const oldest = this.inFlight.peek();
    if (oldest === undefined || oldest.deadline === 0) return;
    if (oldest.deadline > performance.now()) {
      // The command the timer was set for has its reply; this one was written later.
      this.armFor(oldest);
      return;
    }
    this.inFlight.shift();
    const error = new PercoreError('PERCORE_ERR_RESP_TIMEOUT', `${oldest.name} got no reply in time; the connection was closed`);
    this.owner.settle(oldest, error);
    // A late reply would settle the next command: the order can no longer be trusted.
    this.close('timeout', error);
  }

  override onClose(reason: CloseReason, error?: unknown): void {
    this.owner.closed(this, reason, error);
  }

  private armFor(command: PendingCommand): void {
    this.timerArmed = true;
    this.setTimeout(Math.max(0, command.deadline - performance.now()));
  }

  private reply(value: RespValue): void {
    // Closed by the client (destroy, a timeout): what it had in flight is settled already.
    if (this.closed) return;
    if (value instanceof RespPush) {
      this.push(value);
      return;
    }
    // RESP2 has no push type: while subscribed, messages are arrays ["message", channel, payload].
    if (this.serverSubscriptions > 0 && Array.isArray(value) && value.length >= 3 && this.subscriptions.deliver(text(value[0]), value, 1))
      return;
    const oldest = this.inFlight.peek();
    if (oldest === undefined) throw new PercoreError('PERCORE_ERR_RESP_PROTOCOL', 'a reply came with no command waiting for it');
    if (oldest.kind !== KIND_REGULAR && this.protocol === 2 && !(value instanceof RespReplyError)) {
      // RESP2 confirmations: [kind, name, subscriptions left], one per channel or pattern.
      if (Array.isArray(value) && typeof value[2] === 'number') this.serverSubscriptions = value[2];
      if (--oldest.confirmations > 0) return;
    }
    this.inFlight.shift();
    if (value instanceof RespReplyError) this.owner.settle(oldest, value);
    else this.owner.settle(oldest, null, value);
  }

  private push(push: RespPush): void {
    if (isConfirmationKind(push.kind)) {
      const oldest = this.inFlight.peek();
      const subscribing = push.kind === 'subscribe' || push.kind === 'psubscribe';
      if (oldest !== undefined && oldest.kind !== KIND_REGULAR && (oldest.kind === KIND_SUBSCRIBE) === subscribing) {
        if (--oldest.confirmations === 0) {
          this.inFlight.shift();
          this.owner.settle(oldest, null, null);
        }
        return;
      }
      // Not asked for (the server dropped a subscription on its own): the client's onPush listeners see it.
    } else if (this.subscriptions.deliver(push.kind, push.data, 0)) {
      return;
    }
    this.owner.pushed(push);
  }
}
