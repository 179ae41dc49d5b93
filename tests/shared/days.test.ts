import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysUntil, localDateTime, localDay, utcDay } from '../../shared/days';
import { dayOf } from '../../shared/projection';
import { utcDay as coverDay } from '../../shared/network/cover';
import { utcDay as roomDay } from '../../shared/sync/roomAuth';
import { fcOptions, timeArb } from './arbitraries';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const startOfLocalDay = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
};

describe('day keys', () => {
  it('utcDay is the UTC calendar day, the one every module keys days by', () => {
    expect(utcDay(Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toBe('2026-11-30');
    expect(utcDay(Date.UTC(2026, 11, 1))).toBe('2026-12-01');
    expect(dayOf).toBe(utcDay);
    expect(coverDay).toBe(utcDay);
    expect(roomDay).toBe(utcDay);
  });

  it('utcDay holds the instant: it is at or after the day’s start and before the next', () => {
    fc.assert(
      fc.property(timeArb, (ms) => {
        const day = utcDay(ms);
        expect(day).toMatch(DAY);
        const start = Date.parse(`${day}T00:00:00Z`);
        expect(ms).toBeGreaterThanOrEqual(start);
        expect(ms).toBeLessThan(start + 86_400_000);
      }),
      fcOptions(),
    );
  });

  it('utcDay answers as toISOString for any run of instants, across days and back (it keeps the last day)', () => {
    const plain = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const near = fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 });
    fc.assert(
      fc.property(timeArb, fc.array(near, { maxLength: 30 }), (start, steps) => {
        let ms = start;
        for (const step of [0, ...steps, -1, 1]) {
          ms += step;
          expect(utcDay(ms)).toBe(plain(ms));
        }
      }),
      fcOptions(),
    );
    // The last millisecond of a day and the first of the next, before 1970 too.
    for (const ms of [-1, 0, -86_400_000, -86_400_001, Date.UTC(2026, 0, 1) - 1, Date.UTC(2026, 0, 1)])
      expect(utcDay(ms)).toBe(plain(ms));
    expect(() => utcDay(NaN)).toThrow(RangeError);
  });

  it('localDay holds the instant in this device’s time zone', () => {
    fc.assert(
      fc.property(timeArb, (ms) => {
        const day = localDay(ms);
        expect(day).toMatch(DAY);
        const start = startOfLocalDay(day);
        const [y, m, d] = day.split('-').map(Number) as [number, number, number];
        expect(ms).toBeGreaterThanOrEqual(start);
        expect(ms).toBeLessThan(new Date(y, m - 1, d + 1).getTime());
      }),
      fcOptions(),
    );
  });

  it('localDateTime is the local day and minute, as a spreadsheet reads it', () => {
    const ms = new Date(2026, 0, 5, 7, 3, 59).getTime();
    expect(localDateTime(ms)).toBe('2026-01-05 07:03');
    fc.assert(
      fc.property(timeArb, (ms) => {
        expect(localDateTime(ms)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
        expect(localDateTime(ms).slice(0, 10)).toBe(localDay(ms));
      }),
      fcOptions(),
    );
  });

  it('daysUntil counts whole local calendar days, whatever the time of day and across clock changes', () => {
    fc.assert(
      fc.property(
        timeArb,
        fc.integer({ min: -800, max: 800 }),
        fc.integer({ min: 0, max: 23 }),
        (now, k, hour) => {
          const d = new Date(now);
          const then = new Date(d.getFullYear(), d.getMonth(), d.getDate() + k, hour).getTime();
          expect(daysUntil(localDay(then), now)).toBe(k);
        },
      ),
      fcOptions(),
    );
  });
});
