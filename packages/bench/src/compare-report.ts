import { lineViews, nodeVersions } from './line-views.js';
import { formatRatio, formatRps, lineSummaryTable, SATURATION_MARK, summarize } from './report.js';
import type { BenchRun } from './types.js';

/** A table cell must not contain '|' or a line break. */
function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function percent(share: number | null): string {
  return share === null ? '?' : `${Math.round(share * 100)}%`;
}

/**
 * `pnpm bench compare`'s table: a row per tool, a column per server; each cell the median req/s
 * (min-max over the rounds), the server's CPU share (100% = one core, all its processes) and
 * the ratio to the first server. A server well under 100% per core it has waited for the client.
 * With --node, a table per Node line (ratios to the first server on that line), then percore net
 * over raw node:net per line when the run has both.
 */
export function renderComparison(run: BenchRun): string {
  const m = run.machine;
  const load = [`${run.connections} connections`, `${run.durationSeconds} s per cell`];
  if (run.requests?.keepAlive !== undefined) load.push(`ab -k -n ${run.requests.keepAlive}`);
  if (run.requests?.close !== undefined) load.push(`ab -n ${run.requests.close}`);
  const pinned = run.pinning
    ? ` Servers on CPUs ${run.pinning.server ?? 'any'}, load generators on CPUs ${run.pinning.client ?? 'any'}.`
    : ' Not pinned.';
  if (run.path !== undefined) load.push(`GET ${run.path}`);
  if (run.status !== undefined) load.push(`every response counted (each a ${run.status}, checked first)`);
  const views = lineViews(run);
  const node = views.length === 0 ? `Node ${m.node}` : `Node ${nodeVersions(run).join(', ')} (servers; the bench on ${m.node})`;
  const sameLine = views.length === 0 ? '' : ' on the same Node line';
  const lines = [
    `${node}, ${m.cpuModel}, ${m.cores} cores, ${run.date.slice(0, 10)}. ${run.rounds} rounds, interleaved; ${load.join(', ')}.${pinned}`,
    `Cells: median req/s (min-max), server CPU (100% = one core), ratio to ${run.servers[0]?.label ?? 'the first server'}${sameLine}.`,
  ];
  if (views.length === 0) lines.push('', ...comparisonTable(run));
  else for (const { line, run: view } of views) lines.push('', `### Node ${line.version}`, '', ...comparisonTable(view));
  const summaryTable = lineSummaryTable(run);
  if (summaryTable.length > 0) lines.push('', ...summaryTable);
  lines.push('', `Command: \`${run.command}\``);
  return lines.join('\n');
}

/** One table, its saturation note and its per-round ratios, against the run's first server. */
function comparisonTable(run: BenchRun): string[] {
  const summary = summarize(run);
  const lines = [`| tool | ${run.servers.map((s) => cellText(s.label)).join(' | ')} |`, `|---|${run.servers.map(() => '---').join('|')}|`];
  let saturated = false;
  for (const { row, cells } of summary.rows) {
    const texts = cells.map((cell, index) => {
      if (cell.requestsPerSecond === null || cell.spread === null) return `n/a: ${cellText(cell.reason ?? 'no result')}`;
      let text = `${formatRps(cell.requestsPerSecond)} (${formatRps(cell.spread.min)}-${formatRps(cell.spread.max)}), CPU ${percent(cell.serverCpu)}`;
      if (cell.clientSaturated) {
        text += SATURATION_MARK;
        saturated = true;
      }
      if (index > 0 && cell.ratio !== null) text += ` **${formatRatio(cell.ratio)}**`;
      if (cell.failedRounds > 0) text += ` (${cell.failedRounds} rounds failed: ${cellText(cell.reason ?? '')})`;
      return text;
    });
    lines.push(`| ${cellText(row.label)} | ${texts.join(' | ')} |`);
  }
  if (saturated) lines.push('', `${SATURATION_MARK} the load generator used most of a core: the figure is bound by the client.`);
  const perRound = roundRatios(run);
  if (perRound.length > 0) {
    lines.push('', `Per-round ratios to ${run.servers[0]!.label} (round 1, 2, ...; each against the same round's figure):`, '');
    for (const { row, server, ratios } of perRound) {
      lines.push(`- ${cellText(row)}, ${cellText(server)}: ${ratios.map((r) => (r === null ? 'n/a' : r.toFixed(3))).join(', ')}`);
    }
  }
  return lines;
}

export interface RoundRatios {
  row: string;
  server: string;
  /** Per round: this server's req/s over the first server's in the same round and row; null if either is missing. */
  ratios: (number | null)[];
}

/** Every server after the first, against the first, round by round (rounds are interleaved, so each pair ran close in time). */
export function roundRatios(run: BenchRun): RoundRatios[] {
  const first = run.servers[0];
  if (first === undefined) return [];
  const rps = (row: string, server: string, round: number) =>
    run.measurements.find((m) => m.row === row && m.server === server && m.round === round)?.result?.requestsPerSecond ?? null;
  const out: RoundRatios[] = [];
  for (const row of run.rows) {
    for (const server of run.servers.slice(1)) {
      const ratios: (number | null)[] = [];
      for (let round = 1; round <= run.rounds; round++) {
        const a = rps(row.id, server.id, round);
        const b = rps(row.id, first.id, round);
        ratios.push(a === null || b === null || b === 0 ? null : a / b);
      }
      if (ratios.some((r) => r !== null)) out.push({ row: row.label, server: server.label, ratios });
    }
  }
  return out;
}
