/**
 * `pnpm bench websocket`: WebSocket servers, each a fresh pinned child process per cell, against the
 * bench's own node:net load client (worker.ts, a fresh pinned process per cell); interleaved rounds.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWebSocketCli, websocketUsage, WebSocketUsageError, type WebSocketCommand } from './cli.js';
import type { RowId, RowResult, RowSpec } from './measure.js';
import {
  busyPercent,
  cpuMsPer1000,
  ratePerSecond,
  renderWebSocketJson,
  renderWebSocketTables,
  roundOrder,
  rssBytesPerSocket,
  type Cell,
  type Failure,
} from './report.js';
import { SERVER_NOTES, ServerStartError, startServer, type ServerId } from './server-process.js';

// worker.js from the build, worker.ts under tsx (the tests), run with this process's node flags.
const workerFile = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export function rowTitles(
  c: Pick<WebSocketCommand, 'connections' | 'messageBytes' | 'subscribers' | 'window' | 'idleSockets' | 'settleSeconds'>,
): Record<RowId, string> {
  return {
    echo: `echo: ${c.connections} connections, each keeping one ${c.messageBytes}-byte text message in flight`,
    fanout: `fan-out: ${c.subscribers} subscribers, one publisher, at most ${c.window} broadcasts of ${c.messageBytes} bytes in flight`,
    idle: `idle memory: ${c.idleSockets.toLocaleString('en-US')} idle WebSockets, server VmRSS read ${c.settleSeconds} s after start and ${c.settleSeconds} s after the last opened`,
  };
}

/** Runs one row in a fresh load-client process, pinned to `clientCpu` when given. */
export function runWorker(spec: RowSpec, clientCpu: string | undefined): Promise<RowResult> {
  const nodeArgs = [...process.execArgv, workerFile, JSON.stringify(spec)];
  const [file, args] = clientCpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', clientCpu, process.execPath, ...nodeArgs]];
  const budget = spec.warmupMs + spec.durationMs + 2 * spec.settleMs + 120_000;
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: budget, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message));
      else resolve(JSON.parse(stdout) as RowResult);
    });
  });
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** The soft limit on open files (`ulimit -n`), which the client and each server get. */
function openFileLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

const loads = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** A progress line's figure for one cell. */
function describe(result: RowResult): string {
  if (result.row === 'idle') return `${Math.round(rssBytesPerSocket(result)).toLocaleString('en-US')} bytes RSS per socket`;
  const unit = result.row === 'echo' ? 'round trips/s' : 'deliveries/s';
  const latency = result.row === 'echo' ? `, p50 ${Math.round(result.p50Us)} µs, p99 ${Math.round(result.p99Us)} µs` : '';
  const busy = `server ${Math.round(busyPercent(result, 'server'))}% CPU, client ${Math.round(busyPercent(result, 'client'))}%`;
  return `${Math.round(ratePerSecond(result)).toLocaleString('en-US')} ${unit}${latency}, server ${cpuMsPer1000(result).toFixed(3)} CPU ms per 1k (${busy})`;
}

/** Where the report and the progress lines go (the tests keep them). */
export interface Output {
  report(markdown: string): void;
  progress(line: string): void;
}

const consoleOutput: Output = { report: (markdown) => console.log(markdown), progress: (line) => process.stderr.write(`${line}\n`) };

/** `pnpm bench websocket`: 0 done, 1 a cell failed (a server that did not start included), 2 a usage error or a missing tool. */
export async function websocketMain(argv: string[], commandLine: string, output: Output = consoleOutput): Promise<number> {
  let c: WebSocketCommand;
  try {
    const parsed = parseWebSocketCli(argv);
    if ('help' in parsed) {
      output.report(parsed.help);
      return 0;
    }
    c = parsed.command;
  } catch (error) {
    if (!(error instanceof WebSocketUsageError)) throw error;
    console.error(`percore-bench websocket: ${error.message}\n\n${websocketUsage()}`);
    return 2;
  }
  const limit = openFileLimit();
  const spare = 64;
  if (c.rows.includes('idle') && c.idleSockets + spare > limit) {
    console.error(
      `percore-bench websocket: --idle-sockets ${c.idleSockets} needs ${c.idleSockets + spare} open files; ulimit -n is ${limit}`,
    );
    return 2;
  }
  if (c.clientCpu !== undefined && !onPath('taskset')) {
    console.error('percore-bench websocket: pinning needs taskset (apt-get install util-linux), or give --no-pin');
    return 2;
  }
  if (c.clientCpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', c.clientCpu, String(process.pid)], { stdio: 'ignore' });
  const progress = output.progress;
  const loadAtStart = loads();
  const cells: Cell[] = [];
  const failures: Failure[] = [];
  const notStarting = new Set<ServerId>();
  for (let round = 1; round <= c.rounds; round++) {
    const rows = round % 2 === 1 ? c.rows : [...c.rows].reverse();
    for (const row of rows) {
      for (const server of roundOrder(c.servers, round)) {
        if (notStarting.has(server)) continue;
        const where = `round ${round}/${c.rounds} ${row} ${server}`;
        let running;
        try {
          running = await startServer(server, c.serverCpu);
        } catch (error) {
          if (!(error instanceof ServerStartError)) throw error;
          notStarting.add(server);
          failures.push({ round, row, server, message: `${error.message} (not tried again)` });
          progress(`${where}: ${error.message}; skipping ${server} from here on`);
          continue;
        }
        try {
          const spec: RowSpec = {
            row,
            host: '127.0.0.1',
            port: running.port,
            serverPid: running.pid,
            connections: c.connections,
            messageBytes: c.messageBytes,
            subscribers: c.subscribers,
            window: c.window,
            idleSockets: c.idleSockets,
            settleMs: c.settleSeconds * 1000,
            warmupMs: c.warmupSeconds * 1000,
            durationMs: c.durationSeconds * 1000,
          };
          const result = await runWorker(spec, c.clientCpu);
          cells.push({ round, server, result });
          progress(`${where}: ${describe(result)}`);
        } catch (error) {
          failures.push({ round, row, server, message: (error as Error).message });
          progress(`${where} failed: ${(error as Error).message}`);
        } finally {
          await running.stop();
        }
      }
    }
  }
  const header = {
    command: commandLine,
    node: process.version,
    cpu: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`,
    date: new Date().toISOString(),
    pinning: c.serverCpu === undefined ? null : { server: c.serverCpu, client: c.clientCpu },
    options: c,
  };
  const markdown = [
    `Command: \`${commandLine}\``,
    '',
    `Node ${process.version}; ${header.cpu}; ulimit -n ${limit}; load average (1, 5, 15 min) ${loadAtStart} at the start, ${loads()} at the end.`,
    c.serverCpu === undefined
      ? 'Nothing pinned (--no-pin).'
      : `Servers pinned with taskset -c ${c.serverCpu}; the bench and every load-client process with taskset -c ${c.clientCpu}.`,
    `${c.rounds} rounds; each cell a fresh server process and a fresh load-client process; echo and fan-out: ${c.warmupSeconds} s warm-up, then ${c.durationSeconds} s counted. The servers' order rotated each round, the rows' alternated. Ratios: the median of the per-round ratios, server / baseline (above 1: a higher rate, or more CPU or memory).`,
    '',
    ...c.servers.map((server) => `- **${server}**: ${SERVER_NOTES[server]}`),
    '',
    renderWebSocketTables(cells, failures, c.servers, rowTitles(c)),
  ].join('\n');
  if (c.out !== undefined) writeFileSync(c.out, `${markdown}\n`);
  if (c.json !== undefined) writeFileSync(c.json, renderWebSocketJson(header, cells, failures, c.servers));
  output.report(markdown);
  return failures.length > 0 ? 1 : 0;
}
