import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's redis-server, installed by .ci/run. */
export const REDIS_SERVER = process.env.PERCORE_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Whether a redis-server binary can run here. */
export function redisServerAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Skips the suite when redis-server is missing, unless PERCORE_REQUIRE_REDIS=1 (then it fails). */
export function requireRedisServer(context: Mocha.Context): void {
  if (redisServerAvailable()) return;
  if (process.env.PERCORE_REQUIRE_REDIS === '1') throw new Error(`${REDIS_SERVER} is required (PERCORE_REQUIRE_REDIS=1)`);
  context.skip();
}

export interface RedisServerOptions {
  /** Extra arguments, e.g. ['--requirepass', 'secret']. */
  args?: string[];
  /** How long to wait for PING to answer (default 10 s). */
  readyTimeoutMs?: number;
}

/**
 * A real redis-server on 127.0.0.1 and a free port, without persistence, in a temp directory.
 * `kill` and `stop` end it; `start` runs it again on the same port (it starts empty).
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    // A port from the kernel can be taken again between our close and redis's bind: retry a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'percore-redis-')), options);
      servers.add(server);
      try {
        await server.start();
        return server;
      } catch (error) {
        lastError = error;
        await server.dispose();
      }
    }
    throw lastError;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it (again) on its port, and waits until PING answers. */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error(`redis-server on ${this.port} is already running`);
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn(REDIS_SERVER, [...args, ...(this.options.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = '';
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    let exitedEarly = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        exitedEarly = true;
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 10_000);
    while (!(await answersPing(this.port))) {
      if (exitedEarly) throw new Error(`redis-server on ${this.port} exited before answering PING:\n${this.output}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server on ${this.port} did not answer PING in time:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGKILL: the connections drop without a goodbye. Resolves once it has exited. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM: redis closes its connections and exits. Resolves once it has exited. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** Stops it and removes its directory. */
  async dispose(): Promise<void> {
    await this.kill();
    servers.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill(signal);
    const exited = this.exited;
    // Bounded: a SIGTERM that is not honoured within 5 s becomes a SIGKILL.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

const servers = new Set<RedisServer>();

/** Kills and removes every redis-server these helpers started (an `after`/`afterEach` hook). */
export async function reapRedisServers(): Promise<void> {
  await Promise.all([...servers].map((server) => server.dispose()));
}

// Last resort: a test run that exits without its hooks still leaves no redis-server behind.
process.once('exit', () => {
  for (const server of servers) {
    if (server.pid !== undefined) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a fresh socket: +PONG, or -NOAUTH from a server with a password, means it is up. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (up: boolean) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(up);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
