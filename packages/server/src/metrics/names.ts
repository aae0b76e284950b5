import { PercoreError } from '../errors.js';

// The Prometheus data model's names (https://prometheus.io/docs/concepts/data_model/).
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `a metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(name)}`);
  }
}

export function checkLabelNames(metric: string, labelNames: unknown, reserved: readonly string[] = []): readonly string[] {
  if (!Array.isArray(labelNames)) throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${metric}: labelNames must be an array of strings`);
  const seen = new Set<string>();
  for (const label of labelNames as unknown[]) {
    // Names starting with __ are reserved for Prometheus itself.
    if (typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__') || reserved.includes(label)) {
      throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${metric}: ${JSON.stringify(label)} is not a label name it may use`);
    }
    if (seen.has(label)) throw new PercoreError('PERCORE_ERR_INVALID_METRIC', `${metric}: the label ${label} is given twice`);
    seen.add(label);
  }
  return Object.freeze([...(labelNames as string[])]);
}
