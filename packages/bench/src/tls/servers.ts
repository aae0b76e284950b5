/** The TLS bench's servers: how each starts on the run's certificate, and which rows it has no figure in. */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { nginxMissing, nginxTlsHelloCommand } from '../nginx.js';
import type { Certificate } from './certificate.js';
import type { TlsRow, TlsServerId } from './cli.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const baselines = `${root}benchmarks/baselines/`;
const hello = `${root}packages/hello/dist/main.js`;

export interface TlsServerSpec {
  id: TlsServerId;
  label: string;
  /** Runs on the Node binary it is given (a column per --node line); nginx does not. */
  onNode: boolean;
  command(port: number, cert: Certificate, node: string, scratch: string): string[];
  /** Why it has no figure in `row` by design, or null. */
  notApplicable(row: TlsRow): string | null;
  /** Why it cannot run here (and how to fix that), or null. */
  unavailable(): string | null;
}

const HTTP2_ONLY = 'node:http2 runs with allowHTTP1 false: its HTTP/1 is node:http, the node:https column';

export const TLS_SERVER_SPECS: readonly TlsServerSpec[] = [
  {
    id: 'percore-net',
    label: 'percore net',
    onNode: true,
    command: (port, cert, node) => [node, hello, '--port', String(port), '--workers', '1', '--cert', cert.certFile, '--key', cert.keyFile],
    notApplicable: () => null,
    unavailable: () => null,
  },
  {
    id: 'node-https',
    label: 'node:https',
    onNode: true,
    command: (port, cert, node) => [node, `${baselines}node-https-hello.mjs`, String(port), cert.certFile, cert.keyFile],
    notApplicable: (row) => (row === 'http2' ? 'node:https speaks HTTP/1.1 only' : null),
    unavailable: () => null,
  },
  {
    id: 'node-http2',
    label: 'node:http2',
    onNode: true,
    command: (port, cert, node) => [node, `${baselines}node-http2-hello.mjs`, String(port), cert.certFile, cert.keyFile],
    notApplicable: (row) => (row === 'http2' ? null : HTTP2_ONLY),
    unavailable: () => null,
  },
  {
    id: 'node-http2-compat',
    label: 'node:http2 (req, res)',
    onNode: true,
    command: (port, cert, node) => [node, `${baselines}node-http2-compat-hello.mjs`, String(port), cert.certFile, cert.keyFile],
    notApplicable: (row) => (row === 'http2' ? null : HTTP2_ONLY),
    unavailable: () => null,
  },
  {
    id: 'nginx-1',
    label: 'nginx, 1 worker',
    onNode: false,
    command: (port, cert, _node, scratch) =>
      nginxTlsHelloCommand(scratch, { port, workers: 1, certFile: cert.certFile, keyFile: cert.keyFile }),
    notApplicable: () => null,
    unavailable: nginxMissing,
  },
];

export function tlsServerSpec(id: TlsServerId): TlsServerSpec {
  return TLS_SERVER_SPECS.find((spec) => spec.id === id)!;
}

export interface RunningTlsServer {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const running = new Set<RunningTlsServer>();

/** Kills every TLS server still running, whole process groups (on Ctrl-C or failure). */
export function stopAllTlsServers(): void {
  for (const server of running) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export interface StartOptions {
  port: number;
  cert: Certificate;
  node: string;
  scratch: string;
  /** taskset CPU list, or none. */
  cpu?: string;
}

/** Starts the server in its own process group and waits (at most 20 s) until a TLS handshake with it succeeds. */
export async function startTlsServer(spec: TlsServerSpec, o: StartOptions): Promise<RunningTlsServer> {
  const command = spec.command(o.port, o.cert, o.node, o.scratch);
  const [file, ...args] = o.cpu === undefined ? command : ['taskset', '-c', o.cpu, ...command];
  const child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let exited = false;
  let how = '';
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      how = signal === null ? `exit code ${code}` : `killed by ${signal}`;
      resolve();
    }),
  );
  const server: RunningTlsServer = {
    pid: child.pid!,
    port: o.port,
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
    if (exited) throw new Error(`${spec.label} exited before it answered (${how})${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`);
    if (await handshakes(o.port)) return server;
    await sleep(100);
  }
  await server.stop();
  throw new Error(`${spec.label} did not complete a TLS handshake on 127.0.0.1:${o.port} within 20 s`);
}

function handshakes(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
