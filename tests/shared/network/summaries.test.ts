import { describe, expect, it } from 'vitest';
import {
  compareHubSummaries,
  compareItemSummaries,
  summarizeHub,
  summarizeItem,
  type AssessedPosition,
  type HubSummary,
} from '../../../shared/network';

/** What a coordinator reads per item and per hub, and the order the lists come in. */

const pos = (hub: string, over: Partial<AssessedPosition> = {}): AssessedPosition => ({
  hub,
  item: 'rice',
  onHand: 10,
  levels: { min: 5, target: 20 },
  stale: false,
  cover: null,
  severity: 'ok',
  ...over,
});
const RICE = { id: 'rice', name: 'Rice', category: 'Food' };

describe('summarizeItem', () => {
  it('lists each fresh hub under its state, hubs in id order, surplus most first', () => {
    const s = summarizeItem(
      RICE,
      [
        pos('hubd', { onHand: 0, severity: 'out', cover: 0 }),
        pos('hubb', { onHand: 0, severity: 'out', cover: 0 }),
        pos('hubc', { onHand: 3, severity: 'short', cover: 6 }),
        pos('hubr', { onHand: 7, severity: 'running-out', cover: 2.5 }),
        pos('hubs', { onHand: 30, severity: 'surplus', cover: 40 }),
        pos('hubt', { onHand: 45, severity: 'surplus' }),
        pos('hubu', { onHand: 30, severity: 'surplus' }),
        pos('hubz', { onHand: 12, severity: 'ok', stale: true }),
        pos('huba', { onHand: 0, severity: 'out', stale: true }),
      ],
      4,
    );
    expect(s).toEqual({
      item: 'rice',
      name: 'Rice',
      category: 'Food',
      freshTotal: 0 + 0 + 3 + 7 + 30 + 45 + 30,
      staleTotal: 12,
      inTransit: 4,
      outHubs: ['hubb', 'hubd'],
      shortHubs: ['hubc'],
      runningOutHubs: ['hubr'],
      surplusHubs: [
        { hub: 'hubt', surplus: 25 },
        { hub: 'hubs', surplus: 10 },
        { hub: 'hubu', surplus: 10 },
      ],
      staleHubs: ['huba', 'hubz'],
      worst: 'out',
      minCover: 0,
    });
  });

  it('takes the most severe state and the fewest days of cover among fresh hubs only', () => {
    const s = summarizeItem(
      RICE,
      [
        pos('hub1', { severity: 'ok', cover: 9 }),
        pos('hub2', { severity: 'running-out', cover: 3 }),
        pos('hub3', { severity: 'surplus', cover: null }),
        pos('hub4', { severity: 'out', cover: 0, stale: true }),
      ],
      0,
    );
    expect([s.worst, s.minCover]).toEqual(['running-out', 3]);
    const order = [pos('hub1', { severity: 'surplus', cover: 4 }), pos('hub2', { severity: 'ok', cover: 8 })];
    expect([summarizeItem(RICE, order, 0).worst, summarizeItem(RICE, order.reverse(), 0).worst]).toEqual([
      'ok',
      'ok',
    ]);
    expect(summarizeItem(RICE, [pos('hub1', { cover: null })], 0).minCover).toBeNull();
    expect(summarizeItem(RICE, [pos('hub1', { stale: true })], 0)).toMatchObject({
      worst: null,
      minCover: null,
    });
  });
});

describe('compareItemSummaries', () => {
  const item = (id: string, name: string, positions: AssessedPosition[]) =>
    summarizeItem({ id, name, category: null }, positions, 0);

  it('puts the item with more hubs out or short first when state and cover are the same', () => {
    const one = item('itm1', 'Apples', [pos('hub1', { severity: 'short', cover: 2 })]);
    const two = item('itm2', 'Beans', [
      pos('hub1', { severity: 'short', cover: 2 }),
      pos('hub2', { severity: 'short', cover: 5 }),
    ]);
    expect([one, two].sort(compareItemSummaries).map((s) => s.item)).toEqual(['itm2', 'itm1']);
    expect([two, one].sort(compareItemSummaries).map((s) => s.item)).toEqual(['itm2', 'itm1']);
  });

  it('then by name, then by id; items no fresh hub holds last', () => {
    const b = item('itm2', 'Beans', [pos('hub1')]);
    const a = item('itm3', 'apples', [pos('hub1')]);
    const a2 = item('itm1', 'apples', [pos('hub1')]);
    const none = item('itm0', 'Aardvark food', [pos('hub1', { stale: true })]);
    expect([b, none, a, a2].sort(compareItemSummaries).map((s) => s.item)).toEqual([
      'itm1',
      'itm3',
      'itm2',
      'itm0',
    ]);
  });
});

describe('summarizeHub and compareHubSummaries', () => {
  const names = new Map([
    ['rice', 'Rice'],
    ['bean', 'Beans'],
    ['oats', 'Oats'],
  ]);
  const hub = (id: string, name: string, stale: boolean, positions: AssessedPosition[]) =>
    summarizeHub({ id, name, stale, ageMs: stale ? null : 1000 }, positions, names);

  it('lists a hub’s shortages most severe first, then by cover, then by item name', () => {
    const h = hub('hub1', 'North', false, [
      pos('hub1', { item: 'rice', severity: 'running-out', cover: 2 }),
      pos('hub1', { item: 'oats', severity: 'short', cover: 6, onHand: 2 }),
      pos('hub1', { item: 'bean', severity: 'short', cover: 6, onHand: 1 }),
      pos('hub1', { item: 'zzz9', severity: 'short', cover: 4, onHand: 1, levels: undefined }),
      pos('hub1', { item: 'ghst', severity: 'out', cover: 0, onHand: 0 }),
      pos('hub1', { item: 'plen', severity: 'surplus' }),
      pos('hub1', { item: 'fine', severity: 'ok' }),
    ]);
    expect(h).toMatchObject({ hub: 'hub1', name: 'North', stale: false, ageMs: 1000 });
    expect(h.shortages).toEqual([
      { item: 'ghst', onHand: 0, min: 5, cover: 0, severity: 'out' },
      { item: 'zzz9', onHand: 1, min: null, cover: 4, severity: 'short' },
      { item: 'bean', onHand: 1, min: 5, cover: 6, severity: 'short' },
      { item: 'oats', onHand: 2, min: 5, cover: 6, severity: 'short' },
      { item: 'rice', onHand: 10, min: 5, cover: 2, severity: 'running-out' },
    ]);
  });

  it('sorts shortages of the same severity and cover by name, an item not in the catalog by its id as its name', () => {
    const short = (item: string) => pos('hub1', { item, severity: 'short', cover: 3, onHand: 1 });
    // Catalog names: Beans, Oats, Rice; "pear" and "apple" are not in this device's catalog yet.
    const order = ['apple', 'bean', 'oats', 'pear', 'rice'];
    for (const items of [order, [...order].reverse(), ['rice', 'apple', 'oats', 'pear', 'bean']])
      expect(hub('hub1', 'North', false, items.map(short)).shortages.map((s) => s.item)).toEqual(order);
    // Two hubs summarized with one names map come out in the same order (its ranks are made once).
    expect(
      hub('hub2', 'South', false, ['pear', 'rice', 'bean'].map(short)).shortages.map((s) => s.item),
    ).toEqual(['bean', 'pear', 'rice']);
  });

  it('orders hubs: fresh first; a hub with shortages before one without; by its worst; then by name', () => {
    const short = (id: string, name: string, cover: number) =>
      hub(id, name, false, [pos(id, { severity: 'short', cover })]);
    const hubs: HubSummary[] = [
      hub('hub9', 'Alpha', true, [pos('hub9', { severity: 'out', cover: 0 })]),
      hub('hub8', 'Bravo', false, []),
      short('hub7', 'Delta', 5),
      short('hub6', 'Charlie', 5),
      short('hub5', 'Echo', 1),
      hub('hub4', 'Zulu', false, [pos('hub4', { severity: 'out', cover: 0 })]),
      hub('hub3', 'Bravo', false, []),
    ];
    const order = ['hub4', 'hub5', 'hub6', 'hub7', 'hub3', 'hub8', 'hub9'];
    expect([...hubs].sort(compareHubSummaries).map((h) => h.hub)).toEqual(order);
    expect(
      [...hubs]
        .reverse()
        .sort(compareHubSummaries)
        .map((h) => h.hub),
    ).toEqual(order);
  });
});
