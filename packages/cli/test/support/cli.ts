import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI: the tests run it as users do (`pnpm test` builds first). */
export const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` (tsc -b) at the root first`);
}

export interface Running {
  child: ChildProcess;
  /** The start-up line. */
  line: string;
  /** The URL from the start-up line, without the trailing slash. */
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | string>;
}

export interface Finished {
  code: number | string;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

function start(args: string[], env: Record<string, string | undefined>, cwd: string | undefined) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    cwd,
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
  return { child, exit, stdout: () => out, stderr: () => err };
}

/** Runs the CLI to its end (bounded: killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  const { child, exit, stdout, stderr } = start(args, options.env ?? {}, options.cwd);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs ?? 15000);
  const code = await exit;
  clearTimeout(timer);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Starts `percore serve ...` and waits for its start-up line. */
export function serveCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; readyTimeoutMs?: number } = {},
): Promise<Running> {
  const { child, exit, stdout, stderr } = start(['serve', ...args], options.env ?? {}, options.cwd);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no start-up line within ${options.readyTimeoutMs ?? 15000} ms; stderr: ${stderr()}`)),
      options.readyTimeoutMs ?? 15000,
    );
    const check = () => {
      const newline = stdout().indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      const line = stdout().slice(0, newline);
      const url = /at (https?:\/\/\S+?)\/? \(/.exec(line)?.[1];
      if (url === undefined) reject(new Error(`no URL in the start-up line: ${line}`));
      else resolve({ child, line, url, stdout, stderr, exit });
    };
    child.stdout!.on('data', check);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited (${code}) before its start-up line; stderr: ${stderr()}`), { code }));
    });
  });
}

/** Kills every process group started here that still runs. */
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

/** The pids of a process's children (its cluster workers), from /proc. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (children !== '') pids.push(...children.split(/\s+/).map(Number));
  }
  return pids;
}

/** The real, effective, saved and filesystem ids of a process, from /proc/<pid>/status. */
export function idsOf(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const line = status.split('\n').find((candidate) => candidate.startsWith(`${name}:`));
    if (line === undefined) throw new Error(`no ${name}: line in /proc/${pid}/status`);
    return line
      .slice(name.length + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
  };
  return { uid: field('Uid'), gid: field('Gid') };
}

/** Resolves with `promise`, or rejects after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref()),
  ]);
}

/** The socket inodes of established IPv4 TCP connections whose local port is `port`, from /proc/net/tcp. */
export function establishedInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // local_address is HEXIP:HEXPORT; state 01 is ESTABLISHED; the inode is the tenth field.
    if (fields.length > 9 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === '01') inodes.add(fields[9]!);
  }
  return inodes;
}

/** The socket inodes a process holds open, from /proc/<pid>/fd. */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match !== null) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}
