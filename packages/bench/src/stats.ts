/** Median; for an even count, the mean of the two middle values. Throws on an empty list. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  min: number;
  max: number;
  /** (max - min) / median: 0 for one value (or a zero median with no spread). */
  relative: number;
}

/** How far the values stray: throws on an empty list. */
export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error('spread of an empty list');
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mid = median(values);
  const relative = max === min ? 0 : mid === 0 ? Infinity : (max - min) / mid;
  return { min, max, relative };
}
