import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, freshness } from '../../../shared/network';
import { HOUR_MS, fcOptions } from './fc';

const NOW = Date.UTC(2025, 5, 1, 12);

describe('freshness', () => {
  it('marks figures stale after exactly 24 hours', () => {
    expect(STALE_AFTER_MS).toBe(24 * HOUR_MS);
  });

  it.each([
    ['never heard from', null, { stale: true, ageMs: null }],
    ['just now', NOW, { stale: false, ageMs: 0 }],
    ['an hour ago', NOW - HOUR_MS, { stale: false, ageMs: HOUR_MS }],
    ['exactly a day ago', NOW - 24 * HOUR_MS, { stale: false, ageMs: 24 * HOUR_MS }],
    ['a day and a millisecond ago', NOW - 24 * HOUR_MS - 1, { stale: true, ageMs: 24 * HOUR_MS + 1 }],
    ['a week ago', NOW - 7 * 24 * HOUR_MS, { stale: true, ageMs: 7 * 24 * HOUR_MS }],
    ['in the future (fast clock)', NOW + 5 * HOUR_MS, { stale: false, ageMs: 0 }],
    // A time that is not a number vouches for nothing: stale, age unknown.
    ['an unreadable time', Number.NaN, { stale: true, ageMs: null }],
    ['an infinitely far-off time', Number.POSITIVE_INFINITY, { stale: true, ageMs: null }],
  ] as const)('%s', (_label, newest, expected) => {
    expect(freshness(newest, NOW)).toEqual(expected);
  });

  it('is stale exactly when the age is over 24 hours, and the age is never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 24 * HOUR_MS }),
        fc.integer({ min: -2 * 24 * HOUR_MS, max: 10 * 24 * HOUR_MS }),
        (now, age) => {
          const f = freshness(now - age, now);
          expect(f.ageMs).toBe(Math.max(0, age));
          expect(f.stale).toBe(age > 24 * HOUR_MS);
        },
      ),
      fcOptions,
    );
  });
});
