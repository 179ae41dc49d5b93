import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXPIRY_WARNING_DAYS,
  countNeeded,
  expiresWithin,
  nextExpiry,
  stockStatus,
} from '../../shared/status';
import { fcOptions } from './arbitraries';

const DAY_MS = 86_400_000;

describe('stockStatus', () => {
  it.each([
    [0, undefined, 'out'],
    [-4, undefined, 'out'],
    [-4, { min: 10, target: 20 }, 'out'],
    [0, { min: 0, target: 0 }, 'out'],
    [1, undefined, 'ok'],
    [1, { min: 0, target: 5 }, 'ok'],
    [9, { min: 10, target: 20 }, 'low'],
    [1, { min: 10, target: 20 }, 'low'],
    [10, { min: 10, target: 20 }, 'ok'],
    [500, { min: 10, target: 20 }, 'ok'],
  ] as const)('on hand %i with levels %j is %s', (onHand, levels, status) => {
    expect(stockStatus(onHand, levels)).toBe(status);
  });
});

describe('countNeeded', () => {
  it.each([
    [{ onHand: -1, lastCountAt: null, lastWarnAt: null }, true],
    [{ onHand: -1, lastCountAt: 500, lastWarnAt: null }, true],
    [{ onHand: 0, lastCountAt: null, lastWarnAt: null }, false],
    [{ onHand: 3, lastCountAt: null, lastWarnAt: 100 }, true],
    [{ onHand: 3, lastCountAt: 50, lastWarnAt: 100 }, true],
    [{ onHand: 3, lastCountAt: 100, lastWarnAt: 100 }, false],
    [{ onHand: 3, lastCountAt: 150, lastWarnAt: 100 }, false],
    [{ onHand: 3, lastCountAt: 150, lastWarnAt: null }, false],
  ])('%j → %s', (row, needed) => {
    expect(countNeeded(row)).toBe(needed);
  });
});

describe('nextExpiry', () => {
  const lots = { '2026-01-10': 5, '2026-03-01': 10 };

  it.each([
    [12, '2026-01-10'], // 15 dated, 3 handed out first-expired-first: 2 of the January lot remain
    [11, '2026-01-10'],
    [10, '2026-03-01'], // exactly the March lot remains
    [8, '2026-03-01'],
    [1, '2026-03-01'],
    [15, '2026-01-10'],
    [40, '2026-01-10'], // undated units beyond the lots change nothing
    [0, null],
    [-3, null],
  ])('lots {2026-01-10: 5, 2026-03-01: 10}, on hand %i → %s', (onHand, expected) => {
    expect(nextExpiry({ onHand, lots })).toBe(expected);
  });

  it('ignores empty and negative lots, and is null with no dated lot', () => {
    expect(nextExpiry({ onHand: 5, lots: {} })).toBeNull();
    expect(nextExpiry({ onHand: 5, lots: { '2026-01-01': 0, '2026-02-01': -4 } })).toBeNull();
    expect(nextExpiry({ onHand: 5, lots: { '2026-01-01': -4, '2026-02-01': 3 } })).toBe('2026-02-01');
  });

  it('agrees with handing out units one by one, soonest expiry first', () => {
    const dayArb = fc
      .integer({ min: 0, max: 60 })
      .map((d) => new Date(Date.UTC(2026, 0, 1) + d * DAY_MS).toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        fc.dictionary(dayArb, fc.integer({ min: -5, max: 20 }), { maxKeys: 6 }),
        fc.integer({ min: -5, max: 120 }),
        (lotMap, onHand) => {
          // Every dated unit once, soonest first; undated units last longest, so they are the last to go.
          const units = Object.keys(lotMap)
            .sort()
            .flatMap((day) => Array.from({ length: Math.max(0, lotMap[day]!) }, () => day));
          const handedOut = Math.max(0, units.length - Math.max(0, onHand));
          const expected = onHand > 0 ? (units[handedOut] ?? null) : null;
          expect(nextExpiry({ onHand, lots: lotMap })).toBe(expected);
        },
      ),
      fcOptions(),
    );
  });
});

describe('expiresWithin', () => {
  const midnight = Date.UTC(2026, 0, 15);

  it.each([
    ['exactly 14 days before', midnight - 14 * DAY_MS, true],
    ['1 ms more than 14 days before', midnight - 14 * DAY_MS - 1, false],
    ['15 days before', midnight - 15 * DAY_MS, false],
    ['on the day', midnight, true],
    ['already past', midnight + 3 * DAY_MS, true],
  ])('2026-01-15 checked %s', (_what, now, expected) => {
    expect(expiresWithin('2026-01-15', now)).toBe(expected);
  });

  it('uses the given window and the default of 14 days', () => {
    expect(EXPIRY_WARNING_DAYS).toBe(14);
    expect(expiresWithin('2026-01-15', midnight - 3 * DAY_MS, 3)).toBe(true);
    expect(expiresWithin('2026-01-15', midnight - 3 * DAY_MS - 1, 3)).toBe(false);
    expect(expiresWithin('2026-01-15', midnight, 0)).toBe(true);
    expect(expiresWithin('2026-01-15', midnight - 1, 0)).toBe(false);
  });

  it('is false without an expiry', () => {
    expect(expiresWithin(null, midnight)).toBe(false);
  });
});
