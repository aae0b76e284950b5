import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLogObserver } from '../../src/access-log/access-log.js';
import { resolveAccessLog } from '../../src/access-log/options.js';
import { PercoreError } from '../../src/errors.js';
import type { Engine } from '../../src/http/engine.js';
import type { ExchangeRecord } from '../../src/http/observer.js';
import { Router } from '../../src/routing/router.js';
import { createServer, type ServerOptions } from '../../src/server.js';
import { ENGINES } from '../support/engines.js';
import { requireUws } from '../support/uws.js';

/** One request over a new connection; resolves with the status once the body has arrived. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no reply to ${path} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `read()` is truthy; fails after `ms`. */
async function waitFor<T>(read: () => T, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const quietLogger = { error() {}, info() {} };

describe('access log: createServer({ accessLog })', () => {
  let dir: string;
  let servers: Engine[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'percore-access-log-'))));
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close({ graceMs: 0 })));
    servers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(options: ServerOptions): Promise<number> {
    const server = createServer({ logger: quietLogger, ...options });
    servers.push(server);
    return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  }

  for (const engine of ENGINES) {
    describe(`on ${engine}`, function () {
      before(function () {
        if (engine === 'uws') requireUws(this);
      });

      it('writes a JSON line per exchange, with the route, the headers it keeps, and the bytes', async () => {
        const path = join(dir, 'access.log');
        const router = new Router();
        router.get('/users/:id', (req, res) => res.end(`user ${req.params.id}`));
        const observed: string[] = [];
        const port = await start({
          engine,
          handler: router.handler,
          accessLog: { format: 'json', destination: path },
          observer: { ended: (exchange: ExchangeRecord) => void observed.push(exchange.target) },
        });
        expect(await get(port, '/users/7?full=1', { 'user-agent': 'percore-test/1', referer: 'http://example.com/' })).to.equal(200);
        expect(await get(port, '/nowhere')).to.equal(404);
        await servers.pop()!.close({ graceMs: 0 }); // close resolves once the log is written
        const lines = readFileSync(path, 'utf8')
          .split('\n')
          .slice(0, -1)
          .map((line) => JSON.parse(line));
        expect(lines).to.have.length(2);
        expect(lines[0]).to.include({
          method: 'GET',
          target: '/users/7?full=1',
          httpVersion: '1.1',
          status: 200,
          route: '/users/:id',
          userAgent: 'percore-test/1',
          referer: 'http://example.com/',
          pid: process.pid,
          aborted: false,
        });
        expect(lines[0].remoteAddress).to.match(/127\.0\.0\.1$/);
        expect(lines[0].bytesOut).to.be.at.least('user 7'.length);
        expect(lines[0].durationMs).to.be.a('number').at.least(0);
        expect(Date.parse(lines[0].time)).to.be.within(Date.now() - 60_000, Date.now());
        expect(lines[1]).to.include({ target: '/nowhere', status: 404, route: null, userAgent: null });
        // The user's own observer still sees every exchange.
        expect(observed).to.deep.equal(['/users/7?full=1', '/nowhere']);
      });

      it('writes combined lines by default, with the Referer and User-Agent quoted', async () => {
        const path = join(dir, 'combined.log');
        const port = await start({ engine, handler: (_req, res) => res.end('hello'), accessLog: { destination: path } });
        await get(port, '/a"b', { 'user-agent': 'agent "quoted"' });
        await servers.pop()!.close({ graceMs: 0 }); // close resolves once the log is written
        const line = readFileSync(path, 'utf8');
        expect(line).to.match(
          /^(::ffff:)?127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/a\\x22b HTTP\/1\.1" 200 \d+ "-" "agent \\x22quoted\\x22"\n$/,
        );
      });

      it('logs an exchange whose client reset the connection before any response as aborted, status 499', async () => {
        const path = join(dir, 'aborted.log');
        const port = await start({ engine, handler: () => new Promise(() => {}), accessLog: { format: 'json', destination: path } });
        const socket = connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write('GET /never HTTP/1.1\r\nHost: x\r\n\r\n');
        await new Promise((resolve) => setTimeout(resolve, 50)); // the head reaches the handler
        // A reset, not a FIN: on net a half-closed client still gets its answer.
        socket.resetAndDestroy();
        const text = await waitFor(() => (existsSync(path) ? readFileSync(path, 'utf8') : ''), 'the aborted line');
        expect(JSON.parse(text)).to.include({ target: '/never', status: 499, aborted: true, bytesOut: 0 });
      });
    });
  }

  it('is off by default, and with accessLog: false', async () => {
    const path = join(dir, 'off.log');
    expect(resolveAccessLog(undefined)).to.equal(null);
    expect(resolveAccessLog(false)).to.equal(null);
    expect(resolveAccessLog(true)).to.deep.equal({ format: 'combined', destination: 'stdout' });
    const port = await start({ handler: (_req, res) => res.end('x'), accessLog: false });
    await get(port, '/');
    expect(existsSync(path)).to.equal(false);
  });

  it('refuses a bad format, a bad destination, or a file it cannot open, before it serves', () => {
    const handler = () => {};
    const cases: Array<[unknown, RegExp]> = [
      [{ format: 'xml' }, /accessLog\.format must be one of common, combined, json; got xml/],
      [{ destination: '' }, /accessLog\.destination must be 'stdout' or a file path/],
      [{ destination: 7 }, /accessLog\.destination/],
      ['yes', /accessLog must be true, false or/],
      [{ destination: join(dir, 'missing', 'access.log') }, /accessLog: cannot open .*missing.*for appending/],
    ];
    for (const [accessLog, message] of cases) {
      expect(() => createServer({ handler, accessLog: accessLog as never }), String(accessLog))
        .to.throw(PercoreError, message)
        .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
    }
  });

  it('asks the engine to keep only Referer and User-Agent, and only for the formats that print them', () => {
    const sink = { write() {} };
    expect(accessLogObserver('common', sink).requestHeaders).to.equal(undefined);
    expect(accessLogObserver('combined', sink).requestHeaders).to.deep.equal(['referer', 'user-agent']);
    expect(accessLogObserver('json', sink).requestHeaders).to.deep.equal(['referer', 'user-agent']);
  });

  it('refuses a bad LOG_LEVEL when the server is made', () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'chatty';
    try {
      expect(() => createServer({ handler: () => {} })).to.throw(PercoreError, /LOG_LEVEL must be one of/);
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });
});
