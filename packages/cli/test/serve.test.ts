import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childPids, establishedInodes, idsOf, socketInodes, reapAll, requireBuild, runCli, serveCli, within } from './support/cli.js';

/** The server package's entry, by absolute URL: temp modules outside the workspace import it so. */
const SERVER_ENTRY = pathToFileURL(fileURLToPath(new URL('../../server/dist/index.js', import.meta.url))).href;

describe('percore serve (the CLI as a child process)', function () {
  let dir: string;

  before(requireBuild);
  beforeEach(() => {
    // World-readable, so that a worker that dropped to nobody can still serve it.
    dir = mkdtempSync(join(tmpdir(), 'percore-cli-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'hello.txt'), 'hello from disk\n', { mode: 0o644 });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>\n', { mode: 0o644 });
    mkdirSync(join(dir, 'modules'), { mode: 0o755 });
  });
  afterEach(() => {
    reapAll();
    rmSync(dir, { recursive: true, force: true });
  });

  function module(name: string, source: string): string {
    const path = join(dir, 'modules', name);
    writeFileSync(path, source, { mode: 0o644 });
    return path;
  }

  it('serves a directory: a file, and 404 for a missing one', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '2']);
    expect(cli.line).to.include(dir).and.include('2 workers').and.include('engine net');
    const file = await fetch(`${cli.url}/hello.txt`);
    expect(file.status).to.equal(200);
    expect(file.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await file.text()).to.equal('hello from disk\n');
    const missing = await fetch(`${cli.url}/nope.txt`);
    expect(missing.status).to.equal(404);
    await missing.arrayBuffer();
  });

  it('mounts a module exporting a handler and one exporting a Router, with the files at /', async () => {
    const plain = module('plain.mjs', `export default (req, res) => res.end('plain ' + req.path.slice(req.basePath.length));\n`);
    const routed = module(
      'routed.mjs',
      `import { Router } from '${SERVER_ENTRY}';\n` +
        `export const router = new Router().get('/users/:id', (req, res) => res.end('user ' + req.params.id + ' at ' + req.route));\n`,
    );
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '-l', `/plain=${plain}`, '--mount', `/api=${routed}`]);
    expect(await (await fetch(`${cli.url}/plain/a/b`)).text()).to.equal('plain /a/b');
    expect(await (await fetch(`${cli.url}/api/users/7`)).text()).to.equal('user 7 at /api/users/:id');
    const noRoute = await fetch(`${cli.url}/api/nothing`);
    expect(noRoute.status).to.equal(404);
    await noRoute.arrayBuffer();
    expect(await (await fetch(`${cli.url}/hello.txt`)).text()).to.equal('hello from disk\n');
  });

  it('refuses a module that exports no handler, naming it (exit 2)', async () => {
    const bad = module('bad.mjs', 'export const answer = 42;\n');
    const result = await runCli(['serve', dir, '-p', '0', '-w', '1', '-l', `/x=${bad}`]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include(bad).and.include('exports no handler').and.include('answer');
    const missing = await runCli(['serve', dir, '-p', '0', '-w', '1', '-l', `/x=${join(dir, 'modules', 'none.mjs')}`]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('none.mjs').and.include('ENOENT');
  });

  it('exits 2 with one line and a pointer to --help for bad usage', async function () {
    this.timeout(60000); // some twenty CLI runs, one after another, on a shared machine
    const cases: Array<[string[], string]> = [
      [['serve', '--bogus'], "Unknown option '--bogus'"],
      [['serve', dir, '-p', 'eighty'], '--port must be an integer'],
      [['serve', dir, '-p', '70000'], '--port must be an integer from 0 to 65535'],
      [['serve', dir, '--engine', 'h3'], '--engine must be net or uws'],
      [['serve', dir, '--dotfiles', 'maybe'], '--dotfiles must be hide or allow'],
      [['serve', dir, '-l', 'api.mjs'], 'is not PREFIX=MODULE'],
      [['serve', dir, '-r', '/srv'], 'chroot'],
      [['serve', join(dir, 'missing')], 'no such directory'],
      [['serve', join(dir, 'hello.txt')], 'not a directory'],
      [['serve', dir, '--cert', join(dir, 'hello.txt')], '--cert and --key go together'],
      [['serve', dir, '--metrics=stats'], "--metrics must be on, off or a path starting with '/'"],
      [['serve', dir, '--metrics-port', '70000'], '--metrics-port must be an integer from 0 to 65535'],
      [['serve', dir, '-p', '9100', '--metrics-port', '9100'], '--metrics-port 9100 is the main port too'],
      [['serve', dir, '--metrics=/healthz', '--health'], "a health check's path"],
      [['serve', dir, '--log-format', 'json'], 'add --access-log[=FILE]'],
      [['serve', dir, '--access-log', '--log-format', 'clf'], '--log-format must be common or combined or json'],
      [['serve', dir, `--access-log=${join(dir, 'none', 'access.log')}`], 'no such directory'],
      [['serve', dir, `--access-log=${join(dir, 'modules')}`], 'it is a directory'],
      [['serve', dir, '--health=1'], "'--health' does not take an argument"],
      [['bogus'], "unknown command 'bogus'"],
      [[], 'no command given'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr, args.join(' ')).to.include(message).and.include("see 'percore --help'");
      expect(result.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
  });

  it('exits 1 with PERCORE_ERR_LISTEN_FAILED on a taken port', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await runCli(['serve', dir, '-p', String(port), '-w', '1']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('PERCORE_ERR_LISTEN_FAILED').and.include(String(port));
    } finally {
      taken.close();
    }
  });

  it('prints --help and --version and exits 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('Usage: percore serve').and.include('--mount').and.include('RootDirectory=').and.include('NO_COLOR');
    for (const flag of ['--metrics[=PATH]', '--metrics-port PORT', '--health', '--access-log[=FILE]', '--log-format common|combined|json'])
      expect(help.stdout).to.include(flag);
    expect(help.stdout).to.include('PERCORE_METRICS').and.include('PERCORE_ACCESS_LOG').and.include('PERCORE_LOG_FORMAT');
    expect(help.stdout).to.include('--tls-self-signed').and.include('for 30 days').and.include('--no-http2');
    expect(help.stdout).to.include('uWS negotiates no ALPN').and.include('PERCORE_TLS_SELF_SIGNED=1').and.include('PERCORE_HTTP2=0');
    const serveHelp = await runCli(['serve', '-h']);
    expect(serveHelp.code).to.equal(0);
    expect(serveHelp.stdout).to.equal(help.stdout);
    const version = await runCli(['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('--print-config: flags over env over the file over the defaults', async () => {
    const file = join(dir, 'percore.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '127.0.0.2', workers: 3, maxAge: 60, mount: { '/api': './modules/api.mjs' } }));
    const env = { PERCORE_PORT: '2222', PERCORE_HOST: '127.0.0.3', PERCORE_WORKERS: undefined };
    const result = await runCli(['serve', '--config', file, '--print-config', '-p', '3333', dir], { env });
    expect(result.code, result.stderr).to.equal(0);
    const config = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(config.port).to.equal(3333); // flag over env and file
    expect(config.host).to.equal('127.0.0.3'); // env over file
    expect(config.workers).to.equal(3); // file over default
    expect(config.maxAge).to.equal(60);
    expect(config.engine).to.equal('net'); // default
    expect(config.root).to.equal(dir);
    // A file's relative paths are relative to the file.
    expect(config.mounts).to.deep.equal([{ prefix: '/api', module: join(dir, 'modules', 'api.mjs') }]);

    const defaults = await runCli(['serve', '--print-config'], { env: { PERCORE_PORT: undefined, PERCORE_HOST: undefined }, cwd: dir });
    const plain = JSON.parse(defaults.stdout) as Record<string, unknown>;
    expect(plain).to.include({ port: 8080, host: '127.0.0.1', root: dir, single: false, cors: false, dotfiles: 'hide', debug: false });
    expect(plain).to.include({ cert: null, key: null, tlsSelfSigned: false, http2: true });
    expect(plain).to.include({
      metrics: false,
      metricsPath: '/metrics',
      metricsPort: null,
      health: false,
      accessLog: null,
      logFormat: 'combined',
    });
  });

  it('--print-config: the metrics, health and access-log options from flags, env and file', async () => {
    const file = join(dir, 'percore.json');
    writeFileSync(file, JSON.stringify({ metricsPort: 9100, accessLog: 'logs/access.log', logFormat: 'common' }));
    const env = { PERCORE_HEALTH: '1', PERCORE_LOG_FORMAT: 'json', PERCORE_PORT: undefined };
    const result = await runCli(['serve', dir, '--config', file, '--print-config', '--metrics=/prom'], { env });
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.include({
      metrics: true,
      metricsPath: '/prom', // flag
      metricsPort: 9100, // file
      health: true, // env
      accessLog: join(dir, 'logs', 'access.log'), // file, relative to it
      logFormat: 'json', // env over file
    });
  });

  it('--user nobody: every worker runs as nobody once bound, requests still work, and the primary (root) holds no connection', async function () {
    if (process.getuid?.() !== 0) this.skip(); // dropping privileges needs root; CI runs as root
    const cli = await serveCli([dir, '-p', '0', '-w', '2', '--user', 'nobody']);
    expect(cli.line).to.include('as nobody');
    const workers = childPids(cli.child.pid!);
    expect(workers).to.have.length(2);
    for (const pid of workers) {
      const { uid } = idsOf(pid);
      // Real, effective, saved and filesystem uid: all nobody's, none root.
      expect(uid, `worker ${pid}`).to.have.length(4);
      for (const id of uid) expect(id, `worker ${pid}`).to.not.equal(0);
      expect(new Set(uid).size).to.equal(1);
    }
    // The primary keeps root: it never touches a connection.
    expect(idsOf(cli.child.pid!).uid[0]).to.equal(0);
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${cli.url}/hello.txt`, { headers: { connection: 'close' } });
      expect(await response.text()).to.equal('hello from disk\n');
    }

    // A connection held open after its answer: a worker holds its server side, the primary never.
    const port = Number(new URL(cli.url).port);
    const socket = connect(port, '127.0.0.1');
    try {
      const answer = await within(
        new Promise<string>((resolve, reject) => {
          let text = '';
          socket.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.endsWith('hello from disk\n')) resolve(text);
          });
          socket.on('error', reject);
          socket.write('GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n');
        }),
        5000,
        'the keep-alive answer',
      );
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      const established = establishedInodes(port);
      expect(established.size).to.be.greaterThan(0);
      const inPrimary = [...socketInodes(cli.child.pid!)].filter((inode) => established.has(inode));
      const inWorkers = workers.flatMap((pid) => [...socketInodes(pid)].filter((inode) => established.has(inode)));
      expect(inPrimary).to.deep.equal([]);
      expect(inWorkers).to.have.length(1);
    } finally {
      socket.destroy();
    }
  });

  it('--user with an unknown user refuses to serve and exits 1', async function () {
    if (process.getuid?.() !== 0) this.skip(); // as non-root the primary refuses first, tested below
    const result = await runCli(['serve', dir, '-p', '0', '-w', '2', '--user', 'percore-no-such-user']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('refusing to serve').and.include('percore-no-such-user');
    expect(result.stdout).to.not.include('percore serving');
  });

  it('--user as non-root exits 1 before serving', async function () {
    if (process.getuid?.() === 0) this.skip(); // root may drop; the case above covers a failed drop
    const result = await runCli(['serve', dir, '-p', '0', '-w', '1', '--user', 'nobody']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('needs root');
  });

  it('SIGTERM drains an exchange in flight and exits 0', async () => {
    const slow = module('slow.mjs', `export function handler(req, res) { setTimeout(() => res.end('finished'), 300); }\n`);
    const cli = await serveCli([dir, '-p', '0', '-w', '2', '-l', `/slow=${slow}`]);
    const pending = fetch(`${cli.url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    cli.child.kill('SIGTERM');
    const response = await within(pending, 5000, 'the slow response');
    expect(response.status).to.equal(200);
    expect(await response.text()).to.equal('finished');
    expect(await within(cli.exit, 10000, 'the exit')).to.equal(0);
  });

  it('--single answers /index.html for a page that has no file, and 404 for a missing asset', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--single']);
    const page = await fetch(`${cli.url}/some/client/route`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.equal('<!doctype html><title>app</title>\n');
    const htmlAccept = await fetch(`${cli.url}/old.page.php`, { headers: { accept: 'text/html,*/*' } });
    expect(htmlAccept.status).to.equal(200);
    await htmlAccept.arrayBuffer();
    const asset = await fetch(`${cli.url}/missing.js`, { headers: { accept: '*/*' } });
    expect(asset.status).to.equal(404);
    await asset.arrayBuffer();
    const post = await fetch(`${cli.url}/some/route`, { method: 'POST' });
    expect(post.status).to.not.equal(200);
    await post.arrayBuffer();
  });

  it('--cors allows any origin and answers a preflight with 204; --debug logs each request', async () => {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--cors', '-d']);
    const file = await fetch(`${cli.url}/hello.txt?secret=1`);
    expect(file.headers.get('access-control-allow-origin')).to.equal('*');
    await file.arrayBuffer();
    const preflight = await fetch(`${cli.url}/hello.txt`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get('access-control-allow-methods')).to.include('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).to.equal('content-type');
    await within(
      (async () => {
        while (!/GET \/hello\.txt 200 [\d.]+ ms/.test(cli.stderr()) || !/OPTIONS \/hello\.txt 204/.test(cli.stderr()))
          await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      5000,
      'the debug log line',
    );
    expect(cli.stderr()).to.not.include('secret');
  });

  it('a module that throws while loading is a runtime failure (exit 1) with its error', async () => {
    const broken = module('broken.mjs', "throw new Error('the database is down');\n");
    const result = await runCli(['serve', dir, '-p', '0', '-w', '1', '-l', `/x=${broken}`]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('the database is down');
  });

  it('--engine uws serves the same directory', async function () {
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '--engine', 'uws']).catch((error: Error) => {
      // uWebSockets.js has no binary for some Node versions; the CLI then says so and exits 1.
      if (error.message.includes('PERCORE_ERR_UWS_UNAVAILABLE')) this.skip();
      throw error;
    });
    expect(cli.line).to.include('engine uws');
    expect(await (await fetch(`${cli.url}/hello.txt`)).text()).to.equal('hello from disk\n');
  });

  it('-c/-k serve HTTPS', async function () {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
        ],
        { stdio: 'ignore' },
      );
    } catch {
      this.skip(); // no openssl CLI to make a test certificate
    }
    const cli = await serveCli([dir, '-p', '0', '-w', '1', '-c', cert, '-k', key]);
    expect(cli.url).to.match(/^https:\/\//);
    expect(cli.line).to.include('engine net, https, h2 + http/1.1');
    expect(cli.stdout()).to.not.include('self-signed');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${cli.url}/hello.txt`, { ca: readFileSync(cert) }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).to.equal('hello from disk\n');
  });
});
