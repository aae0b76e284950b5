/**
 * `pnpm bench tls`: HTTPS keep-alive, HTTP/2 and new TLS connections per second, one server
 * process each, against node:https, node:http2 and nginx. Each cell is a fresh server process
 * (measure.ts); rounds rotate the cells' order.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveNodeLine, type NodeLine } from '../node-lines.js';
import { roundOrder } from '../websocket/report.js';
import { makeCertificate } from './certificate.js';
import { parseTlsCli, tlsUsage, TlsUsageError, type TlsCommand, type TlsRow } from './cli.js';
import { measureTlsCell, NotApplicable } from './measure.js';
import { renderTlsJson, renderTlsMarkdown, type ColumnKey, type TlsResults } from './report.js';
import { stopAllTlsServers, tlsServerSpec, type TlsServerSpec } from './servers.js';

/** Where the report and the progress lines go (the tests keep them). */
export interface Output {
  report(markdown: string): void;
  progress(line: string): void;
}

const consoleOutput: Output = { report: (markdown) => console.log(markdown), progress: (line) => process.stderr.write(`${line}\n`) };

const resultsDir = fileURLToPath(new URL('../../../../benchmarks/results/', import.meta.url));

interface Column extends ColumnKey {
  spec: TlsServerSpec;
  execPath: string;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** The first line a command prints (stdout or stderr), or null if it does not run. */
function firstLine(file: string, args: string[]): string | null {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  if (result.error !== undefined) return null;
  return `${result.stdout}${result.stderr}`.split('\n')[0]!.trim();
}

function toolVersions(servers: readonly string[]): string[] {
  const versions = [firstLine('h2load', ['--version']) ?? 'h2load (unknown version)'];
  const ab = firstLine('ab', ['-V']);
  versions.push(ab === null ? 'ab (unknown version)' : `ab ${/Version (\S+)/.exec(ab)?.[1] ?? ab}`);
  if (servers.includes('nginx-1')) versions.push(firstLine('nginx', ['-v'])?.replace(/^nginx version: /, '') ?? 'nginx (unknown version)');
  versions.push(firstLine('openssl', ['version']) ?? 'openssl (unknown version)');
  return versions;
}

function cellName(column: ColumnKey, row: TlsRow): string {
  return `${column.label}${column.node === null ? '' : ` on ${column.node}`}, ${row}`;
}

/** `pnpm bench tls`: 0 done, 1 a cell failed, 2 a usage error or a setup problem. */
export async function tlsMain(argv: string[], commandLine: string, output: Output = consoleOutput): Promise<number> {
  let c: TlsCommand;
  try {
    const parsed = parseTlsCli(argv);
    if ('help' in parsed) {
      output.report(parsed.help);
      return 0;
    }
    c = parsed.command;
  } catch (error) {
    if (!(error instanceof TlsUsageError)) throw error;
    console.error(`percore-bench tls: ${error.message}\n\n${tlsUsage()}`);
    return 2;
  }
  const needs: [string, string][] = [];
  if (c.rows.some((row) => row !== 'new-connections')) needs.push(['h2load', 'apt-get install nghttp2-client']);
  if (c.rows.includes('new-connections')) needs.push(['ab', 'apt-get install apache2-utils']);
  needs.push(['openssl', 'apt-get install openssl']);
  if (c.clientCpu !== undefined) needs.push(['taskset', 'apt-get install util-linux, or leave out --pin']);
  for (const [tool, fix] of needs) {
    if (!onPath(tool)) {
      console.error(`percore-bench tls: ${tool} is not installed (${fix})`);
      return 2;
    }
  }
  // Pinned before anything starts: the tools inherit this process's CPUs.
  if (c.clientCpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', c.clientCpu, String(process.pid)], { stdio: 'ignore' });
  const progress = output.progress;
  const loadAtStart = loadavg()[0]!;
  const lines: NodeLine[] = [];
  try {
    for (const line of c.nodeLines) lines.push(await resolveNodeLine(line, progress));
  } catch (error) {
    console.error(`percore-bench tls: ${(error as Error).message}`);
    return 2;
  }
  let cert;
  try {
    cert = makeCertificate();
  } catch (error) {
    console.error(`percore-bench tls: ${(error as Error).message}`);
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'percore-bench-tls-servers-'));
  const onSignal = (code: number) => () => {
    stopAllTlsServers();
    cert.remove();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(code);
  };
  const onInt = onSignal(130);
  const onTerm = onSignal(143);
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    const columns: Column[] = [];
    const results: Omit<TlsResults, 'header'> = { rows: c.rows, columns: [], cells: [], failures: [], notApplicable: [], skipped: [] };
    for (const id of c.servers) {
      const spec = tlsServerSpec(id);
      for (const line of spec.onNode ? lines : [undefined]) {
        const key: ColumnKey = { server: id, label: spec.label, node: line?.version ?? null };
        const reason = spec.unavailable();
        if (reason !== null) {
          results.skipped.push({ ...key, reason });
          progress(`skipping ${key.label}: ${reason}`);
        } else columns.push({ ...key, spec, execPath: line?.execPath ?? process.execPath });
      }
    }
    results.columns = columns.map(({ server, label, node }) => ({ server, label, node }));
    const planned: { row: TlsRow; column: Column }[] = [];
    for (const row of c.rows) {
      for (const column of columns) {
        const reason = column.spec.notApplicable(row);
        if (reason === null) planned.push({ row, column });
        else results.notApplicable.push({ server: column.server, label: column.label, node: column.node, row, reason });
      }
    }
    progress(`certificate: ${cert.description}`);
    // Cells whose server answered in another protocol than the row's: not tried again.
    const answeredNa = new Set<{ row: TlsRow; column: Column }>();
    const total = c.rounds * planned.length;
    let done = 0;
    for (let round = 1; round <= c.rounds; round++) {
      for (const cell of roundOrder(planned, round)) {
        const key: ColumnKey = { server: cell.column.server, label: cell.column.label, node: cell.column.node };
        const where = `[${++done}/${total}] round ${round} ${cellName(key, cell.row)}`;
        if (answeredNa.has(cell)) {
          progress(`${where}: n/a (as in an earlier round)`);
          continue;
        }
        try {
          const measurement = await measureTlsCell(cell.row, cell.column.spec, {
            durationSeconds: c.durationSeconds,
            warmupSeconds: c.warmupSeconds,
            connections: c.connections,
            streams: c.streams,
            cert,
            node: cell.column.execPath,
            scratch,
            ...(c.serverCpu !== undefined ? { serverCpu: c.serverCpu } : {}),
          });
          results.cells.push({ ...key, row: cell.row, round, measurement });
          progress(
            `${where}: ${Math.round(measurement.perSecond)}/s (server ${measurement.serverCores.toFixed(2)} cores, tool ${measurement.clientCores.toFixed(2)}` +
              `${measurement.failed > 0 ? `, ${measurement.failed} failed` : ''}; ${measurement.cipher ?? 'cipher unknown'}${measurement.application === null ? '' : `, ALPN ${measurement.application}`})`,
          );
        } catch (error) {
          const message = (error as Error).message;
          if (error instanceof NotApplicable) {
            answeredNa.add(cell);
            results.notApplicable.push({ ...key, row: cell.row, reason: message });
            progress(`${where}: n/a: ${message}`);
          } else {
            results.failures.push({ ...key, row: cell.row, round, message });
            progress(`${where} failed: ${message}`);
          }
        }
      }
    }
    const header: TlsResults['header'] = {
      command: commandLine,
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`,
      pinning: c.serverCpu === undefined ? null : { server: c.serverCpu, client: c.clientCpu! },
      rounds: c.rounds,
      durationSeconds: c.durationSeconds,
      warmupSeconds: c.warmupSeconds,
      connections: c.connections,
      streams: c.streams,
      certificate: cert.description,
      tools: toolVersions(c.servers),
      nodeVersions: lines.map((line) => line.version),
      loadAverage: { start: loadAtStart, end: loadavg()[0]! },
    };
    const report: TlsResults = { header, ...results };
    const markdown = renderTlsMarkdown(report);
    const outDir = c.outDir ?? resultsDir;
    mkdirSync(outDir, { recursive: true });
    const base = join(outDir, `${header.date.slice(0, 10)}-tls`);
    writeFileSync(`${base}.md`, `${markdown}\n`);
    writeFileSync(`${base}.json`, renderTlsJson(report));
    progress(`wrote ${base}.md and ${base}.json`);
    output.report(markdown);
    return results.failures.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    stopAllTlsServers();
    cert.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}
