/**
 * The real load generators users point at a server, `ab` (apache2-utils) and `wrk`, run as
 * child processes with bounded runs, and their reports parsed into numbers.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Skips the test where `tool` is missing, except in CI (`.ci/run` installs it), where that fails. */
export function requireTool(context: Mocha.Context, tool: 'ab' | 'wrk'): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return;
  if (process.env.CI) throw new Error(`${tool} is not installed (apt-get install ${tool === 'ab' ? 'apache2-utils' : 'wrk'})`);
  context.skip();
}

export interface ToolRun {
  /** The tool's exit code (ab exits non-zero when it aborts on a socket error). */
  code: number | null;
  output: string;
}

/**
 * Runs a tool until it ends, or until `stopWhen` settles: then SIGINT, on which ab and wrk both
 * stop and print their report for the requests made so far.
 */
function run(command: string, args: string[], timeoutMs: number, stopWhen?: Promise<unknown>): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void stopWhen?.finally(() => child.exitCode === null && child.kill('SIGINT'));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface AbReport extends ToolRun {
  complete: number;
  failed: number;
  non2xx: number;
  /** ab's own error line when it aborted, e.g. 'apr_socket_recv: Connection reset by peer (104)'. */
  aborted: string | null;
}

/** `ab [-k] -c C [-t T] -n N URL`: N requests, or as many as fit in T seconds. */
export async function runAb(
  url: string,
  options: { requests: number; concurrency: number; keepAlive: boolean; timeLimitS?: number; stopWhen?: Promise<unknown> },
): Promise<AbReport> {
  const args = [...(options.keepAlive ? ['-k'] : []), '-c', String(options.concurrency)];
  // -t implies -n 50000, so -n comes after it.
  if (options.timeLimitS !== undefined) args.push('-t', String(options.timeLimitS));
  args.push('-n', String(options.requests), url);
  const result = await run('ab', args, (options.timeLimitS ?? 20) * 1000 + 15_000, options.stopWhen);
  const number = (label: string) => Number(new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(result.output)?.[1] ?? 0);
  return {
    ...result,
    complete: number('Complete requests'),
    failed: number('Failed requests'),
    non2xx: number('Non-2xx responses'),
    aborted: /^(apr_\w+\(?\)?:.*)$/m.exec(result.output)?.[1] ?? null,
  };
}

export interface WrkReport extends ToolRun {
  requests: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
}

/** `wrk -t1 -c C -d Ds URL`. */
export async function runWrk(
  url: string,
  options: { connections: number; durationS: number; stopWhen?: Promise<unknown> },
): Promise<WrkReport> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, url];
  const result = await run('wrk', args, options.durationS * 1000 + 15_000, options.stopWhen);
  // "Socket errors: connect 0, read 35, write 0, timeout 0" appears only when one is non-zero.
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.output);
  return {
    ...result,
    requests: Number(/(\d+) requests in/.exec(result.output)?.[1] ?? 0),
    errors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(result.output)?.[1] ?? 0),
  };
}
