/** The command line of `pnpm bench websocket`. */
import { parseArgs } from 'node:util';
import { ROW_IDS, type RowId } from './measure.js';
import { SERVER_IDS, type ServerId } from './server-process.js';
import { cliValues } from '../cli-values.js';

export interface WebSocketCommand {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  messageBytes: number;
  subscribers: number;
  window: number;
  idleSockets: number;
  settleSeconds: number;
  servers: ServerId[];
  rows: RowId[];
  /** taskset CPU lists for the servers and for the load client; none with --no-pin. */
  serverCpu?: string;
  clientCpu?: string;
  json?: string;
  out?: string;
}

export type WebSocketParsed = { help: string } | { command: WebSocketCommand };

export class WebSocketUsageError extends Error {}

export function websocketUsage(): string {
  return `Usage: pnpm bench websocket [options]

WebSocket servers on 127.0.0.1, each a child process started fresh per cell, against a load client
of the bench's own (node:net, hand-written handshake, pre-built masked frames), itself a fresh
process per cell. Rows:
  echo     --connections sockets on /echo, each keeping one --message-bytes text message in flight:
           round trips/s, p50/p99 latency
  fanout   --subscribers sockets on /fanout that count frames, one publisher whose messages the
           server publishes to all; at most --window broadcasts in flight: deliveries/s
  idle     --idle-sockets idle sockets opened: the server's VmRSS growth per socket, each VmRSS
           read after --settle seconds (no GC forced)
Server CPU per 1,000 round trips or deliveries comes from /proc/PID/stat. Rounds interleave the
servers (order rotated each round, rows alternated); the tables give medians and the median of
the per-round ratios to ws and to uws-raw. A server that fails to start is reported, then skipped.

Servers: ${SERVER_IDS.join(', ')}
Rows: ${ROW_IDS.join(', ')}

Options:
  --rounds <n>          interleaved rounds (default 3)
  --duration <s>        seconds counted per echo and fanout cell (default 5)
  --warmup <s>          seconds run before counting (default 1; 0 for none)
  --connections <n>     echo connections (default 100)
  --message-bytes <n>   text message size, echo and fanout (default 32)
  --subscribers <n>     fan-out subscribers (default 1000)
  --window <n>          fan-out broadcasts in flight (default 8)
  --idle-sockets <n>    idle sockets (default 10000; below ulimit -n, less some spare)
  --settle <s>          seconds before each idle VmRSS read (default 2)
  --servers <list>      the servers, in this order for round 1 (default: all)
  --rows <list>         the rows (default: all)
  --server-cpu <c>      taskset CPU list for the servers (default 1)
  --client-cpu <c>      taskset CPU list for this process and the load client (default 0)
  --no-pin              pin nothing (figures on a small machine then mean little)
  --json <file>         also write every cell and the medians as JSON
  --out <file>          also write the markdown there
  -h, --help            show this help`;
}

const { number, cpuList, listOf } = cliValues((message) => new WebSocketUsageError(message));

const wholeIn = (low: number, high: number) => (n: number) => Number.isInteger(n) && n >= low && n <= high;

/** Parses `pnpm bench websocket [options]` (the arguments after `websocket`). */
export function parseWebSocketCli(argv: string[]): WebSocketParsed {
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
        connections: { type: 'string' },
        'message-bytes': { type: 'string' },
        subscribers: { type: 'string' },
        window: { type: 'string' },
        'idle-sockets': { type: 'string' },
        settle: { type: 'string' },
        servers: { type: 'string' },
        rows: { type: 'string' },
        'server-cpu': { type: 'string' },
        'client-cpu': { type: 'string' },
        'no-pin': { type: 'boolean' },
        json: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new WebSocketUsageError((error as Error).message);
  }
  if (values.help) return { help: websocketUsage() };
  const pin = !values['no-pin'];
  if (!pin && (values['server-cpu'] !== undefined || values['client-cpu'] !== undefined)) {
    throw new WebSocketUsageError('give --no-pin or --server-cpu/--client-cpu, not both');
  }
  for (const name of ['json', 'out'] as const) if (values[name] === '') throw new WebSocketUsageError(`--${name} is empty`);
  const serverCpu = cpuList(values['server-cpu'], '--server-cpu', '1');
  const clientCpu = cpuList(values['client-cpu'], '--client-cpu', '0');
  return {
    command: {
      rounds: number(values.rounds, '--rounds', 3, wholeIn(1, 1000), 'a whole number of rounds, 1 to 1000'),
      durationSeconds: number(values.duration, '--duration', 5, (n) => n > 0 && n <= 600, 'seconds, more than 0 and at most 600'),
      warmupSeconds: number(values.warmup, '--warmup', 1, (n) => n >= 0 && n <= 600, 'seconds, 0 to 600'),
      connections: number(values.connections, '--connections', 100, wholeIn(1, 10_000), 'a whole number of connections, 1 to 10000'),
      messageBytes: number(values['message-bytes'], '--message-bytes', 32, wholeIn(0, 1 << 20), 'a whole number of bytes, 0 to 1048576'),
      subscribers: number(values.subscribers, '--subscribers', 1000, wholeIn(1, 10_000), 'a whole number of subscribers, 1 to 10000'),
      window: number(values.window, '--window', 8, wholeIn(1, 1000), 'a whole number of broadcasts, 1 to 1000'),
      idleSockets: number(values['idle-sockets'], '--idle-sockets', 10_000, wholeIn(1, 100_000), 'a whole number of sockets, 1 to 100000'),
      settleSeconds: number(values.settle, '--settle', 2, (n) => n >= 0 && n <= 600, 'seconds, 0 to 600'),
      servers: listOf(values.servers, '--servers', SERVER_IDS),
      rows: listOf(values.rows, '--rows', ROW_IDS),
      ...(pin ? { serverCpu, clientCpu } : {}),
      ...(values.json !== undefined ? { json: values.json } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
    },
  };
}
