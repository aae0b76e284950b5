import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES } from '../support/engines.js';
import { reapAll, startProcess, within } from '../support/processes.js';
import { requireUws } from '../support/uws.js';

const app = new URL('./fixtures/access-log-app.ts', import.meta.url).href;

/** Requests sent, and how many clients send them at once, each request on a new connection. */
const REQUESTS = 3000;
const CLIENTS = 48;

/** One GET on a new connection (so the kernel spreads them over both workers). */
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no reply to ${path} within 10 s`)));
    req.on('error', reject);
  });
}

/** REQUESTS requests from CLIENTS concurrent clients; resolves with the statuses by target. */
async function load(port: number): Promise<Map<string, number>> {
  const statuses = new Map<string, number>();
  let next = 0;
  const client = async () => {
    while (next < REQUESTS) {
      const path = `/n/${next++}`;
      statuses.set(path, await get(port, path));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return statuses;
}

interface Line {
  target: string;
  status: number;
  pid: number;
  method: string;
}

/** Every line parsed as JSON: one that doesn't parse (torn or interleaved) fails the test with it. */
function parseLines(text: string): Line[] {
  expect(text.endsWith('\n'), 'the log ends with a whole line').to.equal(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`line ${i + 1} is not one whole JSON object: ${line.slice(0, 300)}`);
      }
    });
}

/** Checks the lines against what was sent: one per request, exactly, from both workers. */
function checkLines(lines: Line[], sent: Map<string, number>, pids: number[]): void {
  expect(lines).to.have.length(REQUESTS);
  const targets = new Set(lines.map((line) => line.target));
  expect(targets.size, 'each request once').to.equal(REQUESTS);
  for (const line of lines) {
    expect(sent.get(line.target), line.target).to.equal(200);
    expect(line).to.include({ method: 'GET', status: 200 });
  }
  const byPid = new Map<number, number>();
  for (const line of lines) byPid.set(line.pid, (byPid.get(line.pid) ?? 0) + 1);
  expect([...byPid.keys()].sort(), `lines per worker: ${JSON.stringify([...byPid])}`).to.deep.equal([...pids].sort());
}

describe('access log: a cluster of 2 workers writing one log', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'percore-access-cluster-'))));
  afterEach(() => {
    reapAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ENGINES) {
    describe(`on ${engine}`, function () {
      before(function () {
        if (engine === 'uws') requireUws(this);
      });

      it('to a file: every line whole, one per request, from both workers, none lost at SIGTERM', async () => {
        const path = join(dir, 'access.log');
        const started = await startProcess(app, { env: { ENGINE: engine, WORKERS: '2', ACCESS_LOG: path } });
        const pids = started.ready.pids as number[];
        expect(pids).to.have.length(2);
        const sent = await load(started.ready.port as number);
        started.child.kill('SIGTERM');
        expect(await within(started.exit, 20_000, 'the cluster’s exit'), started.stderr()).to.equal(0);
        checkLines(parseLines(readFileSync(path, 'utf8')), sent, pids);
      });

      it('to stdout (a pipe shared by the workers): every line whole, one per request, from both workers', async () => {
        const started = await startProcess(app, { env: { ENGINE: engine, WORKERS: '2' } });
        const pids = started.ready.pids as number[];
        const sent = await load(started.ready.port as number);
        started.child.kill('SIGTERM');
        expect(await within(started.exit, 20_000, 'the cluster’s exit'), started.stderr()).to.equal(0);
        // Wait for the pipe's last bytes: 'exit' can come before the stdout stream has ended.
        if (!started.child.stdout!.readableEnded) await new Promise((resolve) => started.child.stdout!.once('end', resolve));
        const stdout = started.stdout();
        const afterReady = stdout.slice(stdout.indexOf('\n') + 1);
        checkLines(parseLines(afterReady), sent, pids);
      });
    });
  }
});
