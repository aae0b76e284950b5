import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUws } from '@percore/server/uws';
import { reapServers, startServer, type RunningServer } from './spawn-server.js';

for (const engine of ['net', 'uws'] as const) describeRoutes(engine);

function describeRoutes(engine: 'net' | 'uws'): void {
  describe(`examples/rest-store routes on ${engine} (2 workers, a real process)`, function () {
    this.timeout(30_000);
    let dir: string;
    let server: RunningServer;
    const env = () => ({ REST_STORE_DIR: dir, REST_STORE_ENGINE: engine });
    before(function () {
      if (engine !== 'uws') return;
      try {
        loadUws();
      } catch (error) {
        // PERCORE_ERR_UWS_UNAVAILABLE: no uWebSockets.js binary for this Node; where CI requires uWS, fail.
        if (process.env.PERCORE_REQUIRE_UWS === '1') throw error;
        console.log(`      skipped: ${(error as Error).message}`);
        this.skip();
      }
    });
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rest-store-'));
      server = await startServer(env());
    });
    afterEach(async () => {
      reapServers();
      await rm(dir, { recursive: true, force: true });
    });

    /** A fresh connection per request (Connection: close), so requests land on both workers. */
    const call = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
        const url = new URL(path, server.url);
        const req = request({ host: url.hostname, port: url.port, method, path: url.pathname, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });

    it('answers GET, PUT and DELETE as picohttp does, with 400, 404, 405, 413 and 501', async function () {
      expect(await call('GET', '/')).to.include({ status: 200, body: '{}' });
      const created = await call('PUT', '/a', '{ "n": 1 }');
      expect([created.status, created.headers.location]).to.deep.equal([201, '/a']);
      expect(await call('PUT', '/a', '{"n":2}')).to.include({ status: 204, body: '' });
      expect(await call('PUT', '/b-_9', '"two"')).to.include({ status: 201 });
      expect(await call('GET', '/a')).to.include({ status: 200, body: '{"n":2}' });
      expect(JSON.parse((await call('GET', '/')).body)).to.deep.equal({ a: { n: 2 }, 'b-_9': 'two' });
      const head = await call('HEAD', '/a');
      expect([head.status, head.headers['content-length'], head.body]).to.deep.equal([200, '7', '']);

      expect(await call('GET', '/missing')).to.include({ status: 404 });
      expect(await call('DELETE', '/missing')).to.include({ status: 404 });
      expect(await call('PUT', '/bad.id', '1')).to.include({ status: 400 });
      expect(await call('GET', `/${'x'.repeat(65)}`)).to.include({ status: 400 });
      expect(await call('PUT', '/c', 'not json')).to.include({ status: 400 });
      expect(await call('PUT', '/c', JSON.stringify('x'.repeat(17 * 1024)))).to.include({ status: 413 });
      expect(await call('GET', '/c')).to.include({ status: 404 });
      const refused = await call('PUT', '/', '{}');
      expect([refused.status, refused.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
      expect(await call('POST', '/a', '{}')).to.include({ status: 501 });
      expect(await call('PATCH', '/a', '{}')).to.include({ status: 501 });

      expect(await call('DELETE', '/a')).to.include({ status: 204 });
      expect(await call('GET', '/a')).to.include({ status: 404 });
      expect(JSON.parse((await call('GET', '/')).body)).to.deep.equal({ 'b-_9': 'two' });
    });

    it('a GET after a 2xx PUT sees it, whichever worker answers either', async function () {
      for (let i = 0; i < 40; i++) {
        expect((await call('PUT', '/k', String(i))).status).to.be.oneOf([201, 204]);
        expect(await call('GET', '/k')).to.include({ status: 200, body: String(i) });
      }
    });

    it('keeps its items over a SIGTERM and a restart, and drains to exit 0', async function () {
      await call('PUT', '/kept', '{"v":true}');
      expect(await server.kill('SIGTERM')).to.deep.equal({ code: 0, signal: null });
      server = await startServer(env());
      expect(server.output()).to.match(/rest-store: 1 items from 1 records/);
      expect(await call('GET', '/kept')).to.include({ status: 200, body: '{"v":true}' });
    });
  });
}
