import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SEVERITIES,
  networkView,
  type HubPosition,
  type NetworkHub,
  type NetworkInput,
  type NetworkView,
} from '../../../shared/network';
import { DAY_MS, HOUR_MS, fcOptions } from './fc';

const NOW = Date.UTC(2025, 5, 1, 12);
const L = (min: number, target: number) => ({ min, target });

const fixture: NetworkInput = {
  now: NOW,
  hubs: [
    { id: 'hubn', name: 'North', newestEntryAt: NOW - HOUR_MS },
    { id: 'hubs', name: 'South', newestEntryAt: NOW - 2 * HOUR_MS },
    { id: 'hube', name: 'East', newestEntryAt: NOW - 30 * HOUR_MS },
    { id: 'hubw', name: 'West', newestEntryAt: null },
  ],
  items: [
    { id: 'rice', name: 'Rice 2 lb', category: 'Food' },
    { id: 'bean', name: 'Beans', category: 'Food' },
    { id: 'diap', name: 'Diapers size 4', category: 'Baby' },
    { id: 'soap', name: 'Soap', category: 'Hygiene' },
  ],
  positions: [
    { hub: 'hubn', item: 'rice', onHand: 0, levels: L(10, 30), rate: 2 }, // out
    { hub: 'hubs', item: 'rice', onHand: 80, levels: L(10, 30), rate: 5 }, // surplus 50, 16 days
    { hub: 'hube', item: 'rice', onHand: 40, levels: L(10, 30), rate: 1 }, // stale
    { hub: 'hubn', item: 'bean', onHand: 12, levels: L(10, 20), rate: 6 }, // running out in 2 days
    { hub: 'hubs', item: 'bean', onHand: 5, levels: L(10, 20), rate: 1 }, // short, 5 days
    { hub: 'hubn', item: 'diap', onHand: 100, levels: L(20, 40), rate: 0 }, // surplus 60
    { hub: 'hubs', item: 'diap', onHand: 30, levels: L(20, 40), rate: 1 }, // ok, 30 days
    { hub: 'hubw', item: 'diap', onHand: 0, levels: L(20, 40), rate: 0 }, // stale (never heard from)
    { hub: 'hubn', item: 'soap', onHand: 3, levels: L(5, 10), rate: 0.5 }, // short, 6 days
    { hub: 'hubx', item: 'soap', onHand: 7, rate: 0 }, // a hub this device does not know: stale
    { hub: 'hubs', item: 'ghst', onHand: 4, rate: 2 }, // an item not in the catalog: running out
  ],
  inTransit: [
    { item: 'rice', qty: 15, from: 'hubs', to: 'hubw' },
    { item: 'diap', qty: 6, from: 'hubn', to: 'hube' },
  ],
};

describe('networkView: a small network', () => {
  // Worked out before each test, not once when the file loads: a change to the code under test (as
  // mutation testing makes, per test) must reach these examples.
  let view: NetworkView;
  beforeEach(() => {
    view = networkView(fixture);
  });

  it('sorts items by severity, then days of cover, and splits fresh from stale totals', () => {
    expect(view.items.map((i) => [i.item, i.worst, i.minCover])).toEqual([
      ['rice', 'out', 0],
      ['bean', 'short', 2],
      ['soap', 'short', 6],
      ['ghst', 'running-out', 2],
      ['diap', 'ok', 30],
    ]);
    expect(view.items[0]).toEqual({
      item: 'rice',
      name: 'Rice 2 lb',
      category: 'Food',
      freshTotal: 80,
      staleTotal: 40,
      inTransit: 15,
      outHubs: ['hubn'],
      shortHubs: [],
      runningOutHubs: [],
      surplusHubs: [{ hub: 'hubs', surplus: 50 }],
      staleHubs: ['hube'],
      worst: 'out',
      minCover: 0,
    });
  });

  it('lists a stale hub that is out apart, never as out', () => {
    const diap = view.items.find((i) => i.item === 'diap')!;
    expect(diap).toMatchObject({ freshTotal: 130, staleTotal: 0, inTransit: 6, outHubs: [] });
    expect(diap.staleHubs).toEqual(['hubw']);
    expect(diap.surplusHubs).toEqual([{ hub: 'hubn', surplus: 60 }]);
  });

  it('shows stock of unknown hubs as stale and unknown items by id', () => {
    expect(view.items.find((i) => i.item === 'soap')).toMatchObject({
      freshTotal: 3,
      staleTotal: 7,
      shortHubs: ['hubn'],
      staleHubs: ['hubx'],
    });
    expect(view.items.find((i) => i.item === 'ghst')).toMatchObject({
      name: 'ghst',
      category: null,
      runningOutHubs: ['hubs'],
    });
  });

  it('lists hubs fresh first, then stale, each with its shortages by severity', () => {
    expect(view.hubs.map((h) => [h.hub, h.name, h.stale, h.ageMs])).toEqual([
      ['hubn', 'North', false, HOUR_MS],
      ['hubs', 'South', false, 2 * HOUR_MS],
      ['hubw', 'West', true, null],
      ['hube', 'East', true, 30 * HOUR_MS],
      ['hubx', 'hubx', true, null],
    ]);
    expect(view.hubs[0]!.shortages).toEqual([
      { item: 'rice', onHand: 0, min: 10, cover: 0, severity: 'out' },
      { item: 'soap', onHand: 3, min: 5, cover: 6, severity: 'short' },
      { item: 'bean', onHand: 12, min: 10, cover: 2, severity: 'running-out' },
    ]);
    expect(view.hubs[1]!.shortages.map((s) => [s.item, s.min])).toEqual([
      ['bean', 10],
      ['ghst', null],
    ]);
    expect(view.hubs[3]!.shortages).toEqual([]);
  });

  it('suggests moves between fresh hubs only', () => {
    expect(view.moves).toEqual([{ item: 'rice', from: 'hubs', to: 'hubn', qty: 10 }]);
  });

  it('filters by category', () => {
    const food = networkView({ ...fixture, filter: { category: 'Food' } });
    expect(food.items.map((i) => i.item)).toEqual(['rice', 'bean']);
    expect(food.moves).toHaveLength(1);
    expect(food.hubs.map((h) => h.hub)).toEqual(['hubn', 'hubs', 'hube', 'hubw']);
    expect(food.hubs[0]!.shortages.map((s) => s.item)).toEqual(['rice', 'bean']);
    const baby = networkView({ ...fixture, filter: { category: 'Baby' } });
    expect(baby.items.map((i) => i.item)).toEqual(['diap']);
    expect(baby.moves).toEqual([]);
    expect(baby.hubs.find((h) => h.hub === 'hubw')!.shortages.map((s) => s.item)).toEqual(['diap']);
  });

  it('filters by hub: that hub’s figures, its transfers and the moves it takes part in', () => {
    const south = networkView({ ...fixture, filter: { hub: 'hubs' } });
    expect(south.hubs.map((h) => h.hub)).toEqual(['hubs']);
    expect(south.moves).toEqual(view.moves);
    const row = (id: string) => south.items.find((i) => i.item === id)!;
    expect(row('rice')).toMatchObject({ freshTotal: 80, staleTotal: 0, inTransit: 15, outHubs: [] });
    expect(row('diap')).toMatchObject({ freshTotal: 30, inTransit: 0 });
    expect(row('soap')).toMatchObject({ freshTotal: 0, staleTotal: 0, worst: null });
    expect(south.items.at(-1)!.item).toBe('soap'); // nothing known here: last

    const east = networkView({ ...fixture, filter: { hub: 'hube' } });
    expect(east.items.find((i) => i.item === 'rice')).toMatchObject({
      freshTotal: 0,
      staleTotal: 40,
      staleHubs: ['hube'],
      worst: null,
    });
    expect(east.items.find((i) => i.item === 'diap')!.inTransit).toBe(6);
    expect(east.moves).toEqual([]);
  });

  it('combines both filters', () => {
    const v = networkView({ ...fixture, filter: { hub: 'hubn', category: 'Hygiene' } });
    expect(v.items.map((i) => [i.item, i.freshTotal])).toEqual([['soap', 3]]);
    expect(v.hubs.map((h) => h.shortages.map((s) => s.item))).toEqual([['soap']]);
  });
});

const HUB_IDS = ['hub1', 'hub2', 'hub3', 'hub4', 'hub5'];
const ITEM_IDS = ['itma', 'itmb', 'itmc', 'itmd'];
const CATEGORIES = ['Food', 'Baby'];

const hubArb = (id: string): fc.Arbitrary<NetworkHub> =>
  fc
    .oneof(
      fc.integer({ min: 0, max: 24 * HOUR_MS }).map((age) => NOW - age),
      fc.integer({ min: 24 * HOUR_MS + 1, max: 10 * DAY_MS }).map((age) => NOW - age),
      fc.constant(null),
    )
    .map((newestEntryAt) => ({ id, name: `Hub ${id}`, newestEntryAt }));

const positionArb: fc.Arbitrary<HubPosition> = fc
  .record({
    hub: fc.constantFrom(...HUB_IDS, 'hubz'), // hubz: not in the hub list
    item: fc.constantFrom(...ITEM_IDS),
    onHand: fc.integer({ min: -5, max: 100 }),
    min: fc.integer({ min: 0, max: 40 }),
    extra: fc.integer({ min: 0, max: 40 }),
    hasLevels: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    rate: fc.integer({ min: 0, max: 40 }).map((n) => n / 4),
  })
  .map(({ min, extra, hasLevels, ...p }) => (hasLevels ? { ...p, levels: L(min, min + extra) } : p));

const networkArb: fc.Arbitrary<NetworkInput> = fc
  .record({
    hubs: fc.tuple(...HUB_IDS.map(hubArb)),
    categories: fc.tuple(...ITEM_IDS.map(() => fc.constantFrom(...CATEGORIES))),
    positions: fc.uniqueArray(positionArb, { selector: (p) => `${p.hub}|${p.item}`, maxLength: 20 }),
    inTransit: fc.array(
      fc.record({ item: fc.constantFrom(...ITEM_IDS), qty: fc.integer({ min: 1, max: 9 }) }),
    ),
  })
  .map(({ hubs, categories, positions, inTransit }) => ({
    now: NOW,
    hubs,
    items: ITEM_IDS.map((id, i) => ({ id, name: `Item ${id}`, category: categories[i]! })),
    positions,
    inTransit,
  }));

const isFresh = (input: NetworkInput, hub: string) => {
  const h = input.hubs.find((x) => x.id === hub);
  return h !== undefined && h.newestEntryAt !== null && NOW - h.newestEntryAt <= 24 * HOUR_MS;
};
const LISTS = ['outHubs', 'shortHubs', 'runningOutHubs'] as const;

describe('networkView: properties', () => {
  it('splits every unit into the fresh or the stale total, by the hub’s freshness', () => {
    fc.assert(
      fc.property(networkArb, (input) => {
        const view = networkView(input);
        for (const item of ITEM_IDS) {
          const row = view.items.find((i) => i.item === item)!;
          const at = input.positions.filter((p) => p.item === item);
          const sum = (ps: readonly HubPosition[]) => ps.reduce((s, p) => s + p.onHand, 0);
          expect(row.freshTotal).toBe(sum(at.filter((p) => isFresh(input, p.hub))));
          expect(row.staleTotal).toBe(sum(at.filter((p) => !isFresh(input, p.hub))));
          expect(row.inTransit).toBe(
            input.inTransit.filter((t) => t.item === item).reduce((s, t) => s + t.qty, 0),
          );
          for (const list of LISTS) for (const hub of row[list]) expect(isFresh(input, hub)).toBe(true);
          for (const { hub } of row.surplusHubs) expect(isFresh(input, hub)).toBe(true);
          for (const hub of row.staleHubs) expect(isFresh(input, hub)).toBe(false);
        }
      }),
      fcOptions,
    );
  });

  it('marking a hub stale moves its stock from the fresh to the stale total and out of every list', () => {
    fc.assert(
      fc.property(networkArb, fc.constantFrom(...HUB_IDS), (input, hub) => {
        const before = networkView(input);
        const staled = {
          ...input,
          hubs: input.hubs.map((h) => (h.id === hub ? { ...h, newestEntryAt: NOW - 25 * HOUR_MS } : h)),
        };
        const after = networkView(staled);
        const wasFresh = isFresh(input, hub);
        for (const item of ITEM_IDS) {
          const b = before.items.find((i) => i.item === item)!;
          const a = after.items.find((i) => i.item === item)!;
          const held = input.positions.find((p) => p.hub === hub && p.item === item);
          const moved = wasFresh ? (held?.onHand ?? 0) : 0;
          expect(a.freshTotal).toBe(b.freshTotal - moved);
          expect(a.staleTotal).toBe(b.staleTotal + moved);
          const others = (hubs: string[]) => hubs.filter((h) => h !== hub);
          for (const list of LISTS) {
            expect(a[list]).not.toContain(hub);
            expect(a[list]).toEqual(others(b[list]));
          }
          expect(a.surplusHubs.map((s) => s.hub)).toEqual(others(b.surplusHubs.map((s) => s.hub)));
          expect(a.staleHubs.includes(hub)).toBe(held !== undefined);
        }
        for (const m of after.moves) expect([m.from, m.to]).not.toContain(hub);
        const summary = after.hubs.find((h) => h.hub === hub)!;
        expect(summary.stale).toBe(true);
        expect(after.hubs.findIndex((h) => h.stale)).toBeLessThanOrEqual(after.hubs.indexOf(summary));
      }),
      fcOptions,
    );
  });

  it('sorts items most severe first, and lists fresh hubs before stale ones', () => {
    const rank = (s: string | null) => (s === null ? SEVERITIES.length : SEVERITIES.indexOf(s as never));
    fc.assert(
      fc.property(networkArb, (input) => {
        const view = networkView(input);
        const ranks = view.items.map((i) => rank(i.worst));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        const stale = view.hubs.map((h) => h.stale);
        expect(stale).toEqual([...stale].sort((a, b) => Number(a) - Number(b)));
      }),
      fcOptions,
    );
  });

  it('a category filter keeps exactly the items of that category, with the same figures', () => {
    fc.assert(
      fc.property(networkArb, fc.constantFrom(...CATEGORIES), (input, category) => {
        const all = networkView(input);
        const some = networkView({ ...input, filter: { category } });
        expect(some.items).toEqual(all.items.filter((i) => i.category === category));
        const inCategory = new Set(input.items.filter((i) => i.category === category).map((i) => i.id));
        expect(some.moves).toEqual(all.moves.filter((m) => inCategory.has(m.item)));
        for (const h of some.hubs) for (const s of h.shortages) expect(inCategory.has(s.item)).toBe(true);
      }),
      fcOptions,
    );
  });

  it('a hub filter narrows every figure to that hub', () => {
    fc.assert(
      fc.property(networkArb, fc.constantFrom(...HUB_IDS, 'hubz'), (input, hub) => {
        const all = networkView(input);
        const one = networkView({ ...input, filter: { hub } });
        expect(one.hubs.map((h) => h.hub)).toEqual(
          input.hubs.some((h) => h.id === hub) || input.positions.some((p) => p.hub === hub) ? [hub] : [],
        );
        for (const row of one.items) {
          const held = input.positions.find((p) => p.hub === hub && p.item === row.item)?.onHand ?? 0;
          expect(row.freshTotal + row.staleTotal).toBe(held);
          for (const list of LISTS) for (const h of row[list]) expect(h).toBe(hub);
        }
        expect(one.moves).toEqual(all.moves.filter((m) => m.from === hub || m.to === hub));
      }),
      fcOptions,
    );
  });
});
