/**
 * A registry's contents as plain data: what a worker sends the primary over IPC, what the primary
 * merges across workers, and what the exposition renders. Counters and histograms add up across
 * workers; a gauge says how its values combine (`aggregation`).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** How a gauge combines across workers: summed (open connections, memory), or the max or min. */
export type GaugeAggregation = 'sum' | 'max' | 'min';

export interface SeriesSnapshot {
  /** The label values, in the family's `labelNames` order. */
  readonly labels: readonly string[];
  /** Counters and gauges. */
  value?: number;
  /** Histograms: per-bucket counts (not cumulative), one per bound and a last one for +Inf. */
  bucketCounts?: number[];
  sum?: number;
  count?: number;
}

export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  /** Gauges only (default 'sum'). */
  readonly aggregation?: GaugeAggregation;
  /** Histograms only: the upper bounds, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  readonly series: SeriesSnapshot[];
}

export type MetricsSnapshot = FamilySnapshot[];

/** Why a family from one source was left out of a merge. */
export interface MergeConflict {
  readonly name: string;
  readonly reason: string;
}

/**
 * Merges snapshots (one per worker) into one. A family must agree on its type, labels and buckets
 * everywhere: one that disagrees with the first seen is left out, and reported, rather than
 * rendered as nonsense.
 */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[], conflicts: MergeConflict[] = []): MetricsSnapshot {
  const merged = new Map<string, { family: FamilySnapshot; series: Map<string, SeriesSnapshot> }>();
  for (const snapshot of snapshots) {
    for (const family of snapshot) {
      let entry = merged.get(family.name);
      if (entry === undefined) {
        entry = { family: { ...family, series: [] }, series: new Map() };
        merged.set(family.name, entry);
      } else {
        const reason = disagreement(entry.family, family);
        if (reason !== null) {
          conflicts.push({ name: family.name, reason });
          continue;
        }
      }
      for (const series of family.series) {
        const key = series.labels.join('\u0000');
        const into = entry.series.get(key);
        if (into === undefined) entry.series.set(key, copySeries(series));
        else combine(entry.family, into, series);
      }
    }
  }
  return [...merged.values()].map(({ family, series }) => ({ ...family, series: [...series.values()] }));
}

function disagreement(a: FamilySnapshot, b: FamilySnapshot): string | null {
  if (a.type !== b.type) return `a ${b.type} where a ${a.type} was registered`;
  if (a.labelNames.join(',') !== b.labelNames.join(',')) return `labels (${b.labelNames.join(', ')}) against (${a.labelNames.join(', ')})`;
  if ((a.buckets ?? []).join(',') !== (b.buckets ?? []).join(',')) return 'other histogram buckets';
  if ((a.aggregation ?? 'sum') !== (b.aggregation ?? 'sum')) return 'another gauge aggregation';
  return null;
}

function copySeries(series: SeriesSnapshot): SeriesSnapshot {
  const copy: SeriesSnapshot = { labels: series.labels };
  if (series.value !== undefined) copy.value = series.value;
  if (series.bucketCounts !== undefined) copy.bucketCounts = [...series.bucketCounts];
  if (series.sum !== undefined) copy.sum = series.sum;
  if (series.count !== undefined) copy.count = series.count;
  return copy;
}

function combine(family: FamilySnapshot, into: SeriesSnapshot, from: SeriesSnapshot): void {
  if (family.type === 'histogram') {
    const counts = into.bucketCounts!;
    from.bucketCounts!.forEach((count, index) => (counts[index] = (counts[index] ?? 0) + count));
    into.sum = (into.sum ?? 0) + (from.sum ?? 0);
    into.count = (into.count ?? 0) + (from.count ?? 0);
    return;
  }
  const a = into.value ?? 0;
  const b = from.value ?? 0;
  const aggregation = family.type === 'gauge' ? (family.aggregation ?? 'sum') : 'sum';
  into.value = aggregation === 'max' ? Math.max(a, b) : aggregation === 'min' ? Math.min(a, b) : a + b;
}

/** What survives a worker's exit: its counters and histograms (they only go up); its gauges end with it. */
export function monotonicPart(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((family) => family.type !== 'gauge');
}
