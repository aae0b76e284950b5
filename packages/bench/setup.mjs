#!/usr/bin/env node
// `pnpm bench:setup`: installs what `pnpm bench` measures with and against, from Debian's
// packages: Tornado (python3-tornado), ab (apache2-utils), wrk, nginx, and for pnpm bench tls h2load
// (nghttp2-client) and openssl. Needs root or sudo.
// The bench runs /usr/sbin/nginx itself with configs of its own; Debian's nginx service, which the
// package starts where systemd runs, is not used (systemctl disable --now nginx stops it).
import { execFileSync } from 'node:child_process';

const packages = ['python3-tornado', 'apache2-utils', 'wrk', 'nginx', 'nghttp2-client', 'openssl'];
const root = process.getuid?.() === 0;
const run = (args) => {
  const [command, ...rest] = root ? args : ['sudo', ...args];
  console.log(`$ ${[command, ...rest].join(' ')}`);
  execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
try {
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...packages]);
  console.log(`installed: ${packages.join(', ')}`);
} catch (error) {
  console.error(`bench:setup failed (${error.message}). Install them by hand: apt-get install ${packages.join(' ')}`);
  process.exit(1);
}
