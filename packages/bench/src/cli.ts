import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { extraServer, findServer, SERVERS, TABLE_SERVERS, type ServerSpec } from './servers.js';
import type { BenchOptions } from './runner.js';
import { ROWS } from './tools.js';
import { BENCH_FILES } from './files.js';
import { parseNodeLines } from './node-lines.js';

const FILE_SERVERS = SERVERS.filter((s) => s.servesFiles)
  .map((s) => s.id)
  .join(', ');

/** `pnpm bench`: Hellepoll's table, written to results/. `pnpm bench compare`: a focused side-by-side table. */
export type Mode = 'table' | 'compare';

/** What to run, as the command line says: the runner's own settings, and where to pin and write. */
export interface BenchCommand extends Pick<
  BenchOptions,
  | 'servers'
  | 'rows'
  | 'rounds'
  | 'durationSeconds'
  | 'connections'
  | 'workers'
  | 'warmupSeconds'
  | 'requests'
  | 'requestsClose'
  | 'path'
  | 'status'
> {
  mode: Mode;
  /** --node: the Node lines (majors, or `current`) every Node server runs on; absent: the bench's own Node only. */
  nodeLines?: string[];
  /** taskset CPU lists for the servers and for the load generators (this process and its tools). */
  serverCpus?: string;
  clientCpus?: string;
  json?: string;
  out?: string;
}

export type Parsed = { help: string } | { command: BenchCommand };

/** A command line that cannot run: main prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** Every flag; usage() describes each (cli.test.ts checks). */
export const OPTIONS = {
  servers: { type: 'string' },
  only: { type: 'string' },
  tools: { type: 'string' },
  rounds: { type: 'string' },
  duration: { type: 'string' },
  connections: { type: 'string' },
  workers: { type: 'string' },
  requests: { type: 'string' },
  'requests-close': { type: 'string' },
  'extra-server': { type: 'string', multiple: true },
  path: { type: 'string' },
  status: { type: 'string' },
  node: { type: 'string' },
  pin: { type: 'boolean' },
  'server-cpus': { type: 'string' },
  'client-cpus': { type: 'string' },
  quick: { type: 'boolean' },
  json: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMPARE_SERVERS = 'node-http,percore-net-1';
const COMPARE_TOOLS = 'ab-k,wrk,autocannon-k';

export function usage(cores = availableParallelism()): string {
  const ids = (specs: ServerSpec[]) => specs.map((s) => s.id).join(', ');
  return `Usage: pnpm bench [options]            Hellepoll's table: every server x every row
       pnpm bench compare [options]    a focused comparison of chosen servers
       pnpm bench soak [options]       a bounded soak of the cluster (pnpm bench soak --help)
       pnpm bench routing [options]    percore's Router against find-my-way, in process (pnpm bench routing --help)
       pnpm bench redis [options]      redis-benchmark against examples/redis and redis-server (pnpm bench redis --help)
       pnpm bench resp-client [opts]   percore's RespClient against ioredis and node-redis (pnpm bench resp-client --help)
       pnpm bench websocket [opts]     WebSocket echo, fan-out and idle memory against ws and uWS (pnpm bench websocket --help)
       pnpm bench idle [options]       memory per idle keep-alive HTTP connection, per server (pnpm bench idle --help)
       pnpm bench tls [options]        HTTPS keep-alive, HTTP/2 and new TLS connections per second (pnpm bench tls --help)

pnpm bench measures hello world on every server side by side with ab, wrk and autocannon at
-c25, interleaved over rounds (the order alternates each round), and writes
benchmarks/results/<date>-<host>.md, .json and .svg. pnpm bench compare runs the chosen
servers the same way and prints one Markdown table: median req/s (min-max), server CPU, and
the ratio to the first server; it writes files only with --out or --json. Install the tools
first: pnpm bench:setup.

Options:
${wrap(`--servers <list>        servers, in column order. Table default: ${ids(TABLE_SERVERS)}. Compare default: ${COMPARE_SERVERS}. All: ${ids(SERVERS)}. ID@DIR runs ${ids(SERVERS.filter((s) => s.percoreDist))} on the percore build in DIR (a packages/server/dist directory, e.g. an old checkout's) beside the new one`)}
  --only <list>           the same as --servers
  --extra-server <n=cmd>  also run COMMAND (under sh) as server NAME; {port} and {workers} are
                          replaced (the port is appended without {port}), PORT is set; repeatable
${wrap(`--tools <list>          rows, or tools for all their rows: ${ROWS.map((r) => r.id).join(', ')}; ab, wrk, autocannon. Compare default: ${COMPARE_TOOLS}`)}
  --path <path>           the request path every tool asks for (default /): the file servers
                          (${FILE_SERVERS}) serve ${BENCH_FILES.map((f) => `/${f.name}`).join(' and ')}, written to a temp dir for the run
  --status <code>         the status the path must answer (default 200; checked once before the
                          load); with a non-2xx status every response counts, e.g. --status 404
                          for a missing path (ab and wrk only)
${wrap(`--node <lines>          run every Node server once on each Node line, e.g. 22,24,26 (majors; current is the bench's own Node): a major missing from ~/.cache/percore-bench/node is installed there first from the npm registry's node package (its newest release), then reused. nginx, Tornado and --extra-server commands run once. The report has a table per line, ratios within the line, and percore net over raw node:net per line when both run. Default: the bench's own Node only`)}
  --rounds <n>            interleaved rounds; cells show the median (default 3)
  --duration <s>          seconds per cell (default 5)
  --connections <n>       concurrent connections (default 25)
  --workers <n>           workers for the clustered servers (default: cores, ${cores})
  --requests <n>          ab -k sends n requests (-n) instead of running for --duration
  --requests-close <n>    ab (a new connection per request) sends n requests instead
  --pin                   load generators on CPU 0, servers on CPUs ${serverCpusWhenPinned(cores)} (needs 2 cores or more):
                          on a small machine figures are meaningless unless they are kept apart
  --server-cpus <list>    run the servers on these CPUs (taskset -c list, e.g. 1 or 2-7)
  --client-cpus <list>    run the load generators (this process, autocannon in it, ab, wrk) on these CPUs
  --quick                 a short smoke run: 1 round of 1 s, no warm-up
  --json <file>           also write the run's JSON to this file
  --out <dir>             where the .md, .json (and table's .svg) go (table default benchmarks/results)
  -h, --help              show this help`;
}

function serverCpusWhenPinned(cores: number): string {
  return cores <= 2 ? '1' : `1-${cores - 1}`;
}

/** An option's description, wrapped at 100 columns under its text column. */
function wrap(text: string, width = 100): string {
  const indent = ' '.repeat(26);
  const lines: string[] = [];
  let line = '  ';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim().length > 0) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += word === '' ? ' ' : `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

function positive(text: string | undefined, name: string, fallback: number): number;
function positive(text: string | undefined, name: string, fallback?: undefined): number | undefined;
function positive(text: string | undefined, name: string, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number, got "${text}"`);
  return value;
}

/** A taskset CPU list: 0, 1,3 or 2-7. */
function cpuList(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) throw new UsageError(`${name} takes a CPU list such as 1, 0,2 or 2-7, got "${text}"`);
  return text;
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Parses `pnpm bench [compare] [options]` (argv without node and the script). */
export function parseCli(argv: string[], cores = availableParallelism()): Parsed {
  // `pnpm bench -- --quick` passes the `--` along: it separates nothing here.
  let args = argv[0] === '--' ? argv.slice(1) : argv;
  const mode: Mode = args[0] === 'compare' ? 'compare' : 'table';
  if (mode === 'compare') args = args[1] === '--' ? args.slice(2) : args.slice(1);
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: usage(cores) };
  if (values.servers !== undefined && values.only !== undefined) throw new UsageError('give --servers or --only, not both');

  const quick = values.quick ?? false;
  const serverList = values.servers ?? values.only ?? (mode === 'compare' ? COMPARE_SERVERS : undefined);
  const servers = serverList === undefined ? [...TABLE_SERVERS] : listOf(serverList).map((name) => findServer(name) ?? unknownServer(name));
  for (const definition of values['extra-server'] ?? []) {
    const spec = extraServer(definition);
    if (spec === null) throw new UsageError(`--extra-server takes NAME=COMMAND, got "${definition}"`);
    servers.push(spec);
  }
  const seen = new Set<string>();
  for (const spec of servers) {
    if (seen.has(spec.id)) throw new UsageError(`server "${spec.id}" is given twice`);
    seen.add(spec.id);
  }
  if (servers.length === 0) throw new UsageError('no servers to run');

  const toolList = values.tools ?? (mode === 'compare' ? COMPARE_TOOLS : undefined);
  // A row named twice (ab, then ab-k) runs once, where it is first named.
  const rows =
    toolList === undefined
      ? [...ROWS]
      : [
          ...new Set(
            listOf(toolList).flatMap((name) => {
              const matches = ROWS.filter((row) => row.id === name || row.tool === name);
              if (matches.length === 0) throw new UsageError(`unknown tool or row "${name}"`);
              return matches;
            }),
          ),
        ];

  let serverCpus = cpuList(values['server-cpus'], '--server-cpus');
  let clientCpus = cpuList(values['client-cpus'], '--client-cpus');
  if (values.pin) {
    if (serverCpus !== undefined || clientCpus !== undefined) throw new UsageError('give --pin or --server-cpus/--client-cpus, not both');
    if (cores < 2) throw new UsageError(`--pin needs 2 CPUs or more; this machine has ${cores}`);
    clientCpus = '0';
    serverCpus = serverCpusWhenPinned(cores);
  }

  const path = values.path;
  if (path !== undefined && !/^\/[\x21-\x7e]*$/.test(path)) throw new UsageError(`--path takes a path starting with /, got "${path}"`);
  const status = values.status === undefined ? undefined : Number(values.status);
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
    throw new UsageError(`--status takes an HTTP status code (100-599), got "${values.status}"`);
  }
  let nodeLines: string[] | undefined;
  try {
    nodeLines = values.node === undefined ? undefined : parseNodeLines(values.node);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const requests = positive(values.requests, '--requests');
  const requestsClose = positive(values['requests-close'], '--requests-close');
  return {
    command: {
      mode,
      ...(nodeLines !== undefined ? { nodeLines } : {}),
      servers,
      rows,
      rounds: Math.round(positive(values.rounds, '--rounds', quick ? 1 : 3)),
      durationSeconds: positive(values.duration, '--duration', quick ? 1 : 5),
      connections: Math.round(positive(values.connections, '--connections', 25)),
      workers: Math.round(positive(values.workers, '--workers', cores)),
      warmupSeconds: quick ? 0 : 2,
      ...(requests !== undefined ? { requests: Math.round(requests) } : {}),
      ...(requestsClose !== undefined ? { requestsClose: Math.round(requestsClose) } : {}),
      ...(serverCpus !== undefined ? { serverCpus } : {}),
      ...(clientCpus !== undefined ? { clientCpus } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(values.json !== undefined ? { json: values.json } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
    },
  };
}

function unknownServer(name: string): never {
  const id = name.split('@')[0]!;
  const spec = SERVERS.find((s) => s.id === id);
  if (spec !== undefined && name.includes('@')) {
    const takers = SERVERS.filter((s) => s.percoreDist)
      .map((s) => s.id)
      .join(', ');
    throw new UsageError(`"${name}": only ${takers} take @DIR (a percore build directory)`);
  }
  throw new UsageError(`unknown server "${name}"; choose from: ${SERVERS.map((s) => s.id).join(', ')}`);
}
