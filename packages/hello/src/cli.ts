import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OBSERVABILITY_OPTIONS, observabilityConfig, withOptionalValues, type ObservabilityConfig } from './observability.js';

export const ENGINES = ['net', 'uws'] as const;
export type Engine = (typeof ENGINES)[number];

export interface HelloConfig extends ObservabilityConfig {
  port: number;
  host: string;
  workers: number;
  engine: Engine;
  timeouts: boolean;
  stats: boolean;
  /** --cert and --key: PEM files to serve HTTPS with (read by main.ts); null for plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  /** Offer HTTP/2 (ALPN h2) under TLS; --no-http2 turns it off. */
  http2: boolean;
}

export type CliResult = { help: true } | { error: string } | { config: HelloConfig };

export function usage(): string {
  return `Usage: percore-hello [options]

percore's hello-world server (Hellepoll's helloworld): every path answers
200 with "Hello world" (Content-Length: 11), on one worker process per core.

Options:
  -p, --port <n>       port to listen on (default: $PORT, else 8080)
      --host <addr>    address to bind (default: 127.0.0.1)
  -w, --workers <n>    worker processes (default: $WORKERS, else one per core: ${availableParallelism()})
      --engine <name>  net: percore's own HTTP/1.0 and 1.1 state machine (the default, and
                       the one ab needs: it speaks HTTP/1.0 keep-alive)
                       uws: uWebSockets.js, HTTP/1.1 only: it answers HTTP/1.0, and so ab,
                       with 505 (benchmark it with wrk or autocannon)
      --cert <file>    serve HTTPS with this PEM certificate (chain); needs --key
      --key <file>     the PEM private key of --cert; needs --cert
      --no-http2       under TLS, offer HTTP/1.1 only (no ALPN h2)
      --no-timeouts    disable the header, keep-alive, body and response timeouts
                       (Hellepoll's -z), for benchmarks
      --stats          print requests per second and per-worker counts once a second
      --metrics[=PATH] serve Prometheus metrics, summed over all workers, at PATH on the
                       main port (default /metrics; a path only as --metrics=PATH)
      --metrics-port <n>
                       serve them on this port instead, and there only (implies --metrics;
                       0 picks a free one)
      --health         serve /healthz (200 while the worker answers) and /readyz (503 once
                       a drain starts)
      --access-log[=FILE]
                       log each request to stdout, or append it to FILE
      --log-format <f> the access log's format: common, combined (default) or json;
                       needs --access-log
  -h, --help           show this help

Stop with Ctrl-C or SIGTERM (in-flight requests finish); SIGHUP replaces the workers
one at a time without dropping a request.

Benchmark it:
  ab -k -c25 -n 100000 http://127.0.0.1:8080/
  wrk -c25 -d10s http://127.0.0.1:8080/`;
}

function integer(text: string, name: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text)) return `${name} must be a whole number, got "${text}"`;
  const value = Number(text);
  if (value < min || value > max) return `${name} must be from ${min} to ${max}, got ${value}`;
  return value;
}

/** --cert and --key, both or neither, as absolute paths (relative to `cwd`); or the error to print. */
function tlsFiles(cert: string | undefined, key: string | undefined, cwd: string): HelloConfig['tls'] | string {
  if (cert === undefined && key === undefined) return null;
  if (cert === undefined) return '--key needs --cert (the certificate it belongs to)';
  if (key === undefined) return '--cert needs --key (its private key)';
  if (cert === '' || key === '') return '--cert and --key take file names';
  return { certFile: resolve(cwd, cert), keyFile: resolve(cwd, key) };
}

/** Parses the command line and environment; never exits or prints. A relative --access-log file is relative to `cwd`. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): CliResult {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm start -- --port 9000` passes the `--` along: it separates nothing here.
      args: withOptionalValues(argv[0] === '--' ? argv.slice(1) : argv),
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        workers: { type: 'string', short: 'w' },
        engine: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        'no-http2': { type: 'boolean' },
        'no-timeouts': { type: 'boolean' },
        stats: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...OBSERVABILITY_OPTIONS,
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return { help: true };

  const portText = values.port ?? env.PORT ?? '8080';
  const port = integer(portText, values.port !== undefined ? '--port' : 'PORT', 0, 65535);
  if (typeof port === 'string') return { error: port };

  const workersText = values.workers ?? env.WORKERS;
  const workers =
    workersText === undefined
      ? availableParallelism()
      : integer(workersText, values.workers !== undefined ? '--workers' : 'WORKERS', 1, 1024);
  if (typeof workers === 'string') return { error: workers };

  const engine = values.engine ?? 'net';
  if (!(ENGINES as readonly string[]).includes(engine)) {
    return { error: `unknown engine "${engine}"; choose one of: ${ENGINES.join(', ')}` };
  }
  const host = values.host ?? '127.0.0.1';
  if (host.length === 0) return { error: '--host must not be empty' };

  const tls = tlsFiles(values.cert, values.key, cwd);
  if (typeof tls === 'string') return { error: tls };
  if (values['no-http2'] && tls === null) return { error: '--no-http2 turns off HTTP/2 under TLS: add --cert and --key' };

  const observability = observabilityConfig(values, port, cwd);
  if (typeof observability === 'string') return { error: observability };

  return {
    config: {
      port,
      host,
      workers,
      engine: engine as Engine,
      timeouts: !values['no-timeouts'],
      stats: values.stats ?? false,
      tls,
      http2: tls !== null && !values['no-http2'],
      ...observability,
    },
  };
}
