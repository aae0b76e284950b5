/** The WebSocket servers `pnpm bench websocket` compares, each a child process (servers/*.ts) on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerId = 'percore-net' | 'percore-uws' | 'ws' | 'uws-raw';
export const SERVER_IDS: readonly ServerId[] = ['percore-net', 'percore-uws', 'ws', 'uws-raw'];

export const SERVER_NOTES: Record<ServerId, string> = {
  'percore-net': "percore `createServer({ engine: 'net', websockets })` (packages/server/dist)",
  'percore-uws': "percore `createServer({ engine: 'uws', websockets })` (packages/server/dist)",
  ws: 'ws 8.23.0 `WebSocketServer({ port, perMessageDeflate: false })`; /fanout sends to each other socket in a loop (ws has no pub/sub)',
  'uws-raw': 'uWebSockets.js `App().ws(...)` itself, `ws.subscribe`/`ws.publish`, its defaults',
};

// The scripts from the build (.js), or the sources under tsx (the tests); run with this process's node flags.
const suffix = extname(fileURLToPath(import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`./servers/${name}${suffix}`, import.meta.url));

function commandOf(id: ServerId): string[] {
  switch (id) {
    case 'percore-net':
      return [script('percore'), 'net'];
    case 'percore-uws':
      return [script('percore'), 'uws'];
    case 'ws':
      return [script('ws')];
    case 'uws-raw':
      return [script('uws-raw')];
  }
}

/** A server that did not come up: its message is the script's stderr (percore's error code and message). */
export class ServerStartError extends Error {}

export interface RunningServer {
  id: ServerId;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a server, under `taskset -c cpu` when a CPU is given; resolves once it prints its port (within 10 s). */
export function startServer(id: ServerId, cpu?: string): Promise<RunningServer> {
  const nodeArgs = [...process.execArgv, ...commandOf(id)];
  const [file, args] = cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]];
  // taskset execs node, so the child's pid is the server's (its /proc/PID is read for CPU and RSS).
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let stdout = '';
  let stderr = '';
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => {
      gone = true;
      resolve();
    });
    child.once('error', (error) => {
      stderr += String(error);
      gone = true;
      resolve();
    });
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (!gone) child.kill('SIGKILL');
    await exited;
  };
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const failed = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new ServerStartError(`${id} did not start: ${stderr.trim() || why}`)));
    };
    const timer = setTimeout(() => failed('no port printed within 10 s'), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /^listening (\d+)$/m.exec(stdout)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ id, port: Number(port), pid: child.pid!, stop });
    });
    void exited.then(() => {
      if (!/^listening \d+$/m.test(stdout)) failed('it exited');
    });
  });
}
