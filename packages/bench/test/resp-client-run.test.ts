import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_IDS } from '../src/resp-client/clients.js';
import { respClientMain } from '../src/resp-client/main.js';
import { REDIS_SERVER, startRedisServer } from '../src/resp-client/server.js';

const percoreDist = fileURLToPath(new URL('../../server/dist/index.js', import.meta.url));

function requireRedisServer(context: Mocha.Context): void {
  if (spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0) return;
  if (process.env.PERCORE_REQUIRE_REDIS === '1') throw new Error(`${REDIS_SERVER} is required (PERCORE_REQUIRE_REDIS=1)`);
  context.skip();
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('pnpm bench resp-client against a real redis-server', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    requireRedisServer(this);
    if (!existsSync(percoreDist)) throw new Error(`${percoreDist} is missing: build packages/server first (pnpm -r exec tsc -b)`);
    dir = mkdtempSync(join(tmpdir(), 'percore-bench-resp-'));
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('starts redis-server on a free port and stops it', async () => {
    const redis = await startRedisServer();
    expect(redis.port).to.be.above(0);
    await redis.stop();
    expect(await refused(redis.port)).to.equal(true);
  });

  it('runs every client in both workloads, each cell in its own process, and reports them', async () => {
    const out = join(dir, 'report.md');
    const profDir = join(dir, 'profiles');
    const lines: string[] = [];
    let report = '';
    const argv = [
      '--rounds',
      '1',
      '--duration',
      '0.2',
      '--warmup',
      '0',
      '--callers',
      '3',
      '--pipeline',
      '4',
      '--no-pin',
      '--out',
      out,
      '--prof-dir',
      profDir,
    ];
    const code = await respClientMain(argv, 'pnpm bench resp-client (test)', { report: (m) => (report = m), progress: (l) => lines.push(l) });
    expect(code).to.equal(0);
    expect(lines).to.have.length(CLIENT_IDS.length * 2);
    for (const line of lines) expect(line).to.match(/^round 1\/1 (plain|pipelined) \S+: [\d,]+ ops\/s, [\d.]+ µs CPU\/op$/);
    expect(readFileSync(out, 'utf8')).to.equal(`${report}\n`);
    expect(report).to.include('Command: `pnpm bench resp-client (test)`');
    expect(report).to.match(/Redis server v=\d/);
    expect(report).to.include('Nothing pinned (--no-pin).');
    for (const id of CLIENT_IDS) expect(report.match(new RegExp(`^\\| ${id} \\| [\\d,]+ \\|`, 'gm'))).to.have.length(2);
    expect(report).to.include('| percore / node-redis, ops/s |');
    expect(report).to.include('| ioredis / percore-send, CPU per op |');
    // One profile per cell.
    expect(readdirSync(profDir).sort()).to.deep.equal(
      CLIENT_IDS.flatMap((id) => [`${id}-pipelined-r1.cpuprofile`, `${id}-plain-r1.cpuprofile`]).sort(),
    );
  });

  it('exits 2 with the usage on a bad flag', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (message: string) => errors.push(message);
    try {
      const quiet = { report: () => {}, progress: () => {} };
      expect(await respClientMain(['--pipeline', '1'], 'x', quiet)).to.equal(2);
      expect(errors.pop()).to.match(/^percore-bench resp-client: --pipeline takes .*\n\nUsage: pnpm bench resp-client/s);
    } finally {
      console.error = original;
    }
  });
});
