import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { within } from './load/connection.js';

/** The hello server as users start it (`pnpm start` runs this file). */
export const HELLO_MAIN = fileURLToPath(new URL('../../../hello/dist/main.js', import.meta.url));

export interface ClusterOptions {
  workers: number;
  /** taskset CPU list for the primary and, by inheritance, its workers. */
  cpus?: string;
  /** How long to wait for the listening line. */
  startTimeoutMs?: number;
}

/** The exact command line, for the record. */
export function clusterCommand(options: ClusterOptions): string[] {
  const node = [process.execPath, HELLO_MAIN, '--workers', String(options.workers), '--port', '0', '--host', '127.0.0.1', '--engine', 'net'];
  return options.cpus === undefined ? node : ['taskset', '-c', options.cpus, ...node];
}

/**
 * A running hello cluster: the primary as a child process in its own process group (so
 * kill() reaches every worker even if the primary is gone), its port, and its output.
 */
export class ClusterProcess {
  /** Everything the primary and workers printed, last 200 lines. */
  readonly output: string[] = [];
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly primaryPid: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
    });
    child.once('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
    });
  }

  static async start(options: ClusterOptions): Promise<ClusterProcess> {
    if (!existsSync(HELLO_MAIN)) throw new Error(`${HELLO_MAIN} is missing: build first (pnpm build)`);
    const [command, ...args] = clusterCommand(options);
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.length > 0) output.push(line);
      if (output.length > 200) output.splice(0, output.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(`no listening line within ${options.startTimeoutMs ?? 15_000} ms`),
        options.startTimeoutMs ?? 15_000,
      );
      const fail = (why: string) => {
        clearTimeout(timer);
        killGroup(child, 'SIGKILL');
        reject(new Error(`the hello cluster did not start: ${why}\n${output.join('\n')}`));
      };
      child.once('error', (error) => fail(error.message));
      child.once('exit', (code, signal) => fail(`it exited (${code ?? signal})`));
      child.stdout!.on('data', () => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output.join('\n'));
        if (match !== null) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(Number(match[1]));
        }
      });
    });
    const cluster = new ClusterProcess(child, port, child.pid!);
    cluster.output.push(...output);
    child.stdout!.off('data', keep);
    child.stderr!.off('data', keep);
    const record = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.length > 0) cluster.output.push(line);
      if (cluster.output.length > 200) cluster.output.splice(0, cluster.output.length - 200);
    };
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
    return cluster;
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** The primary's child processes: its workers. */
  workerPids(): number[] {
    return childPids(this.primaryPid);
  }

  /** Waits until the primary has `count` workers (they fork after the listening line may print). */
  async waitForWorkers(count: number, timeoutMs = 15_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.workerPids();
      if (pids.length === count) return pids;
      if (Date.now() > deadline) throw new Error(`the primary has ${pids.length} worker processes, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM (the cluster drains), then how long it took to exit, or null if it did not within graceMs. */
  async stop(graceMs: number): Promise<number | null> {
    if (!this.alive) return 0;
    const started = Date.now();
    this.child.kill('SIGTERM');
    const done = await within(
      this.exited.then(() => true),
      graceMs,
    );
    return done === null ? null : Date.now() - started;
  }

  /** SIGKILL to the whole process group: the primary and every worker, whatever state they are in. */
  kill(): void {
    killGroup(this.child, 'SIGKILL');
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** A process's children, from /proc/<pid>/task/<tid>/children (Linux). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text.length > 0) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone.
  }
  return pids.sort((a, b) => a - b);
}
