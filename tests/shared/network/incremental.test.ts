import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NetworkViewModel,
  networkView,
  type HubPosition,
  type InTransit,
  type NetworkHub,
} from '../../../shared/network';
import { DAY_MS, HOUR_MS, fcOptions } from './fc';

const NOW = Date.UTC(2026, 10, 26, 12);
const HUBS = ['hub1', 'hub2', 'hub3', 'hub4'];
const ITEMS = ['ita1', 'ita2', 'ita3', 'ita4', 'ita5'];

const levelsArb = fc.option(
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([a, b]) => ({
    min: Math.min(a, b),
    target: Math.max(a, b),
  })),
  { nil: undefined },
);
const positionArb: fc.Arbitrary<HubPosition> = fc
  .record({
    hub: fc.constantFrom(...HUBS, 'hubx'),
    item: fc.constantFrom(...ITEMS, 'itz9'),
    onHand: fc.integer({ min: -5, max: 80 }),
    levels: levelsArb,
    rate: fc.constantFrom(0, 0.5, 2, 7),
  })
  .map(({ levels, ...p }) => (levels ? { ...p, levels } : p));
/** The hubs this device knows: some may be missing (not heard of yet), and a hub may be renamed. */
const hubsArb: fc.Arbitrary<NetworkHub[]> = fc
  .tuple(
    ...HUBS.map(() =>
      fc.record({
        known: fc.boolean(),
        renamed: fc.boolean(),
        hoursAgo: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
      }),
    ),
  )
  .map((hubs) =>
    hubs.flatMap(({ known, renamed, hoursAgo }, i) =>
      known || i === 0
        ? [
            {
              id: HUBS[i]!,
              name: renamed ? `Renamed ${HUBS[i]!}` : `Hub ${HUBS[i]!}`,
              newestEntryAt: hoursAgo === null ? null : NOW - hoursAgo * HOUR_MS,
            },
          ]
        : [],
    ),
  );
/** The catalog: items may be renamed, moved to another category, or not known here yet. */
const itemsArb = fc
  .tuple(
    ...ITEMS.map(() => fc.record({ known: fc.boolean(), name: fc.constantFrom('Beans', 'Rice', 'Oats') })),
  )
  .map((items) =>
    items.flatMap(({ known, name }, i) =>
      known || i < 2 ? [{ id: ITEMS[i]!, name: `${name} ${i}`, category: i % 2 ? 'Food' : 'Baby' }] : [],
    ),
  );
const transitArb: fc.Arbitrary<InTransit[]> = fc.array(
  fc.record({
    item: fc.constantFrom(...ITEMS),
    qty: fc.integer({ min: 1, max: 20 }),
    from: fc.constantFrom(...HUBS),
    to: fc.option(fc.constantFrom(...HUBS), { nil: undefined }),
  }),
  { maxLength: 3 },
);
const updateArb = fc.oneof(
  fc
    .array(positionArb, { minLength: 1, maxLength: 4 })
    .map((positions) => ({ kind: 'positions' as const, positions })),
  hubsArb.map((hubs) => ({ kind: 'hubs' as const, hubs })),
  transitArb.map((inTransit) => ({ kind: 'transit' as const, inTransit })),
  fc.integer({ min: 0, max: 2 * DAY_MS }).map((later) => ({ kind: 'now' as const, later })),
  itemsArb.map((items) => ({ kind: 'items' as const, items })),
);

/** Steps of work done ahead, each of up to that many positions (0: none, 100: all of a small network). */
const stepsArb = fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 });

/** One position per hub and item, the last one given winning: what the model holds after upserts. */
function latest(positions: readonly HubPosition[]): HubPosition[] {
  return [...new Map(positions.map((p) => [`${p.hub}|${p.item}`, p])).values()];
}

describe('NetworkViewModel', () => {
  it('after any updates, shows exactly what networkView computes from the whole input', () => {
    fc.assert(
      fc.property(
        fc.array(positionArb, { maxLength: 25 }),
        hubsArb,
        transitArb,
        // Each update, whether the view is looked at after it (changes pile up between looks), and the
        // steps of work done ahead before (refreshSome, as the Network screen's first load does).
        fc.array(fc.tuple(updateArb, fc.boolean(), stepsArb), { maxLength: 8 }),
        stepsArb,
        (positions, hubs, inTransit, updates, firstSteps) => {
          const items = ITEMS.map((id, i) => ({ id, name: `Item ${i}`, category: i % 2 ? 'Food' : 'Baby' }));
          const state = { now: NOW, hubs, items, positions: latest(positions), inTransit };
          const model = new NetworkViewModel(state);
          const ahead = (steps: readonly number[]) => {
            for (const limit of steps) model.refreshSome(limit);
          };
          ahead(firstSteps);
          expect(model.view()).toEqual(networkView(state));
          for (const [u, look, steps] of updates) {
            if (u.kind === 'positions') {
              model.setPositions(u.positions);
              state.positions = latest([...state.positions, ...u.positions]);
            } else if (u.kind === 'hubs') {
              model.setHubs(u.hubs);
              state.hubs = u.hubs;
            } else if (u.kind === 'transit') {
              model.setInTransit(u.inTransit);
              state.inTransit = u.inTransit;
            } else if (u.kind === 'items') {
              model.setItems(u.items);
              state.items = u.items;
            } else {
              state.now = NOW + u.later;
              model.setNow(state.now);
            }
            ahead(steps);
            if (look) expect(model.view()).toEqual(networkView(state));
          }
          expect(model.view()).toEqual(networkView(state));
          expect(model.view({ category: 'Food' })).toEqual(
            networkView({ ...state, filter: { category: 'Food' } }),
          );
          expect(model.view({ hub: 'hub2' })).toEqual(networkView({ ...state, filter: { hub: 'hub2' } }));
        },
      ),
      fcOptions,
    );
  });

  it('works out a large first view in steps, each bounded, and says when nothing is left', () => {
    const hubs = Array.from({ length: 12 }, (_, h) => ({
      id: `h${h}`,
      name: `Hub ${h}`,
      newestEntryAt: NOW,
    }));
    const items = Array.from({ length: 40 }, (_, i) => ({
      id: `i${i}`,
      name: `Item ${i}`,
      category: 'Food',
    }));
    const positions = hubs.flatMap((h, n) =>
      items.map((it, i) => ({
        hub: h.id,
        item: it.id,
        onHand: (n * 7 + i * 3) % 11,
        levels: { min: 4, target: 8 },
        rate: (i % 3) / 2,
      })),
    );
    const state = { now: NOW, hubs, items, positions, inTransit: [] };
    const model = new NetworkViewModel(state);
    let steps = 0;
    while (model.refreshSome(50)) steps++;
    // 480 positions by item (12 each: 5 items a step) then by hub (40 each: 2 hubs a step).
    expect(steps).toBe(Math.ceil(40 / 5) + Math.ceil(12 / 2) - 1);
    expect(model.refreshSome(50)).toBe(false);
    expect(model.view()).toEqual(networkView(state));
    // A step stops once it has reached its limit, not past it: 24 positions are two items of 12.
    const exact = new NetworkViewModel(state);
    let exactSteps = 0;
    while (exact.refreshSome(24)) exactSteps++;
    expect(exactSteps).toBe(40 / 2 + 12 - 1);
    expect(exact.view()).toEqual(networkView(state));
    // A change is worked out ahead too: one item at one hub.
    const moved = { ...positions[0]!, onHand: 0 };
    model.setPositions([moved]);
    expect(model.refreshSome(1)).toBe(true);
    expect(model.refreshSome(1000)).toBe(false);
    expect(model.view()).toEqual(networkView({ ...state, positions: [moved, ...positions.slice(1)] }));
  });

  it('follows a hub renamed and nothing else, and stock in transit sent on to another hub', () => {
    const hubs = HUBS.map((id) => ({ id, name: `Hub ${id}`, newestEntryAt: NOW - HOUR_MS }));
    const items = [{ id: 'ita1', name: 'Rice', category: 'Food' }];
    const short = (hub: string, onHand: number): HubPosition => ({
      hub,
      item: 'ita1',
      onHand,
      levels: { min: 10, target: 20 },
      rate: 1,
    });
    const state = {
      now: NOW,
      hubs,
      items,
      positions: [short('hub1', 2), short('hub2', 2), short('hub3', 60)],
      inTransit: [{ item: 'ita1', qty: 8, from: 'hub3', to: 'hub1' }] as InTransit[],
    };
    const model = new NetworkViewModel(state);
    expect(model.view()).toEqual(networkView(state));
    // Only its name changes: same freshness, same positions.
    state.hubs = hubs.map((h) => (h.id === 'hub2' ? { ...h, name: 'Westside Pantry' } : h));
    model.setHubs(state.hubs);
    expect(model.view()).toEqual(networkView(state));
    // The same 8 units now on their way to hub2 instead: hub1 is short again, hub2 is not.
    state.inTransit = [{ item: 'ita1', qty: 8, from: 'hub3', to: 'hub2' }];
    model.setInTransit(state.inTransit);
    const view = model.view();
    expect(view).toEqual(networkView(state));
    expect(view.moves).toEqual([{ item: 'ita1', from: 'hub3', to: 'hub1', qty: 8 }]);
  });

  it('keeps a large network in view order as many items change at once, then a few', () => {
    const hubs = HUBS.map((id) => ({ id, name: `Hub ${id}`, newestEntryAt: NOW - HOUR_MS }));
    const items = Array.from({ length: 90 }, (_, i) => ({
      id: `itm${String(i).padStart(2, '0')}`,
      name: `Item ${(i * 37) % 90}`,
      category: i % 2 ? 'Food' : 'Baby',
    }));
    const at = (i: number, hub: string, onHand: number): HubPosition => ({
      hub,
      item: items[i]!.id,
      onHand,
      levels: { min: 5, target: 10 },
      rate: (i % 3) * 0.5,
    });
    const state = {
      now: NOW,
      hubs,
      items,
      positions: items.flatMap((_, i) => [at(i, 'hub1', i % 12), at(i, 'hub2', (i * 7) % 15)]),
      inTransit: [] as InTransit[],
    };
    const model = new NetworkViewModel(state);
    expect(model.view()).toEqual(networkView(state));
    // 70 items change at once (more than are re-sorted one by one), then 3.
    for (const changed of [items.slice(0, 70), items.slice(40, 43)]) {
      const next = changed.map((it) => at(items.indexOf(it), 'hub1', (items.indexOf(it) * 5) % 13));
      model.setPositions(next);
      state.positions = latest([...state.positions, ...next]);
      expect(model.view()).toEqual(networkView(state));
    }
  });
});
