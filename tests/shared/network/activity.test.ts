import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import { dailyActivity, newestEntryByHub, pickupRates } from '../../../shared/network';
import { DAY_MS, HOUR_MS } from './fc';

const TODAY_MS = Date.UTC(2025, 2, 14, 15);
let seq = 0;
const base = (hub: string, item: string, daysAgo: number) => ({
  hub,
  item,
  device: 'dev1',
  seq: ++seq,
  at: TODAY_MS - daysAgo * DAY_MS,
  recordedAt: TODAY_MS - daysAgo * DAY_MS,
});
const pickup = (hub: string, item: string, daysAgo: number, qty: number): Entry => ({
  kind: 'pickup',
  ...base(hub, item, daysAgo),
  qty,
});
const donation = (hub: string, item: string, daysAgo: number, qty: number): Entry => ({
  kind: 'donation',
  ...base(hub, item, daysAgo),
  qty,
  source: 'individual',
});

describe('dailyActivity and pickupRates', () => {
  const undone = pickup('hub1', 'rice', 2, 50);
  const entries: Entry[] = [
    pickup('hub1', 'rice', 0, 6),
    pickup('hub1', 'rice', 0, 4),
    pickup('hub1', 'rice', 1, 5),
    donation('hub1', 'soap', 3, 20), // an active day with no rice pickups
    undone,
    {
      kind: 'reversal',
      ...base('hub1', 'rice', 1),
      target: `dev1.${undone.seq}`,
      targetKind: 'pickup',
      effect: 50,
    },
    pickup('hub1', 'rice', 20, 99), // outside the window
    pickup('hub2', 'rice', 5, 7),
  ];
  const projector = new Projector();
  for (const e of entries) projector.apply(e);
  const ledger = projector.allLedger();

  it('counts active days (undos included) and leaves undone pickups out', () => {
    const hub1 = dailyActivity(ledger).get('hub1')!;
    expect([...hub1.activeDays].sort()).toEqual([
      '2025-02-22',
      '2025-03-11',
      '2025-03-12',
      '2025-03-13',
      '2025-03-14',
    ]);
    expect(Object.fromEntries(hub1.pickupsByItem.get('rice')!)).toEqual({
      '2025-03-14': 10,
      '2025-03-13': 5,
      '2025-02-22': 99,
    });
    expect(hub1.pickupsByItem.has('soap')).toBe(false);
  });

  it('gives each hub and item its rate over its own active days', () => {
    const rates = pickupRates(ledger, '2025-03-14');
    // hub1: 15 units over 4 active days in the window (14th, 13th, 12th with the undone pickup, 11th).
    expect(rates.get('hub1|rice')).toBe(15 / 4);
    expect(rates.get('hub2|rice')).toBe(7);
    expect(rates.has('hub1|soap')).toBe(false);
  });

  it('uses the given calendar', () => {
    const late = [pickup('hub3', 'rice', 0, 8)]; // 15:00 UTC on the 14th
    const tokyo = (ms: number) => new Date(ms + 9 * HOUR_MS).toISOString().slice(0, 10);
    expect([...dailyActivity(late, tokyo).get('hub3')!.activeDays]).toEqual(['2025-03-15']);
    expect(pickupRates(late, '2025-03-14', tokyo).get('hub3|rice')).toBe(0);
  });

  it('finds each hub’s newest entry by when it was recorded', () => {
    const backdated = { ...pickup('hub2', 'rice', 9, 1), recordedAt: TODAY_MS - HOUR_MS };
    const newest = newestEntryByHub([...entries, backdated]);
    expect(newest.get('hub1')).toBe(TODAY_MS);
    expect(newest.get('hub2')).toBe(TODAY_MS - HOUR_MS);
    expect(newest.has('hub3')).toBe(false);
  });
});
