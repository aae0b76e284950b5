import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Started {
  child: ChildProcess;
  /** The first stdout line, parsed as JSON. */
  ready: Record<string, unknown>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exit: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node [--import tsx] script` in its own process group (so the whole group, workers
 * included, can be reaped), and waits for its first stdout line.
 */
export function startProcess(
  script: string,
  options: { env?: Record<string, string>; args?: string[]; tsx?: boolean; readyTimeoutMs?: number } = {},
): Promise<Started> {
  const execArgv = options.tsx === false ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...execArgv, fileURLToPath(script), ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line within ${options.readyTimeoutMs ?? 15000} ms; stderr: ${err}`)),
      options.readyTimeoutMs ?? 15000,
    );
    const check = () => {
      const newline = out.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      try {
        resolve({ child, ready: JSON.parse(out.slice(0, newline)), stdout: () => out, stderr: () => err, exit });
      } catch {
        resolve({ child, ready: { line: out.slice(0, newline) }, stdout: () => out, stderr: () => err, exit });
      }
    };
    child.stdout!.on('data', check);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited (${code}) before its ready line; stderr: ${err}`), { code, stderr: err, stdout: out }));
    });
  });
}

/** Kills every process group started by startProcess that is still running. */
export function reapAll(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with `promise`, or rejects after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref()),
  ]);
}
