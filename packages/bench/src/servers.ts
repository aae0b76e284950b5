import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FileSet } from './files.js';
import { nginxHelloCommand, nginxMissing, nginxStaticCommand } from './nginx.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const baselines = `${root}benchmarks/baselines/`;
const hello = `${root}packages/hello/dist/main.js`;

/** A server under test: how to start it, and why it might not be available. */
export interface ServerSpec {
  id: string;
  label: string;
  /**
   * The command line, given its port, the worker count, the run's file set (for `servesFiles`) and
   * the Node binary a Node server runs on (default: the bench's own, process.execPath).
   */
  command(port: number, workers: number, files?: FileSet, node?: string): string[];
  /** Why it cannot run here, on that Node binary (and how to fix that), or null. */
  unavailable(node?: string): string | null;
  /** Speaks HTTP/1.1 only: ab (HTTP/1.0) gets n/a with this reason. */
  http11Only?: string;
  /** One process whatever --workers says (its label says "1 process"). */
  singleProcess?: boolean;
  /** A column of Hellepoll's table: what a plain `pnpm bench` runs. */
  inTable?: boolean;
  /** Loads percore from PERCORE_DIST when set: `ID@DIR` runs it on another build. */
  percoreDist?: boolean;
  /** Given on the command line (--extra-server): its label is its name alone. */
  extra?: boolean;
  /** Added to the environment it starts with. */
  env?: Readonly<Record<string, string>>;
  /** Serves the run's file set (files.ts): the runner writes it first and passes it to `command`. */
  servesFiles?: boolean;
}

const UWS_HTTP10 = 'uWebSockets.js answers HTTP/1.0 with 505';

/** Debian's Python, which sees python3-tornado (a pyenv or venv python3 on PATH would not). */
export const PYTHON = '/usr/bin/python3';

function nodeScript(node: string | undefined, script: string, ...args: string[]): string[] {
  return [node ?? process.execPath, script, ...args];
}

/** The file set's root, which a file server's command needs. */
function rootOf(files: FileSet | undefined): FileSet {
  if (files === undefined) throw new Error('this server serves the bench files: start it with a file set');
  return files;
}

let scratchDir: string | undefined;
/** A temp dir for generated server configs (nginx's), made on first use and removed by stopAllServers. */
function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'percore-bench-servers-'));
  return scratchDir;
}

function tornadoMissing(): string | null {
  try {
    execFileSync(PYTHON, ['-c', 'import tornado'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'Tornado is not installed: pnpm bench:setup (or apt-get install python3-tornado)';
  }
}

/** Whether uWebSockets.js loads, per Node binary (its binaries are per ABI and need a recent glibc). */
const uwsReasons = new Map<string, string | null>();
function uwsMissing(node = process.execPath): string | null {
  let reason = uwsReasons.get(node);
  if (reason === undefined) {
    try {
      execFileSync(node, ['-e', `import(${JSON.stringify(`${root}packages/server/dist/uws/load.js`)}).then((m) => m.loadUws())`], {
        stdio: 'pipe',
      });
      reason = null;
    } catch (error) {
      const text = String((error as { stderr?: Buffer }).stderr ?? error);
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      reason = `no uWebSockets.js binary for Node ${version} here (${/GLIBC_[\d.]+/.exec(text)?.[0] ?? 'see --engine uws'})`;
    }
    uwsReasons.set(node, reason);
  }
  return reason;
}

export const SERVERS: ServerSpec[] = [
  {
    id: 'tornado',
    label: 'Tornado',
    command: (port) => [PYTHON, `${baselines}tornado_hello.py`, String(port)],
    unavailable: tornadoMissing,
    singleProcess: true,
    inTable: true,
  },
  {
    id: 'node-http',
    label: 'node:http',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}node-http-hello.mjs`, String(port)),
    unavailable: () => null,
    singleProcess: true,
    inTable: true,
  },
  {
    id: 'node-http-cluster',
    label: 'node:http cluster',
    command: (port, workers, _files, node) => nodeScript(node, `${baselines}node-http-cluster.mjs`, String(port), String(workers)),
    unavailable: () => null,
    inTable: true,
  },
  {
    id: 'nginx',
    label: 'nginx',
    command: (port, workers) => nginxHelloCommand(scratch(), port, workers),
    unavailable: nginxMissing,
    inTable: true,
  },
  {
    id: 'percore-net',
    label: 'percore net',
    command: (port, workers, _files, node) =>
      nodeScript(node, hello, '--engine', 'net', '--port', String(port), '--workers', String(workers)),
    unavailable: () => null,
    inTable: true,
  },
  {
    id: 'percore-uws',
    label: 'percore uws',
    command: (port, workers, _files, node) =>
      nodeScript(node, hello, '--engine', 'uws', '--port', String(port), '--workers', String(workers)),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    inTable: true,
  },
  {
    id: 'raw-uws',
    label: 'raw uWebSockets.js',
    command: (port, workers, _files, node) => nodeScript(node, `${baselines}raw-uws-hello.mjs`, String(port), String(workers)),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    inTable: true,
  },
  // For focused comparisons (pnpm bench compare): one process each, and the ceilings.
  {
    id: 'percore-hello',
    label: 'percore hello, as pnpm start runs it',
    command: (port, workers, _files, node) => nodeScript(node, hello, '--port', String(port), '--workers', String(workers)),
    unavailable: () => null,
  },
  {
    id: 'percore-net-1',
    label: 'percore net',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}percore-net-hello.mjs`, String(port)),
    unavailable: () => null,
    singleProcess: true,
    percoreDist: true,
  },
  {
    id: 'percore-uws-1',
    label: 'percore uws',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}percore-uws-hello.mjs`, String(port)),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    singleProcess: true,
    percoreDist: true,
  },
  {
    id: 'percore-uws-1-headers',
    label: 'percore uws, reading every header',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}percore-uws-hello.mjs`, String(port), 'headers'),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    singleProcess: true,
    percoreDist: true,
  },
  {
    id: 'raw-uws-1',
    label: 'raw uWebSockets.js',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}raw-uws-hello.mjs`, String(port), '1'),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    singleProcess: true,
  },
  // Static files (issue 11): each serves the run's file set (1k.bin, 1m.bin) on one process.
  {
    id: 'nginx-static',
    label: 'nginx, 1 worker, sendfile on',
    command: (port, _workers, files) => nginxStaticCommand(rootOf(files).dir, rootOf(files).root, port, false),
    unavailable: nginxMissing,
    singleProcess: true,
    servesFiles: true,
  },
  {
    id: 'nginx-static-ofc',
    label: 'nginx, 1 worker, sendfile on, open_file_cache',
    command: (port, _workers, files) => nginxStaticCommand(rootOf(files).dir, rootOf(files).root, port, true),
    unavailable: nginxMissing,
    singleProcess: true,
    servesFiles: true,
  },
  {
    id: 'sirv',
    label: 'sirv 3.0.2 on node:http',
    command: (port, _workers, files, node) => nodeScript(node, `${baselines}sirv-static.mjs`, String(port), rootOf(files).root),
    unavailable: () => null,
    singleProcess: true,
    servesFiles: true,
  },
  {
    id: 'node-stat-static',
    label: 'node:http, stat + createReadStream',
    command: (port, _workers, files, node) => nodeScript(node, `${baselines}node-stat-static.mjs`, String(port), rootOf(files).root),
    unavailable: () => null,
    singleProcess: true,
    servesFiles: true,
  },
  {
    id: 'percore-net-static',
    label: 'percore net serveStatic',
    command: (port, _workers, files, node) => nodeScript(node, `${baselines}percore-static.mjs`, String(port), rootOf(files).root, 'net'),
    unavailable: () => null,
    singleProcess: true,
    servesFiles: true,
    percoreDist: true,
  },
  {
    id: 'percore-uws-static',
    label: 'percore uws serveStatic',
    command: (port, _workers, files, node) => nodeScript(node, `${baselines}percore-static.mjs`, String(port), rootOf(files).root, 'uws'),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    singleProcess: true,
    servesFiles: true,
    percoreDist: true,
  },
  // Hello through a 10-route Router (GET /hello), beside percore-net-1 with --path /hello.
  {
    id: 'percore-net-router',
    label: 'percore net, hello through a Router',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}percore-router-hello.mjs`, String(port), 'net'),
    unavailable: () => null,
    singleProcess: true,
    percoreDist: true,
  },
  {
    id: 'percore-uws-router',
    label: 'percore uws, hello through a Router',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}percore-router-hello.mjs`, String(port), 'uws'),
    unavailable: uwsMissing,
    http11Only: UWS_HTTP10,
    singleProcess: true,
    percoreDist: true,
  },
  {
    id: 'nginx-1',
    label: 'nginx, 1 worker',
    command: (port) => nginxHelloCommand(scratch(), port, 1),
    unavailable: nginxMissing,
    singleProcess: true,
  },
  {
    id: 'raw-net',
    label: 'raw node:net, no parsing',
    command: (port, _workers, _files, node) => nodeScript(node, `${baselines}raw-net-hello.mjs`, String(port)),
    unavailable: () => null,
    singleProcess: true,
  },
];

/** The columns of Hellepoll's table, in order: what `pnpm bench` runs without --servers. */
export const TABLE_SERVERS: ServerSpec[] = SERVERS.filter((spec) => spec.inTable);

/**
 * A server by id; `ID@DIR` runs a server that loads percore (percoreDist) on the build in DIR
 * (a packages/server/dist directory), to compare two builds side by side. Null if unknown.
 */
export function findServer(name: string): ServerSpec | null {
  const at = name.indexOf('@');
  const id = at < 0 ? name : name.slice(0, at);
  const spec = SERVERS.find((s) => s.id === id);
  if (spec === undefined) return null;
  if (at < 0) return spec;
  const dist = name.slice(at + 1);
  if (!spec.percoreDist || dist === '') return null;
  return {
    ...spec,
    id: name,
    label: `${spec.label} [${dist}]`,
    env: { ...spec.env, PERCORE_DIST: dist },
    unavailable: (node) =>
      existsSync(`${dist.replace(/\/$/, '')}/index.js`) ? spec.unavailable(node) : `no percore build in ${dist} (no index.js there)`,
  };
}

/**
 * An extra server from the command line, `NAME=COMMAND`: COMMAND runs under sh, with {port}
 * and {workers} replaced (the port is appended when there is no {port}) and PORT set.
 */
export function extraServer(definition: string): ServerSpec | null {
  const match = /^([A-Za-z0-9][\w.@:-]*)=(.*\S.*)$/.exec(definition);
  if (match === null) return null;
  const [, id, command] = match as unknown as [string, string, string];
  return {
    id,
    label: id,
    command: (port, workers) => {
      const withPort = command.includes('{port}') ? command : `${command} {port}`;
      return ['sh', '-c', withPort.replaceAll('{port}', String(port)).replaceAll('{workers}', String(workers))];
    },
    unavailable: () => null,
    extra: true,
  };
}

/** The command line to spawn, with the port and workers, pinned to `cpus` with taskset when given. */
export function launchCommand(spec: ServerSpec, port: number, workers: number, cpus?: string, files?: FileSet, node?: string): string[] {
  const command = spec.command(port, workers, files, node);
  return cpus === undefined ? command : ['taskset', '-c', cpus, ...command];
}

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
  if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
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

/**
 * Starts a server in its own process group (on `cpus`, if given) and waits until it answers (at
 * most 20 s): any HTTP answer at / will do, since a file server may have nothing there.
 */
export async function startServer(spec: ServerSpec, workers: number, cpus?: string, files?: FileSet, node?: string): Promise<RunningServer> {
  const port = await freePort();
  const [command, ...args] = launchCommand(spec, port, workers, cpus, files, node);
  let stderr = '';
  const env = { ...process.env, PORT: String(port), ...spec.env };
  const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env });
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
    const response = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
