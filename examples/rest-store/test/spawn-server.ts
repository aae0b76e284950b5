/**
 * Starts rest-store/src/server.ts as users would, in its own process group (detached) on port 0,
 * so that a test can SIGTERM or SIGKILL the primary and its workers together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const examplesDir = fileURLToPath(new URL('../..', import.meta.url));
const running = new Set<ChildProcess>();

export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** Signals the whole process group; resolves once the primary has exited. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: string | null }>;
}

export function startServer(env: Record<string, string>, timeoutMs = 10_000): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'rest-store/src/server.ts'], {
    cwd: examplesDir,
    env: { ...process.env, PORT: '0', WORKERS: '2', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const onData = () => {
      const match = /listening on (\S+)/.exec(text);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        url: match[1]!,
        pid: child.pid!,
        output: () => text,
        kill: (signal) => {
          try {
            process.kill(-child.pid!, signal);
          } catch {
            // already gone
          }
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${text}`));
    });
  });
}

/** `afterEach(reapServers)`: SIGKILLs every process group still running. */
export function reapServers(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
