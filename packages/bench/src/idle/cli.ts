/** The command line of `pnpm bench idle`. */
import { parseArgs } from 'node:util';
import { cliValues } from '../cli-values.js';
import { parseNodeLines } from '../node-lines.js';
import { SERVERS } from '../servers.js';
import { WARM_UP } from './measure.js';

/**
 * The servers --servers may name: every single-process server that answers GET / with a hello (not
 * the file servers, nor the Router ones, which answer /hello only).
 */
export const IDLE_SERVER_IDS: readonly string[] = SERVERS.filter(
  (spec) => spec.singleProcess && !spec.servesFiles && !spec.id.endsWith('-router'),
).map((spec) => spec.id);

/** What runs without --servers. */
export const DEFAULT_IDLE_SERVERS: readonly string[] = ['raw-net', 'percore-net-1', 'percore-uws-1', 'raw-uws-1', 'node-http', 'nginx-1'];

export interface IdleCommand {
  connections: number;
  rounds: number;
  settleMs: number;
  servers: string[];
  /** Node lines (majors, or `current`) each Node server runs on. */
  nodeLines: string[];
  /** taskset CPU lists for the server and for this process (the client); none without --pin. */
  serverCpu?: string;
  clientCpu?: string;
  /** Where `<date>-idle.md` and `<date>-idle.json` go; none: print only. */
  outDir?: string;
}

export type IdleParsed = { help: string } | { command: IdleCommand };

export class IdleUsageError extends Error {}

export function idleUsage(): string {
  return `Usage: pnpm bench idle [options]

Memory per idle keep-alive HTTP connection. Each cell starts a fresh server process (one process,
--workers 1), warms it up (${WARM_UP.connections} connections, ${WARM_UP.requestsEach} requests each, then closed), waits until the server holds
no connection, waits --settle-ms and reads its VmRSS; then opens --connections connections (at most
200 connecting at once, 10,000 per loopback source address: 127.0.0.1, then 127.0.0.2, ...), each
sending one GET / and reading the whole 200 response, and leaves them idle; waits --settle-ms, reads
VmRSS again and checks that the server still holds every connection (one it dropped is reported,
and the cell counts for nothing). Bytes per connection = (after - before) / connections; no GC is
forced. For a server that forks (nginx), the VmRSS read is that of the leaves of its process tree
(the worker), which hold the connections. Rounds rotate the order of the cells; the report gives
the median and min-max per cell, and what 500,000 connections per worker would take.

Servers: ${IDLE_SERVER_IDS.join(', ')}

Options:
  --connections <n>   idle connections per cell (default 10000; ulimit -n must allow n + 100)
  --rounds <n>        rounds, a fresh server process per cell each (default 3)
  --settle-ms <ms>    wait before each VmRSS read (default 2000)
  --servers <list>    the servers (default ${DEFAULT_IDLE_SERVERS.join(',')})
  --node <lines>      Node majors or current, e.g. current,24: each Node server runs on each
                      (installed from the npm registry's node package when missing; default current)
  --pin               pin the server with taskset -c 1 and this process (the client) with -c 0
  --server-cpu <c>    the server's taskset CPU list (implies --pin)
  --client-cpu <c>    this process's taskset CPU list (implies --pin)
  --out <dir>         also write <date>-idle.md and <date>-idle.json there (default: print only)
  -h, --help          show this help`;
}

const { number, cpuList, listOf } = cliValues((message) => new IdleUsageError(message));

const wholeIn = (low: number, high: number) => (n: number) => Number.isInteger(n) && n >= low && n <= high;

/** Parses `pnpm bench idle [options]` (the arguments after `idle`). */
export function parseIdleCli(argv: string[]): IdleParsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        connections: { type: 'string' },
        rounds: { type: 'string' },
        'settle-ms': { type: 'string' },
        servers: { type: 'string' },
        node: { type: 'string' },
        pin: { type: 'boolean' },
        'server-cpu': { type: 'string' },
        'client-cpu': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new IdleUsageError((error as Error).message);
  }
  if (values.help) return { help: idleUsage() };
  if (values.out === '') throw new IdleUsageError('--out is empty');
  let nodeLines = ['current'];
  if (values.node !== undefined) {
    try {
      nodeLines = parseNodeLines(values.node);
    } catch (error) {
      throw new IdleUsageError((error as Error).message);
    }
  }
  const pin = values.pin === true || values['server-cpu'] !== undefined || values['client-cpu'] !== undefined;
  const servers =
    values.servers === undefined ? [...DEFAULT_IDLE_SERVERS] : listOf(values.servers, '--servers', IDLE_SERVER_IDS as readonly string[]);
  return {
    command: {
      connections: number(values.connections, '--connections', 10_000, wholeIn(1, 100_000), 'a whole number of connections, 1 to 100000'),
      rounds: number(values.rounds, '--rounds', 3, wholeIn(1, 100), 'a whole number of rounds, 1 to 100'),
      settleMs: number(values['settle-ms'], '--settle-ms', 2000, wholeIn(0, 600_000), 'a whole number of milliseconds, 0 to 600000'),
      servers,
      nodeLines,
      ...(pin
        ? { serverCpu: cpuList(values['server-cpu'], '--server-cpu', '1'), clientCpu: cpuList(values['client-cpu'], '--client-cpu', '0') }
        : {}),
      ...(values.out !== undefined ? { outDir: values.out } : {}),
    },
  };
}
