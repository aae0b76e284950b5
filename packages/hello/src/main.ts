#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { isPercoreError, noTimeouts, serve, type ClusterStats } from '@percore/server';
import { parseCli, usage } from './cli.js';
import { observabilityNotes, observabilityOptions } from './observability.js';
import { StatsPrinter } from './stats-printer.js';

const BODY = 'Hello world';

const parsed = parseCli(process.argv.slice(2), process.env);
if ('help' in parsed) {
  console.log(usage());
  process.exit(0);
}
if ('error' in parsed) {
  console.error(`percore-hello: ${parsed.error}\n\n${usage()}`);
  process.exit(2);
}
const { config } = parsed;

/** --cert and --key's contents; exits 1 naming a file that cannot be read. */
function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    console.error(`percore-hello: cannot read ${flag} ${file}: ${(error as Error).message}`);
    process.exit(1);
  }
}
const tls = config.tls === null ? null : { cert: readPem(config.tls.certFile, '--cert'), key: readPem(config.tls.keyFile, '--key') };
const printer = config.stats ? new StatsPrinter((line) => console.log(line)) : null;

try {
  const handle = await serve({
    handler: (_req, res) => res.end(BODY),
    port: config.port,
    host: config.host,
    workers: config.workers,
    engine: config.engine,
    http: config.timeouts ? {} : noTimeouts,
    onStats: printer === null ? undefined : (stats: ClusterStats) => printer.print(stats),
    ...observabilityOptions(config),
    ...(tls !== null ? { transport: { tls } } : {}),
    // Under TLS the net engine offers ALPN h2 by default; --no-http2 asks for HTTP/1.1 only.
    ...(tls !== null && !config.http2 ? { http2: false } : {}),
  });
  if (handle.role !== 'worker') {
    const url = `${handle.url}/`;
    const benchmark =
      tls !== null
        ? `Benchmark: h2load --h1 -c25 -D 10 ${url}${config.http2 ? ` or h2load -c25 -m10 -D 10 ${url}` : ''}`
        : config.engine === 'uws'
          ? `Benchmark: wrk -c25 -d10s ${url} (uWebSockets.js answers HTTP/1.0, and so ab, with 505; use --engine net for ab)`
          : `Benchmark: ab -k -c25 -n 100000 ${url}`;
    console.log(
      `percore hello listening on ${url} (engine ${config.engine}, ${handle.workers} worker${handle.workers === 1 ? '' : 's'}, pid ${process.pid}` +
        `${tls === null ? '' : config.http2 ? ', TLS with HTTP/2 and HTTP/1.1' : ', TLS with HTTP/1.1 only'}` +
        `${config.timeouts ? '' : ', no timeouts'}${observabilityNotes(config, handle.metricsUrl)}). ${benchmark}`,
    );
  }
} catch (error) {
  if (
    isPercoreError(error) &&
    (error.code === 'PERCORE_ERR_LISTEN_FAILED' || error.code === 'PERCORE_ERR_UWS_UNAVAILABLE' || error.code === 'PERCORE_ERR_TLS_CONFIG')
  ) {
    console.error(`percore-hello: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
