import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NGINX_BIN = process.env.PERCORE_NGINX ?? '/usr/sbin/nginx';

/** nginx's temp directories, in its prefix dir rather than the system's. */
function tempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${join(dir, name)};\n`).join('');
}

export interface NginxStaticOptions {
  /** nginx's prefix: config, logs, pid and temp paths all go in it. */
  dir: string;
  /** The document root. */
  root: string;
  port: number;
  /** `open_file_cache` on (descriptors and stat results kept between requests); off is nginx's default. */
  openFileCache: boolean;
}

/**
 * nginx as a static server, as its users run it: one worker, `sendfile on` and `tcp_nopush on` (as
 * Debian's nginx.conf has them), no access log, nginx's defaults otherwise (keepalive_requests
 * 1000, keepalive_timeout 75 s, its own 404 page). `daemon off` keeps the master in the foreground
 * so the bench can stop its process group.
 */
export function nginxStaticConfig(o: NginxStaticOptions): string {
  return `daemon off;
master_process on;
worker_processes 1;
error_log ${join(o.dir, 'error.log')} warn;
pid ${join(o.dir, 'nginx.pid')};
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
${o.openFileCache ? '  open_file_cache max=1000 inactive=60s;\n  open_file_cache_valid 60s;\n  open_file_cache_errors on;\n' : ''}${tempPaths(o.dir)}  server {
    listen 127.0.0.1:${o.port};
    root ${o.root};
  }
}
`;
}

/** Writes the config into a fresh prefix dir under `scratch` and returns the command line that runs it. */
export function nginxStaticCommand(scratch: string, root: string, port: number, openFileCache: boolean): string[] {
  const dir = join(scratch, `nginx-${port}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxStaticConfig({ dir, root, port, openFileCache }));
  return [NGINX_BIN, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
}

export interface NginxHelloOptions {
  dir: string;
  port: number;
  /** nginx worker processes (one per core is how nginx is run; the bench's one-process rows use 1). */
  workers: number;
}

/**
 * nginx answering every request with the hello body ("Hello world", text/plain), the baseline
 * users would pick instead of a Node server. Access log off and keepalive_requests raised so that
 * ab -k measures answers, not reconnects (percore has no per-connection request cap either);
 * nginx's defaults otherwise.
 */
export function nginxHelloConfig(o: NginxHelloOptions): string {
  return `daemon off;
master_process on;
worker_processes ${o.workers};
error_log ${join(o.dir, 'error.log')} warn;
pid ${join(o.dir, 'nginx.pid')};
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 10000000;
${tempPaths(o.dir)}  server {
    listen 127.0.0.1:${o.port};
    location / { default_type text/plain; return 200 "Hello world"; }
  }
}
`;
}

/** Writes the hello config into a fresh prefix dir under `scratch` and returns the command line that runs it. */
export function nginxHelloCommand(scratch: string, port: number, workers: number): string[] {
  const dir = join(scratch, `nginx-hello-${port}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxHelloConfig({ dir, port, workers }));
  return [NGINX_BIN, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
}

export function nginxMissing(): string | null {
  return existsSync(NGINX_BIN) ? null : `nginx is not installed at ${NGINX_BIN} (apt-get install nginx, or set PERCORE_NGINX)`;
}

export interface NginxTlsHelloOptions extends NginxHelloOptions {
  certFile: string;
  keyFile: string;
}

/**
 * The hello config over TLS: `listen ... ssl http2` (nginx 1.22 has no `http2 on;`, which came in
 * 1.25.1), TLS 1.3 only, nginx's defaults otherwise (session tickets on, as node's are), and
 * the hello body as a `return 200`.
 */
export function nginxTlsHelloConfig(o: NginxTlsHelloOptions): string {
  return nginxHelloConfig(o).replace(
    `    listen 127.0.0.1:${o.port};\n`,
    `    listen 127.0.0.1:${o.port} ssl http2;\n` +
      `    ssl_certificate ${o.certFile};\n    ssl_certificate_key ${o.keyFile};\n    ssl_protocols TLSv1.3;\n`,
  );
}

/** Writes the TLS hello config into a fresh prefix dir under `scratch` and returns the command line that runs it. */
export function nginxTlsHelloCommand(scratch: string, o: Omit<NginxTlsHelloOptions, 'dir'>): string[] {
  const dir = join(scratch, `nginx-tls-${o.port}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxTlsHelloConfig({ ...o, dir }));
  return [NGINX_BIN, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
}
