/**
 * `pnpm bench redis`: redis-benchmark against examples/redis (one process) and against
 * redis-server, each pinned to one core, in interleaved rounds; prints a markdown table.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRedisBenchmarkCsv } from './csv.js';
import { renderRedisTables, type RedisRound } from './report.js';

const examplesDir = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const SERVERS = ['percore-redis', 'redis-server'] as const;
type ServerName = (typeof SERVERS)[number];

export function redisUsage(): string {
  return `Usage: pnpm bench redis [options]

redis-benchmark -t TESTS -c 50 -n N --csv against examples/redis (node, one process) and
against redis-server (no persistence), each started fresh per run on its own pinned CPU, with
redis-benchmark on another; pipelined (-P 16) and plain, in interleaved rounds (the server
order alternates). Prints per test the medians and the ratio percore-redis / redis-server.

Options:
  --rounds <n>        rounds (default 3)
  --requests <n>      -n for redis-benchmark (default 200000)
  --plain-requests <n> -n for the plain runs (default: --requests)
  --tests <list>      -t (default ping,set,get,incr,mset)
  --server-cpu <c>    taskset CPU for the server (default 1)
  --client-cpu <c>    taskset CPU for redis-benchmark (default 0)
  --no-plain          only the pipelined runs
  --out <file>        also write the markdown there
  -h, --help`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString() === '+PONG\r\n'));
    setTimeout(() => done(false), 1000);
  });
}

async function startServer(name: ServerName, cpu: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const command =
    name === 'redis-server'
      ? ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      : [process.execPath, '--import', 'tsx', 'redis/src/main.ts', '--port', String(port)];
  const child: ChildProcess = spawn('taskset', ['-c', cpu, ...command], { cwd: examplesDir, stdio: 'ignore', detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while (!(await answersPing(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`${name} did not answer PING on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, stop };
}

export async function redisMain(argv: string[], commandLine: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '200000' },
      'plain-requests': { type: 'string' },
      tests: { type: 'string', default: 'ping,set,get,incr,mset' },
      'server-cpu': { type: 'string', default: '1' },
      'client-cpu': { type: 'string', default: '0' },
      'no-plain': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(redisUsage());
    return 0;
  }
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);
  const plainRequests = Number(values['plain-requests'] ?? values.requests);
  if ([rounds, requests, plainRequests].some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`percore-bench redis: --rounds, --requests and --plain-requests must be positive integers\n\n${redisUsage()}`);
    return 2;
  }
  for (const tool of ['redis-benchmark', 'redis-server', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`percore-bench redis: ${tool} is not on PATH (apt-get install redis-server redis-tools util-linux)`);
      return 2;
    }
  }
  const modes: Array<{ mode: string; n: number; extra: string[] }> = [
    { mode: `pipelined (-P 16, -n ${requests})`, n: requests, extra: ['-P', '16'] },
  ];
  if (!values['no-plain']) modes.push({ mode: `plain (no -P, -n ${plainRequests})`, n: plainRequests, extra: [] });
  const results: RedisRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? [...SERVERS] : [...SERVERS].reverse();
    for (const { mode, n, extra } of modes) {
      for (const server of order) {
        const running = await startServer(server, values['server-cpu']);
        try {
          const args = [
            '-c',
            values['client-cpu'],
            'redis-benchmark',
            '-p',
            String(running.port),
            '-t',
            values.tests,
            '-c',
            '50',
            '-n',
            String(n),
            ...extra,
            '--csv',
          ];
          const out = execFileSync('taskset', args, { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
          const rows = parseRedisBenchmarkCsv(out);
          results.push({ round, mode, server, rows });
          process.stderr.write(`round ${round} ${mode} ${server}: ${rows.map((r) => `${r.test} ${Math.round(r.rps)}`).join(', ')}\n`);
        } finally {
          await running.stop();
        }
      }
    }
  }
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  const markdown = [
    `Command: \`${commandLine}\``,
    `Node ${process.version}; ${redisVersion}; ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `Servers pinned with taskset -c ${values['server-cpu']}, redis-benchmark with taskset -c ${values['client-cpu']}; -c 50; ${rounds} rounds, the servers' order alternating.`,
    '',
    renderRedisTables(results, ['percore-redis', 'redis-server']),
  ].join('\n');
  if (values.out !== undefined) writeFileSync(values.out, `${markdown}\n`);
  console.log(markdown);
  return 0;
}
