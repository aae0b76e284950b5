import { connect, type Socket } from 'node:net';
import { FramingError, ResponseReader, type SoakResponse } from '../response-reader.js';

/** Where the load goes. */
export interface Target {
  host: string;
  port: number;
}

/** Why a connection stopped answering: the server closed or reset it, the bytes broke framing, or nothing came in time. */
export type LossKind = 'closed' | 'reset' | 'framing' | 'timeout';

export class ConnectionLost extends Error {
  constructor(
    readonly kind: LossKind,
    message: string,
  ) {
    super(message);
  }
}

/** How a socket ended: the server's FIN ('end'), or an error such as ECONNRESET. */
export interface Ending {
  how: 'end' | 'error' | 'destroyed';
  code?: string;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED']);

/** True for an error that means the peer reset or refused the connection. */
export function isReset(code: string | undefined): boolean {
  return code !== undefined && RESET_CODES.has(code);
}

/**
 * A client socket with a response reader: send requests, await their responses in order.
 * Every byte received goes through the reader, so a stray or misframed byte is a FramingError.
 */
export class SoakConnection {
  readonly reader = new ResponseReader();
  /** Resolves once the socket is closed, with how it ended. */
  readonly closed: Promise<Ending>;
  /** Raw bytes received (for probes that look at whatever came back). */
  received = 0;
  private readonly ready: SoakResponse[] = [];
  private waiter: { resolve: (r: SoakResponse) => void; reject: (e: ConnectionLost) => void } | null = null;
  private lost: ConnectionLost | null = null;
  private ending: Ending | null = null;
  private sawEnd = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    let errorCode: string | undefined;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ending = errorCode !== undefined ? { how: 'error', code: errorCode } : this.sawEnd ? { how: 'end' } : { how: 'destroyed' };
        if (errorCode !== undefined && isReset(errorCode))
          this.fail(new ConnectionLost('reset', `${errorCode} with ${this.reader.pending} responses due`));
        else this.fail(new ConnectionLost('closed', `the server closed with ${this.reader.pending} responses due`));
        resolve(this.ending);
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      errorCode ??= error.code ?? 'ERROR';
    });
    socket.on('end', () => {
      this.sawEnd = true;
    });
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      let responses: SoakResponse[];
      try {
        responses = this.reader.feed(chunk);
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        this.fail(new ConnectionLost('framing', error.message));
        socket.destroy();
        return;
      }
      for (const response of responses) {
        if (this.waiter !== null) {
          const { resolve } = this.waiter;
          this.waiter = null;
          resolve(response);
        } else {
          this.ready.push(response);
        }
      }
    });
  }

  /** Opens a connection; rejects with a ConnectionLost('reset') if it is refused or reset. */
  static open(target: Target): Promise<SoakConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      const onError = (error: NodeJS.ErrnoException) => reject(new ConnectionLost('reset', `connect: ${error.code ?? error.message}`));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new SoakConnection(socket));
      });
    });
  }

  /** Writes a request (or several, as one write) and registers the methods whose responses are due. */
  write(bytes: string | Buffer, methods: string[]): boolean {
    for (const method of methods) this.reader.expect(method);
    return this.socket.write(bytes);
  }

  /** The next response, in order. Rejects with ConnectionLost if the connection ends first or after timeoutMs. */
  next(timeoutMs: number): Promise<SoakResponse> {
    const response = this.ready.shift();
    if (response !== undefined) return Promise.resolve(response);
    if (this.lost !== null) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new ConnectionLost('timeout', `no response within ${timeoutMs} ms (${this.reader.pending} due)`));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** How the socket ended, or null while it is open. */
  get ended(): Ending | null {
    return this.ending;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private fail(lost: ConnectionLost): void {
    this.lost ??= lost;
    if (this.waiter !== null) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(this.lost);
    }
  }
}

/** Resolves after ms, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The promise's value, or null once ms pass or the signal aborts, whichever is first. The timer
 * and the abort listener go when it settles, so waits that lose the race leave nothing behind.
 */
export function within<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | null> {
  if (signal?.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      settle();
      resolve(null);
    };
    const timer = setTimeout(onAbort, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/** A whole number from min to max inclusive. */
export function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
