import type { BenchRun } from './types.js';
import { columnLabel, nodeVersions } from './line-views.js';
import { summarize } from './report.js';

/** One colour per server, by column (cycled if there are more servers). */
const PALETTE = ['#8c564b', '#7f7f7f', '#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#17becf'];

const BAR = 24;
const GROUP_GAP = 36;
const PLOT_H = 320;
const LEFT = 70;
// Room above the plot for the title, a legend of up to three lines and the tallest bar's value label.
const TOP = 150;
const LABEL_CHARS = 26;
const FONT = 'font-family="sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A self-contained grouped bar chart: one group per row, one bar per server (median req/s). A
 * --node run is one chart with a bar per column (server x line), each labelled with its Node version.
 */
export function renderSvg(run: BenchRun): string {
  const summary = summarize({ ...run, servers: run.servers.map((s) => ({ ...s, label: columnLabel(run, s) })) });
  const lines = run.nodeLines === undefined ? '' : ` · Node ${nodeVersions(run).join(', ')}`;
  const n = summary.servers.length;
  const groupW = n * BAR + GROUP_GAP;
  const width = Math.max(LEFT + summary.rows.length * groupW + 20, 640);
  const height = TOP + PLOT_H + 70;
  const values = summary.rows.flatMap((r) => r.cells.map((c) => c.requestsPerSecond ?? 0));
  const ticks = niceTicks(Math.max(...values, 1));
  const top = ticks.at(-1)!;
  const y = (v: number): number => TOP + PLOT_H - (v / top) * PLOT_H;

  const parts: string[] = [];
  parts.push(
    `<text x="${LEFT}" y="28" ${FONT} font-size="18" font-weight="bold">${escapeXml('percore benchmark: requests per second (median)')}</text>`,
    `<text x="${LEFT}" y="48" ${FONT} font-size="12" fill="#555">${escapeXml(`${run.date} · ${run.host} · ${run.machine.cpuModel} · ${run.connections} connections · ${run.rounds} rounds${lines}`)}</text>`,
  );

  // Legend: a swatch and a label per server, wrapped over lines.
  let lx = LEFT;
  let ly = 66;
  summary.servers.forEach((s, i) => {
    const w = 20 + s.label.length * 6.5;
    if (lx + w > width - 10 && lx > LEFT) {
      lx = LEFT;
      ly += 16;
    }
    parts.push(
      `<rect class="swatch" x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="${ly + 9}" ${FONT} font-size="11">${escapeXml(s.label)}</text>`,
    );
    lx += w;
  });

  // Axis and ticks.
  for (const t of ticks) {
    parts.push(
      `<line x1="${LEFT}" x2="${width - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${y(t) + 4}" ${FONT} font-size="11" text-anchor="end">${escapeXml(compact(t))}</text>`,
    );
  }
  parts.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_H}" stroke="#333"/>`);

  summary.rows.forEach(({ row, cells }, g) => {
    const gx = LEFT + GROUP_GAP / 2 + g * groupW;
    cells.forEach((c, i) => {
      const x = gx + i * BAR;
      const cx = x + BAR / 2;
      if (c.requestsPerSecond === null) {
        parts.push(`<text x="${cx}" y="${TOP + PLOT_H - 4}" ${FONT} font-size="9" fill="#999" text-anchor="middle">n/a</text>`);
        return;
      }
      const by = y(c.requestsPerSecond);
      parts.push(
        `<rect class="bar" x="${x + 2}" y="${by.toFixed(1)}" width="${BAR - 4}" height="${(TOP + PLOT_H - by).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${row.label}, ${summary.servers[i]!.label}: ${Math.round(c.requestsPerSecond)} req/s`)}</title></rect>`,
        // Value labels run upwards from the bar's top, so narrow bars do not overlap.
        `<text transform="translate(${cx + 3},${(by - 4).toFixed(1)}) rotate(-90)" ${FONT} font-size="10">${escapeXml(compact(c.requestsPerSecond))}</text>`,
      );
    });
    wrap(row.label, LABEL_CHARS).forEach((line, k) => {
      parts.push(
        `<text x="${gx + (n * BAR) / 2}" y="${TOP + PLOT_H + 18 + k * 13}" ${FONT} font-size="11" text-anchor="middle">${escapeXml(line)}</text>`,
      );
    });
  });

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="background:#fff">`,
    ...parts.map((p) => `  ${p}`),
    `</svg>`,
    '',
  ].join('\n');
}

/** Ticks at 1, 2 or 5 × 10^k from 0 up to at least max, about five of them. */
export function niceTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let i = 0; ticks.at(-1) === undefined || ticks.at(-1)! < max; i++) ticks.push(i * step);
  return ticks;
}

/** 12345 → "12.3k", 1500000 → "1.5M". */
function compact(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v));
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}
