/**
 * The router on the wire, on both engines: 404 and 405 (with Allow), HEAD from GET, a mounted
 * router, error pages from a file and from a handler, handlers that fail (logged or not, as their
 * status says), bad parameters, the observer's route label, and keep-alive and pipelining across
 * the router's own answers.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PercoreError } from '../../src/errors.js';
import type { Engine } from '../../src/http/engine.js';
import type { ExchangeObserver } from '../../src/http/observer.js';
import { sendErrorPage } from '../../src/routing/error-pages.js';
import { Router } from '../../src/routing/router.js';
import { createServer } from '../../src/server.js';
import { ENGINES, fetchFrom, startEngine, useEngineCleanup } from '../support/engines.js';
import { collectingLogger, eventually } from '../support/sockets.js';
import { get } from '../support/servers.js';
import { requireUws } from '../support/uws.js';

const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** A router whose handlers report what the router gave them. */
function echoRouter(): Router {
  const api = new Router()
    .get('/', (req, res) => res.end(`api index base=${req.basePath} route=${req.route}`))
    .get('/users/:id', (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ params: req.params, route: req.route, basePath: req.basePath, rest: req.path.slice(req.basePath.length) }));
    });
  return new Router()
    .get('/hello', (_req, res) => res.end('hello'))
    .post('/hello', (_req, res) => res.end('posted'))
    .get('/p/:name', (req, res) => res.end(`name=${req.params.name}`))
    .get('/files/*', (req, res) => res.end(`rest=${req.params['*']}`))
    .mount('/api', api)
    .mount('/raw', (req, res) => res.end(`raw base=${req.basePath} rest=${req.path.slice(req.basePath.length)} route=${req.route}`));
}

for (const engine of ENGINES) {
  describe(`routing/router on the ${engine} engine`, function () {
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    useEngineCleanup();

    it('routes by pattern with decoded params; the query is no part of the match', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      expect((await fetchFrom(server, '/hello?x=1')).body.toString()).to.equal('hello');
      expect((await fetchFrom(server, '/hello', { method: 'POST', body: 'x' })).body.toString()).to.equal('posted');
      expect((await fetchFrom(server, '/p/caf%C3%A9?q')).body.toString()).to.equal('name=café');
      expect((await fetchFrom(server, '/files/a/b%20c')).body.toString()).to.equal('rest=a/b c');
    });

    it('answers 404 with the plain default page, and keeps the connection', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      const client = await server.connect();
      await client.write(get('/nowhere'));
      const response = await client.readResponse();
      expect(response.status).to.equal(404);
      expect(response.headers['content-type']).to.equal(TEXT_PLAIN);
      expect(response.text).to.equal('404 Not Found\n');
      expect(response.headers.connection ?? '').to.not.match(/close/i);
      await client.write(get('/hello'));
      expect((await client.readResponse()).text).to.equal('hello');
      expect(client.serverClosed).to.equal(false);
    });

    it('answers a known path with a method it lacks 405, Allow listing its methods with HEAD beside GET', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      const response = await fetchFrom(server, '/hello', { method: 'DELETE' });
      expect(response.status).to.equal(405);
      expect(response.headers.allow).to.equal('GET, HEAD, POST');
      expect(response.body.toString()).to.equal('405 Method Not Allowed\n');
      const custom = await fetchFrom(server, '/p/x', { method: 'PURGE' });
      expect([custom.status, custom.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
    });

    it('serves HEAD with the GET route: its head, Content-Length included, and no body; HEAD of a 404 too', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      const client = await server.connect();
      await client.write('HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n');
      const head = await client.readResponse('HEAD');
      expect([head.status, head.headers['content-length'], head.body.length]).to.deep.equal([200, '5', 0]);
      await client.write('HEAD /nowhere HTTP/1.1\r\nHost: test\r\n\r\n');
      const missing = await client.readResponse('HEAD');
      expect([missing.status, missing.headers['content-length'], missing.body.length]).to.deep.equal([404, '14', 0]);
      // Nothing stray followed either body-less answer: the next response parses cleanly.
      await client.write(get('/hello'));
      expect((await client.readResponse()).text).to.equal('hello');
    });

    it('hands a mounted router the rest of the path, with basePath, params and the full route', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      const user = await fetchFrom(server, '/api/users/7');
      expect(JSON.parse(user.body.toString())).to.deep.equal({
        params: { id: '7' },
        route: '/api/users/:id',
        basePath: '/api',
        rest: '/users/7',
      });
      expect((await fetchFrom(server, '/api')).body.toString()).to.equal('api index base=/api route=/api');
      expect((await fetchFrom(server, '/raw/x/y')).body.toString()).to.equal('raw base=/raw rest=/x/y route=/raw/*');
      expect((await fetchFrom(server, '/raw')).body.toString()).to.equal('raw base=/raw rest= route=/raw/*');
      expect((await fetchFrom(server, '/rawx')).status).to.equal(404);
      // The mounted router's own 404.
      expect((await fetchFrom(server, '/api/users')).status).to.equal(404);
    });

    it('answers a malformed parameter 400 and an overlong one 414, logging neither', async () => {
      const router = new Router({ maxParamLength: 8 }).get('/p/:id', (_req, res) => res.end('never'));
      const server = await startEngine(engine, router.handler);
      const bad = await fetchFrom(server, '/p/%E0%A4%A');
      expect([bad.status, bad.body.toString()]).to.deep.equal([400, '400 Bad Request\n']);
      const long = await fetchFrom(server, '/p/123456789');
      expect([long.status, long.body.toString()]).to.deep.equal([414, '414 URI Too Long\n']);
      expect(server.codes()).to.deep.equal([]);
    });

    describe('error pages', () => {
      let dir = '';
      before(() => {
        dir = mkdtempSync(join(tmpdir(), 'percore-pages-'));
        writeFileSync(join(dir, '404.html'), '<h1>Not here</h1>\n');
      });
      after(() => rmSync(dir, { recursive: true, force: true }));

      it('answers 404 from a file page, typed by its extension, HEAD without the body', async () => {
        const router = new Router({ errorPages: { 404: { file: join(dir, '404.html') } } }).get('/a', (_req, res) => res.end('a'));
        const server = await startEngine(engine, router.handler);
        const page = await fetchFrom(server, '/b');
        expect([page.status, page.headers['content-type'], page.body.toString()]).to.deep.equal([
          404,
          'text/html; charset=utf-8',
          '<h1>Not here</h1>\n',
        ]);
        const client = await server.connect();
        await client.write('HEAD /b HTTP/1.1\r\nHost: test\r\n\r\n');
        const head = await client.readResponse('HEAD');
        expect([head.status, head.headers['content-length'], head.body.length]).to.deep.equal([404, '18', 0]);
      });

      it('answers a handler that throws with the 500 page, without the headers it had set, and logs it', async () => {
        const router = new Router({
          errorPages: { 500: (req, res) => res.end(`custom ${res.status} for ${req.route}`) },
        })
          .get('/sync', (_req, res) => {
            res.setHeader('Content-Type', 'application/json');
            res.setHeader('ETag', '"v1"');
            res.setHeader('Cache-Control', 'max-age=60');
            res.setHeader('X-Kept', 'yes');
            throw new Error('handler bug');
          })
          .get('/async', async () => {
            await Promise.resolve();
            throw new Error('async bug');
          });
        const server = await startEngine(engine, router.handler);
        const sync = await fetchFrom(server, '/sync');
        expect([sync.status, sync.body.toString()]).to.deep.equal([500, 'custom 500 for /sync']);
        expect(sync.headers['content-type']).to.equal(undefined);
        expect(sync.headers.etag).to.equal(undefined);
        expect(sync.headers['cache-control']).to.equal(undefined);
        expect(sync.headers['x-kept']).to.equal('yes');
        const rejected = await fetchFrom(server, '/async');
        expect([rejected.status, rejected.body.toString()]).to.deep.equal([500, 'custom 500 for /async']);
        await eventually(() => server.codes().length === 2, 2000, 'two failures logged');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED', 'PERCORE_ERR_HANDLER_FAILED']);
        expect((server.logged[0]!.error as Error).message).to.equal('handler bug');
      });

      it('answers the default 500 page for a failure without a page', async () => {
        const router = new Router().get('/boom', () => {
          throw new Error('boom');
        });
        const server = await startEngine(engine, router.handler);
        const response = await fetchFrom(server, '/boom');
        expect([response.status, response.headers['content-type'], response.body.toString()]).to.deep.equal([
          500,
          TEXT_PLAIN,
          '500 Internal Server Error\n',
        ]);
        await eventually(() => server.codes().length === 1, 2000, 'the failure logged');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      });

      it('answers a thrown PERCORE_ERR_NOT_FOUND with the 404 page, logging nothing', async () => {
        const router = new Router({ errorPages: { 404: { body: 'no such thing\n' } } }).get('/files/*', async (_req, res) => {
          res.setHeader('Content-Type', 'image/png');
          await Promise.resolve();
          throw new PercoreError('PERCORE_ERR_NOT_FOUND', 'missing.png');
        });
        const server = await startEngine(engine, router.handler);
        const response = await fetchFrom(server, '/files/missing.png');
        expect([response.status, response.headers['content-type'], response.body.toString()]).to.deep.equal([
          404,
          TEXT_PLAIN,
          'no such thing\n',
        ]);
        const unknown = await fetchFrom(server, '/elsewhere');
        expect(unknown.body.toString()).to.equal('no such thing\n');
        expect(server.codes()).to.deep.equal([]);
      });

      it('cuts the connection when the handler fails after its head went out', async () => {
        const router = new Router().get('/half', async (_req, res) => {
          res.setHeader('Content-Length', 10);
          res.write('12345');
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error('half way');
        });
        const server = await startEngine(engine, router.handler);
        const client = await server.connect();
        await client.write(get('/half'));
        const result = await client.readUntilClose();
        expect(result.closed).to.equal(true);
        expect(result.responses).to.deep.equal([]);
        await eventually(() => server.codes().length === 1, 2000, 'the failure logged');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      });

      it('gives a mounted router the pages of the routers above it for the statuses it has none for', async () => {
        const inner = new Router({ errorPages: { 405: { body: 'inner 405\n' } } })
          .get('/fail', () => {
            throw new Error('inner bug');
          })
          .get('/only-get', (_req, res) => res.end('ok'));
        const plain = new Router().get('/x', (_req, res) => res.end('x'));
        const outer = new Router({ errorPages: { 404: { body: 'outer 404\n' }, 405: { body: 'outer 405\n' }, 500: { body: 'outer 500\n' } } })
          .mount('/in', inner)
          .mount('/plain', plain);
        const server = await startEngine(engine, outer.handler);
        const answers = [];
        for (const [path, method] of [
          ['/in/missing', 'GET'],
          ['/in/only-get', 'POST'],
          ['/in/fail', 'GET'],
          ['/plain/missing', 'GET'],
          ['/plain/x', 'PUT'],
        ] as const) {
          const response = await fetchFrom(server, path, { method });
          answers.push(`${response.status} ${response.body.toString()}`);
        }
        expect(answers).to.deep.equal(['404 outer 404\n', '405 inner 405\n', '500 outer 500\n', '404 outer 404\n', '405 outer 405\n']);
        await eventually(() => server.codes().length === 1, 2000, 'the failure logged');
        expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
      });

      it('lets a handler answer through sendErrorPage with extra headers', async () => {
        const pages = { 405: { body: 'not that way\n' } };
        const router = new Router().get('/only-get', (req, res) => sendErrorPage(req, res, 405, pages, { Allow: 'GET, HEAD' }));
        const server = await startEngine(engine, router.handler);
        const response = await fetchFrom(server, '/only-get');
        expect([response.status, response.headers.allow, response.body.toString()]).to.deep.equal([405, 'GET, HEAD', 'not that way\n']);
      });
    });

    it('keeps one connection across 404, 405 and 200, and answers a pipelined pair in order', async () => {
      const server = await startEngine(engine, echoRouter().handler);
      const client = await server.connect();
      await client.write(get('/nope'));
      expect((await client.readResponse()).status).to.equal(404);
      await client.write('PUT /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc');
      const refused = await client.readResponse();
      expect([refused.status, refused.headers.allow]).to.deep.equal([405, 'GET, HEAD, POST']);
      await client.write(get('/missing') + get('/p/two'));
      const [first, second] = await client.readResponses(2);
      expect([first!.status, first!.text]).to.deep.equal([404, '404 Not Found\n']);
      expect([second!.status, second!.text]).to.deep.equal([200, 'name=two']);
      expect(client.serverClosed).to.equal(false);
    });

    it("labels the observer's records with the route pattern, never the raw path", async () => {
      const ended: Array<[string, string | undefined, number]> = [];
      const observer: ExchangeObserver = { ended: (record) => void ended.push([record.target, record.route, record.status]) };
      const server: Engine = createServer({ engine, handler: echoRouter().handler, observer, logger: collectingLogger() });
      try {
        const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
        for (const path of ['/p/ann', '/api/users/9?x=1', '/raw/deep/er', '/nowhere']) await fetch(`http://127.0.0.1:${port}${path}`);
        await eventually(() => ended.length === 4, 2000, 'four ended records');
        expect(ended).to.deep.equal([
          ['/p/ann', '/p/:name', 200],
          ['/api/users/9?x=1', '/api/users/:id', 200],
          ['/raw/deep/er', '/raw/*', 200],
          ['/nowhere', undefined, 404],
        ]);
      } finally {
        await server.close({ graceMs: 0 });
      }
    });
  });
}
