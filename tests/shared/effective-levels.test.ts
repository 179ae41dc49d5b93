import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { categoryList, DEFAULT_CATEGORIES } from '../../shared/catalog';
import { byKey, effectiveLevels, levelledPositions, LevelsIndex } from '../../shared/levels';
import { hubKey } from '../../shared/keys';
import type { Levels } from '../../shared/status';
import { fcOptions } from './arbitraries';

const HUBS = ['hub1', 'hub2', 'hub3'];
const ITEMS = [
  { id: 'rice', category: 'Food' },
  { id: 'beans', category: 'Food' },
  { id: 'wipes', category: 'Baby' },
  { id: 'soap', category: 'Hygiene' },
];
const CATEGORIES = ['Food', 'Baby', 'Hygiene'];
const levelsArb = fc
  .tuple(fc.nat(500), fc.nat(500))
  .map(([a, b]): Levels => ({ min: Math.min(a, b), target: Math.max(a, b) }));
/** Rows as storage keeps them, with fields besides the levels (the join returns the levels only). */
const rowsArb = (things: string[]) =>
  fc.uniqueArray(
    fc.tuple(fc.constantFrom(...HUBS), fc.constantFrom(...things), levelsArb).map(([hub, thing, l]) => ({
      key: hubKey(hub, thing),
      hub,
      thing,
      ...l,
    })),
    { selector: (r) => r.key, maxLength: 12 },
  );

describe('effectiveLevels', () => {
  it('is the item’s own levels at the hub, else its category’s there, else none', () => {
    fc.assert(
      fc.property(rowsArb(ITEMS.map((i) => i.id)), rowsArb(CATEGORIES), (own, cat) => {
        const ownMap = byKey(own);
        const catMap = byKey(cat);
        for (const hub of HUBS)
          for (const item of ITEMS) {
            const mine = own.find((r) => r.hub === hub && r.thing === item.id);
            const theirs = cat.find((r) => r.hub === hub && r.thing === item.category);
            const want = mine ?? theirs;
            expect(effectiveLevels(hub, item, ownMap, catMap)).toEqual(
              want ? { min: want.min, target: want.target } : undefined,
            );
          }
      }),
      fcOptions(),
    );
  });

  it('LevelsIndex answers as effectiveLevels, for every hub and item, and returns copies of the levels only', () => {
    fc.assert(
      fc.property(rowsArb(ITEMS.map((i) => i.id)), rowsArb(CATEGORIES), (own, cat) => {
        const index = new LevelsIndex(
          own.map((r) => ({ ...r, item: r.thing })),
          cat.map((r) => ({ ...r, category: r.thing })),
        );
        for (const hub of [...HUBS, 'nohub']) {
          const at = index.at(hub);
          for (const item of ITEMS)
            expect(at(item)).toEqual(effectiveLevels(hub, item, byKey(own), byKey(cat)));
        }
      }),
      fcOptions(),
    );
  });

  it('never reads another hub’s levels', () => {
    const own = byKey([{ key: hubKey('hub2', 'rice'), min: 5, target: 9 }]);
    const cat = byKey([{ key: hubKey('hub2', 'Food'), min: 1, target: 2 }]);
    expect(effectiveLevels('hub1', ITEMS[0]!, own, cat)).toBeUndefined();
    expect(effectiveLevels('hub2', ITEMS[0]!, own, cat)).toEqual({ min: 5, target: 9 });
    expect(effectiveLevels('hub2', ITEMS[1]!, own, cat)).toEqual({ min: 1, target: 2 });
  });
});

describe('levelledPositions', () => {
  it('has one position per hub and item with levels, with what is on hand there (0 when nothing is)', () => {
    fc.assert(
      fc.property(
        rowsArb(ITEMS.map((i) => i.id)),
        rowsArb(CATEGORIES),
        fc.dictionary(
          fc
            .tuple(fc.constantFrom(...HUBS), fc.constantFrom(...ITEMS.map((i) => i.id)))
            .map(([h, i]) => hubKey(h, i)),
          fc.integer({ min: -50, max: 500 }),
        ),
        (own, cat, stock) => {
          const ownMap = byKey(own);
          const catMap = byKey(cat);
          const onHand = new Map(Object.entries(stock));
          const byHub = new Map<string, Map<string, number>>();
          for (const [key, n] of onHand) {
            const [hub, item] = key.split('|') as [string, string];
            byHub.set(hub, (byHub.get(hub) ?? new Map<string, number>()).set(item, n));
          }
          const index = new LevelsIndex(
            own.map((r) => ({ ...r, item: r.thing })),
            cat.map((r) => ({ ...r, category: r.thing })),
          );
          const positions = levelledPositions(HUBS, ITEMS, byHub, index);
          const expected = HUBS.flatMap((hub) =>
            ITEMS.flatMap((item) => {
              const levels = effectiveLevels(hub, item, ownMap, catMap);
              return levels
                ? [{ hub, item: item.id, onHand: onHand.get(hubKey(hub, item.id)) ?? 0, levels }]
                : [];
            }),
          );
          expect(positions).toEqual(expected);
        },
      ),
      fcOptions(),
    );
  });
});

describe('categoryList', () => {
  it('offers the suggested categories and every used one, each once, sorted', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 20 }), (used) => {
        const list = categoryList(used.map((category) => ({ category })));
        expect(new Set(list)).toEqual(new Set([...DEFAULT_CATEGORIES, ...used]));
        expect(list).toHaveLength(new Set(list).size);
        expect(list).toEqual([...list].sort());
      }),
      fcOptions(),
    );
    expect(categoryList([{ category: 'Pet food' }, { category: 'Food' }])).toEqual([
      'Baby',
      'Food',
      'Household',
      'Hygiene',
      'Medical',
      'Other',
      'Pet food',
    ]);
  });
});
