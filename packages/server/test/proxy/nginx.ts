/**
 * A real nginx for tests, as a child process: its own prefix directory in a temp dir (config,
 * error log, pid and temp paths all inside it), `daemon off; master_process off;` so the one
 * process the test starts is the one that serves (no `user` switch: it runs as whoever runs the
 * tests), listening on a free port on 127.0.0.1 and proxying to one upstream with keepalive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_BIN = process.env.PERCORE_NGINX ?? '/usr/sbin/nginx';

export interface NginxUpstream {
  /** The upstream server's port on 127.0.0.1. */
  port: number;
  /** Idle connections nginx keeps to the upstream (`keepalive N`). */
  keepalive: number;
  /** nginx's `keepalive_timeout` for the upstream connections, in seconds. */
  keepaliveTimeoutS: number;
}

export interface Nginx {
  readonly port: number;
  readonly dir: string;
  /** The error log so far (info level: it names each upstream failure). */
  errorLog(): Promise<string>;
  /** Stops nginx (SIGKILL if it has not exited within 2 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Whether nginx is installed where the tests look for it. */
export function nginxInstalled(): boolean {
  return existsSync(NGINX_BIN);
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function config(dir: string, port: number, upstream: NginxUpstream): string {
  return `
error_log ${join(dir, 'error.log')} info;
pid ${join(dir, 'nginx.pid')};
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream u {
    server 127.0.0.1:${upstream.port};
    keepalive ${upstream.keepalive};
    keepalive_timeout ${upstream.keepaliveTimeoutS}s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx in front of `upstream`; resolves once it accepts connections (within 5 s). */
export async function startNginx(upstream: NginxUpstream): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'percore-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, upstream));
  // -e: the startup error log too goes to the prefix, not /var/log/nginx.
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', 'daemon off; master_process off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | null = null;
  const nginx: Nginx = {
    port,
    dir,
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exit;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      const log = await nginx.errorLog();
      await nginx.stop();
      throw new Error(`nginx did not start on port ${port}: ${stderr}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return nginx;
}
