/** The command line of `pnpm bench tls`. */
import { parseArgs } from 'node:util';
import { cliValues } from '../cli-values.js';
import { parseNodeLines } from '../node-lines.js';

/** The rows: what each measures is in tlsUsage and tools.ts. */
export const TLS_ROWS = ['https-keepalive', 'http2', 'new-connections'] as const;
export type TlsRow = (typeof TLS_ROWS)[number];

/** The columns, one process each (tls/servers.ts). */
export const TLS_SERVERS = ['percore-net', 'node-https', 'node-http2', 'node-http2-compat', 'nginx-1'] as const;
export type TlsServerId = (typeof TLS_SERVERS)[number];

export interface TlsCommand {
  rows: TlsRow[];
  servers: TlsServerId[];
  rounds: number;
  /** Seconds each measurement runs, after warmupSeconds of the same load (not counted). */
  durationSeconds: number;
  warmupSeconds: number;
  /** Client connections (-c). */
  connections: number;
  /** Concurrent streams per HTTP/2 connection (h2load -m). */
  streams: number;
  /** Node lines (majors, or `current`) each Node server runs on. */
  nodeLines: string[];
  /** taskset CPU lists for the servers and for this process and its tools; none without --pin. */
  serverCpu?: string;
  clientCpu?: string;
  /** Where `<date>-tls.md` and `.json` go (default benchmarks/results). */
  outDir?: string;
}

export type TlsParsed = { help: string } | { command: TlsCommand };

export class TlsUsageError extends Error {}

export const TLS_DEFAULTS = { rounds: 3, durationSeconds: 5, warmupSeconds: 1, connections: 25, streams: 10 };
/** --quick: one round, a second per cell, no warm-up (what the tests run). */
export const TLS_QUICK = { rounds: 1, durationSeconds: 1, warmupSeconds: 0 };

export function tlsUsage(): string {
  return `Usage: pnpm bench tls [options]

TLS and HTTP/2, one server process each, in one run. Every cell (row x server x round) starts a
fresh server process, runs --warmup seconds of its load (not counted), then --duration seconds
measured, and stops it. Rounds rotate the order of the cells; the report gives medians, and
percore's ratio over node:https, node:http2 (both APIs) and nginx-1 per row. All servers use one ECDSA P-256
certificate made with openssl in a temp dir at the start (no key is kept), and TLS 1.3.

Rows:
  https-keepalive   h2load --h1 -c<connections> -D <duration>: HTTP/1.1 requests per second on
                    keep-alive TLS connections (node:http2 n/a: it serves HTTP/1 only through
                    allowHTTP1, node:http's parser, which the node:https column measures)
  http2             h2load -c<connections> -m<streams> -D <duration>: HTTP/2 requests per second
                    (n/a for a server that negotiates no h2, such as node:https)
  new-connections   ab -c<connections> -t <duration> (no -k): each request on a new connection
                    with a full TLS handshake (ab never resumes a session): handshakes per second
                    (node:http2 n/a: ab speaks HTTP/1.0)

Servers: ${TLS_SERVERS.join(', ')}
  percore-net  packages/hello --workers 1 --cert --key (its primary and one worker)
  node-https   benchmarks/baselines/node-https-hello.mjs (https.createServer, keep-alive on)
  node-http2   benchmarks/baselines/node-http2-hello.mjs (http2.createSecureServer, allowHTTP1 false,
               the bare 'stream' API)
  node-http2-compat
               benchmarks/baselines/node-http2-compat-hello.mjs (the same through node's (req, res)
               compatibility API, the shape of percore's handlers)
  nginx-1      nginx, worker_processes 1, listen ssl http2, ssl_protocols TLSv1.3

Options:
  --rows <list>        the rows (default ${TLS_ROWS.join(',')})
  --servers <list>     the servers (default ${TLS_SERVERS.join(',')})
  --rounds <n>         rounds (default ${TLS_DEFAULTS.rounds})
  --duration <s>       seconds measured per cell (default ${TLS_DEFAULTS.durationSeconds})
  --warmup <s>         seconds of load before each measurement (default ${TLS_DEFAULTS.warmupSeconds}; h2load's rows warm
                       up at least 1 s, in the same h2load run: with none it may never end)
  --connections <n>    client connections (default ${TLS_DEFAULTS.connections})
  --streams <n>        concurrent streams per HTTP/2 connection (default ${TLS_DEFAULTS.streams})
  --quick              ${TLS_QUICK.rounds} round, ${TLS_QUICK.durationSeconds} s per cell, no warm-up but h2load's 1 s (flags given win)
  --node <lines>       Node majors or current, e.g. 22,24,26: each Node server runs on each
                       (installed from the npm registry's node package when missing; default current)
  --pin                pin the servers with taskset -c 1 and this process and its tools with -c 0
  --server-cpu <c>     the servers' taskset CPU list (implies --pin)
  --client-cpu <c>     the tools' taskset CPU list (implies --pin)
  --out <dir>          write <date>-tls.md and <date>-tls.json there (default benchmarks/results)
  -h, --help           show this help`;
}

const { number, cpuList, listOf } = cliValues((message) => new TlsUsageError(message));

const wholeIn = (low: number, high: number) => (n: number) => Number.isInteger(n) && n >= low && n <= high;

/** Parses `pnpm bench tls [options]` (the arguments after `tls`). */
export function parseTlsCli(argv: string[]): TlsParsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        rows: { type: 'string' },
        servers: { type: 'string' },
        rounds: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        streams: { type: 'string' },
        quick: { type: 'boolean' },
        node: { type: 'string' },
        pin: { type: 'boolean' },
        'server-cpu': { type: 'string' },
        'client-cpu': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new TlsUsageError((error as Error).message);
  }
  if (values.help) return { help: tlsUsage() };
  if (values.out === '') throw new TlsUsageError('--out is empty');
  let nodeLines = ['current'];
  if (values.node !== undefined) {
    try {
      nodeLines = parseNodeLines(values.node);
    } catch (error) {
      throw new TlsUsageError((error as Error).message);
    }
  }
  const defaults = values.quick ? { ...TLS_DEFAULTS, ...TLS_QUICK } : TLS_DEFAULTS;
  const pin = values.pin === true || values['server-cpu'] !== undefined || values['client-cpu'] !== undefined;
  return {
    command: {
      rows: listOf(values.rows, '--rows', TLS_ROWS),
      servers: listOf(values.servers, '--servers', TLS_SERVERS),
      rounds: number(values.rounds, '--rounds', defaults.rounds, wholeIn(1, 100), 'a whole number of rounds, 1 to 100'),
      durationSeconds: number(values.duration, '--duration', defaults.durationSeconds, wholeIn(1, 600), 'whole seconds, 1 to 600'),
      warmupSeconds: number(values.warmup, '--warmup', defaults.warmupSeconds, wholeIn(0, 600), 'whole seconds, 0 to 600'),
      connections: number(values.connections, '--connections', defaults.connections, wholeIn(1, 10_000), 'a whole number, 1 to 10000'),
      streams: number(values.streams, '--streams', defaults.streams, wholeIn(1, 1000), 'a whole number, 1 to 1000'),
      nodeLines,
      ...(pin
        ? { serverCpu: cpuList(values['server-cpu'], '--server-cpu', '1'), clientCpu: cpuList(values['client-cpu'], '--client-cpu', '0') }
        : {}),
      ...(values.out !== undefined ? { outDir: values.out } : {}),
    },
  };
}
