/**
 * Drains a real cluster under real load generators: a rolling restart (SIGHUP), a stop (SIGTERM)
 * and a worker that loses its primary. No client may see a failed request or a reset: a draining
 * worker answers each kept-alive connection's next request with Connection: close, and stops
 * accepting before it closes anything. Each run is bounded to a few seconds.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { alive, reapAll, startProcess, within, type Started } from '../support/processes.js';
import { requireTool, runAb, runWrk } from '../support/load-tools.js';
import { requireUws } from '../support/uws.js';

const app = new URL('../fixtures/cluster-app.ts', import.meta.url).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startCluster(engine: 'net' | 'uws' = 'net'): Promise<Started & { url: string; pids: number[] }> {
  const started = await startProcess(app, { env: { WORKERS: '2', GRACE_MS: '3000', ENGINE: engine } });
  return { ...started, url: `${started.ready.url as string}/hello`, pids: started.ready.pids as number[] };
}

/** Sends `signal` to the primary once `afterMs` of load has run. */
function signalAfter(started: Started, signal: NodeJS.Signals, afterMs: number): Promise<void> {
  return sleep(afterMs).then(() => void process.kill(started.child.pid!, signal));
}

/**
 * Resolves a moment after the primary reports its rolling restart done (bounded): the load runs
 * across the whole roll, however long a loaded machine takes to start the new workers.
 */
async function rollDone(started: Started, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (started.stderr().includes('rolling restart done')) {
      await sleep(500);
      return true;
    }
    await sleep(100);
  }
  return false;
}

/** Whether `pid` is running: an orphan that exited stays a zombie where nobody reaps it. */
function running(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) until every one of `pids` has exited. */
async function gone(pids: number[], ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms && pids.some(running); waited += 50) await sleep(50);
  return !pids.some(running);
}

describe('cluster drain under real load (ab, wrk)', function () {
  this.timeout(40_000);
  afterEach(() => reapAll());

  describe('SIGHUP: a rolling restart', function () {
    it('ab -k -c25 completes with 0 failed requests while every worker is replaced', async function () {
      requireTool(this, 'ab');
      const cluster = await startCluster();
      const rolled = signalAfter(cluster, 'SIGHUP', 500).then(() => rollDone(cluster, 25_000));
      const report = await runAb(cluster.url, { keepAlive: true, concurrency: 25, requests: 5_000_000, timeLimitS: 30, stopWhen: rolled });
      expect(await rolled, 'the roll finished under load').to.equal(true);
      expect(report.aborted, report.output).to.equal(null);
      expect(report.complete, 'requests done').to.be.greaterThan(1000);
      expect(report.failed, report.output).to.equal(0);
      expect(report.non2xx, report.output).to.equal(0);
      expect(await gone(cluster.pids, 1000), 'the old workers exited').to.equal(true);
    });

    it('wrk -c25 sees no socket error and no non-2xx answer', async function () {
      requireTool(this, 'wrk');
      const cluster = await startCluster();
      const rolled = signalAfter(cluster, 'SIGHUP', 500).then(() => rollDone(cluster, 25_000));
      const report = await runWrk(cluster.url, { connections: 25, durationS: 30, stopWhen: rolled });
      expect(await rolled, 'the roll finished under load').to.equal(true);
      expect(report.requests, report.output).to.be.greaterThan(1000);
      expect(report.errors, report.output).to.deep.equal({ connect: 0, read: 0, write: 0, timeout: 0 });
      expect(report.non2xx, report.output).to.equal(0);
      expect(await gone(cluster.pids, 1000), 'the old workers exited').to.equal(true);
    });
  });

  describe('on the uws engine (wrk: uWS answers HTTP/1.0, and so ab, with 505)', function () {
    before(function () {
      requireUws(this);
    });

    it('SIGHUP under wrk -c25: no socket error and no non-2xx answer', async function () {
      requireTool(this, 'wrk');
      const cluster = await startCluster('uws');
      const rolled = signalAfter(cluster, 'SIGHUP', 500).then(() => rollDone(cluster, 30_000));
      const report = await runWrk(cluster.url, { connections: 25, durationS: 35, stopWhen: rolled });
      expect(await rolled, 'the roll finished under load').to.equal(true);
      expect(report.requests, report.output).to.be.greaterThan(1000);
      expect(report.errors, report.output).to.deep.equal({ connect: 0, read: 0, write: 0, timeout: 0 });
      expect(report.non2xx, report.output).to.equal(0);
    });
  });

  describe('SIGTERM: drain and exit', function () {
    it('under wrk -c25, no connection is reset or left unanswered; later connects are refused', async function () {
      requireTool(this, 'wrk');
      const cluster = await startCluster();
      const [report] = await Promise.all([runWrk(cluster.url, { connections: 25, durationS: 3 }), signalAfter(cluster, 'SIGTERM', 500)]);
      // wrk counts a refused connect as a write error (its connect is non-blocking); a read
      // error is a connection that broke, or closed, before its answer.
      expect(report.errors.read, report.output).to.equal(0);
      expect(report.errors.timeout, report.output).to.equal(0);
      expect(report.non2xx, report.output).to.equal(0);
      expect(report.requests).to.be.greaterThan(100);
      expect(await within(cluster.exit, 5000, 'the primary to exit')).to.equal(0);
    });

    it('under ab -k -c25, ab ends on a refused connect, never on a reset', async function () {
      requireTool(this, 'ab');
      const cluster = await startCluster();
      const [report] = await Promise.all([
        runAb(cluster.url, { keepAlive: true, concurrency: 25, requests: 2_000_000, timeLimitS: 4 }),
        signalAfter(cluster, 'SIGTERM', 500),
      ]);
      // ab stops at its first socket error: once the port is closed, that is its next connect.
      expect(report.aborted, report.output).to.match(/Connection refused/);
      expect(await within(cluster.exit, 5000, 'the primary to exit')).to.equal(0);
    });
  });

  describe('a worker that loses its primary', function () {
    it('answers the next request on a kept-alive connection with Connection: close, then exits', async function () {
      const cluster = await startCluster();
      const port = new URL(cluster.url).port;
      const socket = connect({ port: Number(port), host: '127.0.0.1' });
      let received = '';
      let error: Error | null = null;
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => (received += text));
      socket.on('error', (e) => (error = e));
      const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const request = 'GET /pid HTTP/1.1\r\nHost: test\r\n\r\n';
      socket.write(request);
      for (let i = 0; i < 100 && !received.includes('\r\n\r\n'); i++) await sleep(20);
      const workerPid = Number(/\r\n\r\n(\d+)$/.exec(received)?.[1]);
      expect(cluster.pids).to.include(workerPid);

      process.kill(cluster.child.pid!, 'SIGKILL');
      await sleep(300);
      expect(running(workerPid), 'the worker drains instead of dying with its primary').to.equal(true);
      received = '';
      socket.write(request);
      await within(ended, 5000, 'the connection to close');
      expect(received).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(received).to.include('Connection: close\r\n');
      expect(error).to.equal(null);
      expect(await gone([workerPid], 5000), 'the orphaned worker exited').to.equal(true);
    });
  });
});
