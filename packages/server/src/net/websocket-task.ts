import { isUtf8 } from 'node:buffer';
import { PercoreError } from '../errors.js';
import type { Logger } from '../scheduler/scheduler.js';
import { Task, type CloseReason, type TaskContext } from '../scheduler/task.js';
import { isThenable, SendStatus, type WebSocketBehavior } from '../websocket/api.js';
import { runGuarded } from '../websocket/behavior.js';
import { CloseCode } from '../websocket/close-codes.js';
import { FrameParser, Opcode, type FrameSink } from '../websocket/frame-parser.js';
import { closePayload, encodeFrame, encodeFrameWhole } from '../websocket/frame-writer.js';
import { PerMessageDeflate, type DeflateParams } from '../websocket/permessage-deflate.js';
import type { WebSocketRoute } from './websocket-route.js';
import { NetWebSocket, type SocketHub } from './websocket-socket.js';

/** How long a close frame of ours waits for the peer's before the connection is dropped (RFC 6455 7.1.1). */
export const CLOSE_TIMEOUT_MS = 5_000;

/** What a WebSocket task needs from its server, beyond what its socket does. */
export interface WebSocketServerSide extends SocketHub {
  readonly logger: Logger;
  opened(socket: NetWebSocket): void;
  closed(socket: NetWebSocket): void;
}

/** What the upgrade agreed on. */
export interface WebSocketSetup {
  readonly route: WebSocketRoute;
  readonly data: unknown;
  readonly protocol: string;
  readonly path: string;
  readonly remoteAddress: string;
  /** permessage-deflate's agreed parameters, or null. */
  readonly deflate: DeflateParams | null;
}

const enum State {
  Open,
  /** Our close frame is out; waiting for the peer's (RFC 6455 5.5.1). */
  Closing,
  /** Both close frames exchanged, or the connection failed: only the TCP close is left. */
  Closed,
}

/** A frame waiting behind a message still being compressed, so that frames leave in order. */
interface Queued {
  frame: Buffer | [Buffer, Buffer] | null;
  bytes: number;
}

/**
 * One WebSocket connection on the net engine (RFC 6455): the task a 101 hands the socket to.
 * Bytes in go through the FrameParser (and permessage-deflate) to the route's handlers; sends
 * are framed here. Pings and the idle timeout run on the task's timer; the close handshake is
 * 5.5.1's, then the server closes the TCP connection first (7.1.1).
 */
export class WebSocketTask extends Task implements FrameSink {
  readonly facade: NetWebSocket;
  private readonly route: WebSocketRoute;
  private readonly behavior: WebSocketBehavior<unknown>;
  private readonly parser: FrameParser;
  private readonly deflate: PerMessageDeflate | null;
  private state = State.Open;
  /** Whether the `close` handler has run (it runs once, whoever closed). */
  private notified = false;
  /** A frame arrived since the last idle check. */
  private received = false;
  private quietChecks = 0;
  private readonly openedAt: number;
  /** Close with 1001 once the buffered data has drained (a drain, RFC 6455 7.4.1). */
  private goingAway = false;
  /** Frames held behind a compression in progress; null when none is. */
  private queue: Queued[] | null = null;
  private queuedBytes = 0;

  constructor(
    context: TaskContext,
    head: Buffer,
    private readonly server: WebSocketServerSide,
    setup: WebSocketSetup,
  ) {
    super(context);
    this.route = setup.route;
    this.behavior = setup.route.behavior;
    this.deflate = setup.deflate === null ? null : new PerMessageDeflate(setup.deflate, setup.route.deflate!, setup.route.maxPayloadLength);
    this.parser = new FrameParser(this, { maxPayloadLength: setup.route.maxPayloadLength, perMessageDeflate: this.deflate !== null });
    this.facade = new NetWebSocket(this, server, setup.data, setup.protocol, setup.path, setup.remoteAddress);
    this.openedAt = this.route.maxLifetimeMs > 0 ? performance.now() : 0;
    this.socket.setNoDelay(true);
    server.opened(this.facade);
    this.schedule();
    if (this.behavior.open !== undefined) runGuarded(server.logger, this.facade, 'open', () => this.behavior.open!(this.facade));
    // Bytes the client sent right behind its handshake are frames already (the hand-over's head).
    if (head.length > 0 && !this.closed) this.onData(head);
  }

  override onData(chunk: Buffer): void {
    this.received = true;
    this.parser.push(chunk);
  }

  // ---- FrameSink ----------------------------------------------------------------------------

  message(data: Buffer, isBinary: boolean): void {
    if (this.state !== State.Open) return;
    const handler = this.behavior.message;
    if (handler === undefined) return;
    try {
      const result = handler(this.facade, data, isBinary);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.handlerFailed('message', error));
    } catch (error) {
      this.handlerFailed('message', error);
    }
  }

  compressedFragment(payload: Buffer, isBinary: boolean, fin: boolean): void {
    const deflate = this.deflate!;
    if (!fin) {
      deflate.decompress(payload, false, (error) => {
        if (error !== null) this.inflateFailed(error);
      });
      return;
    }
    // The whole message comes back in a callback, maybe later: later frames wait for it, in order.
    let synchronous = true;
    let done = false;
    deflate.decompress(payload, true, (error, message) => {
      done = true;
      if (error !== null) this.inflateFailed(error);
      else this.inflated(message!, isBinary);
      if (!synchronous && !this.closed) {
        this.resumeReading();
        this.parser.resume();
      }
    });
    synchronous = false;
    if (!done) {
      this.parser.pause();
      this.pauseReading();
    }
  }

  ping(payload: Buffer): void {
    // RFC 6455 5.5.2: answered with a pong carrying the same payload, unless a close came first.
    if (this.state === State.Open) this.write(encodeFrameWhole(Opcode.Pong, payload));
    if (this.behavior.ping !== undefined && this.state === State.Open) {
      runGuarded(this.server.logger, this.facade, 'ping', () => this.behavior.ping!(this.facade, payload));
    }
  }

  pong(payload: Buffer): void {
    if (this.behavior.pong !== undefined && this.state === State.Open) {
      runGuarded(this.server.logger, this.facade, 'pong', () => this.behavior.pong!(this.facade, payload));
    }
  }

  override close(code: number, reason: string): void;
  override close(reason?: CloseReason, error?: unknown): void;
  /**
   * Two things share the name: the FrameSink's close (the peer's close frame: a code and its
   * reason) and Task's (end the connection: a CloseReason). A number is the first.
   */
  override close(first?: number | CloseReason, second?: unknown): void {
    if (typeof first !== 'number') {
      super.close(first, second);
      return;
    }
    const code = first;
    if (this.state === State.Open) {
      // RFC 6455 5.5.1: answer with a close frame, echoing the code (none for 1005, no code).
      this.state = State.Closed;
      this.dropQueue();
      this.writeNow(encodeFrameWhole(Opcode.Close, code === CloseCode.NO_STATUS ? Buffer.alloc(0) : closePayload(code, '')));
      this.notifyClose(code, second as string);
    } else this.state = State.Closed;
    // RFC 6455 7.1.1: the server closes the TCP connection first.
    this.halfClose(CLOSE_TIMEOUT_MS);
  }

  fail(error: PercoreError, closeCode: number): void {
    // RFC 6455 7.1.7: fail the connection, with a close frame saying why.
    if (this.state === State.Open) {
      this.dropQueue();
      this.writeNow(encodeFrameWhole(Opcode.Close, closePayload(closeCode, '')));
      this.notifyClose(closeCode, error.message.length <= 123 ? error.message : '');
    }
    this.state = State.Closed;
    this.halfClose(CLOSE_TIMEOUT_MS);
  }

  // ---- The socket's side, for NetWebSocket ------------------------------------------------

  get bufferedAmount(): number {
    return this.socket.writableLength + this.queuedBytes;
  }

  sendMessage(payload: Buffer, isBinary: boolean, compress: boolean): SendStatus {
    if (this.state !== State.Open) return SendStatus.DROPPED;
    if (this.overLimit(payload, isBinary)) return SendStatus.DROPPED;
    const opcode = isBinary ? Opcode.Binary : Opcode.Text;
    const deflate = this.deflate;
    if (compress && deflate !== null && deflate.shouldCompress(payload.length)) {
      const entry: Queued = { frame: null, bytes: payload.length };
      (this.queue ??= []).push(entry);
      this.queuedBytes += entry.bytes;
      deflate.compress(payload, (error, compressed) => {
        // RFC 7692 7.2.3.1: a compressed message has RSV1 on its first frame.
        entry.frame = error === null ? encodeFrame(opcode, compressed!, true, true) : encodeFrame(opcode, payload, true, false);
        this.flushQueue();
      });
    } else this.push(encodeFrame(opcode, payload, true, false), payload.length);
    return this.bufferedAmount > 0 ? SendStatus.BACKPRESSURE : SendStatus.SUCCESS;
  }

  /** A publish's frame, encoded once for all its subscribers. */
  sendFrame(frame: Buffer, message: Buffer, isBinary: boolean): void {
    if (this.state !== State.Open || this.overLimit(message, isBinary)) return;
    this.push(frame, frame.length);
  }

  sendPing(payload: Buffer): SendStatus {
    if (this.state !== State.Open) return SendStatus.DROPPED;
    if (payload.length > 125) throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'a ping payload is at most 125 bytes (RFC 6455 5.5)');
    this.push(encodeFrameWhole(Opcode.Ping, payload), payload.length);
    return this.bufferedAmount > 0 ? SendStatus.BACKPRESSURE : SendStatus.SUCCESS;
  }

  /** The handler's close: a close frame now, the `close` handler at once, then the peer's answer (RFC 6455 5.5.1). */
  closeWith(code: number, reason: string): void {
    if (this.state !== State.Open) return;
    this.state = State.Closing;
    this.push(encodeFrameWhole(Opcode.Close, closePayload(code, reason)), 0);
    this.notifyClose(code, reason);
    this.schedule();
  }

  /** Cuts the connection without a close frame; the `close` handler sees 1006. */
  terminate(): void {
    this.notifyClose(CloseCode.ABNORMAL, '');
    super.close('done');
  }

  /** The server drains: 1001, going away, once what is buffered has gone out. */
  goAway(): void {
    if (this.state !== State.Open) return;
    if (this.bufferedAmount === 0) this.closeWith(CloseCode.GOING_AWAY, 'going away');
    else this.goingAway = true;
  }

  // ---- Task ---------------------------------------------------------------------------------

  override onDrain(): void {
    if (this.state !== State.Open) return;
    if (this.goingAway) {
      if (this.bufferedAmount === 0) this.closeWith(CloseCode.GOING_AWAY, 'going away');
      return;
    }
    if (this.behavior.drain !== undefined) runGuarded(this.server.logger, this.facade, 'drain', () => this.behavior.drain!(this.facade));
  }

  override onEnd(): void {
    // A FIN without a close frame: the connection was lost (1006, RFC 6455 7.1.5).
    this.notifyClose(CloseCode.ABNORMAL, '');
    this.state = State.Closed;
    this.halfClose(0);
  }

  override onTimeout(): void {
    if (this.state !== State.Open) {
      this.close('timeout');
      return;
    }
    const route = this.route;
    if (route.maxLifetimeMs > 0 && performance.now() - this.openedAt >= route.maxLifetimeMs) {
      this.closeWith(CloseCode.NORMAL, 'lifetime reached');
      return;
    }
    if (route.idleTimeoutMs > 0) {
      this.quietChecks = this.received ? 0 : this.quietChecks + 1;
      this.received = false;
      if (this.quietChecks >= 2) {
        this.notifyClose(CloseCode.ABNORMAL, '');
        this.close('timeout');
        return;
      }
      // Half the idle time without a frame: a ping, whose pong counts as traffic.
      if (this.quietChecks === 1 && route.sendPings) this.push(encodeFrameWhole(Opcode.Ping, Buffer.alloc(0)), 0);
    }
    this.schedule();
  }

  override onShutdown(): void {
    this.goAway();
  }

  override onClose(): void {
    this.notifyClose(CloseCode.ABNORMAL, '');
    this.deflate?.close();
    this.dropQueue();
  }

  // ---- Inside -------------------------------------------------------------------------------

  private inflated(message: Buffer, isBinary: boolean): void {
    if (!isBinary && !isUtf8(message)) {
      this.fail(new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_UTF8', 'a compressed text message is not UTF-8'), CloseCode.INVALID_DATA);
      return;
    }
    this.message(message, isBinary);
  }

  private inflateFailed(error: PercoreError): void {
    if (this.state === State.Closed) return;
    this.fail(error, error.code === 'PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG' ? CloseCode.MESSAGE_TOO_BIG : CloseCode.INVALID_DATA);
    this.parser.pause();
  }

  private handlerFailed(what: string, error: unknown): void {
    this.server.logger.error(
      'PERCORE_ERR_WEBSOCKET_HANDLER_FAILED',
      `the ${what} handler of a WebSocket on ${this.facade.path} failed`,
      error,
    );
    this.facade.close(CloseCode.INTERNAL_ERROR, 'internal error');
  }

  /** Past maxBackpressure: the message is dropped (and `dropped` told), or the connection cut. */
  private overLimit(message: Buffer, isBinary: boolean): boolean {
    const limit = this.route.maxBackpressure;
    if (limit === 0 || this.bufferedAmount <= limit) return false;
    if (this.route.closeOnBackpressureLimit) {
      this.notifyClose(CloseCode.ABNORMAL, '');
      super.close('done', new PercoreError('PERCORE_ERR_WEBSOCKET_BACKPRESSURE', `${this.bufferedAmount} bytes buffered, past ${limit}`));
    } else if (this.behavior.dropped !== undefined) {
      runGuarded(this.server.logger, this.facade, 'dropped', () => this.behavior.dropped!(this.facade, message, isBinary));
    }
    return true;
  }

  /** Writes a frame, or queues it behind a compression in progress. */
  private push(frame: Buffer | [Buffer, Buffer], bytes: number): void {
    if (this.queue !== null) {
      this.queue.push({ frame, bytes });
      this.queuedBytes += bytes;
    } else this.writeNow(frame);
  }

  private writeNow(frame: Buffer | [Buffer, Buffer]): void {
    if (Array.isArray(frame)) {
      this.socket.cork();
      this.write(frame[0]);
      this.write(frame[1]);
      this.socket.uncork();
    } else this.write(frame);
  }

  /** Sends nothing more of what waits for compression: a close frame is going out now. */
  private dropQueue(): void {
    this.queue = null;
    this.queuedBytes = 0;
  }

  /** Writes the queued frames that are ready, in order. */
  private flushQueue(): void {
    const queue = this.queue;
    if (queue === null) return;
    let ready = 0;
    while (ready < queue.length && queue[ready]!.frame !== null) ready++;
    if (ready === 0) return;
    const out = queue.splice(0, ready);
    if (queue.length === 0) this.queue = null;
    this.socket.cork();
    for (const entry of out) {
      this.queuedBytes -= entry.bytes;
      this.writeNow(entry.frame!);
    }
    this.socket.uncork();
    if (this.goingAway && this.bufferedAmount === 0) this.closeWith(CloseCode.GOING_AWAY, 'going away');
  }

  /** Runs the `close` handler, once, and takes the socket out of its server and topics. */
  private notifyClose(code: number, reason: string): void {
    if (this.notified) return;
    this.notified = true;
    const facade = this.facade;
    facade.detach();
    this.server.closed(facade);
    const handler = this.behavior.close;
    if (handler === undefined) return;
    try {
      handler(facade, code, reason);
    } catch (error) {
      this.server.logger.error('PERCORE_ERR_WEBSOCKET_HANDLER_FAILED', `the close handler of a WebSocket on ${facade.path} failed`, error);
    }
  }

  /** Arms the timer: the close handshake's deadline, or the next idle check and the lifetime's end. */
  private schedule(): void {
    if (this.state !== State.Open) {
      this.setTimeout(CLOSE_TIMEOUT_MS);
      return;
    }
    const route = this.route;
    let next = route.idleTimeoutMs > 0 ? route.idleTimeoutMs / 2 : Infinity;
    if (route.maxLifetimeMs > 0) next = Math.min(next, this.openedAt + route.maxLifetimeMs - performance.now());
    if (next !== Infinity) this.setTimeout(Math.max(1, next));
  }
}
