/**
 * percore behind a real nginx with upstream keepalive (issue 9, item 2; nodejs/node#20256).
 *
 * The rule: the server's keep-alive idle timeout must be longer than the balancer's, so that the
 * balancer, never the server, closes an idle upstream connection. When the server closes first,
 * its FIN can cross a request nginx has just sent on that connection; nginx retries an idempotent
 * request on a fresh connection, but not a POST (non-idempotent, nginx >= 1.9.13), so the POST
 * is answered 502. `behindLoadBalancer` (65 s against nginx's and an ALB's 60 s) keeps that
 * ordering; here it is scaled down so that the file runs in about 20 s.
 *
 * The crossing is made deterministic rather than waited for: the request is written to nginx from
 * a setImmediate callback that then blocks this process's event loop until past the server's idle
 * deadline. nginx, another process, forwards the request meanwhile, so it sits unread in the
 * server's socket while the deadline passes. When the loop resumes, the timers phase (the
 * server's timer wheel: idle timeout, FIN) runs before the poll phase that would read the
 * request: exactly a request landing as the server closes, every time.
 */
import { expect } from 'chai';
import type { Engine } from '../../src/http/engine.js';
import type { Handler } from '../../src/http/api.js';
import { behindLoadBalancer, defaultHttpOptions } from '../../src/http/options.js';
import { createServer } from '../../src/server.js';
import { destroyAllClients, RawClient, delay, type RawResponse } from '../support/raw-client.js';
import { NGINX_BIN, nginxInstalled, startNginx, type Nginx } from './nginx.js';

/** Answers a POST with what it read, and the upstream connection's port (so a reuse is visible). */
const echo: Handler = async (req, res) => {
  const body = await req.text();
  res.setHeader('x-upstream-port', req.remotePort);
  res.end(`echo ${req.method} ${req.path} ${body}`);
};

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

interface Outcome {
  idleMs: number;
  status: number;
  body: string;
  upstreamPort: string | undefined;
}

/** Sends a POST on `client` and reads nginx's answer. */
async function ask(client: RawClient, path: string, body: string): Promise<RawResponse> {
  void client.write(post(path, body));
  return client.readResponse('POST', { timeoutMs: 5000 });
}

/**
 * The crossing: from a setImmediate callback, writes the POST (synchronously, to the kernel),
 * then blocks the event loop until `blockUntil` (performance.now()), then reads the answer.
 */
function askCrossing(client: RawClient, path: string, body: string, blockUntil: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      void client.write(post(path, body)).catch(reject);
      while (performance.now() < blockUntil) {
        // Busy: the server's timers and sockets wait, nginx does not.
      }
      client.readResponse('POST', { timeoutMs: 5000 }).then(resolve, reject);
    });
  });
}

function outcome(idleMs: number, response: RawResponse): Outcome {
  return { idleMs, status: response.status, body: response.text, upstreamPort: response.headers['x-upstream-port'] };
}

function count(outcomes: Outcome[], status: number): number {
  return outcomes.filter((o) => o.status === status).length;
}

/** Prints what a case measured (the counts in benchmarks/results/2026-12-01-nginx-keepalive.md). */
function report(what: string, outcomes: Outcome[]): void {
  const statuses = outcomes.map((o) => `${o.idleMs}:${o.status}${o.upstreamPort === undefined ? '' : `@${o.upstreamPort}`}`).join(' ');
  console.log(`      ${what}: ${outcomes.length} requests, ${count(outcomes, 502)} 502s, ${count(outcomes, 200)} 200s [${statuses}]`);
}

describe('proxy/nginx upstream keepalive in front of the net engine', function () {
  this.timeout(30_000);
  let server: Engine | null = null;
  let nginx: Nginx | null = null;

  before(function () {
    if (nginxInstalled()) return;
    if (process.env.CI) throw new Error(`nginx is not installed at ${NGINX_BIN} (CI installs it with apt-get install nginx)`);
    console.log(`      skipped: nginx is not installed at ${NGINX_BIN} (apt-get install nginx, or set PERCORE_NGINX)`);
    this.skip();
  });

  afterEach(async () => {
    destroyAllClients();
    await nginx?.stop();
    nginx = null;
    await server?.close({ graceMs: 0 });
    server = null;
  });

  /** percore with `keepAliveTimeout`, behind nginx whose upstream keepalive_timeout is `nginxS`. */
  async function start(keepAliveTimeout: number, nginxS: number): Promise<{ port: number }> {
    server = createServer({ handler: echo, http: { keepAliveTimeout }, scheduler: { timerResolutionMs: 10 } });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    nginx = await startNginx({ port, keepalive: 8, keepaliveTimeoutS: nginxS });
    return { port: nginx.port };
  }

  it('the preset outlasts the balancer: behindLoadBalancer is longer than nginx and ALB idle timeouts (60 s)', function () {
    expect(behindLoadBalancer.keepAliveTimeout).to.be.greaterThan(60_000);
    // The default is for direct clients, and is shorter: the preset exists because of that.
    expect(defaultHttpOptions.keepAliveTimeout).to.be.lessThan(60_000);
  });

  it('server idle timeout (2 s) > nginx keepalive_timeout (1 s): POSTs after idle pauses across both boundaries, 4 at a time, are all 200', async function () {
    const { port } = await start(2000, 1);
    // Idle pauses that straddle nginx's close (1 s) and the server's (2 s). Each round sends its 4
    // POSTs at once, on 4 client connections, so nginx spreads them over up to 4 upstream
    // connections that have all idled for the pause (sent one after another, they would all
    // reuse the connection freed last, whose idle time is not the pause).
    const sweep = [800, 990, 1010, 1200, 1990, 2010, 2500];
    const lanes = 4;
    const clients = await Promise.all(Array.from({ length: lanes }, () => RawClient.connect(port)));
    const all: Outcome[] = [];
    const round = async (idleMs: number) => {
      const responses = await Promise.all(clients.map((client, lane) => ask(client, `/lane${lane}/${idleMs}`, `after ${idleMs} ms`)));
      responses.forEach((response, lane) => {
        all.push(outcome(idleMs, response));
        expect(response.text, `lane ${lane}, idle ${idleMs} ms`).to.equal(`echo POST /lane${lane}/${idleMs} after ${idleMs} ms`);
      });
    };
    await round(0);
    for (const idleMs of sweep) {
      await delay(idleMs);
      await round(idleMs);
    }
    const accepted = server!.stats().accepted;
    report(`server 2 s > nginx 1 s, sweep (${accepted} upstream connections)`, all);
    expect(all.length).to.equal(lanes * (sweep.length + 1));
    expect(count(all, 502)).to.equal(0);
    expect(all.map((o) => o.status)).to.deep.equal(all.map(() => 200));
    // nginx kept upstream connections alive (fewer connections than requests: keepalive is on),
    // and closed them over the pauses past its 1 s (at least one new connection after each). How
    // many it reused after the 990 ms pause is its timer's business, so it is not counted.
    const longer = sweep.filter((pause) => pause > 1000).length;
    expect(accepted, 'nginx reused upstream connections').to.be.lessThan(all.length);
    expect(accepted).to.be.at.least(1 + longer);
  });

  it('server idle timeout (2 s) > nginx keepalive_timeout (1 s): a POST landing as the server closes is still 200 (nginx closed first)', async function () {
    const { port } = await start(2000, 1);
    const client = await RawClient.connect(port);
    const outcomes: Outcome[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const warm = await ask(client, '/warm', 'warm');
      expect(warm.status).to.equal(200);
      const answered = performance.now();
      await delay(2000 - 100 - (performance.now() - answered));
      const response = await askCrossing(client, `/cross${attempt}`, 'crossing', answered + 2000 + 150);
      outcomes.push(outcome(2000, response));
      expect(response.text).to.equal(`echo POST /cross${attempt} crossing`);
      // nginx had closed the idle connection at 1 s, and sent this one on a new connection.
      expect(response.headers['x-upstream-port']).to.not.equal(warm.headers['x-upstream-port']);
    }
    report('server 2 s > nginx 1 s, crossing', outcomes);
    expect(count(outcomes, 502)).to.equal(0);
  });

  it('control, the reversed ordering (server 1 s < nginx 3 s): a POST landing as the server closes is answered 502', async function () {
    const { port } = await start(1000, 3);
    const client = await RawClient.connect(port);
    const outcomes: Outcome[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const warm = await ask(client, '/warm', 'warm');
      expect(warm.status).to.equal(200);
      const answered = performance.now();
      // Written 100 ms before the server's idle deadline, nginx still holding the connection
      // (its own timeout is 3 s); the loop resumes 150 ms past it.
      await delay(1000 - 100 - (performance.now() - answered));
      const response = await askCrossing(client, `/cross${attempt}`, 'crossing', answered + 1000 + 150);
      outcomes.push(outcome(1000, response));
    }
    report('server 1 s < nginx 3 s, crossing (control)', outcomes);
    const log = await nginx!.errorLog();
    expect(count(outcomes, 502), `nginx error log:\n${log}`).to.be.at.least(1);
    expect(log).to.match(/upstream prematurely closed connection/);
  });
});
