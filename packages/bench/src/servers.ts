import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const baselines = `${root}benchmarks/baselines/`;
const hello = `${root}packages/hello/dist/main.js`;

/** A server under test: how to start it, and why it might not be available. */
export interface ServerSpec {
  id: string;
  label: string;
  /** The command line, given its port and the worker count. */
  command(port: number, workers: number): string[];
  /** Why it cannot run here (and how to fix that), or null. */
  unavailable(): string | null;
  /** Speaks HTTP/1.1 only: ab (HTTP/1.0) gets n/a with this reason. */
  http11Only?: string;
}

const UWS_HTTP10 = 'uWebSockets.js answers HTTP/1.0 with 505';

/** Debian's Python, which sees python3-tornado (a pyenv or venv python3 on PATH would not). */
export const PYTHON = '/usr/bin/python3';

function nodeScript(script: string, ...args: string[]): string[] {
  return [process.execPath, script, ...args];
}

function tornadoMissing(): string | null {
  try {
    execFileSync(PYTHON, ['-c', 'import tornado'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'Tornado is not installed: pnpm bench:setup (or apt-get install python3-tornado)';
  }
}

let uwsReason: string | null | undefined;
function uwsMissing(): string | null {
  if (uwsReason === undefined) {
    try {
      execFileSync(process.execPath, ['-e', `import(${JSON.stringify(`${root}packages/server/dist/uws/load.js`)}).then((m) => m.loadUws())`], { stdio: 'pipe' });
      uwsReason = null;
    } catch (error) {
      const text = String((error as { stderr?: Buffer }).stderr ?? error);
      uwsReason = `no uWebSockets.js binary for Node ${process.version} here (${/GLIBC_[\d.]+/.exec(text)?.[0] ?? 'see --engine uws'})`;
    }
  }
  return uwsReason;
}

export const SERVERS: ServerSpec[] = [
  {
    id: 'tornado',
    label: 'Tornado',
    command: (port) => [PYTHON, `${baselines}tornado_hello.py`, String(port)],
    unavailable: tornadoMissing,
  },
  {
    id: 'node-http',
    label: 'node:http',
    command: (port) => nodeScript(`${baselines}node-http-hello.mjs`, String(port)),
    unavailable: () => null,
  },
  {
    id: 'node-http-cluster',
    label: 'node:http cluster',
    command: (port, workers) => nodeScript(`${baselines}node-http-cluster.mjs`, String(port), String(workers)),
    unavailable: () => null,
  },
  {
    id: 'percore-net',
    label: 'percore net',
    command: (port, workers) => nodeScript(hello, '--engine', 'net', '--port', String(port), '--workers', String(workers)),
    unavailable: () => null,
  },
  {
    id: 'percore-uws',
    label: 'percore uws',
    command: (port, workers) => nodeScript(hello, '--engine', 'uws', '--port', String(port), '--workers', String(workers)),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
  },
  {
    id: 'raw-uws',
    label: 'raw uWebSockets.js',
    command: (port, workers) => nodeScript(`${baselines}raw-uws-hello.mjs`, String(port), String(workers)),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
  },
];

/** A server process (group) that is running. */
export interface RunningServer {
  spec: ServerSpec;
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<RunningServer>();

/** Kills every server still running, whole process groups included (on exit, Ctrl-C, failure). */
export function stopAllServers(): void {
  for (const server of running) {
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** A free loopback port, as the system picks it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a server in its own process group and waits until it answers (at most 20 s). */
export async function startServer(spec: ServerSpec, workers: number): Promise<RunningServer> {
  const port = await freePort();
  const [command, ...args] = spec.command(port, workers);
  let stderr = '';
  const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}/`;
  const server: RunningServer = {
    spec,
    port,
    url,
    child,
    async stop() {
      running.delete(server);
      if (exited) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, 5000);
      await exit;
      clearTimeout(killer);
    },
  };
  running.add(server);
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exited) throw new Error(`${spec.label} exited before it answered: ${stderr.trim()}`);
    if (await answers(url)) return server;
    await sleep(100);
  }
  await server.stop();
  throw new Error(`${spec.label} did not answer on ${url} within 20 s`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
