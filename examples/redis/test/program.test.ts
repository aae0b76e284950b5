// main.ts run as users run it, driven by redis-cli and redis-benchmark, single and clustered.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RespConnection } from './support.js';

const examplesDir = fileURLToPath(new URL('../..', import.meta.url));
const running = new Set<ChildProcess>();

interface Program {
  port: number;
  output(): string;
  stop(): Promise<number | null>;
}

function launch(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'redis/src/main.ts', ...args], {
    cwd: examplesDir,
    env: { ...process.env, PORT: undefined },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => text, exited };
}

async function startProgram(args: string[], deadlineMs = 15_000): Promise<Program> {
  const { child, output, exited } = launch(['--port', '0', ...args]);
  const deadline = Date.now() + deadlineMs;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    const match = /listening on redis:\/\/[^:]+:(\d+)/.exec(output());
    if (match !== null) {
      return {
        port: Number(match[1]),
        output,
        stop: () => {
          if (!gone) process.kill(-child.pid!, 'SIGTERM');
          return exited;
        },
      };
    }
    if (gone || Date.now() > deadline) throw new Error(`the server did not listen:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function reap(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function tool(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? null : found;
}

describe('examples/redis main.ts (run as a program)', function () {
  this.timeout(60_000);
  afterEach(reap);

  it('--help explains the options and the per-worker keyspace; an unknown option exits 2', async () => {
    const help = launch(['--help']);
    expect(await help.exited).to.equal(0);
    expect(help.output()).to.include('--workers N').and.include('OWN keyspace').and.include('--max-output');
    const bad = launch(['--frobnicate']);
    expect(await bad.exited).to.equal(2);
    expect(bad.output()).to.include('unknown option --frobnicate');
  });

  it('answers redis-cli: PING, SET, GET, INCR, INFO, CONFIG GET save', async function () {
    const redisCli = tool('redis-cli');
    if (redisCli === null) {
      if (process.env.PERCORE_REQUIRE_REDIS === '1') throw new Error('redis-cli is required (PERCORE_REQUIRE_REDIS=1)');
      console.log('      skipped: redis-cli is not on PATH (apt-get install redis-tools)');
      this.skip();
    }
    const program = await startProgram([]);
    expect(program.output()).to.include('one process, one keyspace');
    const cli = (...args: string[]) => spawnSync(redisCli, ['-p', String(program.port), ...args], { encoding: 'utf8', timeout: 5000 }).stdout;
    expect(cli('PING')).to.equal('PONG\n');
    expect(cli('SET', 'greeting', 'hello world')).to.equal('OK\n');
    expect(cli('GET', 'greeting')).to.equal('hello world\n');
    expect(cli('INCR', 'visits')).to.equal('1\n');
    expect(cli('INCR', 'visits')).to.equal('2\n');
    expect(cli('INFO'))
      .to.match(/redis_version:7\.0\.15\r?\n/)
      .and.match(/db0:keys=2,expires=0/);
    expect(cli('CONFIG', 'GET', 'save')).to.equal('save\n\n');
    expect(cli('GET', 'nope')).to.equal('\n');
    expect(await program.stop()).to.equal(0);
  });

  it('completes redis-benchmark -t ping,set,get,incr,mset -n 20000 -P 16 -c 50, every test with a rate, no errors', async function () {
    const benchmark = tool('redis-benchmark');
    if (benchmark === null) {
      if (process.env.PERCORE_REQUIRE_REDIS === '1') throw new Error('redis-benchmark is required (PERCORE_REQUIRE_REDIS=1)');
      console.log('      skipped: redis-benchmark is not on PATH (apt-get install redis-tools)');
      this.skip();
    }
    const program = await startProgram([]);
    const args = ['-p', String(program.port), '-t', 'ping,set,get,incr,mset', '-n', '20000', '-P', '16', '-c', '50', '-q', '--csv'];
    const run = spawnSync(benchmark, args, { encoding: 'utf8', timeout: 50_000 });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.not.match(/error|WARNING/i);
    const rows = run.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
    expect(rows.map((row) => row[0])).to.deep.equal(['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)']);
    for (const row of rows) expect(Number(row[1]), row[0]).to.be.greaterThan(0);
    // The last INCR made counter:__rand_int__ (-r not given: one key) 20000.
    const connection = await RespConnection.open(program.port);
    expect(await connection.command('GET', 'counter:__rand_int__')).to.equal('$5\r\n20000\r\n');
    connection.close();
    expect(await program.stop()).to.equal(0);
  });

  it("--workers 2 serves on one port, each connection seeing its own worker's keyspace", async () => {
    const program = await startProgram(['--workers', '2']);
    expect(program.output()).to.include('2 workers, each with its own keyspace');
    // Round-robin accepts: connections land on both workers. INFO tells which process answered.
    const byPid = new Map<string, RespConnection[]>();
    const opened: RespConnection[] = [];
    for (let i = 0; i < 20 && (byPid.size < 2 || [...byPid.values()].some((list) => list.length < 2)); i++) {
      const connection = await RespConnection.open(program.port);
      opened.push(connection);
      const pid = /process_id:(\d+)/.exec(await connection.command('INFO', 'server'))![1]!;
      byPid.set(pid, [...(byPid.get(pid) ?? []), connection]);
    }
    expect(byPid.size, 'connections reached both workers').to.equal(2);
    const [[a1, a2], [b1]] = [...byPid.values()] as [RespConnection[], RespConnection[]];
    expect(await a1!.command('SET', 'where', 'worker A')).to.equal('+OK\r\n');
    expect(await a2!.command('GET', 'where'), 'same worker: same keyspace').to.equal('$8\r\nworker A\r\n');
    expect(await b1!.command('GET', 'where'), 'other worker: its own keyspace').to.equal('$-1\r\n');
    for (const connection of opened) connection.close();
    expect(await program.stop()).to.equal(0);
  });
});
