/**
 * One cell of `pnpm bench tls`: a fresh server process, the row's tool run for the warm-up (not
 * counted) and then measured, the CPU both sides used while it was measured, and the server stopped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { treeCpuSeconds } from '../cpu.js';
import { freePort } from '../servers.js';
import { parseAb } from '../parse-ab.js';
import type { Certificate } from './certificate.js';
import type { TlsRow } from './cli.js';
import { abTls, parseH2load, type TlsToolResult } from './parse-h2load.js';
import { startTlsServer, type TlsServerSpec } from './servers.js';

export interface LoadShape {
  durationSeconds: number;
  connections: number;
  streams: number;
}

/**
 * The TLS 1.3 cipher suite every cell uses: the one node and ab pick by default. h2load offers
 * TLS_AES_128_GCM_SHA256 first, which nginx takes (client order) and node does not (server order).
 */
export const TLS13_CIPHER = 'TLS_AES_256_GCM_SHA384';

/**
 * h2load warms up in the same run (--warm-up-time), at least 1 s: h2load 1.52 with no warm-up
 * often never ends after -D when some connections are still in their handshakes at the end.
 */
export function h2loadWarmup(warmupSeconds: number): number {
  return Math.max(1, warmupSeconds);
}

/**
 * The tool's command line for a row. ab's -t implies -n 50000, so a larger -n follows it: the
 * time bounds the run. ab's warm-up is a run of its own; h2load's is in the same run.
 */
export function toolCommand(row: TlsRow, url: string, shape: LoadShape, seconds = shape.durationSeconds, warmupSeconds = 0): string[] {
  const h2load = ['h2load', `--tls13-ciphers=${TLS13_CIPHER}`, `--warm-up-time=${h2loadWarmup(warmupSeconds)}`, `-c${shape.connections}`];
  switch (row) {
    case 'https-keepalive':
      return [...h2load, '--h1', '-D', String(seconds), url];
    case 'http2':
      return [...h2load, `-m${shape.streams}`, '-D', String(seconds), url];
    case 'new-connections':
      // ab's -Z sets TLS 1.2 suites only; it offers TLS_AES_256_GCM_SHA384 first anyway (the report records what was used).
      return ['ab', `-c${shape.connections}`, '-t', String(seconds), '-n', '100000000', url];
  }
}

/** The tool's figures for a row from its output. */
export function parseToolOutput(row: TlsRow, output: string): TlsToolResult {
  if (row !== 'new-connections') return parseH2load(output);
  const ab = parseAb(output);
  return { perSecond: ab.requestsPerSecond, succeeded: ab.completed, failed: ab.errors + ab.non2xx, application: null, ...abTls(output) };
}

export interface TlsMeasurement extends TlsToolResult {
  /** The measured run's wall time, seconds. */
  seconds: number;
  /** CPU the server's process tree used over it, in cores (1 = one core busy all the time). */
  serverCores: number;
  /** CPU the tool used over it, in cores: near 1 means the tool, not the server, may be the limit. */
  clientCores: number;
}

/** A server that answered, but not in the row's protocol (an HTTP/2 row served as HTTP/1.1): n/a, not a failure. */
export class NotApplicable extends Error {}

let ticksPerSecond = 0;
function ticks(): number {
  ticksPerSecond ||= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}

/** CPU seconds of this process's children that have exited and been waited for (cutime + cstime). */
function reapedChildrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / ticks();
}

/** CPU seconds a running process has used (utime + stime); 0 once it is gone. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks();
  } catch {
    return 0;
  }
}

/** What a tool run saw: its output, and the CPU both sides used from `measureFromMs` after its start to its end. */
interface ToolRun {
  output: string;
  seconds: number;
  serverCores: number;
  clientCores: number;
}

/**
 * Runs a tool with its stdout and stderr in a file. Not pipes: that is how the tool was first run
 * here, and a file keeps the tool's writes off this process's event loop. The CPU is sampled
 * `measureFromMs` after the start (the end of h2load's own warm-up) and at the tool's exit.
 */
async function runTool(
  command: string[],
  o: { timeoutMs: number; outputFile: string; serverPid: number; measureFromMs: number },
): Promise<ToolRun> {
  const [file, ...args] = command;
  const fd = openSync(o.outputFile, 'w');
  let child;
  try {
    child = spawn(file!, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const reapedBefore = reapedChildrenCpuSeconds();
  let from = { at: performance.now(), server: treeCpuSeconds(o.serverPid), client: 0 };
  const sampler = setTimeout(() => {
    from = { at: performance.now(), server: treeCpuSeconds(o.serverPid), client: processCpuSeconds(child.pid!) };
  }, o.measureFromMs);
  let timedOut = false;
  const status = await new Promise<number | string>((resolve) => {
    const killer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), o.timeoutMs);
    child.once('error', (error) => (clearTimeout(killer), resolve(error.message)));
    child.once('exit', (code, signal) => (clearTimeout(killer), resolve(code ?? `killed by ${signal}`)));
  });
  clearTimeout(sampler);
  const seconds = (performance.now() - from.at) / 1000;
  const serverCores = (treeCpuSeconds(o.serverPid) - from.server) / seconds;
  const clientCores = (reapedChildrenCpuSeconds() - reapedBefore - from.client) / seconds;
  const output = readFileSync(o.outputFile, 'utf8');
  if (timedOut) throw new Error(`${file} ran past ${o.timeoutMs} ms`);
  // ab exits 1 after some failures but still prints its report: the parser judges the output.
  if (status !== 0 && output.trim() === '') throw new Error(`${file} failed (${status}) without output`);
  return { output, seconds, serverCores, clientCores };
}

export interface CellOptions extends LoadShape {
  warmupSeconds: number;
  cert: Certificate;
  node: string;
  scratch: string;
  serverCpu?: string;
}

export async function measureTlsCell(row: TlsRow, spec: TlsServerSpec, o: CellOptions): Promise<TlsMeasurement> {
  const port = await freePort();
  const server = await startTlsServer(spec, {
    port,
    cert: o.cert,
    node: o.node,
    scratch: o.scratch,
    ...(o.serverCpu !== undefined ? { cpu: o.serverCpu } : {}),
  });
  try {
    const url = `https://127.0.0.1:${port}/`;
    const run = { outputFile: join(o.scratch, 'tool-output.txt'), serverPid: server.pid };
    const timeoutMs = (o.durationSeconds + h2loadWarmup(o.warmupSeconds) + 30) * 1000;
    let measured: ToolRun;
    if (row === 'new-connections') {
      if (o.warmupSeconds > 0) await runTool(toolCommand(row, url, o, o.warmupSeconds), { ...run, timeoutMs, measureFromMs: 0 });
      measured = await runTool(toolCommand(row, url, o), { ...run, timeoutMs, measureFromMs: 0 });
    } else {
      measured = await runTool(toolCommand(row, url, o, o.durationSeconds, o.warmupSeconds), {
        ...run,
        timeoutMs,
        measureFromMs: h2loadWarmup(o.warmupSeconds) * 1000,
      });
    }
    const result = parseToolOutput(row, measured.output);
    if (row === 'http2' && result.application !== 'h2') {
      throw new NotApplicable(`negotiated ${result.application ?? 'no protocol'}, not h2`);
    }
    if (result.succeeded === 0) throw new Error(`no request succeeded (${result.failed} failed)`);
    return { ...result, seconds: measured.seconds, serverCores: measured.serverCores, clientCores: measured.clientCores };
  } finally {
    await server.stop();
  }
}
