import { hostname, availableParallelism, cpus, release, platform } from 'node:os';
import autocannon from 'autocannon';
import { treeCpuSeconds } from './cpu.js';
import { makeFileSet, type FileSet } from './files.js';
import { nodeColumns, type NodeColumn } from './node-columns.js';
import type { NodeLine } from './node-lines.js';
import { startServer, stopAllServers, type RunningServer, type ServerSpec } from './servers.js';
import { toolMissing, toolVersions, type RowSpec } from './tools.js';
import type { BenchRun, Measurement } from './types.js';

export interface BenchOptions {
  servers: ServerSpec[];
  rows: RowSpec[];
  rounds: number;
  durationSeconds: number;
  connections: number;
  workers: number;
  warmupSeconds: number;
  command: string;
  /** The machine's cores, as counted before this process pinned itself (default: counted now). */
  cores?: number;
  /** The server every ratio is taken against (default node-http). */
  baseline?: string;
  /** ab -k and ab send this many requests instead of running for the duration. */
  requests?: number;
  requestsClose?: number;
  /** taskset CPU lists: the servers are started on `server`; `client` is recorded (main pins itself). */
  pinning?: { server?: string; client?: string };
  /** The request path every tool asks for (default /). */
  path?: string;
  /** The status the path must answer with (default 200); any other makes the server's cells n/a. */
  status?: number;
  /** --node: every Node server runs once on each of these lines; ratios are taken within a line. */
  nodeLines?: NodeLine[];
  /** One line of progress at a time. */
  progress: (line: string) => void;
}

/**
 * Runs every row against every server for `rounds` rounds, interleaved (each round goes
 * through the servers in alternating order, so no server always runs on a warmer or cooler
 * machine), and returns every measurement. Cells that cannot run get a reason instead.
 */
export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const { rows, rounds, durationSeconds, connections, workers } = options;
  let columns: NodeColumn[];
  try {
    columns = nodeColumns(options.servers, options.nodeLines);
  } finally {
    // Probing which servers run Node may have written nginx configs into the scratch dir.
    stopAllServers();
  }
  const servers = columns.map((column) => column.spec);
  const lineOf = new Map(columns.map((column) => [column.spec.id, column.line]));
  const shownLabel = (spec: ServerSpec) => {
    const line = lineOf.get(spec.id);
    return line === undefined ? spec.label : `${spec.label} on Node ${line.version}`;
  };
  const run: BenchRun = {
    date: new Date().toISOString(),
    host: hostname(),
    machine: {
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      cores: options.cores ?? availableParallelism(),
      node: process.version,
      os: `${platform()} ${release()}`,
      tools: toolVersions(),
    },
    command: options.command,
    rounds,
    durationSeconds,
    connections,
    workers,
    servers: columns.map(({ spec, base, line }) => ({
      id: spec.id,
      label: labelOf(spec, workers),
      ...(line !== undefined ? { node: line.line, base: base.id } : {}),
    })),
    rows: rows.map((row) => ({ id: row.id, label: row.label(connections) })),
    baseline: options.baseline ?? 'node-http',
    ...(options.nodeLines !== undefined && options.nodeLines.length > 0
      ? { nodeLines: options.nodeLines.map(({ line, version, execPath }) => ({ line, version, execPath })) }
      : {}),
    ...(options.requests !== undefined || options.requestsClose !== undefined
      ? { requests: { keepAlive: options.requests, close: options.requestsClose } }
      : {}),
    ...(options.pinning !== undefined ? { pinning: options.pinning } : {}),
    ...(options.path !== undefined && options.path !== '/' ? { path: options.path } : {}),
    ...(options.status !== undefined && options.status !== 200 ? { status: options.status } : {}),
    measurements: [],
  };
  const status = options.status ?? 200;
  // A non-2xx status is what the row measures (the 404 path): every response counts, and
  // autocannon, which counts 2xx only, cannot say.
  const anyStatus = status < 200 || status > 299;

  const started = new Map<string, RunningServer>();
  const unavailable = new Map<string, string>();
  let files: FileSet | undefined;
  try {
    if (servers.some((spec) => spec.servesFiles)) files = makeFileSet();
    for (const spec of servers) {
      const reason = spec.unavailable();
      if (reason !== null) {
        unavailable.set(spec.id, reason);
        options.progress(`skipping ${shownLabel(spec)}: ${reason}`);
        continue;
      }
      try {
        const server = await startServer(spec, workers, options.pinning?.server, files);
        started.set(spec.id, server);
        const url = targetUrl(server.url, options.path);
        const answered = await statusOf(url);
        if (answered !== status) {
          const reason = `answered ${answered} at ${options.path ?? '/'}, expected ${status}`;
          unavailable.set(spec.id, reason);
          options.progress(`skipping ${shownLabel(spec)}: ${reason}`);
          continue;
        }
        if (options.warmupSeconds > 0) await autocannon({ url, connections, duration: options.warmupSeconds });
      } catch (error) {
        unavailable.set(spec.id, (error as Error).message);
        options.progress(`skipping ${shownLabel(spec)}: ${(error as Error).message}`);
      }
    }

    const cells = rounds * rows.length * servers.length;
    let done = 0;
    let measuredSeconds = 0;
    let measured = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const row of rows) {
        const order = round % 2 === 1 ? servers : [...servers].reverse();
        for (const spec of order) {
          done++;
          const line = lineOf.get(spec.id);
          const onLine = line === undefined ? {} : { node: line.line };
          const reason =
            unavailable.get(spec.id) ??
            toolMissing(row.tool) ??
            (row.http10 ? (spec.http11Only ?? null) : null) ??
            (anyStatus && row.tool === 'autocannon' ? `autocannon counts 2xx answers only; this path answers ${status}` : null);
          const server = started.get(spec.id);
          if (reason !== null || server === undefined) {
            run.measurements.push({
              server: spec.id,
              row: row.id,
              round,
              ...onLine,
              result: null,
              skipped: reason ?? 'not started',
              serverCpu: 0,
              clientCpu: 0,
            });
            continue;
          }
          const measurement = { ...(await measure(server, row, round, { ...options, anyStatus })), ...onLine };
          run.measurements.push(measurement);
          measured++;
          measuredSeconds += durationSeconds;
          const left = Math.round((measuredSeconds / measured) * remainingRuns(cells - done, unavailable, rows, servers));
          options.progress(
            `[${done}/${cells}] round ${round}/${rounds} | ${row.label(connections)} | ${shownLabel(spec)}: ` +
              (measurement.result
                ? `${Math.round(measurement.result.requestsPerSecond)} req/s, server CPU ${percent(measurement.serverCpu)}, client CPU ${percent(measurement.clientCpu)}`
                : `failed: ${measurement.skipped}`) +
              ` | ~${left}s left`,
          );
        }
      }
    }
  } finally {
    await Promise.all([...started.values()].map((server) => server.stop()));
    stopAllServers();
    files?.remove();
  }
  return run;
}

/** The server's URL with the request path (one leading slash). */
export function targetUrl(serverUrl: string, path = '/'): string {
  return `${serverUrl.replace(/\/$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The status a GET of `url` answers with (the body read and dropped), or 0 if there is no answer. */
async function statusOf(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function measure(
  server: RunningServer,
  row: RowSpec,
  round: number,
  options: BenchOptions & { anyStatus: boolean },
): Promise<Measurement> {
  const before = treeCpuSeconds(server.child.pid!);
  const startedAt = performance.now();
  try {
    const { durationSeconds, connections, requests, requestsClose, anyStatus } = options;
    const outcome = await row.run(targetUrl(server.url, options.path), { durationSeconds, connections, requests, requestsClose, anyStatus });
    const seconds = (performance.now() - startedAt) / 1000;
    const serverCpu = (treeCpuSeconds(server.child.pid!) - before) / seconds;
    return { server: server.spec.id, row: row.id, round, result: outcome.result, serverCpu, clientCpu: outcome.clientCpu };
  } catch (error) {
    return {
      server: server.spec.id,
      row: row.id,
      round,
      result: null,
      skipped: `run failed: ${(error as Error).message}`,
      serverCpu: 0,
      clientCpu: 0,
    };
  }
}

/** How many of the remaining cells will actually run (for the time-left estimate). */
function remainingRuns(remaining: number, unavailable: Map<string, string>, rows: RowSpec[], servers: ServerSpec[]): number {
  let runnablePerRound = 0;
  for (const spec of servers) {
    if (unavailable.has(spec.id)) continue;
    for (const row of rows) {
      if (toolMissing(row.tool) === null && !(row.http10 && spec.http11Only)) runnablePerRound++;
    }
  }
  const perRound = rows.length * servers.length;
  return perRound === 0 ? 0 : Math.round((remaining * runnablePerRound) / perRound);
}

export function labelOf(spec: ServerSpec, workers: number): string {
  if (spec.extra) return spec.label;
  if (spec.singleProcess) return `${spec.label} (1 process)`;
  return `${spec.label} (${workers} workers)`;
}

function percent(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : '?';
}
