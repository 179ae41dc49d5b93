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
const hubsArb: fc.Arbitrary<NetworkHub[]> = fc.tuple(
  ...HUBS.map((id) =>
    fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }).map((hoursAgo) => ({
      id,
      name: `Hub ${id}`,
      newestEntryAt: hoursAgo === null ? null : NOW - hoursAgo * HOUR_MS,
    })),
  ),
);
const transitArb: fc.Arbitrary<InTransit[]> = fc.array(
  fc.record({
    item: fc.constantFrom(...ITEMS),
    qty: fc.integer({ min: 1, max: 20 }),
    from: fc.constantFrom(...HUBS),
    to: fc.constantFrom(...HUBS),
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
);

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
        fc.array(updateArb, { maxLength: 8 }),
        (positions, hubs, inTransit, updates) => {
          const items = ITEMS.map((id, i) => ({ id, name: `Item ${i}`, category: i % 2 ? 'Food' : 'Baby' }));
          const state = { now: NOW, hubs, items, positions: latest(positions), inTransit };
          const model = new NetworkViewModel(state);
          expect(model.view()).toEqual(networkView(state));
          for (const u of updates) {
            if (u.kind === 'positions') {
              model.setPositions(u.positions);
              state.positions = latest([...state.positions, ...u.positions]);
            } else if (u.kind === 'hubs') {
              model.setHubs(u.hubs);
              state.hubs = u.hubs;
            } else if (u.kind === 'transit') {
              model.setInTransit(u.inTransit);
              state.inTransit = u.inTransit;
            } else {
              state.now = NOW + u.later;
              model.setNow(state.now);
            }
            expect(model.view()).toEqual(networkView(state));
          }
          expect(model.view({ category: 'Food' })).toEqual(
            networkView({ ...state, filter: { category: 'Food' } }),
          );
          expect(model.view({ hub: 'hub2' })).toEqual(networkView({ ...state, filter: { hub: 'hub2' } }));
        },
      ),
      fcOptions,
    );
  });
});
