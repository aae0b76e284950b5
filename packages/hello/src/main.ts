#!/usr/bin/env node
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
  });
  if (handle.role !== 'worker') {
    const url = `${handle.url}/`;
    const benchmark =
      config.engine === 'uws'
        ? `Benchmark: wrk -c25 -d10s ${url} (uWebSockets.js answers HTTP/1.0, and so ab, with 505; use --engine net for ab)`
        : `Benchmark: ab -k -c25 -n 100000 ${url}`;
    console.log(
      `percore hello listening on ${url} (engine ${config.engine}, ${handle.workers} worker${handle.workers === 1 ? '' : 's'}, pid ${process.pid}` +
        `${config.timeouts ? '' : ', no timeouts'}${observabilityNotes(config, handle.metricsUrl)}). ${benchmark}`,
    );
  }
} catch (error) {
  if (isPercoreError(error) && (error.code === 'PERCORE_ERR_LISTEN_FAILED' || error.code === 'PERCORE_ERR_UWS_UNAVAILABLE')) {
    console.error(`percore-hello: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
