export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Nearest-rank quantile (p95 of 20 runs is the 19th fastest). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  if (q === 0.5 && sorted.length % 2 === 0) {
    const mid = sorted.length / 2;
    return (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * How far the median of `b` is from that of `a` (positive: b is slower), with a bootstrap interval: the
 * `level` central range of the same difference over `rounds` resamples of each (drawn with replacement,
 * seeded: the same runs print the same interval). Two builds started in turns on one machine vary by 50-100
 * ms from one start to the next; an interval that holds 0 says the runs cannot tell them apart.
 */
export function medianDifference(
  a: readonly number[],
  b: readonly number[],
  { rounds = 2_000, level = 0.9, seed = 1 } = {},
): { difference: number; low: number; high: number } {
  if (a.length === 0 || b.length === 0) return { difference: NaN, low: NaN, high: NaN };
  let state = seed >>> 0;
  // mulberry32: a small seeded generator, enough to draw resamples.
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const resample = (xs: readonly number[]) => xs.map(() => xs[Math.floor(random() * xs.length)]!);
  const differences: number[] = [];
  for (let i = 0; i < rounds; i++) differences.push(median(resample(b)) - median(resample(a)));
  differences.sort((x, y) => x - y);
  const at = (q: number) => differences[Math.min(rounds - 1, Math.max(0, Math.floor(q * rounds)))]!;
  return { difference: median(b) - median(a), low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
