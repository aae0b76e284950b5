import type { FamilySnapshot, MetricsSnapshot } from './snapshot.js';

/** The Prometheus text exposition format, version 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Renders a snapshot as the text format: HELP and TYPE, then one line per sample. */
export function renderExposition(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  for (const family of snapshot) renderFamily(family, lines);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function renderFamily(family: FamilySnapshot, lines: string[]): void {
  lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
  for (const series of family.series) {
    const labels = family.labelNames.map((name, index) => `${name}="${escapeLabelValue(series.labels[index] ?? '')}"`);
    if (family.type !== 'histogram') {
      lines.push(`${family.name}${braces(labels)} ${formatValue(series.value ?? 0)}`);
      continue;
    }
    // Buckets are cumulative in the exposition: each counts the observations at or below its bound.
    const bounds = family.buckets!;
    const counts = series.bucketCounts!;
    let cumulative = 0;
    for (let index = 0; index <= bounds.length; index++) {
      cumulative += counts[index] ?? 0;
      const le = index < bounds.length ? formatValue(bounds[index]!) : '+Inf';
      lines.push(`${family.name}_bucket${braces([...labels, `le="${le}"`])} ${formatValue(cumulative)}`);
    }
    lines.push(`${family.name}_sum${braces(labels)} ${formatValue(series.sum ?? 0)}`);
    lines.push(`${family.name}_count${braces(labels)} ${formatValue(series.count ?? 0)}`);
  }
}

function braces(labels: readonly string[]): string {
  return labels.length === 0 ? '' : `{${labels.join(',')}}`;
}

/** Go's float syntax, which Prometheus parses: +Inf, -Inf and NaN spelled out. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

// In HELP, backslash and line feed are escaped; in label values, the double quote too.
function escapeHelp(text: string): string {
  return /[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

export function escapeLabelValue(text: string): string {
  return /[\\\n"]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : text;
}
