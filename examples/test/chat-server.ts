/**
 * Runs the chat demo as users would (`node --import tsx examples/chat/server.ts ARGS`), in its own
 * process group on port 0. `startChat` resolves once the primary prints "listening on URL".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
/** How long the demo may take to start, and to drain and exit once told to. */
const START_WITHIN_MS = 15_000;
const EXIT_WITHIN_MS = 15_000;

export interface RunningChat {
  readonly url: string;
  /** The primary's pid: SIGHUP goes to it alone (a worker has no SIGHUP handler, and would die of it). */
  readonly pid: number;
  /** Everything the primary and its workers printed so far. */
  output(): string;
  /** Resolves once `text` appears in the output, or rejects after `withinMs`. */
  waitForOutput(text: string, withinMs?: number): Promise<void>;
  /**
   * SIGTERM to the process group, then waits for the primary to exit; past EXIT_WITHIN_MS the
   * group is killed and this rejects. Resolves with the exit code. Safe to call again.
   */
  stop(): Promise<number | null>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

export function startChat(args: string[]): Promise<RunningChat> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'chat/server.ts', '--port', '0', ...args], {
    cwd: examplesDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  const waitForOutput = (wanted: string, withinMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!text.includes(wanted)) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`the chat did not print ${JSON.stringify(wanted)} within ${withinMs} ms:\n${text}`));
      }, withinMs);
      listeners.add(check);
      check();
    });

  let stopping: Promise<number | null> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      killGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), EXIT_WITHIN_MS)));
      const code = await Promise.race([exited(child), late]);
      clearTimeout(timer);
      // The workers are in the group too: none may outlive the test, drained or not.
      killGroup(child, 'SIGKILL');
      if (code === 'late') throw new Error(`the chat did not exit within ${EXIT_WITHIN_MS} ms of SIGTERM:\n${text}`);
      return code;
    })();
    return stopping;
  };

  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      reject(new Error(`the chat exited with ${code} before listening:\n${text}`));
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      void stop().catch(() => {});
      reject(new Error(`the chat did not say "listening on" within ${START_WITHIN_MS} ms:\n${text}`));
    }, START_WITHIN_MS);
    const onListening = () => {
      const match = /listening on (\S+)/.exec(text);
      if (match === null) return;
      listeners.delete(onListening);
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ url: match[1]!, pid: child.pid!, output: () => text, waitForOutput, stop });
    };
    listeners.add(onListening);
    child.once('exit', onExit);
  });
}
