/** The markdown of `pnpm bench resp-client`: per workload, medians per client and the per-round paired ratios. */
import { median } from '../stats.js';
import type { CellMeasurement, Workload } from './measure.js';

export interface Cell extends CellMeasurement {
  round: number;
  workload: Workload;
  client: string;
}

export const opsPerSecond = (cell: CellMeasurement): number => (cell.ops * 1000) / cell.elapsedMs;
/** This process's CPU (user + system) per command answered, in microseconds. */
export const cpuPerOpUs = (cell: CellMeasurement): number => (cell.cpuUserUs + cell.cpuSystemUs) / cell.ops;

/** The clients' order in a round (1-based): the list rotated left by round - 1, so each leads in turn. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = (round - 1) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const integer = (n: number) => Math.round(n).toLocaleString('en-US');

/** The rows that are percore's, compared with each of the others. */
export function pairs(clients: readonly string[]): Array<[string, string]> {
  const ours = clients.filter((c) => c.startsWith('percore'));
  const theirs = clients.filter((c) => !c.startsWith('percore'));
  return ours.flatMap((a) => theirs.map((b): [string, string] => [a, b]));
}

/**
 * Per workload: a table of each client's median ops/s (min-max) and median CPU per op, then for
 * each percore row against each other row the ops/s ratio of every round (percore / other: above 1,
 * percore is faster) and the CPU-per-op ratio (other / percore: above 1, percore costs less).
 */
export function renderRespClientTables(cells: readonly Cell[], clients: readonly string[], titles: Record<Workload, string>): string {
  const out: string[] = [];
  for (const workload of [...new Set(cells.map((c) => c.workload))]) {
    const ofWorkload = cells.filter((c) => c.workload === workload);
    const rounds = [...new Set(ofWorkload.map((c) => c.round))].sort((a, b) => a - b);
    out.push(`### ${titles[workload]}`, '');
    out.push('| client | median ops/s | min-max ops/s | median client CPU µs/op | rounds |');
    out.push('|---|---:|---:|---:|---:|');
    for (const client of clients) {
      const mine = ofWorkload.filter((c) => c.client === client);
      if (mine.length === 0) continue;
      const rates = mine.map(opsPerSecond);
      out.push(
        `| ${client} | ${integer(median(rates))} | ${integer(Math.min(...rates))}-${integer(Math.max(...rates))} | ${median(mine.map(cpuPerOpUs)).toFixed(2)} | ${mine.length} |`,
      );
    }
    const rows: string[] = [];
    for (const [a, b] of pairs(clients)) {
      const speed: number[] = [];
      const cost: number[] = [];
      for (const round of rounds) {
        const x = ofWorkload.find((c) => c.client === a && c.round === round);
        const y = ofWorkload.find((c) => c.client === b && c.round === round);
        if (x === undefined || y === undefined) continue;
        speed.push(opsPerSecond(x) / opsPerSecond(y));
        cost.push(cpuPerOpUs(y) / cpuPerOpUs(x));
      }
      if (speed.length === 0) continue;
      const show = (ratios: number[]) => `${ratios.map((r) => r.toFixed(2)).join(', ')} | **${median(ratios).toFixed(2)}**`;
      rows.push(`| ${a} / ${b}, ops/s | ${show(speed)} |`, `| ${b} / ${a}, CPU per op | ${show(cost)} |`);
    }
    if (rows.length > 0) {
      out.push('', '| paired ratio (above 1: percore ahead) | per round | median |', '|---|---|---:|', ...rows);
    }
    out.push('');
  }
  return out.join('\n');
}
