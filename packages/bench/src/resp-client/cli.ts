/** The command line of `pnpm bench resp-client`. */
import { parseArgs } from 'node:util';
import { CLIENT_IDS, type ClientId } from './clients.js';
import { WORKLOADS, type Workload } from './measure.js';
import { cliValues } from '../cli-values.js';

export interface RespClientCommand {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  callers: number;
  pipeline: number;
  clients: ClientId[];
  workloads: Workload[];
  /** taskset CPU lists for redis-server and for the clients; none with --no-pin. */
  serverCpu?: string;
  clientCpu?: string;
  /** Where the workers write their --cpu-prof profiles. */
  profDir?: string;
  out?: string;
}

export type RespClientParsed = { help: string } | { command: RespClientCommand };

export class RespClientUsageError extends Error {}

export function respClientUsage(): string {
  return `Usage: pnpm bench resp-client [options]

percore's RespClient against ioredis and @redis/client (node-redis) on one redis-server, started
for the run on a free port without persistence. Each client is one connection shared by --callers
concurrent callers:
  plain       each caller loops: await SET key value; await GET key
  pipelined   each caller sends --pipeline commands (SET/GET alternating, its own keys), awaits them all
Every cell (round x workload x client) runs in a fresh node process: a warm-up, then --duration
seconds counted. Rounds interleave the clients, the order rotated each round. Prints per workload
the median ops/s and client CPU per op (process.cpuUsage of the cell's process), and the per-round
ratios of the percore rows to the others.

Clients: ${CLIENT_IDS.join(', ')}
  percore-send is percore's callback form (send); ioredis-auto is ioredis with enableAutoPipelining.

Options:
  --rounds <n>        interleaved rounds (default 5)
  --duration <s>      seconds counted per cell (default 3)
  --warmup <s>        seconds run before counting, per cell (default 1; 0 for none)
  --callers <n>       concurrent callers per client (default 50)
  --pipeline <n>      commands per pipelined batch, 2 or more (default 16)
  --clients <list>    the rows, in this order for round 1 (default: all)
  --workloads <list>  ${WORKLOADS.join(', ')} (default: both)
  --server-cpu <c>    taskset CPU list for redis-server (default 1)
  --client-cpu <c>    taskset CPU list for this process and the clients (default 0)
  --no-pin            pin nothing (figures on a small machine then mean little)
  --prof-dir <dir>    run each cell with node --cpu-prof, writing its profile to DIR
  --out <file>        also write the markdown there
  -h, --help          show this help`;
}

const { number, cpuList, listOf } = cliValues((message) => new RespClientUsageError(message));

const isCount = (n: number) => Number.isInteger(n) && n >= 1;

/** Parses `pnpm bench resp-client [options]` (the arguments after `resp-client`). */
export function parseRespClientCli(argv: string[]): RespClientParsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        rounds: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        callers: { type: 'string' },
        pipeline: { type: 'string' },
        clients: { type: 'string' },
        workloads: { type: 'string' },
        'server-cpu': { type: 'string' },
        'client-cpu': { type: 'string' },
        'no-pin': { type: 'boolean' },
        'prof-dir': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new RespClientUsageError((error as Error).message);
  }
  if (values.help) return { help: respClientUsage() };
  const pin = !values['no-pin'];
  if (!pin && (values['server-cpu'] !== undefined || values['client-cpu'] !== undefined)) {
    throw new RespClientUsageError('give --no-pin or --server-cpu/--client-cpu, not both');
  }
  const serverCpu = cpuList(values['server-cpu'], '--server-cpu', '1');
  const clientCpu = cpuList(values['client-cpu'], '--client-cpu', '0');
  if (values['prof-dir'] === '') throw new RespClientUsageError('--prof-dir is empty');
  return {
    command: {
      rounds: number(values.rounds, '--rounds', 5, isCount, 'a whole number of rounds, 1 or more'),
      durationSeconds: number(values.duration, '--duration', 3, (n) => n > 0 && n <= 600, 'seconds, more than 0 and at most 600'),
      warmupSeconds: number(values.warmup, '--warmup', 1, (n) => n >= 0 && n <= 600, 'seconds, 0 to 600'),
      callers: number(values.callers, '--callers', 50, (n) => isCount(n) && n <= 10_000, 'a whole number of callers, 1 to 10000'),
      pipeline: number(
        values.pipeline,
        '--pipeline',
        16,
        (n) => Number.isInteger(n) && n >= 2 && n <= 10_000,
        'a whole number of commands, 2 to 10000',
      ),
      clients: listOf(values.clients, '--clients', CLIENT_IDS),
      workloads: listOf(values.workloads, '--workloads', WORKLOADS),
      ...(pin ? { serverCpu, clientCpu } : {}),
      ...(values['prof-dir'] !== undefined ? { profDir: values['prof-dir'] } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
    },
  };
}
