import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAYS_WINDOW,
  RUNNING_OUT_DAYS,
  daysOfCover,
  pickupRate,
  runsOutSoon,
  windowDays,
} from '../../../shared/network';
import { DAY_MS, fcOptions } from './fc';

const TODAY = '2025-03-14';
/** The day `n` days before 2025-03-14 (negative: after). */
const ago = (n: number) => new Date(Date.UTC(2025, 2, 14) - n * DAY_MS).toISOString().slice(0, 10);

describe('windowDays', () => {
  it('is the 14 days ending today, oldest first', () => {
    expect(DAYS_WINDOW).toBe(14);
    const days = windowDays(TODAY);
    expect(days).toHaveLength(14);
    expect(days[0]).toBe('2025-03-01');
    expect(days[13]).toBe('2025-03-14');
  });

  it('crosses month, year and leap-day boundaries', () => {
    expect(windowDays('2024-03-01', 3)).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(windowDays('2025-01-02', 3)).toEqual(['2024-12-31', '2025-01-01', '2025-01-02']);
  });

  it('rejects a day that is not YYYY-MM-DD', () => {
    expect(() => windowDays('14/03/2025')).toThrow(/not a date/);
  });
});

describe('pickupRate', () => {
  const m = (entries: [string, number][]) => new Map(entries);
  const s = (days: string[]) => new Set(days);

  it.each([
    ['no activity at all', m([]), s([]), 0],
    ['open but nothing handed out', m([]), s([ago(0), ago(3)]), 0],
    ['one active day', m([[ago(0), 12]]), s([ago(0)]), 12],
    [
      'averages over active days only, not 14',
      m([
        [ago(1), 6],
        [ago(5), 4],
      ]),
      s([ago(1), ago(5)]),
      5,
    ],
    ['an active day with no pickups counts', m([[ago(1), 30]]), s([ago(1), ago(2), ago(9)]), 10],
    ['13 days ago is inside the window', m([[ago(13), 28]]), s([ago(13), ago(0)]), 14],
    [
      '14 days ago is outside the window',
      m([
        [ago(14), 100],
        [ago(0), 8],
      ]),
      s([ago(14), ago(0)]),
      8,
    ],
    [
      'days after today are ignored',
      m([
        [ago(-1), 100],
        [ago(2), 9],
      ]),
      s([ago(-1), ago(2)]),
      9,
    ],
    ['a pickup day is active even if not listed', m([[ago(2), 9]]), s([ago(4)]), 4.5],
  ] as const)('%s', (_label, pickups, active, rate) => {
    expect(pickupRate(pickups, active, TODAY)).toBe(rate);
  });

  it('matches a naive reference over random calendars', () => {
    const offset = fc.integer({ min: -5, max: 25 });
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1) / DAY_MS, max: Date.UTC(2030, 0, 1) / DAY_MS }),
        fc.uniqueArray(fc.tuple(offset, fc.integer({ min: 0, max: 200 })), { selector: ([o]) => o }),
        fc.uniqueArray(offset),
        (todayN, pickupOffsets, activeOffsets) => {
          const day = (o: number) => new Date((todayN - o) * DAY_MS).toISOString().slice(0, 10);
          const pickups = new Map(pickupOffsets.map(([o, q]) => [day(o), q]));
          const active = new Set(activeOffsets.map(day));
          // Reference: walk offsets, not dates; a day is active if listed or if anything was picked up.
          let total = 0;
          let days = 0;
          for (let o = 0; o < 14; o++) {
            const q = pickupOffsets.find(([po]) => po === o)?.[1] ?? 0;
            if (activeOffsets.includes(o) || q > 0) {
              days += 1;
              total += q;
            }
          }
          expect(pickupRate(pickups, active, day(0))).toBeCloseTo(days === 0 ? 0 : total / days, 9);
        },
      ),
      fcOptions,
    );
  });
});

describe('daysOfCover', () => {
  it.each([
    [10, 4, 2.5],
    [12, 4, 3],
    [1, 0.5, 2],
    [0, 5, 0],
    [-3, 5, 0],
    [0, 0, 0],
    [5, 0, null],
    [-2, 0, 0],
  ])('on hand %d at %d a day lasts %s days', (onHand, rate, cover) => {
    expect(daysOfCover(onHand, rate)).toBe(cover);
  });

  it('never decreases when there is more on hand (null = never runs out = longest)', () => {
    const asNumber = (c: number | null) => (c === null ? Infinity : c);
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 500, noNaN: true })),
        (onHand, more, rate) => {
          expect(asNumber(daysOfCover(onHand + more, rate))).toBeGreaterThanOrEqual(
            asNumber(daysOfCover(onHand, rate)),
          );
        },
      ),
      fcOptions,
    );
  });
});

describe('runsOutSoon', () => {
  it.each([
    [0, true],
    [RUNNING_OUT_DAYS, true],
    [3.01, false],
    [10, false],
    [null, false],
  ])('cover %s → %s', (cover, soon) => {
    expect(RUNNING_OUT_DAYS).toBe(3);
    expect(runsOutSoon(cover)).toBe(soon);
  });
});
