/**
 * One client connection: a Task on the scheduler that feeds its bytes to the request parser,
 * runs each command, and sends a batch of pipelined replies as one write. It enforces the
 * per-client bounds: the query buffer, the output buffer (a client that does not read is
 * disconnected past the limit, like Redis's client-output-buffer-limit) and the idle timeout.
 */
import { Task, type CloseReason, type TaskContext } from '@percore/server';
import { dispatch } from './commands/table.js';
import type { ClientState, CommandContext } from './commands/command.js';
import { RequestParser, type RequestSink } from './protocol/request-parser.js';
import type { ReplyWriter } from './protocol/reply-writer.js';
import type { RedisServer } from './server.js';

let nextClientId = 1;

export class RedisSession extends Task implements RequestSink, ClientState, CommandContext {
  readonly clientId = nextClientId++;
  name: string | null = null;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  private readonly parser: RequestParser;
  private quitting = false;

  constructor(
    context: TaskContext,
    private readonly redis: RedisServer,
  ) {
    super(context);
    const { options } = redis;
    this.parser = new RequestParser(this, { maxBulkLength: options.maxBulkLength, maxArguments: options.maxArguments });
    redis.info.counters.connectedClients++;
    redis.info.counters.totalConnections++;
    this.armIdleTimeout();
  }

  // CommandContext: what commands see.
  get reply(): ReplyWriter {
    return this.redis.reply;
  }
  get keyspace() {
    return this.redis.keyspace;
  }
  get pubsub() {
    return this.redis.pubsub;
  }
  get server() {
    return this.redis.info;
  }
  get client(): ClientState {
    return this;
  }
  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** RequestSink: parsing stops once the connection is closing. */
  get stopped(): boolean {
    return this.quitting || this.closed;
  }

  override onData(chunk: Buffer): void {
    const reply = this.redis.reply;
    reply.begin(this);
    try {
      this.parser.feed(chunk);
    } finally {
      reply.end();
    }
    if (this.closed) return;
    if (this.quitting) return this.halfClose();
    if (this.parser.pendingBytes > this.redis.options.maxQueryBytes) {
      // Redis closes such a client without a reply ("closing client that reached max query buffer length").
      this.redis.logger.info?.(`client #${this.clientId}: query buffer over ${this.redis.options.maxQueryBytes} bytes; closing`);
      return this.close('done');
    }
    this.checkOutputLimit();
    this.armIdleTimeout();
  }

  onCommand(args: Buffer[]): void {
    this.redis.info.counters.totalCommands++;
    dispatch(this, args);
  }

  onProtocolError(message: string): void {
    this.redis.reply.error(`ERR Protocol error: ${message}`);
    this.quitting = true;
  }

  closeAfterReply(): void {
    this.quitting = true;
  }

  /** Subscriber: a pub/sub message from any connection of this process. */
  deliver(message: Buffer): void {
    if (this.closed) return;
    // If this connection's own batch is open, its replies so far go first.
    if (this.redis.reply.owner === this) this.redis.reply.flush();
    this.write(message);
    this.checkOutputLimit();
  }

  override onTimeout(): void {
    // Redis's `timeout` spares pub/sub clients.
    if (this.subscriptionCount > 0) return this.armIdleTimeout();
    this.close('timeout');
  }

  override onClose(_reason: CloseReason): void {
    this.redis.info.counters.connectedClients--;
    this.redis.pubsub.forget(this);
  }

  private checkOutputLimit(): void {
    if (this.closed || this.socket.writableLength <= this.redis.options.maxOutputBytes) return;
    this.redis.info.counters.rejectedOutput++;
    this.redis.logger.info?.(`client #${this.clientId}: ${this.socket.writableLength} bytes of replies unread; closing (output limit)`);
    this.close('done');
  }

  private armIdleTimeout(): void {
    const seconds = this.redis.options.idleTimeoutSeconds;
    if (seconds > 0) this.setTimeout(seconds * 1000);
  }
}
