import { expect } from 'chai';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { serve } from '../../src/cluster/serve.js';
import { PercoreError } from '../../src/errors.js';
import { alive, reapAll, startProcess, within } from '../support/processes.js';
import { requireUws } from '../support/uws.js';

const app = new URL('../fixtures/cluster-app.ts', import.meta.url).href;

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One GET; `agent: false` opens a new connection for it. */
function get(url: string, agent: http.Agent | false = false, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
      response.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** A keep-alive client on one connection at a time, as browsers behave; every failure counts. */
class LoadClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  ok = 0;
  failed = 0;
  readonly errors: string[] = [];
  readonly pids: number[] = [];

  async run(url: string, until: () => boolean, maxRequests = 20_000): Promise<void> {
    for (let i = 0; i < maxRequests && !until(); i++) {
      try {
        await this.once(url);
      } catch (error) {
        this.failed++;
        this.errors.push((error as Error).message);
      }
    }
  }

  // No retry, not even of a request that failed on a reused idle connection: a drain must never
  // close a connection under a request already on the wire.
  private async once(url: string): Promise<void> {
    const reply = await get(url, this.agent);
    if (reply.status !== 200) throw new Error(`status ${reply.status}`);
    this.ok++;
    this.pids.push(Number(reply.body));
  }

  close(): void {
    this.agent.destroy();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve: the cluster', function () {
  this.timeout(30_000);
  afterEach(() => reapAll());

  for (const engine of ['net', 'uws'] as const) {
    describe(`on the ${engine} engine`, function () {
      before(function () {
        if (engine === 'uws') requireUws(this);
      });

      it('serves on N worker processes, each accepting connections itself', async () => {
        const { ready } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine } });
        const pids = ready.pids as number[];
        expect(pids).to.have.length(2);
        const seen = new Set<number>();
        // New connections, 25 at a time, until both workers have answered (bounded).
        for (let round = 0; round < 40 && seen.size < 2; round++) {
          const replies = await Promise.all(Array.from({ length: 25 }, () => get(`${ready.url}/pid`)));
          for (const reply of replies) seen.add(Number(reply.body));
        }
        expect([...seen].sort()).to.deep.equal([...pids].sort());
        expect(pids).to.not.include(Number((await startProcess(app, { env: { WORKERS: '1', ENGINE: engine } })).child.pid));
      });

      it('replaces a worker killed with SIGKILL without disturbing connections on the others', async () => {
        const { ready } = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine } });
        const url = `${ready.url}/pid`;
        const pids = ready.pids as number[];

        // Keep-alive clients; learn which worker each connection landed on. The kernel picks the
        // accepting worker, so all of them may land on one: the survivor is one that has some.
        const clients = Array.from({ length: 8 }, () => new LoadClient());
        let stop = false;
        const load = clients.map((client) => client.run(url, () => stop));
        for (let i = 0; i < 100 && !clients.every((client) => client.pids.length > 0); i++) await sleep(20);
        await sleep(100);
        const survivor = clients[0]!.pids[0]!;
        const victim = pids.find((pid) => pid !== survivor);
        expect(pids, 'the first connection landed on a worker').to.include(survivor);
        const onSurvivor = clients.filter((client) => client.pids.length > 0 && client.pids.every((pid) => pid === survivor));
        expect(onSurvivor.length, 'some connections landed on the surviving worker').to.be.greaterThan(0);
        const before = onSurvivor.map((client) => client.ok);

        process.kill(victim!, 'SIGKILL');
        // A replacement appears: fresh connections reach a pid that is neither of the first two.
        let replacement = 0;
        for (let i = 0; i < 200 && replacement === 0; i++) {
          const pid = Number((await get(url).catch(() => ({ body: '0' }))).body);
          if (pid !== victim && pid !== survivor && pid !== 0) replacement = pid;
          else await sleep(20);
        }
        await sleep(200);
        stop = true;
        await within(Promise.all(load), 10_000, 'load to stop');
        for (const client of clients) client.close();

        expect(replacement, 'a replacement worker served a request').to.be.greaterThan(0);
        expect(alive(replacement)).to.equal(true);
        onSurvivor.forEach((client, index) => {
          expect(client.failed, `failures on the surviving worker: ${client.errors.join('; ')}`).to.equal(0);
          expect(client.ok, 'kept being served throughout').to.be.greaterThan(before[index]!);
        });
        // Throughput recovers: a burst of new connections all succeed.
        const burst = await Promise.all(Array.from({ length: 50 }, () => get(url)));
        expect(burst.every((reply) => reply.status === 200)).to.equal(true);
      });

      it('on SIGTERM finishes the request in flight, then exits 0', async () => {
        const started = await startProcess(app, { env: { WORKERS: '2', ENGINE: engine } });
        // A keep-alive client: its last response must say the connection closes (a client that
        // sends Connection: close itself may not be told so by uWS, RFC 9112 9.6 making it a SHOULD).
        const agent = new http.Agent({ keepAlive: true });
        const slow = get(`${started.ready.url}/slow?ms=1000`, agent);
        await sleep(200);
        process.kill(started.child.pid!, 'SIGTERM');
        const reply = await slow;
        agent.destroy();
        expect(reply.status).to.equal(200);
        expect(reply.headers.connection).to.equal('close');
        expect(await within(started.exit, 10_000, 'primary exit')).to.equal(0);
        for (const pid of started.ready.pids as number[]) expect(alive(pid), `worker ${pid} gone`).to.equal(false);
      });

      it('rolls every worker on SIGHUP under keep-alive load without failing a request', async function () {
        this.timeout(45_000);
        const { ready, child } = await startProcess(app, { env: { WORKERS: '2', GRACE_MS: '2000', ENGINE: engine } });
        const url = `${ready.url}/pid`;
        const oldPids = new Set(ready.pids as number[]);
        const clients = Array.from({ length: 4 }, () => new LoadClient());
        let stop = false;
        const load = clients.map((client) => client.run(url, () => stop));
        await sleep(500);
        process.kill(child.pid!, 'SIGHUP');

        // Keep the load on until the old workers are gone (bounded), then a little longer.
        // (On uws each old worker waits out its grace: uWS cannot say when its idle connections are gone.)
        for (let i = 0; i < 500 && [...oldPids].some(alive); i++) await sleep(50);
        await sleep(300);
        stop = true;
        await within(Promise.all(load), 10_000, 'load to stop');
        for (const client of clients) client.close();

        const failures = clients.flatMap((client) => client.errors);
        expect(failures, failures.join('; ')).to.deep.equal([]);
        expect(clients.reduce((sum, client) => sum + client.ok, 0)).to.be.greaterThan(100);
        // Fresh connections, 25 at a time, until two workers have answered: both must be new.
        const newPids = new Set<number>();
        for (let round = 0; round < 40 && newPids.size < 2; round++) {
          const replies = await Promise.all(Array.from({ length: 25 }, () => get(url)));
          for (const reply of replies) newPids.add(Number(reply.body));
        }
        expect(newPids.size, 'two new workers serve').to.equal(2);
        for (const pid of newPids) expect(oldPids.has(pid), `pid ${pid} changed`).to.equal(false);
        for (const pid of oldPids) expect(alive(pid), `old worker ${pid} exited`).to.equal(false);
      });
    });
  }

  it('stops with a non-zero exit code and the last error when workers crash in a loop', async () => {
    // The loop may stop the primary before every worker has listened (serve() then rejects and
    // no ready line is printed) or after: both must end the same way.
    const outcome = await startProcess(app, { env: { WORKERS: '2', CRASH_AFTER_MS: '30', RESTART_DELAY_MS: '10' } }).then(
      async (started) => ({ code: await within(started.exit, 15_000, 'crash-loop exit'), stderr: started.stderr() }),
      (error: { code?: number | string; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr).to.include('PERCORE_ERR_CRASH_LOOP');
    expect(outcome.stderr).to.include('worker crashed on purpose');
  });

  describe('listening', () => {
    let blocker: Server;
    let port: number;

    beforeEach(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      port = (blocker.address() as { port: number }).port;
    });
    afterEach(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('fails loudly, before any worker starts, on a port that is taken', async () => {
      try {
        await serve({ handler: (_req, res) => res.end(), port, cluster: true, workers: 2, handleSignals: false });
        expect.fail('serve should have rejected');
      } catch (error) {
        expect(error).to.be.instanceOf(PercoreError);
        expect((error as PercoreError).code).to.equal('PERCORE_ERR_LISTEN_FAILED');
        expect((error as Error).message).to.match(/already in use \(EADDRINUSE\)/);
      }
    });

    it('fails the same way in one process', async () => {
      const attempt = serve({ handler: (_req, res) => res.end(), port, cluster: false, handleSignals: false });
      await attempt.then(
        () => expect.fail('serve should have rejected'),
        (error: PercoreError) => expect(error.code).to.equal('PERCORE_ERR_LISTEN_FAILED'),
      );
    });
  });

  it('runs the same options in one process without the cluster', async () => {
    const seen: number[] = [];
    const handle = await serve({
      handler: (_req, res) => res.end('single'),
      port: 0,
      cluster: false,
      handleSignals: false,
      statsIntervalMs: 20,
      onStats: (stats) => seen.push(stats.requests),
    });
    expect(handle.role).to.equal('single');
    expect((await get(`${handle.url}/`)).body).to.equal('single');
    expect(handle.stats().requests).to.equal(1);
    expect(handle.workerPids()).to.deep.equal([process.pid]);
    expect(await handle.close()).to.equal(0);
    expect(await handle.exited).to.equal(0);
  });

  it("aborts the handle's signal once stopped, and stops at the end of an `await using` scope", async () => {
    let signal: AbortSignal;
    let url: string;
    {
      await using handle = await serve({ handler: (_req, res) => res.end('scoped'), port: 0, cluster: false, handleSignals: false });
      ({ signal, url } = handle);
      expect((await get(`${url}/`)).body).to.equal('scoped');
      expect(signal.aborted).to.equal(false);
    }
    expect(signal.aborted).to.equal(true);
    await get(`${url}/`).then(
      () => expect.fail('still serving after the scope ended'),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ECONNREFUSED'),
    );
  });

  it('refuses options that make no sense', async () => {
    for (const bad of [{ workers: 0 }, { port: 70000 }, { handler: undefined }, { crashLoopDeaths: 0 }]) {
      await serve({ handler: (_req, res) => res.end(), cluster: false, handleSignals: false, ...bad }).then(
        () => expect.fail(`accepted ${JSON.stringify(bad)}`),
        (error: PercoreError) => expect(error.code).to.equal('PERCORE_ERR_INVALID_OPTION'),
      );
    }
  });
});
