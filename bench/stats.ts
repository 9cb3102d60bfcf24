/** The p-th percentile (nearest rank) of some numbers, rounded to 0.1. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

/** The median (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How far a run's rounds spread: their median, min and max, and the farthest from the median in per cent of it. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** max |round − median| / median × 100. */
  maxDeviationPercent: number;
}

export function spread(values: number[]): Spread {
  const m = median(values);
  const deviation = Math.max(...values.map((v) => Math.abs(v - m)));
  return { median: m, min: Math.min(...values), max: Math.max(...values), maxDeviationPercent: (deviation / m) * 100 };
}
