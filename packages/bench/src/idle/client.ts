/**
 * The idle row's HTTP client on node:net: keep-alive connections that each send one GET, read the
 * whole response (by Content-Length), and then stay open and silent, as an idle browser or pool
 * connection does. Anything the server does to such a connection afterwards (data, a FIN, a reset)
 * is counted, so a server that drops idle connections is seen.
 */
import { connect, type Socket } from 'node:net';
import { sourceAddress } from '../websocket/measure.js';

export const IDLE_REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1');

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const HEAD_LIMIT = 16 * 1024;

/**
 * Reads HTTP/1.1 responses from a byte stream, one at a time: the head up to CRLF CRLF, then
 * Content-Length bytes of body. A response without Content-Length (chunked, or read to the close)
 * is refused, since the hello servers all send one.
 */
export class ResponseReader {
  private buffered: Buffer = Buffer.alloc(0);
  private bodyLeft = -1;
  private status = 0;

  /** Feeds bytes; returns the status of each response completed by them. */
  push(chunk: Buffer): number[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const done: number[] = [];
    for (;;) {
      if (this.bodyLeft < 0) {
        const end = this.buffered.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buffered.length > HEAD_LIMIT) throw new Error(`no end of the response head in ${HEAD_LIMIT} bytes`);
          return done;
        }
        const head = this.buffered.subarray(0, end).toString('latin1');
        const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (statusLine === null) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(head.split('\r\n')[0])}`);
        const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i.exec(head);
        if (length === null) throw new Error(`a response without Content-Length: ${JSON.stringify(head)}`);
        this.status = Number(statusLine[1]);
        this.bodyLeft = Number(length[1]);
        this.buffered = this.buffered.subarray(end + HEAD_END.length);
      }
      if (this.buffered.length < this.bodyLeft) return done;
      this.buffered = this.buffered.subarray(this.bodyLeft);
      this.bodyLeft = -1;
      done.push(this.status);
    }
  }

  /** Nonzero when bytes past the last whole response have been read (a part of another one). */
  get pending(): number {
    return this.buffered.length + (this.bodyLeft < 0 ? 0 : 1);
  }
}

export interface IdleTarget {
  port: number;
  host?: string;
}

/** One connection, its source address chosen by its index (sourceAddress: 10,000 per loopback address). */
function open(target: IdleTarget, index: number): Promise<Socket> {
  const localAddress = sourceAddress(index);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host ?? '127.0.0.1', port: target.port, ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.setNoDelay(true);
    const failed = (error: Error) => reject(new Error(`connection ${index}${localAddress ? ` from ${localAddress}` : ''}: ${error.message}`));
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

/** Sends `requests` GETs one after another on `socket`, each after the last whole response; rejects on anything but 200. */
function exchange(socket: Socket, requests: number): Promise<void> {
  const reader = new ResponseReader();
  return new Promise((resolve, reject) => {
    let answered = 0;
    const stop = (error?: Error) => {
      socket.off('data', onData);
      socket.off('error', stop);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => stop(new Error(`the server closed the connection after ${answered} of ${requests} responses`));
    const onData = (chunk: Buffer) => {
      let statuses;
      try {
        statuses = reader.push(chunk);
      } catch (error) {
        stop(error as Error);
        return;
      }
      for (const status of statuses) {
        if (status !== 200) return stop(new Error(`status ${status}, not 200`));
        answered++;
      }
      if (answered === requests && reader.pending === 0) stop();
      else if (answered > requests || (answered === requests && reader.pending > 0))
        stop(new Error('more bytes than the responses asked for'));
      else if (statuses.length > 0) socket.write(IDLE_REQUEST);
    };
    socket.on('data', onData);
    socket.on('error', stop);
    socket.on('close', onClose);
    socket.write(IDLE_REQUEST);
  });
}

/** Warms the server up: `connections` connections, `requestsEach` requests each in turn, then closed. */
export async function warmUp(target: IdleTarget, connections: number, requestsEach: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async (_, index) => {
      const socket = await open(target, index);
      try {
        await exchange(socket, requestsEach);
      } finally {
        socket.destroy();
      }
    }),
  );
}

/** Idle connections that have each had one 200 response, and what the server has done to them since. */
export class IdleConnections {
  private readonly sockets: Socket[] = [];
  private closing = false;
  /** Connections the server closed (FIN or reset) while they were idle. */
  closedByServer = 0;
  /** Connections on which the server sent anything after the response. */
  unexpectedData = 0;
  /** When the first was closed by the server (performance.now()). */
  firstClosedAt: number | undefined;

  /** Opened so far and not closed by the server. */
  get open(): number {
    return this.sockets.length - this.closedByServer;
  }

  /** Adopts a socket whose exchange is done: from now on it only listens. */
  adopt(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.push(socket);
    socket.on('data', () => this.unexpectedData++);
    socket.on('error', () => {});
    socket.once('close', () => {
      if (this.closing) return;
      this.closedByServer++;
      this.firstClosedAt ??= performance.now();
    });
  }

  /** Closes every connection from this side. */
  closeAll(): void {
    this.closing = true;
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * Opens `count` idle connections, at most `concurrency` connecting (and exchanging) at a time; each
 * sends one GET, must get a whole 200 response, and then stays idle. On a failure, every connection
 * is closed and the error is thrown.
 */
export async function openIdle(target: IdleTarget, count: number, concurrency = 200): Promise<IdleConnections> {
  const idle = new IdleConnections();
  let next = 0;
  let failed = false;
  const opener = async () => {
    while (next < count && !failed) {
      const index = next++;
      const socket = await open(target, index);
      try {
        await exchange(socket, 1);
      } catch (error) {
        socket.destroy();
        throw new Error(`idle connection ${index + 1} of ${count}: ${(error as Error).message}`);
      }
      idle.adopt(socket);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, opener));
  } catch (error) {
    failed = true;
    idle.closeAll();
    throw error;
  }
  return idle;
}
