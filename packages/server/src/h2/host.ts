import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Handler } from '../http/api.js';
import type { ResolvedHttpOptions } from '../http/options.js';
import type { ObserverChoice } from '../http/tracing.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskFactory } from '../scheduler/task.js';
import { Http2Exchange } from './exchange.js';
import type { ResolvedHttp2Options } from './options.js';
import { Http2SessionTask } from './session-task.js';

const kTask = Symbol('percore.http2Task');
type OwnedSession = ServerHttp2Session & { [kTask]?: Http2SessionTask };

/**
 * node:http2, used as a protocol library: a server that never listens, handed each TLS socket
 * that negotiated ALPN `h2` (through its 'connection' event), which makes the session. Its
 * streams run through percore's handler API (Http2Exchange). HTTP/1.1 never reaches it: clients
 * that negotiate `http/1.1` stay on percore's own parser, which is why `allowHTTP1` is not used.
 */
export class Http2Host {
  readonly server: Http2Server;
  /** The task whose socket is being handed to node:http2 now. */
  private adopting: Http2SessionTask | null = null;
  private rapidResetCuts = 0;

  constructor(
    readonly handler: Handler,
    readonly options: ResolvedHttpOptions,
    readonly http2Options: ResolvedHttp2Options,
    readonly observers: ObserverChoice,
    readonly scheduler: Scheduler,
  ) {
    this.server = createServer({
      settings: {
        maxConcurrentStreams: http2Options.maxConcurrentStreams,
        maxHeaderListSize: http2Options.maxHeaderListSize,
        initialWindowSize: http2Options.initialWindowSize,
        // RFC 9113 8.4: server push is off; browsers dropped it.
        enablePush: false,
      },
      // Header fields per request, as on HTTP/1.x, plus the four request pseudo-headers.
      maxHeaderListPairs: options.maxHeaderCount + 4,
    });
    this.server.on('session', (session: OwnedSession) => this.onSession(session));
    this.server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, flat: string[]) =>
      this.onStream(stream, headers, flat),
    );
  }

  /** The ALPN `h2` entry for the listener's transport. */
  get factory(): TaskFactory {
    return (context) => new Http2SessionTask(context, this);
  }

  /** @internal Makes `task`'s session from its socket. */
  adopt(task: Http2SessionTask): void {
    this.adopting = task;
    try {
      this.server.emit('connection', task.socket);
    } finally {
      this.adopting = null;
    }
  }

  /** @internal A client crossed the rapid-reset limit: logged the first time in this process, then counted. */
  rapidResetCut(task: Http2SessionTask, maxResets: number, windowMs: number): void {
    if (this.rapidResetCuts++ > 0) return;
    this.scheduler.logger.error(
      'PERCORE_ERR_HTTP2_RAPID_RESET',
      `task #${task.id} (${task.remoteAddress}): more than ${maxResets} stream resets within ${windowMs} ms; the connection was closed with GOAWAY ENHANCE_YOUR_CALM (later ones are only counted)`,
    );
  }

  /** Connections cut for rapid reset since the start. */
  get rapidResets(): number {
    return this.rapidResetCuts;
  }

  private onSession(session: OwnedSession): void {
    const task = this.adopting;
    if (task === null) {
      session.destroy();
      return;
    }
    session[kTask] = task;
    task.session = session;
    session.on('error', (error: Error) => {
      this.scheduler.logger.debug?.(`PERCORE_ERR_HTTP2_SESSION_FAILED: task #${task.id}: ${error.message}`);
    });
    // The socket closes with the session; the task's own close runs on the socket's 'close'.
    session.on('close', () => {
      if (!task.closed) task.close('done');
    });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flat: string[]): void {
    const task = (stream.session as OwnedSession | undefined)?.[kTask];
    if (task === undefined) {
      stream.close();
      return;
    }
    task.streamOpened();
    new Http2Exchange(this, task, stream, headers, flat).run(headers);
  }
}
