/**
 * Test support: the server in this process on port 0, a real redis-server on a free port, a raw
 * RESP connection that reads whole replies, and helpers to encode commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { Listener, Scheduler } from '@percore/server';
import { RedisServer } from '../src/server.js';
import type { RedisServerOptions } from '../src/options.js';
import { collectingLogger } from '../../../packages/server/test/support/sockets.js';

/** `*N\r\n$len\r\narg\r\n...`: a command as clients send it. */
export function multibulk(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** The end offset of the one complete RESP2 reply at `pos`, or -1 if it has not all arrived. */
export function replyEnd(data: Buffer, pos: number): number {
  if (pos >= data.length) return -1;
  const cr = data.indexOf('\r\n', pos);
  if (cr === -1) return -1;
  const type = String.fromCharCode(data[pos]!);
  const header = data.toString('latin1', pos + 1, cr);
  const next = cr + 2;
  if (type === '+' || type === '-' || type === ':') return next;
  const count = Number(header);
  if (type === '$') return count < 0 ? next : data.length >= next + count + 2 ? next + count + 2 : -1;
  if (type === '*') {
    let at = next;
    for (let i = 0; i < count; i++) {
      at = replyEnd(data, at);
      if (at === -1) return -1;
    }
    return at;
  }
  throw new Error(`not a RESP2 reply at ${pos}: ${JSON.stringify(data.toString('latin1', pos, pos + 20))}`);
}

/** A raw connection that reads whole replies. */
export class RespConnection {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(new RespConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `bytes` whole, or one byte per event-loop turn. */
  async send(bytes: Buffer | string, byteByByte = false): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (!byteByByte) {
      this.socket.write(data);
      return;
    }
    for (const byte of data) {
      this.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The next `count` replies, each as its raw latin1 text. Rejects after `deadlineMs`. */
  async read(count = 1, deadlineMs = 3000): Promise<string[]> {
    const replies: string[] = [];
    const deadline = Date.now() + deadlineMs;
    while (replies.length < count) {
      const end = replyEnd(this.buffer, 0);
      if (end !== -1) {
        replies.push(this.buffer.toString('latin1', 0, end));
        this.buffer = this.buffer.subarray(end);
        continue;
      }
      if (this.closed) throw new Error(`closed after ${replies.length} of ${count} replies: ${JSON.stringify(replies)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out with ${replies.length} of ${count} replies; pending ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return replies;
  }

  /** Sends one command and reads its reply. */
  async command(...args: Array<string | Buffer>): Promise<string> {
    await this.send(multibulk(...args));
    return (await this.read(1))[0]!;
  }

  /** Waits for the peer to close; rejects after `deadlineMs`. Returns what arrived unread. */
  async closedByPeer(deadlineMs = 3000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.buffer.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export interface InProcessServer {
  readonly port: number;
  readonly redis: RedisServer;
  readonly scheduler: Scheduler;
  connect(): Promise<RespConnection>;
  close(): Promise<void>;
}

/** The server on a Listener in this process, on 127.0.0.1 port 0. */
export async function startInProcess(options: RedisServerOptions = {}, timerResolutionMs = 5): Promise<InProcessServer> {
  const scheduler = new Scheduler({ timerResolutionMs, logger: collectingLogger() });
  const redis = new RedisServer(scheduler, options);
  const listener = new Listener(scheduler, redis.protocol);
  const { port } = await listener.listen({ port: 0, host: '127.0.0.1' });
  redis.info.port = port;
  const connections: RespConnection[] = [];
  return {
    port,
    redis,
    scheduler,
    connect: async () => {
      const connection = await RespConnection.open(port);
      connections.push(connection);
      return connection;
    },
    close: async () => {
      for (const connection of connections) connection.close();
      await listener.close({ graceMs: 0 });
    },
  };
}

const REDIS_SERVER = '/usr/bin/redis-server';

/** A free port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RealRedis {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts Debian's redis-server on a free port, without persistence; resolves once it answers PING. */
export async function startRealRedis(deadlineMs = 5000): Promise<RealRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const connection = await RespConnection.open(port);
      const pong = await connection.command('PING');
      connection.close();
      if (pong === '+PONG\r\n') return { port, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on port ${port} within ${deadlineMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether Debian's redis-server is installed (the differential tests skip, saying so, without it). */
export function hasRedisServer(): boolean {
  return existsSync(REDIS_SERVER);
}
