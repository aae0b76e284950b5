/** `pnpm bench tls`'s results: medians per row and column, percore's ratios, the negotiated TLS, the markdown and the JSON. */
import { median } from '../stats.js';
import type { TlsRow } from './cli.js';
import { h2loadWarmup, TLS13_CIPHER, type TlsMeasurement } from './measure.js';

/** One server on one Node line (node null: nginx, measured once, shown beside every line). */
export interface ColumnKey {
  server: string;
  label: string;
  node: string | null;
}

export interface TlsCell extends ColumnKey {
  row: TlsRow;
  round: number;
  measurement: TlsMeasurement;
}

export interface TlsFailure extends ColumnKey {
  row: TlsRow;
  round: number;
  message: string;
}

/** A row a column has no figure in, and why: by design (node:https has no h2), or as it answered. */
export interface TlsNotApplicable extends ColumnKey {
  row: TlsRow;
  reason: string;
}

export interface TlsHeader {
  command: string;
  date: string;
  /** The bench's own Node (the tools are h2load and ab; this process only starts them). */
  node: string;
  cpu: string;
  pinning: { server: string; client: string } | null;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  streams: number;
  certificate: string;
  /** "h2load nghttp2/1.52.0", "ab 2.3", "nginx/1.22.1". */
  tools: string[];
  /** The Node versions the Node columns ran on, in order. */
  nodeVersions: string[];
  /** The machine's 1-minute load average at the start and the end: other processes compete for the CPUs. */
  loadAverage?: { start: number; end: number };
}

export interface TlsResults {
  header: TlsHeader;
  rows: TlsRow[];
  columns: ColumnKey[];
  cells: TlsCell[];
  failures: TlsFailure[];
  notApplicable: TlsNotApplicable[];
  skipped: (ColumnKey & { reason: string })[];
}

export const ROW_TITLES: Record<TlsRow, string> = {
  'https-keepalive': 'HTTPS keep-alive, req/s',
  http2: 'HTTP/2, req/s',
  'new-connections': 'New TLS connections, handshakes/s',
};

const ROW_NOTES: Record<TlsRow, string> = {
  'https-keepalive': '',
  http2: '',
  'new-connections':
    ' (no -k: one request per connection, each a full handshake: ab never offers a session to resume; its warm-up is a run of its own)',
};

/** The tool behind each row, as the report's notes give it. */
export function rowTool(row: TlsRow, h: Pick<TlsHeader, 'connections' | 'streams' | 'durationSeconds' | 'warmupSeconds'>): string {
  const h2load = `h2load --tls13-ciphers=${TLS13_CIPHER} --warm-up-time=${h2loadWarmup(h.warmupSeconds)} -c${h.connections}`;
  switch (row) {
    case 'https-keepalive':
      return `${h2load} --h1 -D ${h.durationSeconds}`;
    case 'http2':
      return `${h2load} -m${h.streams} -D ${h.durationSeconds}`;
    case 'new-connections':
      return `ab -c${h.connections} -t ${h.durationSeconds} -n 100000000`;
  }
}

const PERCORE = 'percore-net';
const RATIO_TO = ['node-https', 'node-http2', 'node-http2-compat', 'nginx-1'] as const;
const GOAL_OVER = ['node-https', 'node-http2', 'node-http2-compat'] as const;

function sameColumn(a: ColumnKey, b: ColumnKey): boolean {
  return a.server === b.server && a.node === b.node;
}

/** The median per-second figure of a row and column, or null with none measured. */
export function medianOf(results: Pick<TlsResults, 'cells'>, row: TlsRow, column: ColumnKey): number | null {
  const values = results.cells.filter((c) => c.row === row && sameColumn(c, column)).map((c) => c.measurement.perSecond);
  return values.length === 0 ? null : median(values);
}

function medianCores(results: TlsResults, row: TlsRow, column: ColumnKey, side: 'serverCores' | 'clientCores'): number | null {
  const values = results.cells.filter((c) => c.row === row && sameColumn(c, column)).map((c) => c.measurement[side]);
  return values.length === 0 ? null : median(values);
}

/** The columns shown beside Node line `version`: those on it, and those on no line (nginx). */
function columnsFor(results: TlsResults, version: string): ColumnKey[] {
  return results.columns.filter((c) => c.node === null || c.node === version);
}

/** percore's median over `other`'s in a row, on the same line (nginx: any line); null where either has none. */
export function ratio(results: TlsResults, row: TlsRow, version: string, other: string): number | null {
  const find = (server: string) => columnsFor(results, version).find((c) => c.server === server);
  const percore = find(PERCORE);
  const them = find(other);
  if (percore === undefined || them === undefined) return null;
  const a = medianOf(results, row, percore);
  const b = medianOf(results, row, them);
  return a === null || b === null || b === 0 ? null : a / b;
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US');

function cellText(results: TlsResults, row: TlsRow, column: ColumnKey): string {
  const value = medianOf(results, row, column);
  if (value !== null) {
    const values = results.cells.filter((c) => c.row === row && sameColumn(c, column)).map((c) => c.measurement.perSecond);
    return values.length > 1 ? `${whole(value)} (${whole(Math.min(...values))}–${whole(Math.max(...values))})` : whole(value);
  }
  if (results.notApplicable.some((n) => n.row === row && sameColumn(n, column))) return 'n/a';
  if (results.skipped.some((s) => sameColumn(s, column))) return 'skipped';
  return 'failed';
}

function columnHead(column: ColumnKey): string {
  return column.server === PERCORE ? `**${column.label}**` : column.label;
}

function lineTable(results: TlsResults, version: string): string[] {
  const columns = columnsFor(results, version);
  const ratioHeads = RATIO_TO.filter((id) => columns.some((c) => c.server === id)).map((id) => `percore / ${id}`);
  const out = [
    `| row | ${columns.map(columnHead).join(' | ')} | ${ratioHeads.join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|${ratioHeads.map(() => '---:').join('|')}|`,
  ];
  for (const row of results.rows) {
    const ratios = RATIO_TO.filter((id) => columns.some((c) => c.server === id)).map((id) => {
      const r = ratio(results, row, version, id);
      return r === null ? 'n/a' : `${r.toFixed(2)}x`;
    });
    out.push(`| ${ROW_TITLES[row]} | ${columns.map((c) => cellText(results, row, c)).join(' | ')} | ${ratios.join(' | ')} |`);
  }
  return out;
}

function cpuTable(results: TlsResults, version: string): string[] {
  const columns = columnsFor(results, version);
  const out = [`| row | ${columns.map((c) => c.label).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`];
  for (const row of results.rows) {
    const texts = columns.map((c) => {
      const server = medianCores(results, row, c, 'serverCores');
      const client = medianCores(results, row, c, 'clientCores');
      return server === null || client === null ? '' : `${server.toFixed(2)} / ${client.toFixed(2)}`;
    });
    out.push(`| ${ROW_TITLES[row]} | ${texts.join(' | ')} |`);
  }
  return out;
}

/** Whether percore is ahead of node:https and node:http2 on every row where both have a figure, and where it is not. */
export function goal(results: TlsResults, version: string): { met: boolean; misses: string[]; unmeasured: string[] } {
  const misses: string[] = [];
  const unmeasured: string[] = [];
  for (const row of results.rows) {
    for (const other of GOAL_OVER) {
      const column = columnsFor(results, version).find((c) => c.server === other);
      if (column === undefined || results.notApplicable.some((n) => n.row === row && sameColumn(n, column))) continue;
      const r = ratio(results, row, version, other);
      if (r === null) unmeasured.push(`${ROW_TITLES[row]} vs ${other}`);
      else if (r <= 1) misses.push(`${ROW_TITLES[row]} vs ${other} (${r.toFixed(2)}x)`);
    }
  }
  return { met: misses.length === 0 && unmeasured.length === 0, misses, unmeasured };
}

/** The TLS each cell's tool saw, grouped: "TLSv1.3, TLS_AES_256_GCM_SHA384, X25519 253 bits: every cell". */
function negotiated(results: TlsResults): string[] {
  const groups = new Map<string, Set<string>>();
  for (const cell of results.cells) {
    const m = cell.measurement;
    const tls = [m.protocol ?? 'protocol unknown', m.cipher ?? 'cipher unknown', m.keyExchange ?? 'key exchange unknown'].join(', ');
    const where = `${cell.label}${cell.node === null ? '' : ` on ${cell.node}`}: ${cell.row}${m.application === null ? '' : ` (ALPN ${m.application})`}`;
    if (!groups.has(tls)) groups.set(tls, new Set());
    groups.get(tls)!.add(where);
  }
  if (groups.size === 1) {
    const [tls] = groups.keys();
    return [`- ${tls}: every measured cell`];
  }
  return [...groups].map(([tls, where]) => `- ${tls}: ${[...where].join('; ')}`);
}

export function renderTlsMarkdown(results: TlsResults): string {
  const h = results.header;
  const lines = [
    '# TLS and HTTP/2, one server process each',
    '',
    `Command: \`${h.command}\``,
    '',
    `${h.date}, ${h.cpu}; the bench on Node ${h.node}; ${h.pinning === null ? 'not pinned' : `servers pinned to CPU ${h.pinning.server}, the tools (and this process) to CPU ${h.pinning.client}`}.`,
    ...(h.loadAverage === undefined
      ? []
      : [
          `Load average (1 min) ${h.loadAverage.start.toFixed(2)} at the start, ${h.loadAverage.end.toFixed(2)} at the end, on ${h.cpu.replace(/^.*, /, '')}.`,
        ]),
    `Tools: ${h.tools.join(', ')}. Certificate: ${h.certificate}, made by openssl for this run.`,
    `${h.rounds} round${h.rounds === 1 ? '' : 's'}, interleaved (the cells' order rotates each round); every cell is a fresh server process, ${h.warmupSeconds} s of warm-up load (h2load's rows at least 1 s; not counted), then ${h.durationSeconds} s measured. Medians, with the rounds' min–max in brackets.`,
    '',
    'Rows:',
    ...results.rows.map((row) => `- ${ROW_TITLES[row]}: \`${rowTool(row, h)}\`${ROW_NOTES[row]}`),
    '',
  ];
  for (const version of h.nodeVersions) {
    const g = goal(results, version);
    lines.push(
      `## Node ${version}`,
      '',
      ...lineTable(results, version),
      '',
      `Goal (percore ahead of node:https and node:http2 on every row they have): ${g.met ? 'met' : 'not met'}` +
        `${g.misses.length > 0 ? `; behind or level: ${g.misses.join(', ')}` : ''}${g.unmeasured.length > 0 ? `; not measured: ${g.unmeasured.join(', ')}` : ''}.`,
      '',
      'CPU while measured, in cores (server tree / tool), medians: a tool near 1.00 may be the limit rather than the server.',
      '',
      ...cpuTable(results, version),
      '',
    );
  }
  lines.push('## TLS negotiated', '', ...(results.cells.length > 0 ? negotiated(results) : ['- nothing was measured']), '');
  if (results.notApplicable.length > 0) {
    const seen = new Set<string>();
    lines.push('## n/a', '');
    for (const n of results.notApplicable) {
      const text = `- ${n.label}${n.node === null ? '' : ` on ${n.node}`}, ${ROW_TITLES[n.row]}: ${n.reason}`;
      if (!seen.has(text)) lines.push(text);
      seen.add(text);
    }
    lines.push('');
  }
  if (results.skipped.length > 0) lines.push('## Skipped', '', ...results.skipped.map((s) => `- ${s.label}: ${s.reason}`), '');
  if (results.failures.length > 0) {
    lines.push(
      '## Failures',
      '',
      ...results.failures.map((f) => `- round ${f.round}, ${f.label}${f.node === null ? '' : ` on ${f.node}`}, ${f.row}: ${f.message}`),
      '',
    );
  }
  const withErrors = results.cells.filter((c) => c.measurement.failed > 0);
  if (withErrors.length > 0) {
    lines.push(
      '## Cells with failed requests (counted out of the rates)',
      '',
      ...withErrors.map(
        (c) => `- round ${c.round}, ${c.label}${c.node === null ? '' : ` on ${c.node}`}, ${c.row}: ${c.measurement.failed} failed`,
      ),
      '',
    );
  }
  return lines.join('\n').trimEnd();
}

export function renderTlsJson(results: TlsResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
