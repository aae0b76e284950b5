/**
 * `pnpm bench idle`: memory per idle keep-alive HTTP connection. Each cell is a fresh one-process
 * server (measure.ts); this process is the client. Rounds rotate the cells' order.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runsOnNode } from '../node-columns.js';
import { resolveNodeLine, type NodeLine } from '../node-lines.js';
import { findServer, stopAllServers, type ServerSpec } from '../servers.js';
import { roundOrder } from '../websocket/report.js';
import { idleUsage, IdleUsageError, parseIdleCli, type IdleCommand } from './cli.js';
import { measureCell } from './measure.js';
import {
  bytesPerConnection,
  cellName,
  dropNote,
  intact,
  kb,
  renderIdleJson,
  renderIdleMarkdown,
  type CellKey,
  type IdleCell,
  type IdleFailure,
  type IdleHeader,
  type IdleSkip,
} from './report.js';

/** Where the report and the progress lines go (the tests keep them). */
export interface Output {
  report(markdown: string): void;
  progress(line: string): void;
}

const consoleOutput: Output = { report: (markdown) => console.log(markdown), progress: (line) => process.stderr.write(`${line}\n`) };

/** Descriptors this process needs beyond the idle connections (stdio, the warm-up, Node's own). */
export const SPARE_FILES = 100;

/** The soft limit on open files from /proc/self/limits (Infinity for unlimited). */
export function openFileLimit(limits = readFileSync('/proc/self/limits', 'latin1')): number {
  const match = /^Max open files\s+(\S+)/m.exec(limits);
  if (match === null) throw new Error('no "Max open files" line in /proc/self/limits');
  return match[1] === 'unlimited' ? Infinity : Number(match[1]);
}

interface PlannedCell extends CellKey {
  spec: ServerSpec;
  execPath?: string;
}

/** The cells: each Node server on each Node line, every other server once; the rest skipped with a reason. */
async function plan(c: IdleCommand, progress: (line: string) => void): Promise<{ planned: PlannedCell[]; skipped: IdleSkip[] }> {
  const lines: NodeLine[] = [];
  for (const line of c.nodeLines) lines.push(await resolveNodeLine(line, progress));
  const planned: PlannedCell[] = [];
  const skipped: IdleSkip[] = [];
  for (const id of c.servers) {
    const spec = findServer(id)!;
    const onNode = runsOnNode(spec);
    for (const line of onNode ? lines : [undefined]) {
      const key: CellKey = { server: id, label: spec.label, node: line?.version ?? null };
      const reason = spec.unavailable(line?.execPath);
      if (reason !== null) skipped.push({ ...key, reason });
      else planned.push({ ...key, spec, ...(line !== undefined ? { execPath: line.execPath } : {}) });
    }
  }
  return { planned, skipped };
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** `pnpm bench idle`: 0 done, 1 a cell failed or its server dropped connections, 2 a usage error or a setup problem. */
export async function idleMain(argv: string[], commandLine: string, output: Output = consoleOutput): Promise<number> {
  let c: IdleCommand;
  try {
    const parsed = parseIdleCli(argv);
    if ('help' in parsed) {
      output.report(parsed.help);
      return 0;
    }
    c = parsed.command;
  } catch (error) {
    if (!(error instanceof IdleUsageError)) throw error;
    console.error(`percore-bench idle: ${error.message}\n\n${idleUsage()}`);
    return 2;
  }
  const limit = openFileLimit();
  if (c.connections + SPARE_FILES > limit) {
    console.error(
      `percore-bench idle: --connections ${c.connections} needs ${c.connections + SPARE_FILES} open files; ulimit -n is ${limit} (raise it, or open fewer)`,
    );
    return 2;
  }
  if (c.clientCpu !== undefined && !onPath('taskset')) {
    console.error('percore-bench idle: pinning needs taskset (apt-get install util-linux), or leave out --pin');
    return 2;
  }
  if (c.clientCpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', c.clientCpu, String(process.pid)], { stdio: 'ignore' });
  const progress = output.progress;
  try {
    let planning;
    try {
      planning = await plan(c, progress);
    } catch (error) {
      console.error(`percore-bench idle: ${(error as Error).message}`);
      return 2;
    }
    const { planned, skipped } = planning;
    for (const s of skipped) progress(`skipping ${cellName(s)}: ${s.reason}`);
    const cells: IdleCell[] = [];
    const failures: IdleFailure[] = [];
    const notStarting = new Set<PlannedCell>();
    const total = c.rounds * planned.length;
    let done = 0;
    for (let round = 1; round <= c.rounds; round++) {
      for (const cell of roundOrder(planned, round)) {
        const where = `[${++done}/${total}] round ${round} ${cellName(cell)}`;
        const key: CellKey = { server: cell.server, label: cell.label, node: cell.node };
        if (notStarting.has(cell)) {
          progress(`${where}: not tried again`);
          continue;
        }
        try {
          const measurement = await measureCell(cell.spec, {
            connections: c.connections,
            settleMs: c.settleMs,
            ...(c.serverCpu !== undefined ? { serverCpu: c.serverCpu } : {}),
            ...(cell.execPath !== undefined ? { node: cell.execPath } : {}),
          });
          cells.push({ ...key, round, measurement });
          const open = `${measurement.connections - measurement.closedByServer} open`;
          progress(
            `${where}: ${open}, ${kb(bytesPerConnection(measurement))} each${intact(measurement) ? '' : ` (${dropNote(measurement)})`}`,
          );
        } catch (error) {
          const message = (error as Error).message;
          if (/exited before it answered|did not answer on/.test(message)) notStarting.add(cell);
          failures.push({ ...key, round, message });
          progress(`${where} failed: ${message}`);
        }
      }
    }
    const header: IdleHeader = {
      command: commandLine,
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`,
      openFileLimit: limit,
      pinning: c.serverCpu === undefined ? null : { server: c.serverCpu, client: c.clientCpu! },
      connections: c.connections,
      rounds: c.rounds,
      settleMs: c.settleMs,
    };
    const keys = planned.map(({ server, label, node }) => ({ server, label, node }));
    const markdown = renderIdleMarkdown(header, keys, cells, failures, skipped);
    if (c.outDir !== undefined) {
      mkdirSync(c.outDir, { recursive: true });
      const base = join(c.outDir, `${header.date.slice(0, 10)}-idle`);
      writeFileSync(`${base}.md`, `${markdown}\n`);
      writeFileSync(`${base}.json`, renderIdleJson(header, keys, cells, failures, skipped));
      progress(`wrote ${base}.md and ${base}.json`);
    }
    output.report(markdown);
    return failures.length > 0 || cells.some((cell) => !intact(cell.measurement)) ? 1 : 0;
  } finally {
    stopAllServers();
  }
}

// Until main.ts dispatches `idle` here: `npx tsx packages/bench/src/idle/main.ts [options]`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  process.exit(await idleMain(args, `npx tsx packages/bench/src/idle/main.ts ${args.join(' ')}`));
}
