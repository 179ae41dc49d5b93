import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickupRates, ratesFromUsage, utcDay, type ActivityRow } from '../../../shared/network';
import type { UsageRow } from '../../../shared/projection';
import { DAY_MS, fcOptions } from './fc';

const TODAY = '2026-03-15';
const TODAY_MS = Date.UTC(2026, 2, 15, 12);
const daysAgo = (n: number) => utcDay(TODAY_MS - n * DAY_MS);

const row = (hub: string, day: string, entries: number, pickups: Record<string, number> = {}): UsageRow => ({
  key: `${hub}|${day}`,
  hub,
  day,
  entries,
  pickups,
});

describe('ratesFromUsage: pickup rates from the projected daily usage', () => {
  it('averages over the days the hub recorded anything, not over idle days', () => {
    const rates = ratesFromUsage(
      [
        row('hub1', daysAgo(0), 3, { rice: 10, oats: 1 }),
        row('hub1', daysAgo(4), 1), // open, nothing handed out
        row('hub1', daysAgo(9), 2, { rice: 5 }),
      ],
      TODAY,
    );
    expect(rates).toEqual(
      new Map([
        ['hub1|rice', 5],
        ['hub1|oats', 1 / 3],
      ]),
    );
  });

  it('counts the last 14 days, today included, and nothing older', () => {
    const rates = ratesFromUsage(
      [
        row('hub1', daysAgo(13), 1, { rice: 8 }),
        row('hub1', daysAgo(14), 1, { rice: 100 }),
        row('hub1', daysAgo(30), 5, { beans: 7 }),
        row('hub1', daysAgo(-1), 1, { rice: 100 }), // tomorrow (a fast clock): not in the window
      ],
      TODAY,
    );
    expect(rates).toEqual(new Map([['hub1|rice', 8]]));
  });

  it('leaves out a day with no entries left, and keeps each hub apart', () => {
    const rates = ratesFromUsage(
      [
        row('hub1', daysAgo(1), 0, { rice: 6 }),
        row('hub1', daysAgo(2), 2, { rice: 4 }),
        row('hub2', daysAgo(1), 1, { rice: 9 }),
        row('hub2', daysAgo(2), 1, { rice: 0 }), // a pickup undone: the day still counts
      ],
      TODAY,
    );
    expect(rates).toEqual(
      new Map([
        ['hub1|rice', 4],
        ['hub2|rice', 4.5],
      ]),
    );
    expect(ratesFromUsage([], TODAY)).toEqual(new Map());
  });

  it('gives the same rates as the ledger does (pickupRates), for any ledger', () => {
    const rowArb = fc.record({
      hub: fc.constantFrom('hub1', 'hub2'),
      item: fc.constantFrom('rice', 'oats'),
      kind: fc.constantFrom('pickup', 'donation'),
      daysAgo: fc.integer({ min: -1, max: 20 }),
      qty: fc.integer({ min: 1, max: 50 }),
      undone: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), (rows) => {
        const ledger = rows.map(
          (r, i) =>
            ({
              kind: r.kind,
              hub: r.hub,
              device: 'deva',
              seq: i + 1,
              item: r.item,
              at: TODAY_MS - r.daysAgo * DAY_MS,
              recordedAt: TODAY_MS,
              qty: r.qty,
              ...(r.kind === 'donation' ? { source: 'other' } : {}),
              ...(r.undone ? { reversedBy: 'deva:999' } : {}),
            }) as ActivityRow,
        );
        // The usage rows the projection keeps: entries per hub and day, and pickups that still count.
        const usage = new Map<string, UsageRow>();
        for (const e of ledger) {
          const day = utcDay(e.at);
          const u = usage.get(`${e.hub}|${day}`) ?? row(e.hub, day, 0);
          usage.set(u.key, u);
          u.entries += 1;
          if (e.kind === 'pickup' && e.reversedBy === undefined)
            u.pickups[e.item] = (u.pickups[e.item] ?? 0) + e.qty;
        }
        const fromUsage = ratesFromUsage(usage.values(), TODAY);
        const fromLedger = pickupRates(ledger, TODAY);
        // The ledger lists an item once it has a pickup in any window; usage rows only within it.
        for (const [key, rate] of fromUsage) expect(rate).toBeCloseTo(fromLedger.get(key) ?? 0, 9);
        for (const [key, rate] of fromLedger) if (rate > 0) expect(fromUsage.get(key)).toBeCloseTo(rate, 9);
      }),
      fcOptions,
    );
  });
});
