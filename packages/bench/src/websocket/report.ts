/** The markdown and JSON of `pnpm bench websocket`: per row, medians per server and the per-round ratios to ws and uws-raw. */
import { median } from '../stats.js';
import type { EchoResult, FanoutResult, IdleResult, RowId, RowResult } from './measure.js';

export interface Cell {
  round: number;
  server: string;
  result: RowResult;
}

/** A cell that gave no result: the server did not start, or the row failed. */
export interface Failure {
  round: number;
  row: RowId;
  server: string;
  message: string;
}

/** The servers the ratios are taken to. */
export const BASELINES = ['ws', 'uws-raw'] as const;

/** Round trips per second (echo) or deliveries per second (fanout). */
export function ratePerSecond(result: EchoResult | FanoutResult): number {
  return ((result.row === 'echo' ? result.roundTrips : result.deliveries) * 1000) / result.elapsedMs;
}

/** Server CPU milliseconds per 1,000 round trips or deliveries. */
export function cpuMsPer1000(result: EchoResult | FanoutResult): number {
  const count = result.row === 'echo' ? result.roundTrips : result.deliveries;
  return count === 0 ? Infinity : (result.serverCpuMs * 1000) / count;
}

/** A process's CPU time over the window, in percent of one core: the server's, or the load client's. */
export function busyPercent(result: EchoResult | FanoutResult, who: 'server' | 'client'): number {
  return ((who === 'server' ? result.serverCpuMs : result.clientCpuMs) * 100) / result.elapsedMs;
}

/** The server's VmRSS growth per idle socket, in bytes. */
export function rssBytesPerSocket(result: IdleResult): number {
  return ((result.rssAfterKiB - result.rssBeforeKiB) * 1024) / result.sockets;
}

/** The servers' order in a round (1-based): the list rotated left by round - 1, so each goes first in turn. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = (round - 1) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

interface Measure {
  title: string;
  /** The name in a ratio column's head. */
  short: string;
  value: (result: RowResult) => number;
  format: (n: number) => string;
}

const integer = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (digits: number) => (n: number) => (Number.isFinite(n) ? n.toFixed(digits) : '∞');

/** What each row's table shows, the first measure the headline one. */
const MEASURES: Record<RowId, Measure[]> = {
  echo: [
    { title: 'round trips/s', short: 'rt/s', value: (r) => ratePerSecond(r as EchoResult), format: integer },
    { title: 'server CPU ms per 1k round trips', short: 'CPU', value: (r) => cpuMsPer1000(r as EchoResult), format: fixed(2) },
    { title: 'p50 µs', short: 'p50', value: (r) => (r as EchoResult).p50Us, format: integer },
    { title: 'p99 µs', short: 'p99', value: (r) => (r as EchoResult).p99Us, format: integer },
    { title: 'server CPU %', short: 'server %', value: (r) => busyPercent(r as EchoResult, 'server'), format: integer },
    { title: 'client CPU %', short: 'client %', value: (r) => busyPercent(r as EchoResult, 'client'), format: integer },
  ],
  fanout: [
    { title: 'deliveries/s', short: 'deliveries/s', value: (r) => ratePerSecond(r as FanoutResult), format: integer },
    { title: 'server CPU ms per 1k deliveries', short: 'CPU', value: (r) => cpuMsPer1000(r as FanoutResult), format: fixed(3) },
    { title: 'server CPU %', short: 'server %', value: (r) => busyPercent(r as FanoutResult, 'server'), format: integer },
    { title: 'client CPU %', short: 'client %', value: (r) => busyPercent(r as FanoutResult, 'client'), format: integer },
  ],
  idle: [
    { title: 'server RSS bytes per socket', short: 'RSS', value: (r) => rssBytesPerSocket(r as IdleResult), format: integer },
    { title: 'open ms (client side)', short: 'open', value: (r) => (r as IdleResult).openMs, format: integer },
  ],
};

/** The measures that get ratios: the headline and, for echo and fanout, the CPU cost. */
const RATIO_MEASURES: Record<RowId, number[]> = { echo: [0, 1], fanout: [0, 1], idle: [0] };

/** Per round where both have a cell, `server`'s value over the baseline's; their median, or undefined for none. */
export function pairedRatio(cells: readonly Cell[], server: string, baseline: string, value: (r: RowResult) => number): number | undefined {
  const ratios: number[] = [];
  for (const cell of cells) {
    if (cell.server !== server) continue;
    const other = cells.find((c) => c.server === baseline && c.round === cell.round);
    if (other === undefined) continue;
    const ratio = value(cell.result) / value(other.result);
    if (Number.isFinite(ratio)) ratios.push(ratio);
  }
  return ratios.length === 0 ? undefined : median(ratios);
}

export interface RowSummary {
  row: RowId;
  servers: Array<{
    server: string;
    rounds: number;
    medians: Record<string, number>;
    ranges: Record<string, [number, number]>;
    /** `measure title -> baseline -> median paired ratio`. */
    ratios: Record<string, Record<string, number>>;
  }>;
}

/** The medians, ranges and ratios of every row with cells, servers in the order given. */
export function summarise(cells: readonly Cell[], servers: readonly string[]): RowSummary[] {
  const rows = [...new Set(cells.map((c) => c.result.row))];
  return rows.map((row) => {
    const ofRow = cells.filter((c) => c.result.row === row);
    const present = servers.filter((s) => ofRow.some((c) => c.server === s));
    return {
      row,
      servers: present.map((server) => {
        const mine = ofRow.filter((c) => c.server === server);
        const medians: Record<string, number> = {};
        const ranges: Record<string, [number, number]> = {};
        const ratios: Record<string, Record<string, number>> = {};
        MEASURES[row].forEach((m, index) => {
          const values = mine.map((c) => m.value(c.result));
          medians[m.title] = median(values);
          ranges[m.title] = [Math.min(...values), Math.max(...values)];
          if (!RATIO_MEASURES[row].includes(index)) return;
          for (const baseline of BASELINES) {
            const ratio = pairedRatio(ofRow, server, baseline, m.value);
            if (ratio !== undefined) (ratios[m.title] ??= {})[baseline] = ratio;
          }
        });
        return { server, rounds: mine.length, medians, ranges, ratios };
      }),
    };
  });
}

/**
 * Per row a table: each server's medians (the headline with its min-max), then the median of its
 * per-round ratios to ws and to uws-raw (server / baseline: above 1 a higher rate, or more CPU or
 * memory), then the failures.
 */
export function renderWebSocketTables(
  cells: readonly Cell[],
  failures: readonly Failure[],
  servers: readonly string[],
  titles: Record<RowId, string>,
): string {
  const out: string[] = [];
  const rows = [...new Set([...cells.map((c) => c.result.row), ...failures.map((f) => f.row)])];
  const summaries = summarise(cells, servers);
  for (const row of rows) {
    out.push(`### ${titles[row]}`, '');
    const summary = summaries.find((s) => s.row === row);
    const measures = MEASURES[row];
    const ratioTitles = RATIO_MEASURES[row].flatMap((i) => BASELINES.map((b) => `${measures[i]!.short} ÷ ${b}`));
    if (summary !== undefined) {
      out.push(
        `| server | median ${measures[0]!.title} | min-max | ${measures
          .slice(1)
          .map((m) => `median ${m.title}`)
          .join(' | ')} | ${ratioTitles.join(' | ')} | rounds |`,
      );
      out.push(`|---|${'---:|'.repeat(measures.length + ratioTitles.length + 2)}`);
      for (const s of summary.servers) {
        const head = measures[0]!;
        const [low, high] = s.ranges[head.title]!;
        const ratioCells = RATIO_MEASURES[row].flatMap((i) =>
          BASELINES.map((b) => {
            const ratio = s.ratios[measures[i]!.title]?.[b];
            return ratio === undefined || s.server === b ? '' : ratio.toFixed(2);
          }),
        );
        out.push(
          `| ${s.server} | ${head.format(s.medians[head.title]!)} | ${head.format(low)}-${head.format(high)} | ${measures
            .slice(1)
            .map((m) => m.format(s.medians[m.title]!))
            .join(' | ')} | ${ratioCells.join(' | ')} | ${s.rounds} |`,
        );
      }
    }
    const failed = failures.filter((f) => f.row === row);
    if (failed.length > 0) {
      out.push('', ...failed.map((f) => `- **${f.server}**, round ${f.round}: ${f.message}`));
    }
    out.push('');
  }
  return out.join('\n');
}

export function renderWebSocketJson(
  header: Record<string, unknown>,
  cells: readonly Cell[],
  failures: readonly Failure[],
  servers: readonly string[],
): string {
  return `${JSON.stringify({ ...header, summary: summarise(cells, servers), cells, failures }, null, 2)}\n`;
}
