import { columnLabel, lineViews, nodeVersions, percoreOverRawNet } from './line-views.js';
import type { BenchRun } from './types.js';
import { CLIENT_SATURATION_CPU, summarize } from './summary.js';

export { CLIENT_SATURATION_CPU, summarize, type CellSummary, type Summary } from './summary.js';

export function formatRps(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

const SUPERSCRIPT = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
function footnoteMark(n: number): string {
  return [...String(n)].map((d) => SUPERSCRIPT[Number(d)]).join('');
}
export const SATURATION_MARK = '†';

/** A table cell must not contain '|' or a line break, and '<' would start HTML. */
function cellText(text: string): string {
  return text
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/\s*\n\s*/g, ' ');
}

/** What the tables of one report share: footnotes numbered across them all, and whether any client saturated. */
interface Notes {
  footnotes: string[];
  anySaturated: boolean;
}

function footnoteFor(notes: Notes, reason: string): number {
  const i = notes.footnotes.indexOf(reason);
  return i >= 0 ? i + 1 : notes.footnotes.push(reason);
}

/** The table's lines: a column per server, a row per row, ratios to run.baseline. */
function markdownTable(run: BenchRun, notes: Notes): string[] {
  const summary = summarize(run);
  const header = ['', ...summary.servers.map((s) => cellText(s.label))];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const { row, cells } of summary.rows) {
    const texts = cells.map((c) => {
      if (c.requestsPerSecond === null) return `n/a${footnoteMark(footnoteFor(notes, c.reason ?? 'no result'))}`;
      let text = formatRps(c.requestsPerSecond);
      if (c.server !== run.baseline && c.ratio !== null) text += ` (${formatRatio(c.ratio)})`;
      if (c.clientSaturated) {
        text += SATURATION_MARK;
        notes.anySaturated = true;
      }
      if (c.failedRounds > 0) {
        text += footnoteMark(
          footnoteFor(notes, `${c.failedRounds} of ${c.failedRounds + c.measuredRounds} rounds without a result: ${c.reason}`),
        );
      }
      return text;
    });
    lines.push(`| ${[cellText(row.label), ...texts].join(' | ')} |`);
  }
  return lines;
}

/** With --node: percore net over raw node:net per line and row, when the run has both. */
export function lineSummaryTable(run: BenchRun): string[] {
  const summary = percoreOverRawNet(run);
  if (summary === null) return [];
  return [
    `${summary.percore} over ${summary.rawNet}: the ratio of their median req/s on the same Node line.`,
    '',
    `| Node | ${run.rows.map((r) => cellText(r.label)).join(' | ')} |`,
    `| --- |${run.rows.map(() => ' ---: ').join('|')}|`,
    ...summary.lines.map(
      ({ line, ratios }) => `| ${line.version} | ${ratios.map((r) => (r === null ? 'n/a' : formatRatio(r))).join(' | ')} |`,
    ),
  ];
}

export function renderMarkdown(run: BenchRun): string {
  const m = run.machine;
  const tools = Object.entries(m.tools)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const notes: Notes = { footnotes: [], anySaturated: false };
  const views = lineViews(run);
  let tables: string[];
  let ratioNote: string;
  if (views.length === 0) {
    tables = [...markdownTable(run, notes), ''];
    ratioNote = `in brackets, the ratio to ${run.servers.find((s) => s.id === run.baseline)?.label ?? run.baseline}`;
  } else {
    tables = views.flatMap(({ line, run: view }) => [`### Node ${line.version}`, '', ...markdownTable(view, notes), '']);
    const summaryTable = lineSummaryTable(run);
    if (summaryTable.length > 0) tables.push('### percore net against raw node:net, per Node line', '', ...summaryTable, '');
    const base = run.servers.find((s) => (s.base ?? s.id) === run.baseline)?.label ?? run.baseline;
    ratioNote = `one table per Node line; in brackets, the ratio to ${base} on the same line`;
  }

  const summaries = views.length === 0 ? [summarize(run)] : views.map((v) => summarize(v.run));
  const widest = summaries
    .flatMap((s) => s.rows)
    .flatMap((r) => r.cells.map((c) => ({ row: r.row.label, c })))
    .filter((x) => x.c.spread !== null && x.c.measuredRounds > 1)
    .sort((a, b) => b.c.spread!.relative - a.c.spread!.relative)[0];
  const serverLabel = (id: string): string => {
    const server = run.servers.find((s) => s.id === id);
    return server === undefined ? id : columnLabel(run, server);
  };

  const out = [
    `# percore benchmark: requests per second`,
    '',
    `- CPU: ${m.cpuModel}, ${m.cores} cores (${m.os})`,
    `- Node: ${run.nodeLines === undefined ? m.node : `servers on ${nodeVersions(run).join(', ')} (--node); the bench on ${m.node}`}`,
    `- Tools: ${tools || 'none recorded'}`,
    `- Date: ${run.date}`,
    `- Host: ${run.host}`,
    `- Load: ${run.connections} connections, ${run.durationSeconds} s per cell, ${run.rounds} rounds (cells show the median), ${run.workers} workers where N applies`,
    '',
    'Command:',
    '',
    '```sh',
    run.command,
    '```',
    '',
    `Requests per second with a 2xx answer; ${ratioNote}.`,
    '',
    ...tables,
  ];
  if (notes.footnotes.length) {
    out.push(...notes.footnotes.map((text, i) => `${footnoteMark(i + 1)} ${text}`.trimEnd() + '  '), '');
  }
  if (notes.anySaturated) {
    out.push(
      `${SATURATION_MARK} The load generator used ${CLIENT_SATURATION_CPU} of a core or more: the figure is bound by the client, and the server may do more.`,
      '',
    );
  }
  if (widest) {
    out.push(
      `Largest spread between rounds: ${(widest.c.spread!.relative * 100).toFixed(0)}% of the median (${widest.row}, ${serverLabel(widest.c.server)}).`,
      '',
    );
  }
  out.push(
    'Absolute figures depend on the machine (CPU, cores, kernel, power settings); the ratios to the baseline are what carry over from one machine to another.',
    '',
  );
  return out.join('\n');
}

export function renderJson(run: BenchRun): string {
  return JSON.stringify(run, null, 2);
}
