import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hubLevelsKeysOf,
  hubLevelsRows,
  levelsOfRows,
  patchHubLevels,
  type HubLevelsRow,
  type ItemLevels,
  type LevelsChange,
} from '../../shared/hubLevels';
import { onHandKey } from '../../shared/onHand';
import { fcOptions } from './arbitraries';

const HUBS = ['hubA', 'hubB', 'hubC'];
/** Enough items that several share a bucket and most buckets are used. */
const ITEMS = Array.from({ length: 300 }, (_, i) => `item${i}`);

const changeArb: fc.Arbitrary<LevelsChange> = fc.record({
  hub: fc.constantFrom(...HUBS),
  item: fc.constantFrom(...ITEMS),
  // One in three clears the item's levels.
  levels: fc.option(
    fc.tuple(fc.nat(500), fc.nat(500)).map(([a, b]) => ({ min: Math.min(a, b), target: Math.max(a, b) })),
    { freq: 2 },
  ),
});
/** Batches of levels changes as settings write them: an item's levels may change or clear in a later batch. */
const batchesArb = fc.array(fc.array(changeArb, { minLength: 1, maxLength: 12 }), { maxLength: 25 });

/** The levels rows after the batches: each hub and item's last change, those cleared left out. */
function finalLevels(batches: LevelsChange[][]): ItemLevels[] {
  const byKey = new Map<string, LevelsChange>();
  for (const batch of batches) for (const c of batch) byKey.set(`${c.hub}|${c.item}`, c);
  return [...byKey.values()].flatMap((c) => (c.levels ? [{ hub: c.hub, item: c.item, ...c.levels }] : []));
}

const sorted = (levels: Iterable<ItemLevels>) =>
  [...levels]
    .map(({ hub, item, min, target }) => ({ hub, item, min, target }))
    .sort((a, b) => (a.hub + '|' + a.item < b.hub + '|' + b.item ? -1 : 1));

describe('hub levels rows (the network view’s levels)', () => {
  it('patched change by change, hold exactly what a rebuild makes from the final levels rows', () => {
    fc.assert(
      fc.property(batchesArb, (batches) => {
        const stored = new Map<string, HubLevelsRow>();
        for (const batch of batches) {
          const keys = hubLevelsKeysOf(batch);
          const { put, deleted } = patchHubLevels(
            keys.map((k) => stored.get(k)),
            batch,
          );
          // Only the rows of the batch's items are written or deleted, each once.
          expect([...put.map((r) => r.key), ...deleted].sort()).toEqual([...keys].sort());
          for (const key of deleted) stored.delete(key);
          for (const row of put) stored.set(row.key, row);
        }
        const rebuilt = hubLevelsRows(finalLevels(batches));
        expect([...stored.values()].sort((a, b) => (a.key < b.key ? -1 : 1))).toStrictEqual(rebuilt);
      }),
      fcOptions(),
    );
  });

  it('give back every item’s levels once, at its hub', () => {
    fc.assert(
      fc.property(batchesArb, (batches) => {
        const levels = finalLevels(batches);
        expect(sorted(levelsOfRows(hubLevelsRows(levels)))).toStrictEqual(sorted(levels));
      }),
      fcOptions(),
    );
  });

  it('keep a row’s items in id order with their levels beside them, keyed by hub and bucket', () => {
    const rows = hubLevelsRows([
      { hub: 'hubA', item: 'b', min: 2, target: 4 },
      { hub: 'hubA', item: 'a', min: 0, target: 0 },
      { hub: 'hubB', item: 'a', min: 5, target: 9 },
    ]);
    for (const row of rows) {
      expect(row.items).toStrictEqual([...row.items].sort());
      expect(row.min).toHaveLength(row.items.length);
      expect(row.target).toHaveLength(row.items.length);
      for (const item of row.items) expect(onHandKey(row.hub, item)).toBe(row.key);
    }
    expect(sorted(levelsOfRows(rows))).toStrictEqual([
      { hub: 'hubA', item: 'a', min: 0, target: 0 },
      { hub: 'hubA', item: 'b', min: 2, target: 4 },
      { hub: 'hubB', item: 'a', min: 5, target: 9 },
    ]);
  });

  it('delete a row whose last item’s levels are cleared, and never write an empty one', () => {
    const [row] = hubLevelsRows([{ hub: 'hubA', item: 'a', min: 1, target: 2 }]);
    expect(patchHubLevels([row], [{ hub: 'hubA', item: 'a', levels: null }])).toStrictEqual({
      put: [],
      deleted: [row!.key],
    });
    // Clearing levels that were never set: the row it would be in is deleted (there was none).
    expect(patchHubLevels([undefined], [{ hub: 'hubA', item: 'z', levels: null }])).toStrictEqual({
      put: [],
      deleted: [onHandKey('hubA', 'z')],
    });
  });
});
