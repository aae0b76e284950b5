/**
 * kill -9 of the whole process group (primary and both workers) under concurrent PUTs, a few
 * times over the same data folder. After each restart:
 *
 * - the server starts (recovery never throws) and the log it left is clean;
 * - every id with an acknowledged PUT is present;
 * - each id's value is one that was sent for it, and not one overtaken: if a PUT A of the id was
 *   acknowledged, and a PUT B of it was sent only after A's answer came back, B is after A in the
 *   log, so a value from A would mean B was lost. Writes still in flight at the kill (sent, never
 *   answered) may or may not have landed: either is right, since nobody was told they did.
 *
 * Clients write one request at a time each, to ids shared between clients, so writes to one id
 * come from several workers at once and only the primary's order decides between them.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_FILE } from '../src/log-store.js';
import { recover } from '../src/record.js';
import { reapServers, startServer } from './spawn-server.js';

const CLIENTS = 8;
const IDS = 24;
const ROUNDS = 3;

interface Write {
  id: string;
  value: string;
  sentAt: number;
  /** When its 2xx came back; undefined if none did. */
  ackedAt?: number;
}

function put(agent: Agent, url: URL, id: string, value: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: `/${id}`, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(value);
  });
}

/** One client: PUTs until `stop` is set or a request fails (the kill). */
async function client(url: URL, clientId: number, round: number, history: Write[], stop: { now: boolean }): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let n = 0; !stop.now; n++) {
      const id = `k${(clientId * 7 + n * 5) % IDS}`;
      const write: Write = { id, value: JSON.stringify({ round, client: clientId, n }), sentAt: performance.now() };
      history.push(write);
      let status: number;
      try {
        status = await put(agent, url, id, write.value);
      } catch {
        return; // the server is gone: this write stays unacknowledged
      }
      if (status === 201 || status === 204) write.ackedAt = performance.now();
      else throw new Error(`PUT /${id} answered ${status}`);
    }
  } finally {
    agent.destroy();
  }
}

async function listItems(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/`);
  expect(response.status).to.equal(200);
  return (await response.json()) as Record<string, unknown>;
}

/** The checks in the header comment; returns a list of violations (empty: all is well). */
function violations(items: Record<string, unknown>, history: readonly Write[]): string[] {
  const found: string[] = [];
  const byId = new Map<string, Write[]>();
  for (const write of history) byId.set(write.id, [...(byId.get(write.id) ?? []), write]);
  for (const [id, writes] of byId) {
    const acked = writes.filter((w) => w.ackedAt !== undefined);
    if (!(id in items)) {
      if (acked.length > 0) found.push(`${id}: absent, but ${acked.length} PUTs of it were acknowledged`);
      continue;
    }
    const value = JSON.stringify(items[id]);
    const source = writes.find((w) => w.value === value);
    if (source === undefined) {
      found.push(`${id}: ${value} was never sent for it`);
      continue;
    }
    if (source.ackedAt === undefined) continue; // in flight at the kill: it may have landed
    const overtaking = acked.find((w) => w.sentAt > source.ackedAt!);
    if (overtaking !== undefined)
      found.push(`${id}: holds ${value}, but ${overtaking.value}, sent after that was acknowledged, was acknowledged too`);
  }
  return found;
}

describe('examples/rest-store crash test: kill -9 of the process group under concurrent PUTs', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'rest-store-crash-'))));
  afterEach(async () => {
    reapServers();
    await rm(dir, { recursive: true, force: true });
  });

  it(`loses no acknowledged PUT and never leaves a corrupt log, ${ROUNDS} crashes in a row`, async function () {
    const history: Write[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer({ REST_STORE_DIR: dir });
      // What the previous crash left must hold up before any new write.
      expect(violations(await listItems(server.url), history), `after crash ${round}`).to.deep.equal([]);

      const stop = { now: false };
      const url = new URL(server.url);
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(url, c, round, history, stop));
      // Kill somewhere in 0.6-2 s of load, at a different point each round.
      await new Promise((resolve) => setTimeout(resolve, 600 + ((round * 523) % 1400)));
      const killed = await server.kill('SIGKILL');
      stop.now = true;
      await Promise.all(clients);
      expect(killed.signal).to.equal('SIGKILL');

      const roundWrites = history.filter((w) => w.value.startsWith(`{"round":${round},`));
      const roundAcked = roundWrites.filter((w) => w.ackedAt !== undefined).length;
      // The load really ran, and the kill really cut writes off mid-way.
      expect(roundAcked, `acknowledged PUTs in round ${round}`).to.be.above(50);
      expect(roundWrites.length - roundAcked, `PUTs in flight at the kill in round ${round}`).to.be.at.least(1);
      // The log as the kill left it: whole records, then at most one torn record.
      const left = recover(await readFile(join(dir, LOG_FILE)));
      expect(left.foreign).to.equal(false);
      expect(left.records).to.be.at.least(1);
    }
    const server = await startServer({ REST_STORE_DIR: dir });
    expect(server.output()).to.match(/rest-store: \d+ items from \d+ records/);
    expect(violations(await listItems(server.url), history), 'after the last crash').to.deep.equal([]);
    expect(Object.keys(await listItems(server.url))).to.have.length(IDS);
    // Start-up compaction rewrote it: no tail left to drop.
    expect(recover(await readFile(join(dir, LOG_FILE)))).to.include({ droppedBytes: 0, records: IDS });
    await server.kill('SIGTERM');
  });
});
