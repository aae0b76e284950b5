import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NGINX_BIN,
  nginxHelloCommand,
  nginxHelloConfig,
  nginxStaticCommand,
  nginxStaticConfig,
  nginxTlsHelloCommand,
  nginxTlsHelloConfig,
} from '../src/nginx.js';
import { makeCertificate } from '../src/tls/certificate.js';

describe('nginx static config', () => {
  const base = { dir: '/tmp/n', root: '/tmp/n/root', port: 4321 };

  it('runs one worker in the foreground with sendfile on, no access log, serving the root on 127.0.0.1', () => {
    const text = nginxStaticConfig({ ...base, openFileCache: false });
    for (const line of ['daemon off;', 'worker_processes 1;', 'sendfile on;', 'tcp_nopush on;', 'access_log off;']) {
      expect(text, line).to.include(line);
    }
    expect(text).to.match(/listen 127\.0\.0\.1:4321;/);
    expect(text).to.match(/root \/tmp\/n\/root;/);
    expect(text).to.match(/pid \/tmp\/n\/nginx\.pid;/);
    expect(text).not.to.include('open_file_cache');
  });

  it('adds open_file_cache only when asked', () => {
    expect(nginxStaticConfig({ ...base, openFileCache: true })).to.match(/open_file_cache max=\d+ inactive=\d+s;/);
  });

  it('writes a config that nginx itself accepts (nginx -t), when nginx is installed', function () {
    if (!existsSync(NGINX_BIN)) this.skip();
    const scratch = mkdtempSync(join(tmpdir(), 'percore-nginx-conf-'));
    try {
      for (const cache of [false, true]) {
        const argv = nginxStaticCommand(scratch, scratch, 4322, cache);
        expect(argv[0]).to.equal(NGINX_BIN);
        const conf = argv[argv.indexOf('-c') + 1]!;
        expect(readFileSync(conf, 'utf8')).to.equal(
          nginxStaticConfig({ dir: join(scratch, 'nginx-4322'), root: scratch, port: 4322, openFileCache: cache }),
        );
        execFileSync(argv[0]!, [...argv.slice(1), '-t', '-q'], { stdio: 'pipe' });
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('nginx hello config', () => {
  it('answers the hello body with the asked-for worker count, keep-alive uncapped, temp paths in its prefix', () => {
    const text = nginxHelloConfig({ dir: '/tmp/h', port: 4323, workers: 3 });
    for (const line of [
      'daemon off;',
      'worker_processes 3;',
      'access_log off;',
      'keepalive_requests 10000000;',
      'proxy_temp_path /tmp/h/proxy;',
    ]) {
      expect(text, line).to.include(line);
    }
    expect(text).to.include('return 200 "Hello world";');
    expect(text).to.match(/listen 127\.0\.0\.1:4323;/);
  });

  it('writes a config that nginx itself accepts (nginx -t), when nginx is installed', function () {
    if (!existsSync(NGINX_BIN)) this.skip();
    const scratch = mkdtempSync(join(tmpdir(), 'percore-nginx-hello-'));
    try {
      const argv = nginxHelloCommand(scratch, 4324, 1);
      const conf = argv[argv.indexOf('-c') + 1]!;
      expect(readFileSync(conf, 'utf8')).to.equal(nginxHelloConfig({ dir: join(scratch, 'nginx-hello-4324'), port: 4324, workers: 1 }));
      execFileSync(argv[0]!, [...argv.slice(1), '-t', '-q'], { stdio: 'pipe' });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('nginx TLS hello config', () => {
  it('listens with ssl and http2 on the run certificate, TLS 1.3 only, with the hello body', () => {
    const text = nginxTlsHelloConfig({ dir: '/tmp/t', port: 4325, workers: 1, certFile: '/tmp/c/cert.pem', keyFile: '/tmp/c/key.pem' });
    expect(text).to.include('listen 127.0.0.1:4325 ssl http2;');
    expect(text).to.include('ssl_certificate /tmp/c/cert.pem;');
    expect(text).to.include('ssl_certificate_key /tmp/c/key.pem;');
    expect(text).to.include('ssl_protocols TLSv1.3;');
    expect(text).to.include('worker_processes 1;');
    expect(text).to.include('return 200 "Hello world";');
    expect(text).not.to.match(/listen 127\.0\.0\.1:4325;/);
  });

  it('writes a config that nginx itself accepts (nginx -t) with a real certificate, when nginx is installed', function () {
    if (!existsSync(NGINX_BIN)) this.skip();
    const cert = makeCertificate();
    try {
      const argv = nginxTlsHelloCommand(cert.dir, { port: 4326, workers: 1, certFile: cert.certFile, keyFile: cert.keyFile });
      execFileSync(argv[0]!, [...argv.slice(1), '-t', '-q'], { stdio: 'pipe' });
    } finally {
      cert.remove();
    }
  });
});
