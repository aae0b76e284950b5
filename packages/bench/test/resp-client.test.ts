import { expect } from 'chai';
import { CLIENT_IDS } from '../src/resp-client/clients.js';
import { parseRespClientCli, respClientUsage, RespClientUsageError } from '../src/resp-client/cli.js';
import { workloadTitles } from '../src/resp-client/main.js';
import {
  batchFor,
  measureCell,
  VALUE,
  type BatchCommand,
  type CallbackClient,
  type CellSettings,
  type PromiseClient,
  type ReplyCallback,
} from '../src/resp-client/measure.js';
import { cpuPerOpUs, opsPerSecond, pairs, renderRespClientTables, roundOrder, type Cell } from '../src/resp-client/report.js';

function usageError(argv: string[]): string {
  try {
    parseRespClientCli(argv);
  } catch (error) {
    expect(error).to.be.instanceOf(RespClientUsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

/** An in-memory store behind both client styles; `wrongAfter` GETs later it answers a wrong value. */
class FakeRedis {
  readonly store = new Map<string, string>();
  commands = 0;
  constructor(private wrongAfter = Infinity) {}
  set(key: string, value: string): string {
    this.commands++;
    this.store.set(key, value);
    return 'OK';
  }
  get(key: string): string | null {
    this.commands++;
    return --this.wrongAfter < 0 ? 'wrong' : (this.store.get(key) ?? null);
  }
  promiseClient(): PromiseClient {
    const later = <T>(f: () => T) => new Promise<T>((resolve) => setImmediate(() => resolve(f())));
    return {
      style: 'promise',
      set: (key, value) => later(() => this.set(key, value)),
      get: (key) => later(() => this.get(key)),
      batch: (commands: readonly BatchCommand[]) => later(() => commands.map((c) => (c.set ? this.set(c.key, VALUE) : this.get(c.key)))),
      close: async () => {},
    };
  }
  callbackClient(): CallbackClient {
    return {
      style: 'callback',
      set: (key, value, callback: ReplyCallback) => setImmediate(() => callback(null, this.set(key, value))),
      get: (key, callback: ReplyCallback) => setImmediate(() => callback(null, this.get(key))),
      close: async () => {},
    };
  }
}

const settings = (workload: CellSettings['workload']): CellSettings => ({ workload, callers: 3, pipeline: 4, warmupMs: 20, durationMs: 50 });

describe('pnpm bench resp-client', () => {
  describe('command line', () => {
    it('defaults to 5 rounds of 3 s after 1 s, 50 callers, batches of 16, every client and workload, pinned 1 / 0', () => {
      expect(parseRespClientCli(['--'])).to.deep.equal({
        command: {
          rounds: 5,
          durationSeconds: 3,
          warmupSeconds: 1,
          callers: 50,
          pipeline: 16,
          clients: [...CLIENT_IDS],
          workloads: ['plain', 'pipelined'],
          serverCpu: '1',
          clientCpu: '0',
        },
      });
    });

    it('takes every flag', () => {
      const parsed = parseRespClientCli([
        '--rounds',
        '2',
        '--duration',
        '0.5',
        '--warmup',
        '0',
        '--callers',
        '8',
        '--pipeline',
        '32',
        '--clients',
        'node-redis, percore',
      ]);
      expect(parsed).to.have.nested.property('command.clients').that.deep.equals(['node-redis', 'percore']);
      expect(parsed).to.deep.include({
        command: {
          rounds: 2,
          durationSeconds: 0.5,
          warmupSeconds: 0,
          callers: 8,
          pipeline: 32,
          clients: ['node-redis', 'percore'],
          workloads: ['plain', 'pipelined'],
          serverCpu: '1',
          clientCpu: '0',
        },
      });
      const unpinned = parseRespClientCli(['--no-pin', '--workloads', 'pipelined', '--prof-dir', '/tmp/p', '--out', '/tmp/r.md']);
      expect(unpinned).to.deep.equal({
        command: {
          rounds: 5,
          durationSeconds: 3,
          warmupSeconds: 1,
          callers: 50,
          pipeline: 16,
          clients: [...CLIENT_IDS],
          workloads: ['pipelined'],
          profDir: '/tmp/p',
          out: '/tmp/r.md',
        },
      });
      expect(parseRespClientCli(['--server-cpu', '2-3', '--client-cpu', '0,1'])).to.deep.nested.include({
        'command.serverCpu': '2-3',
        'command.clientCpu': '0,1',
      });
    });

    it('says what is wrong with a bad value', () => {
      expect(usageError(['--rounds', '0'])).to.equal('--rounds takes a whole number of rounds, 1 or more, got "0"');
      expect(usageError(['--rounds', '1.5'])).to.match(/--rounds/);
      expect(usageError(['--duration', '0'])).to.match(/--duration takes seconds/);
      expect(usageError(['--duration', ''])).to.match(/--duration/);
      expect(usageError(['--warmup', '-1'])).to.match(/--warmup/);
      expect(usageError(['--callers', 'many'])).to.equal('--callers takes a whole number of callers, 1 to 10000, got "many"');
      expect(usageError(['--pipeline', '1'])).to.equal('--pipeline takes a whole number of commands, 2 to 10000, got "1"');
      expect(usageError(['--clients', 'redis-py'])).to.equal(`--clients: unknown "redis-py"; choose from ${CLIENT_IDS.join(', ')}`);
      expect(usageError(['--clients', 'ioredis,ioredis'])).to.equal('--clients: "ioredis" is given twice');
      expect(usageError(['--clients', ','])).to.equal('--clients is empty');
      expect(usageError(['--workloads', 'mset'])).to.match(/--workloads: unknown "mset"/);
      expect(usageError(['--server-cpu', 'one'])).to.match(/--server-cpu takes a CPU list/);
      expect(usageError(['--no-pin', '--client-cpu', '0'])).to.equal('give --no-pin or --server-cpu/--client-cpu, not both');
      expect(usageError(['--connections', '5'])).to.match(/Unknown option '--connections'/);
      expect(usageError(['extra'])).to.match(/positional/i);
    });

    it('describes every flag and client in --help', () => {
      const help = parseRespClientCli(['-h']);
      expect(help).to.deep.equal({ help: respClientUsage() });
      for (const flag of [
        '--rounds',
        '--duration',
        '--warmup',
        '--callers',
        '--pipeline',
        '--clients',
        '--workloads',
        '--server-cpu',
        '--client-cpu',
        '--no-pin',
        '--prof-dir',
        '--out',
      ]) {
        expect(respClientUsage()).to.include(`  ${flag} `);
      }
      for (const id of CLIENT_IDS) expect(respClientUsage()).to.include(id);
    });
  });

  describe('workloads', () => {
    it('batches alternate SET and GET on the caller’s own keys', () => {
      expect(batchFor(7, 4)).to.deep.equal([
        { key: 'bench:7:0', set: true },
        { key: 'bench:7:0', set: false },
        { key: 'bench:7:1', set: true },
        { key: 'bench:7:1', set: false },
      ]);
      expect(batchFor(0, 3).map((c) => c.set)).to.deep.equal([true, false, true]);
    });

    for (const style of ['promise', 'callback'] as const) {
      for (const workload of ['plain', 'pipelined'] as const) {
        it(`${style} ${workload}: counts only commands answered in the window, each caller on its own keys`, async () => {
          const redis = new FakeRedis();
          const client = style === 'promise' ? redis.promiseClient() : redis.callbackClient();
          const measured = await measureCell(client, settings(workload));
          expect(measured.ops).to.be.above(0);
          // Whole iterations only: 2 commands a plain loop, 4 a batch.
          expect(measured.ops % (workload === 'plain' ? 2 : 4)).to.equal(0);
          // The warm-up's commands ran but are not counted.
          expect(measured.ops).to.be.below(redis.commands);
          expect(measured.elapsedMs).to.be.above(0);
          expect(measured.cpuUserUs + measured.cpuSystemUs).to.be.above(0);
          const keys =
            workload === 'plain'
              ? ['bench:0', 'bench:1', 'bench:2']
              : ['bench:0:0', 'bench:0:1', 'bench:1:0', 'bench:1:1', 'bench:2:0', 'bench:2:1'];
          expect([...redis.store.keys()].sort()).to.deep.equal(keys);
        });

        it(`${style} ${workload}: a wrong GET reply fails the cell`, async () => {
          const redis = new FakeRedis(10);
          const client = style === 'promise' ? redis.promiseClient() : redis.callbackClient();
          let failure: unknown;
          await measureCell(client, { ...settings(workload), warmupMs: 5000 }).catch((error: unknown) => (failure = error));
          expect(String(failure)).to.match(/GET bench:\S+ answered "wrong", not the value just SET/);
        });
      }
    }

    it('a failed command fails the cell', async () => {
      const client: CallbackClient = {
        style: 'callback',
        set: (_key, _value, callback) => setImmediate(() => callback(new Error('ERR refused'))),
        get: (_key, callback) => setImmediate(() => callback(null, VALUE)),
        close: async () => {},
      };
      let failure: unknown;
      await measureCell(client, settings('pipelined')).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.equal('Error: ERR refused');
    });
  });

  describe('report', () => {
    const cell = (round: number, client: string, ops: number, cpuUs: number, workload: Cell['workload'] = 'plain'): Cell => ({
      round,
      workload,
      client,
      ops,
      elapsedMs: 1000,
      cpuUserUs: cpuUs * 0.75,
      cpuSystemUs: cpuUs * 0.25,
    });

    it('rotates the clients so each leads a round', () => {
      expect(roundOrder(['a', 'b', 'c'], 1)).to.deep.equal(['a', 'b', 'c']);
      expect(roundOrder(['a', 'b', 'c'], 2)).to.deep.equal(['b', 'c', 'a']);
      expect(roundOrder(['a', 'b', 'c'], 4)).to.deep.equal(['a', 'b', 'c']);
    });

    it('pairs every percore row with every other row', () => {
      expect(pairs(['ioredis', 'percore', 'node-redis', 'percore-send'])).to.deep.equal([
        ['percore', 'ioredis'],
        ['percore', 'node-redis'],
        ['percore-send', 'ioredis'],
        ['percore-send', 'node-redis'],
      ]);
      expect(pairs(['ioredis', 'node-redis'])).to.deep.equal([]);
    });

    it('gives ops/s and CPU per op', () => {
      expect(opsPerSecond({ ops: 500, elapsedMs: 250, cpuUserUs: 0, cpuSystemUs: 0 })).to.equal(2000);
      expect(cpuPerOpUs({ ops: 500, elapsedMs: 250, cpuUserUs: 600, cpuSystemUs: 400 })).to.equal(2);
    });

    it('renders medians and paired per-round ratios', () => {
      const cells = [
        cell(1, 'percore', 100_000, 500_000),
        cell(1, 'ioredis', 50_000, 500_000),
        cell(2, 'percore', 90_000, 450_000),
        cell(2, 'ioredis', 60_000, 600_000),
        cell(3, 'percore', 120_000, 600_000),
        cell(3, 'ioredis', 100_000, 700_000),
        cell(1, 'percore', 10_000, 10_000, 'pipelined'),
      ];
      const table = renderRespClientTables(cells, ['percore', 'ioredis'], workloadTitles({ callers: 50, pipeline: 16 }));
      expect(table).to.include('### plain: 50 callers, each looping `await SET k v; await GET k`');
      expect(table).to.include('| percore | 100,000 | 90,000-120,000 | 5.00 | 3 |');
      expect(table).to.include('| ioredis | 60,000 | 50,000-100,000 | 10.00 | 3 |');
      expect(table).to.include('| percore / ioredis, ops/s | 2.00, 1.50, 1.20 | **1.50** |');
      expect(table).to.include('| ioredis / percore, CPU per op | 2.00, 2.00, 1.40 | **2.00** |');
      // A workload with one client alone has its row and no ratios.
      const pipelined = table.slice(table.indexOf('### pipelined: 50 callers, each awaiting batches of 16 commands'));
      expect(pipelined).to.include('| percore | 10,000 | 10,000-10,000 | 1.00 | 1 |');
      expect(pipelined).not.to.include('paired ratio');
    });
  });
});
