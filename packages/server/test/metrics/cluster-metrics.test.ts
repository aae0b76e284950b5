/**
 * Metrics and health checks on a real cluster: the sums in /metrics equal the requests sent,
 * exactly, whichever worker answers the scrape; they survive a rolling restart; readiness turns
 * 503 when a drain starts.
 */
import { expect } from 'chai';
import http from 'node:http';
import { serve } from '../../src/cluster/serve.js';
import { reapAll, startProcess, within } from '../support/processes.js';
import { requireUws } from '../support/uws.js';

const app = new URL('../fixtures/metrics-app.ts', import.meta.url).href;

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function get(url: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
      response.on('error', reject);
    });
    request.setTimeout(10_000, () => request.destroy(new Error('no reply within 10 s')));
    request.on('error', reject);
  });
}

/** The value of the one sample of `name` whose labels include all of `labels`, summed over matches. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) {
      total += Number(match[3]);
      found = true;
    }
  }
  if (!found) throw new Error(`no sample ${name} ${JSON.stringify(labels)} in:\n${text}`);
  return total;
}

/** Requests in batches of `concurrency`, each on a new connection (so both workers take some). */
async function load(url: (i: number) => string, count: number, concurrency = 25): Promise<number[]> {
  const statuses: number[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, k) => get(url(start + k)));
    for (const reply of await Promise.all(batch)) statuses.push(reply.status);
  }
  return statuses;
}

/**
 * Scrapes through keep-alive connections until scrapes answered by every worker are in hand;
 * /pid on the same connection first says which worker it is. Bounded.
 */
async function scrapeEveryWorker(base: string, metricsUrl: string, pids: number[], sameConnection: boolean): Promise<Map<number, string>> {
  const byWorker = new Map<number, string>();
  for (let attempt = 0; attempt < 60 && byWorker.size < pids.length; attempt++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const pid = Number((await get(`${base}/pid`, agent)).body);
      // On a port of its own, which worker answers cannot be told: every scrape must agree anyway.
      const reply = await get(metricsUrl, sameConnection ? agent : false);
      expect(reply.status).to.equal(200);
      expect(reply.headers['content-type']).to.equal('text/plain; version=0.0.4; charset=utf-8');
      if (!byWorker.has(pid)) byWorker.set(pid, reply.body);
    } finally {
      agent.destroy();
    }
  }
  expect([...byWorker.keys()].sort(), 'scrapes answered by every worker').to.deep.equal([...pids].sort());
  return byWorker;
}

describe('metrics: the cluster', function () {
  this.timeout(60_000);
  afterEach(() => reapAll());

  for (const engine of ['net', 'uws'] as const) {
    describe(`on the ${engine} engine`, function () {
      before(function () {
        if (engine === 'uws') requireUws(this);
      });

      it('gives the exact sums of every worker, whichever worker answers the scrape', async function () {
        const { ready } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine, METRICS: 'main' } });
        const base = ready.url as string;
        const statuses = await load((i) => `${base}/users/${i}`, 300);
        expect(statuses.every((status) => status === 200)).to.equal(true);
        expect(await load(() => `${base}/nowhere`, 7)).to.deep.equal(Array(7).fill(404));
        expect(await load(() => `${base}/boom`, 3)).to.deep.equal(Array(3).fill(500));
        const scrapes = await scrapeEveryWorker(base, ready.metricsUrl as string, ready.pids as number[], true);
        for (const [pid, text] of scrapes) {
          expect(sample(text, 'http_requests_total', { route: '/users/:id', code: '200', method: 'GET' }), `worker ${pid}`).to.equal(300);
          expect(sample(text, 'http_request_duration_seconds_count', { route: '/users/:id' })).to.equal(300);
          expect(sample(text, 'http_request_duration_seconds_bucket', { route: '/users/:id', le: '+Inf' })).to.equal(300);
          expect(sample(text, 'http_requests_total', { code: '404', route: '' })).to.equal(7);
          expect(sample(text, 'http_requests_total', { code: '500', route: '/boom' })).to.equal(3);
          // The router answered the throws with its 500 page; they still count as errors.
          expect(sample(text, 'percore_http_exchange_errors_total', { code: 'handler' })).to.equal(3);
          // The program's own counter, registered in each worker, is summed the same way.
          expect(sample(text, 'app_user_reads_total', { kind: 'user' })).to.equal(300);
          expect(sample(text, 'percore_workers')).to.equal(2);
          expect(sample(text, 'percore_worker_restarts_total')).to.equal(0);
          expect(sample(text, 'percore_metrics_stale_workers')).to.equal(0);
          expect(sample(text, 'process_resident_memory_bytes')).to.be.greaterThan(0);
          // The raw path never becomes a label.
          expect(text).to.not.include('/users/1"');
        }
      });

      it('serves metrics on a port of their own, and not on the main one', async function () {
        const { ready } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine, METRICS: 'port' } });
        const base = ready.url as string;
        const metricsUrl = ready.metricsUrl as string;
        expect(new URL(metricsUrl).port).to.not.equal(new URL(base).port);
        await load((i) => `${base}/users/${i}`, 100);
        expect((await get(`${base}/metrics`)).status).to.equal(404);
        const texts = await Promise.all(Array.from({ length: 6 }, () => get(metricsUrl)));
        for (const { status, body } of texts) {
          expect(status).to.equal(200);
          expect(sample(body, 'http_requests_total', { route: '/users/:id' })).to.equal(100);
          // The scrapes on their own port are not counted as the program's traffic.
          expect(body).to.not.include('route="/metrics"');
        }
        expect((await get(metricsUrl.replace('/metrics', '/other'))).status).to.equal(404);
      });

      it('keeps every count through a rolling restart: drained workers leave their figures', async function () {
        const { ready, child } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine, METRICS: 'port', GRACE_MS: '1000' } });
        const base = ready.url as string;
        const metricsUrl = ready.metricsUrl as string;
        await load((i) => `${base}/users/${i}`, 120);
        const before = sample((await get(metricsUrl)).body, 'http_requests_total', { route: '/users/:id' });
        expect(before).to.equal(120);
        process.kill(child.pid!, 'SIGHUP');
        // Both old workers replaced: the restarts counter does not move (a roll is no death).
        const oldPids = new Set(ready.pids as number[]);
        for (let i = 0; i < 200; i++) {
          const pids = new Set<number>();
          for (const reply of await Promise.all(Array.from({ length: 10 }, () => get(`${base}/pid`).catch(() => ({ body: '0' })))))
            pids.add(Number(reply.body));
          if (![...pids].some((pid) => oldPids.has(pid) || pid === 0) && pids.size > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the last drain's figures arrive
        const after = (await get(metricsUrl)).body;
        expect(sample(after, 'http_requests_total', { route: '/users/:id' })).to.equal(120);
        expect(sample(after, 'percore_worker_restarts_total')).to.equal(0);
      });

      it('answers /healthz and /readyz, and readiness turns 503 as soon as a drain starts', async function () {
        const started = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine, HEALTH: '1', GRACE_MS: '3000' } });
        const base = started.ready.url as string;
        const live = await get(`${base}/healthz`);
        expect([live.status, live.body, live.headers['cache-control']]).to.deep.equal([200, 'ok\n', 'no-store']);
        expect((await get(`${base}/readyz`)).status).to.equal(200);
        // An idle keep-alive connection, and a slow request keeping the drain open.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        expect((await get(`${base}/readyz`, agent)).status).to.equal(200);
        const slow = get(`${base}/slow?ms=1500`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        process.kill(started.child.pid!, 'SIGTERM');
        // The primary tells the workers over IPC: ask on the kept-alive connection until it turns (bounded).
        let draining = await get(`${base}/readyz`, agent);
        for (let i = 0; i < 100 && draining.status === 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          draining = await get(`${base}/readyz`, agent);
        }
        agent.destroy();
        expect(draining.status).to.equal(503);
        expect(draining.body).to.equal('draining\n');
        expect((await slow).status).to.equal(200);
        expect(await within(started.exit, 15_000, 'primary exit')).to.equal(0);
      });
    });
  }

  describe('in one process (cluster: false)', function () {
    it('serves its own figures, turns not ready on close, and checks its options', async function () {
      const handle = await serve({
        cluster: false,
        port: 0,
        handleSignals: false,
        metrics: true,
        health: { livePath: '/live', readyPath: '/ready' },
        handler: async (req, res) => {
          if (req.path === '/slow') await new Promise((resolve) => setTimeout(resolve, 500));
          res.end('hi');
        },
      });
      try {
        expect(handle.metricsUrl).to.equal(`${handle.url}/metrics`);
        await load(() => `${handle.url}/x`, 10);
        expect(sample((await get(handle.metricsUrl!)).body, 'http_requests_total', { route: '' })).to.equal(10);
        expect((await get(`${handle.url}/live`)).status).to.equal(200);
        const post = await new Promise<number>((resolve, reject) => {
          const request = http.request(`${handle.url}/metrics`, { method: 'POST' }, (response) => resolve(response.statusCode!));
          request.on('error', reject);
          request.end();
        });
        expect(post).to.equal(405);
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        expect((await get(`${handle.url}/ready`, agent)).status).to.equal(200);
        const slow = get(`${handle.url}/slow`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const closing = handle.close();
        expect((await get(`${handle.url}/ready`, agent)).status).to.equal(503);
        agent.destroy();
        await slow;
        await closing;
      } finally {
        await handle.close();
      }
    });

    it("answers /readyz from the program's own check as well as the drain", async function () {
      let databaseUp = false;
      let broken = false;
      const handle = await serve({
        cluster: false,
        port: 0,
        handleSignals: false,
        health: {
          ready: () => {
            if (broken) throw new Error('the check itself failed');
            return databaseUp;
          },
        },
        handler: (_req, res) => res.end('hi'),
      });
      try {
        const notReady = await get(`${handle.url}/readyz`);
        expect([notReady.status, notReady.body]).to.deep.equal([503, 'not ready\n']);
        databaseUp = true;
        expect((await get(`${handle.url}/readyz`)).status).to.equal(200);
        broken = true;
        expect((await get(`${handle.url}/readyz`)).status).to.equal(503);
        expect((await get(`${handle.url}/healthz`)).status).to.equal(200);
      } finally {
        await handle.close();
      }
    });

    it('refuses bad metrics and health options before serving', async function () {
      const handler = () => {};
      const cases: Array<[string, Parameters<typeof serve>[0]]> = [
        ['a relative path', { cluster: false, handler, metrics: { path: 'metrics' } }],
        ['a port out of range', { cluster: false, handler, metrics: { port: 70000 } }],
        ['a host without a port', { cluster: false, handler, metrics: { host: '127.0.0.1' } }],
        ['the main port', { cluster: false, handler, port: 9123, metrics: { port: 9123 } }],
        ['the same health paths', { cluster: false, handler, health: { livePath: '/h', readyPath: '/h' } }],
        ['a ready check that is not a function', { cluster: false, handler, health: { ready: true as never } }],
        [
          'a custom protocol with metrics on its port',
          { cluster: false, protocol: { factory: () => undefined as never }, metrics: true } as never,
        ],
      ];
      for (const [what, options] of cases) {
        const error = await serve(options).then(
          () => null,
          (thrown: unknown) => thrown,
        );
        expect((error as { code?: string } | null)?.code, what).to.equal('PERCORE_ERR_INVALID_OPTION');
      }
    });
  });
});
