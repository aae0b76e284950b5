/**
 * Runs an example as users would (`node --import tsx examples/src/NAME.ts`), in its own process
 * group on port 0, and reaps it after the test. `startExample` resolves once it prints
 * "listening on URL"; `runExample` waits for it to exit by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
const running = new Set<ChildProcess>();

export interface StartedExample {
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM to its process group; resolves with its exit code. */
  stop(): Promise<number | null>;
}

function launch(name: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/${name}.ts`], {
    cwd: examplesDir,
    env: { ...process.env, PORT: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function startExample(name: string, env: Record<string, string> = {}, timeoutMs = 8000): Promise<StartedExample> {
  const { child, output } = launch(name, env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not say "listening on" within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const onData = () => {
      const match = /listening on (\S+)/.exec(output());
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        url: match[1]!,
        output,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
          return exited(child);
        },
      });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output()}`));
    });
  });
}

/** Runs an example that finishes by itself; resolves with its exit code and output. */
export async function runExample(
  name: string,
  env: Record<string, string> = {},
  timeoutMs = 8000,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = launch(name, env);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, output: output() };
}

/** Kills every example process group still running: `afterEach(reapExamples)`. */
export function reapExamples(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
