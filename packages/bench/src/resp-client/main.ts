/**
 * `pnpm bench resp-client`: percore's RespClient against ioredis and node-redis on one pinned
 * redis-server, each cell in a fresh pinned process (worker.ts), interleaved rounds.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_NOTES, type ClientId } from './clients.js';
import { parseRespClientCli, respClientUsage, RespClientUsageError, type RespClientCommand } from './cli.js';
import type { CellMeasurement, Workload } from './measure.js';
import { cpuPerOpUs, opsPerSecond, renderRespClientTables, roundOrder, type Cell } from './report.js';
import { REDIS_SERVER, startRedisServer } from './server.js';
import type { CellSpec } from './worker.js';

// worker.js from the build, worker.ts under tsx (the tests), run with this process's node flags.
const workerFile = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export function workloadTitles(c: Pick<RespClientCommand, 'callers' | 'pipeline'>): Record<Workload, string> {
  return {
    plain: `plain: ${c.callers} callers, each looping \`await SET k v; await GET k\``,
    pipelined: `pipelined: ${c.callers} callers, each awaiting batches of ${c.pipeline} commands (SET/GET alternating)`,
  };
}

/** Runs one cell in a fresh node process, pinned like this one. */
export function runCellProcess(spec: CellSpec, c: Pick<RespClientCommand, 'clientCpu' | 'profDir'>, round: number): Promise<CellMeasurement> {
  const prof =
    c.profDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${resolve(c.profDir)}`, `--cpu-prof-name=${spec.client}-${spec.workload}-r${round}.cpuprofile`];
  const nodeArgs = [...process.execArgv, ...prof, workerFile, JSON.stringify(spec)];
  const [file, args] =
    c.clientCpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', c.clientCpu, process.execPath, ...nodeArgs]];
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { timeout: (spec.warmupMs + spec.durationMs) * 2 + 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${spec.client} ${spec.workload} failed: ${stderr.trim() || error.message}`));
      else resolvePromise(JSON.parse(stdout) as CellMeasurement);
    });
  });
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

const loads = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Where the report and the progress lines go (the tests keep them). */
export interface Output {
  report(markdown: string): void;
  progress(line: string): void;
}

const consoleOutput: Output = { report: (markdown) => console.log(markdown), progress: (line) => process.stderr.write(`${line}\n`) };

/** `pnpm bench resp-client`: 0 done, 1 a cell failed, 2 a usage error or a missing tool. */
export async function respClientMain(argv: string[], commandLine: string, output: Output = consoleOutput): Promise<number> {
  let c: RespClientCommand;
  try {
    const parsed = parseRespClientCli(argv);
    if ('help' in parsed) {
      output.report(parsed.help);
      return 0;
    }
    c = parsed.command;
  } catch (error) {
    if (!(error instanceof RespClientUsageError)) throw error;
    console.error(`percore-bench resp-client: ${error.message}\n\n${respClientUsage()}`);
    return 2;
  }
  const version = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    console.error(`percore-bench resp-client: ${REDIS_SERVER} does not run (apt-get install redis-server, or set PERCORE_REDIS_SERVER)`);
    return 2;
  }
  if (c.clientCpu !== undefined && !onPath('taskset')) {
    console.error('percore-bench resp-client: pinning needs taskset (apt-get install util-linux), or give --no-pin');
    return 2;
  }
  if (c.clientCpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', c.clientCpu, String(process.pid)], { stdio: 'ignore' });
  if (c.profDir !== undefined) mkdirSync(c.profDir, { recursive: true });
  const progress = output.progress;
  const loadAtStart = loads();
  const redis = await startRedisServer(c.serverCpu);
  const cells: Cell[] = [];
  try {
    for (let round = 1; round <= c.rounds; round++) {
      const workloads = round % 2 === 1 ? c.workloads : [...c.workloads].reverse();
      for (const workload of workloads) {
        for (const client of roundOrder<ClientId>(c.clients, round)) {
          const spec: CellSpec = {
            client,
            port: redis.port,
            workload,
            callers: c.callers,
            pipeline: c.pipeline,
            warmupMs: c.warmupSeconds * 1000,
            durationMs: c.durationSeconds * 1000,
          };
          const measured = await runCellProcess(spec, c, round);
          const cell: Cell = { round, workload, client, ...measured };
          cells.push(cell);
          progress(
            `round ${round}/${c.rounds} ${workload} ${client}: ${Math.round(opsPerSecond(cell)).toLocaleString('en-US')} ops/s, ${cpuPerOpUs(cell).toFixed(2)} µs CPU/op`,
          );
        }
      }
    }
  } catch (error) {
    console.error(`percore-bench resp-client: ${(error as Error).message}`);
    return 1;
  } finally {
    await redis.stop();
  }
  const markdown = [
    `Command: \`${commandLine}\``,
    '',
    `Node ${process.version}; ${version.stdout.trim()}; ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores; load average (1, 5, 15 min) ${loadAtStart} at the start, ${loads()} at the end.`,
    c.serverCpu === undefined
      ? 'Nothing pinned (--no-pin).'
      : `redis-server pinned with taskset -c ${c.serverCpu}; the bench and every client process with taskset -c ${c.clientCpu}.`,
    `${c.rounds} rounds; each cell a fresh node process: ${c.warmupSeconds} s warm-up, then ${c.durationSeconds} s counted; the clients' order rotated each round, the workloads' alternated. One connection per client, shared by its ${c.callers} callers; values of 32 bytes; every GET reply checked.`,
    '',
    ...c.clients.map((client) => `- **${client}**: ${CLIENT_NOTES[client]}`),
    '',
    renderRespClientTables(cells, c.clients, workloadTitles(c)),
  ].join('\n');
  if (c.out !== undefined) writeFileSync(c.out, `${markdown}\n`);
  output.report(markdown);
  return 0;
}
