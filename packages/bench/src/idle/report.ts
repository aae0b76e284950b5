/** `pnpm bench idle`'s results: per-cell figures, medians over rounds, the markdown and the JSON. */
import { median } from '../stats.js';
import type { IdleMeasurement } from './measure.js';

/** The connections per worker the projection is for. */
export const PROJECTED_CONNECTIONS = 500_000;

/** One server on one Node line (node null: not a Node server, measured once). */
export interface CellKey {
  server: string;
  label: string;
  node: string | null;
}

export interface IdleCell extends CellKey {
  round: number;
  measurement: IdleMeasurement;
}

/** A cell that produced no measurement (the server did not start, a request failed, ...). */
export interface IdleFailure extends CellKey {
  round: number;
  message: string;
}

/** A server not run on a Node line at all, and why (e.g. no uWebSockets.js binary for it). */
export interface IdleSkip extends CellKey {
  reason: string;
}

export interface IdleHeader {
  command: string;
  date: string;
  /** The bench's own Node (the client's). */
  node: string;
  cpu: string;
  openFileLimit: number;
  pinning: { server: string; client: string } | null;
  connections: number;
  rounds: number;
  settleMs: number;
}

export interface IdleSummary extends CellKey {
  measured: string;
  /** Rounds whose server kept every connection (the ones the figures come from). */
  rounds: number;
  bytesPerConnection: { median: number; min: number; max: number } | null;
  rssBeforeKiB: number | null;
  rssAfterKiB: number | null;
  /** GiB that PROJECTED_CONNECTIONS connections would take at the median. */
  projectedGiB: number | null;
  /** Rounds in which the server dropped connections (or sent bytes on them). */
  dropped: number;
}

export const cellName = (key: CellKey): string => (key.node === null ? key.server : `${key.server} Node ${key.node}`);

/** Growth of VmRSS per connection, in bytes. */
export function bytesPerConnection(m: IdleMeasurement): number {
  return ((m.rssAfterKiB - m.rssBeforeKiB) * 1024) / m.connections;
}

/** Whether the server still held every connection, untouched, at the second reading. */
export function intact(m: IdleMeasurement): boolean {
  return m.closedByServer === 0 && m.unexpectedData === 0 && m.heldByServer >= m.connections;
}

/** What went wrong with a cell whose connections were not intact. */
export function dropNote(m: IdleMeasurement): string {
  const parts: string[] = [];
  if (m.closedByServer > 0) {
    const when = m.firstClosedAfterS === undefined ? '' : `, the first ${m.firstClosedAfterS.toFixed(1)} s after the opening began`;
    parts.push(
      `the server closed ${m.closedByServer.toLocaleString('en-US')} of ${m.connections.toLocaleString('en-US')} idle connections${when}`,
    );
  }
  if (m.unexpectedData > 0) parts.push(`it sent bytes on ${m.unexpectedData.toLocaleString('en-US')} idle connections`);
  if (m.heldByServer < m.connections) {
    parts.push(`the TCP table showed it holding ${m.heldByServer.toLocaleString('en-US')} of ${m.connections.toLocaleString('en-US')}`);
  }
  return parts.join('; ');
}

const sameKey = (a: CellKey, b: CellKey) => a.server === b.server && a.node === b.node;

/** One summary per key, in the order given, from the intact cells among `cells`. */
export function summarise(keys: readonly CellKey[], cells: readonly IdleCell[]): IdleSummary[] {
  return keys.map((key) => {
    const mine = cells.filter((cell) => sameKey(cell, key));
    const good = mine.filter((cell) => intact(cell.measurement)).map((cell) => cell.measurement);
    const bytes = good.map(bytesPerConnection);
    const mid = bytes.length > 0 ? median(bytes) : null;
    return {
      server: key.server,
      label: key.label,
      node: key.node,
      measured: mine[0]?.measurement.measured ?? '',
      rounds: good.length,
      bytesPerConnection: mid === null ? null : { median: mid, min: Math.min(...bytes), max: Math.max(...bytes) },
      rssBeforeKiB: good.length > 0 ? median(good.map((m) => m.rssBeforeKiB)) : null,
      rssAfterKiB: good.length > 0 ? median(good.map((m) => m.rssAfterKiB)) : null,
      projectedGiB: mid === null ? null : (mid * PROJECTED_CONNECTIONS) / 2 ** 30,
      dropped: mine.length - good.length,
    };
  });
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (kib: number) => (kib / 1024).toFixed(1);
/** "6.1 KB" (1 KB = 1,000 bytes, as the progress lines say). */
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

export function renderIdleMarkdown(
  header: IdleHeader,
  keys: readonly CellKey[],
  cells: readonly IdleCell[],
  failures: readonly IdleFailure[],
  skipped: readonly IdleSkip[],
): string {
  const summaries = summarise(keys, cells);
  const lines = [
    '# Memory per idle keep-alive HTTP connection (`pnpm bench idle`)',
    '',
    `Command: \`${header.command}\``,
    '',
    `${header.date}; the bench (the client) on Node ${header.node}; ${header.cpu}; ulimit -n ${header.openFileLimit}.`,
    header.pinning === null
      ? 'Nothing pinned (give --pin).'
      : `Each server pinned with taskset -c ${header.pinning.server}; the bench, which is the client, with taskset -c ${header.pinning.client}.`,
    `${header.rounds} round${header.rounds === 1 ? '' : 's'}, a fresh server process (one process) per cell, the cells' order rotated each round. ` +
      `Per cell: a warm-up (a few connections, 100 requests each, closed), a wait until the server holds no connection, ${header.settleMs} ms, ` +
      `VmRSS; then ${header.connections.toLocaleString('en-US')} keep-alive connections, each after one GET / with its whole 200 response read, left idle; ` +
      `${header.settleMs} ms, VmRSS again, and a check that the server still holds every one (the kernel's TCP table, and no close seen by the client). ` +
      'Bytes per connection = VmRSS growth / connections, no GC forced; a cell whose server dropped connections counts for nothing and is listed below.',
    '',
    '| Server | Node | Bytes per idle connection (median) | min-max | VmRSS before, after (MiB, median) | 500,000 per worker | Rounds |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    const node = s.node ?? '-';
    const rounds = `${s.rounds}${s.dropped > 0 ? ` (+${s.dropped} dropped)` : ''}`;
    if (s.bytesPerConnection === null) {
      lines.push(`| ${s.label} (${s.server}) | ${node} | n/a | | | | ${rounds} |`);
      continue;
    }
    const b = s.bytesPerConnection;
    lines.push(
      `| ${s.label} (${s.server}) | ${node} | ${whole(b.median)} | ${whole(b.min)}-${whole(b.max)} | ${mib(s.rssBeforeKiB!)}, ${mib(s.rssAfterKiB!)} | ${s.projectedGiB!.toFixed(2)} GiB | ${rounds} |`,
    );
  }
  lines.push('');
  for (const s of summaries) {
    if (s.projectedGiB === null) continue;
    lines.push(
      `- ${cellName(s)}: ${PROJECTED_CONNECTIONS.toLocaleString('en-US')} connections per worker would take ${s.projectedGiB.toFixed(2)} GiB.`,
    );
  }
  const measured = [...new Map(summaries.filter((s) => s.measured !== '').map((s) => [s.server, s.measured])).entries()];
  if (measured.length > 0) {
    lines.push('', 'VmRSS read from:');
    for (const [server, what] of measured) lines.push(`- ${server}: ${what}`);
  }
  if (skipped.length > 0) {
    lines.push('', 'Not run:');
    for (const s of skipped) lines.push(`- ${cellName(s)}: ${s.reason}`);
  }
  const drops = cells.filter((cell) => !intact(cell.measurement));
  if (drops.length > 0 || failures.length > 0) {
    lines.push('', 'Problems:');
    for (const cell of drops) lines.push(`- round ${cell.round} ${cellName(cell)}: ${dropNote(cell.measurement)}`);
    for (const f of failures) lines.push(`- round ${f.round} ${cellName(f)}: ${f.message}`);
  }
  return lines.join('\n');
}

export function renderIdleJson(
  header: IdleHeader,
  keys: readonly CellKey[],
  cells: readonly IdleCell[],
  failures: readonly IdleFailure[],
  skipped: readonly IdleSkip[],
): string {
  const withBytes = cells.map((cell) => ({
    ...cell,
    bytesPerConnection: bytesPerConnection(cell.measurement),
    intact: intact(cell.measurement),
  }));
  return `${JSON.stringify({ header, summary: summarise(keys, cells), cells: withBytes, failures, skipped }, null, 2)}\n`;
}
