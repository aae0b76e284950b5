import { constants, type ServerHttp2Session } from 'node:http2';
import { PercoreError } from '../errors.js';
import { Task, type CloseReason, type TaskContext } from '../scheduler/task.js';
import type { Http2Host } from './host.js';

/**
 * One HTTP/2 connection as a task on the scheduler. node:http2's session reads and writes the
 * socket (its native stream consumes the TLS socket's handle), so this task lends it the socket
 * (`readsSocket: false`) and keeps what a task owns: the connection's place in the listener's
 * count and drain, its idle timeout on the scheduler's wheel, and the rapid-reset limit.
 *
 * - Drain (`onShutdown`): GOAWAY with the last stream id taken (RFC 9113 6.8); streams in flight
 *   finish, new ones are refused, and the connection closes once the last ends.
 * - Idle: with no stream open for `http.keepAliveTimeout`, the same GOAWAY and close.
 * - Rapid reset (CVE-2023-44487): more than `http2.maxResets` client resets within
 *   `http2.resetWindowMs` end the connection with GOAWAY ENHANCE_YOUR_CALM.
 */
export class Http2SessionTask extends Task {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set by the host as node:http2 makes the session, before this constructor returns. */
  session: ServerHttp2Session | null = null;
  private openStreams = 0;
  private resets = 0;
  private resetWindowStart = 0;

  constructor(
    context: TaskContext,
    private readonly host: Http2Host,
  ) {
    super(context, { readsSocket: false });
    // The TLS server allows half-open sockets for HTTP/1.x, and a lent socket's 'end' reaches no
    // task: HTTP/2 has no half-closed connection, so the client's FIN ends ours too, as on
    // node:http2's own servers. The socket then closes, and with it the session and its streams.
    context.socket.once('end', () => context.socket.end());
    this.remoteAddress = context.socket.remoteAddress ?? '';
    this.remotePort = context.socket.remotePort ?? 0;
    host.adopt(this);
    this.armIdle();
  }

  /** Never called: the session reads the socket. */
  onData(_chunk: Buffer): void {}

  /** @internal A stream opened on this connection. */
  streamOpened(): void {
    this.openStreams++;
    if (this.openStreams === 1) this.clearTimeout();
  }

  /** @internal A stream closed; `clientReset` when the client reset it (RST_STREAM with an error code). */
  streamClosed(clientReset: boolean): void {
    this.openStreams--;
    if (clientReset) this.countReset();
    if (this.openStreams === 0 && !this.closed) this.armIdle();
  }

  override onTimeout(): void {
    // Idle past the keep-alive timeout: the same graceful GOAWAY as a drain.
    if (this.openStreams === 0) this.goAway();
    else this.armIdle();
  }

  override onShutdown(): void {
    this.goAway();
  }

  override onShutdownDeadline(): void {
    this.close('shutdown');
  }

  override onClose(_reason: CloseReason, _error?: unknown): void {
    // The socket is gone: streams still open are aborted by node:http2 as the session goes.
    if (this.session !== null && !this.session.destroyed) this.session.destroy();
  }

  /** Graceful close: GOAWAY with the last stream taken; the session closes itself once its streams are done. */
  private goAway(): void {
    const session = this.session;
    if (session === null || session.closed || session.destroyed) {
      if (session === null) this.close('done');
      return;
    }
    session.close();
  }

  private countReset(): void {
    const now = performance.now();
    const { maxResets, resetWindowMs } = this.host.http2Options;
    if (now - this.resetWindowStart > resetWindowMs) {
      this.resetWindowStart = now;
      this.resets = 0;
    }
    if (++this.resets <= maxResets) return;
    this.host.rapidResetCut(this, maxResets, resetWindowMs);
    const session = this.session;
    if (session !== null && !session.destroyed) {
      session.destroy(new PercoreError('PERCORE_ERR_HTTP2_RAPID_RESET'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  }

  private armIdle(): void {
    const ms = this.host.options.keepAliveTimeout;
    if (ms > 0) this.setTimeout(ms);
  }
}
