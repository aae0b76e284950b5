import { PercoreError } from '../errors.js';
import { renderExposition } from './exposition.js';
import { checkLabelNames, checkMetricName } from './names.js';
import type { FamilySnapshot, GaugeAggregation, MetricsSnapshot, MetricType, SeriesSnapshot } from './snapshot.js';

export interface MetricOptions {
  /** The Prometheus name: `[a-zA-Z_:][a-zA-Z0-9_:]*`; a counter's should end in `_total`. */
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface GaugeOptions extends MetricOptions {
  /** How the cluster combines the workers' values (default 'sum'). */
  aggregation?: GaugeAggregation;
  /** Called before each snapshot, to set the gauge from something read then (a queue's length). */
  collect?: (gauge: Gauge) => void;
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending (default: DEFAULT_BUCKETS, in seconds). */
  buckets?: readonly number[];
}

/** The buckets most Prometheus clients use by default, for durations in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

type LabelValues = Readonly<Record<string, string | number>>;

/** What the metrics share: a name, help, label names, and one series per label values. */
abstract class Metric<Series> {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { labels: readonly string[]; series: Series }>();

  constructor(options: MetricOptions, reservedLabels: readonly string[] = []) {
    if (typeof options !== 'object' || options === null) throw new PercoreError('PERCORE_ERR_INVALID_METRIC', 'a metric needs options');
    checkMetricName(options.name);
    if (typeof options.help !== 'string' || options.help.length === 0) {
      throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${options.name}: help must be a non-empty string`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = checkLabelNames(options.name, options.labelNames ?? [], reservedLabels);
    // A metric without labels has its one series from the start, so it is exposed as 0.
    if (this.labelNames.length === 0) this.child([]);
  }

  protected abstract newSeries(): Series;

  /** The series for these label values, in `labelNames` order; made on first use. */
  protected child(values: readonly (string | number)[]): Series {
    const key = values.length === 1 ? String(values[0]) : values.join('\u0000');
    const found = this.series.get(key);
    if (found !== undefined) return found.series;
    if (values.length !== this.labelNames.length) {
      throw new PercoreError(
        'PERCORE_ERR_INVALID_METRIC',
        `${this.name} takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      );
    }
    const series = this.newSeries();
    this.series.set(key, { labels: values.map(String), series });
    return series;
  }

  protected childFor(labels: LabelValues | undefined): Series {
    if (labels === undefined) return this.child([]);
    const extra = Object.keys(labels).find((name) => !this.labelNames.includes(name));
    if (extra !== undefined) throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${this.name} has no label ${extra}`);
    return this.child(this.labelNames.map((name) => labels[name] ?? ''));
  }

  /** Whether `options` describe this metric again (a module loaded twice registers the same one). */
  sameAs(type: MetricType, options: MetricOptions): boolean {
    return type === this.type && (options.labelNames ?? []).join(',') === this.labelNames.join(',');
  }

  abstract snapshot(): FamilySnapshot;
}

function checkAmount(metric: string, value: number, allowNegative: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (!allowNegative && value < 0)) {
    throw new PercoreError(
      'PERCORE_ERR_INVALID_METRIC',
      `${metric}: ${allowNegative ? 'a finite number' : 'a finite number ≥ 0'} is needed, got ${String(value)}`,
    );
  }
}

export interface CounterChild {
  inc(value?: number): void;
}

export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';

  protected newSeries(): { value: number } {
    return { value: 0 };
  }

  /** Adds `value` (default 1, never negative) to the series of these labels, or the only one. */
  inc(labels?: LabelValues | number, value = 1): void {
    if (typeof labels === 'number') [labels, value] = [undefined, labels];
    checkAmount(this.name, value, false);
    this.childFor(labels).value += value;
  }

  /** The series of these label values, in `labelNames` order: keep it, for a hot path. */
  labels(...values: Array<string | number>): CounterChild {
    const series = this.child(values);
    const name = this.name;
    return {
      inc(value = 1) {
        checkAmount(name, value, false);
        series.value += value;
      },
    };
  }

  snapshot(): FamilySnapshot {
    return family(
      this,
      [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value })),
    );
  }
}

export interface GaugeChild {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

export class Gauge extends Metric<{ value: number }> {
  readonly type = 'gauge';
  readonly aggregation: GaugeAggregation;
  private readonly collect: ((gauge: Gauge) => void) | undefined;

  constructor(options: GaugeOptions) {
    super(options);
    const aggregation = options.aggregation ?? 'sum';
    if (!['sum', 'max', 'min'].includes(aggregation)) {
      throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${options.name}: aggregation must be 'sum', 'max' or 'min'`);
    }
    this.aggregation = aggregation;
    this.collect = options.collect;
  }

  protected newSeries(): { value: number } {
    return { value: 0 };
  }

  set(labels: LabelValues | number, value?: number): void {
    const [which, amount] = typeof labels === 'number' ? [undefined, labels] : [labels, value!];
    checkAmount(this.name, amount, true);
    this.childFor(which).value = amount;
  }

  inc(labels?: LabelValues | number, value = 1): void {
    if (typeof labels === 'number') [labels, value] = [undefined, labels];
    checkAmount(this.name, value, true);
    this.childFor(labels).value += value;
  }

  dec(labels?: LabelValues | number, value = 1): void {
    if (typeof labels === 'number') [labels, value] = [undefined, labels];
    checkAmount(this.name, value, true);
    this.childFor(labels).value -= value;
  }

  labels(...values: Array<string | number>): GaugeChild {
    const series = this.child(values);
    const name = this.name;
    return {
      set(value) {
        checkAmount(name, value, true);
        series.value = value;
      },
      inc(value = 1) {
        checkAmount(name, value, true);
        series.value += value;
      },
      dec(value = 1) {
        checkAmount(name, value, true);
        series.value -= value;
      },
    };
  }

  override sameAs(type: MetricType, options: GaugeOptions): boolean {
    return super.sameAs(type, options) && (options.aggregation ?? 'sum') === this.aggregation;
  }

  snapshot(): FamilySnapshot {
    this.collect?.(this);
    return {
      ...family(
        this,
        [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value })),
      ),
      aggregation: this.aggregation,
    };
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

interface HistogramSeries {
  /** Per bucket, not cumulative; the last is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramSeries> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(options: HistogramOptions) {
    // `le` names the bucket bound in the exposition.
    const buckets = checkBuckets(options?.name, options?.buckets ?? DEFAULT_BUCKETS);
    super(options, ['le']);
    this.buckets = buckets;
    // The unlabelled series was made before the buckets were known.
    if (this.labelNames.length === 0) {
      this.series.clear();
      this.child([]);
    }
  }

  protected newSeries(): HistogramSeries {
    return { counts: new Array<number>((this.buckets?.length ?? 0) + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: LabelValues | number, value?: number): void {
    const [which, amount] = typeof labels === 'number' ? [undefined, labels] : [labels, value!];
    checkAmount(this.name, amount, true);
    record(this.buckets, this.childFor(which), amount);
  }

  labels(...values: Array<string | number>): HistogramChild {
    const series = this.child(values);
    const { buckets, name } = this;
    return {
      observe(value) {
        checkAmount(name, value, true);
        record(buckets, series, value);
      },
    };
  }

  override sameAs(type: MetricType, options: HistogramOptions): boolean {
    return super.sameAs(type, options) && (options.buckets ?? DEFAULT_BUCKETS).join(',') === this.buckets.join(',');
  }

  snapshot(): FamilySnapshot {
    const series: SeriesSnapshot[] = [...this.series.values()].map(({ labels, series }) => ({
      labels,
      bucketCounts: [...series.counts],
      sum: series.sum,
      count: series.count,
    }));
    return { ...family(this, series), buckets: this.buckets };
  }
}

/** Counts `value` in the first bucket whose bound is at or above it (+Inf past the last). */
export function bucketIndex(buckets: readonly number[], value: number): number {
  let index = 0;
  while (index < buckets.length && value > buckets[index]!) index++;
  return index;
}

function record(buckets: readonly number[], series: HistogramSeries, value: number): void {
  series.counts[bucketIndex(buckets, value)]!++;
  series.sum += value;
  series.count++;
}

function checkBuckets(name: unknown, buckets: unknown): readonly number[] {
  const valid =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every(
      (bound, index) => typeof bound === 'number' && Number.isFinite(bound) && (index === 0 || bound > (buckets[index - 1] as number)),
    );
  if (!valid) throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${String(name)}: buckets must be finite numbers, strictly ascending`);
  return Object.freeze([...(buckets as number[])]);
}

function family(metric: Metric<unknown>, series: SeriesSnapshot[]): FamilySnapshot {
  return { name: metric.name, help: metric.help, type: metric.type, labelNames: metric.labelNames, series };
}

/** Adds families computed when a snapshot is taken. */
export type Collector = () => FamilySnapshot[];

/**
 * A set of metrics, read whole by `snapshot()`. In a cluster each worker has its own; the
 * cluster merges their snapshots, so a scrape answered by any worker gives the cluster's sums.
 */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric<unknown>>();
  private readonly collectors: Collector[] = [];

  counter(options: MetricOptions): Counter {
    return this.register('counter', options, () => new Counter(options));
  }

  gauge(options: GaugeOptions): Gauge {
    return this.register('gauge', options, () => new Gauge(options));
  }

  histogram(options: HistogramOptions): Histogram {
    return this.register('histogram', options, () => new Histogram(options));
  }

  /** The metric registered under `name`, if any. */
  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.metrics.get(name) as Counter | Gauge | Histogram | undefined;
  }

  addCollector(collect: Collector): void {
    this.collectors.push(collect);
  }

  snapshot(): MetricsSnapshot {
    const families: FamilySnapshot[] = [];
    for (const metric of this.metrics.values()) families.push(metric.snapshot());
    for (const collect of this.collectors) families.push(...collect());
    return families;
  }

  /** This registry alone, in the text format (a cluster's scrape merges every worker's). */
  exposition(): string {
    return renderExposition(this.snapshot());
  }

  private register<M extends Metric<unknown>>(type: MetricType, options: MetricOptions, make: () => M): M {
    const name = options?.name;
    const existing = typeof name === 'string' ? this.metrics.get(name) : undefined;
    if (existing !== undefined) {
      if (existing.sameAs(type, options)) return existing as M;
      throw new PercoreError(
        'PERCORE_ERR_INVALID_METRIC',
        `${name} is registered already, as a ${existing.type} with labels (${existing.labelNames.join(', ')})`,
      );
    }
    const metric = make();
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

/**
 * The registry a program's own metrics go in unless it makes one: `serve({ metrics: true })`
 * exposes it beside percore's own.
 */
export const defaultRegistry = new MetricsRegistry();
