import { describe, expect, it } from 'vitest';
import { median, medianDifference } from '../../bench/stats';

/** bench/stats.ts: what bench/first-view-ab.ts says of two builds' starts. */
describe('the difference of two sets of runs', () => {
  const a = [583, 605, 548, 572, 653];
  it('is the difference of the medians, inside its interval', () => {
    const b = [482, 521, 478, 472, 455];
    const { difference, low, high } = medianDifference(a, b);
    expect(difference).toBe(median(b) - median(a));
    expect(low).toBeLessThanOrEqual(difference);
    expect(high).toBeGreaterThanOrEqual(difference);
    // Every run of b faster than every run of a: the interval is below 0.
    expect(high).toBeLessThan(0);
    // Seeded: the same runs give the same interval.
    expect(medianDifference(a, b)).toEqual({ difference, low, high });
  });

  it('holds 0 when the runs of one set are the other’s, in another order', () => {
    const { difference, low, high } = medianDifference(a, [...a].reverse());
    expect(difference).toBe(0);
    expect(low).toBeLessThan(0);
    expect(high).toBeGreaterThan(0);
  });

  it('is not a number when a set has no runs', () => {
    expect(medianDifference([], a).difference).toBeNaN();
  });
});
