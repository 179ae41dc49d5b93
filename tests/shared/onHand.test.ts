import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  figuresOf,
  ON_HAND_BUCKETS,
  onHandBucket,
  onHandKey,
  onHandKeysOf,
  onHandRows,
  patchOnHand,
  type OnHandFigure,
  type OnHandRow,
} from '../../shared/onHand';
import { fcOptions } from './arbitraries';

const HUBS = ['hubA', 'hubB', 'hubC'];
/** Enough items that several share a bucket and most buckets are used. */
const ITEMS = Array.from({ length: 300 }, (_, i) => `item${i}`);

const figureArb = fc.record({
  hub: fc.constantFrom(...HUBS),
  item: fc.constantFrom(...ITEMS),
  onHand: fc.integer({ min: -50, max: 500 }),
});
/** Batches of stock rows as saves write them: a row may change again in a later batch. */
const batchesArb = fc.array(fc.array(figureArb, { minLength: 1, maxLength: 12 }), { maxLength: 25 });

/** The stock rows after the batches: the last figure of each hub and item. */
function finalStock(batches: OnHandFigure[][]): OnHandFigure[] {
  const byKey = new Map<string, OnHandFigure>();
  for (const batch of batches) for (const f of batch) byKey.set(`${f.hub}|${f.item}`, f);
  return [...byKey.values()];
}

const sorted = (figures: Iterable<OnHandFigure>) =>
  [...figures]
    .map(({ hub, item, onHand }) => ({ hub, item, onHand }))
    .sort((a, b) => (a.hub + '|' + a.item < b.hub + '|' + b.item ? -1 : 1));

describe('on-hand rows (the network view’s figures)', () => {
  it('patched save by save, hold exactly what a rebuild makes from the final stock rows', () => {
    fc.assert(
      fc.property(batchesArb, (batches) => {
        const stored = new Map<string, OnHandRow>();
        for (const batch of batches) {
          const keys = onHandKeysOf(batch);
          const patched = patchOnHand(
            keys.map((k) => stored.get(k)),
            batch,
          );
          // Only the rows of the batch's figures are written, each once.
          expect(patched.map((r) => r.key).sort()).toEqual([...keys].sort());
          for (const row of patched) stored.set(row.key, row);
        }
        const rebuilt = onHandRows(finalStock(batches));
        expect([...stored.values()].sort((a, b) => (a.key < b.key ? -1 : 1))).toStrictEqual(rebuilt);
      }),
      fcOptions(),
    );
  });

  it('give back every figure once, at its hub, zero and below included', () => {
    fc.assert(
      fc.property(batchesArb, (batches) => {
        const stock = finalStock(batches);
        expect(sorted(figuresOf(onHandRows(stock)))).toStrictEqual(sorted(stock));
      }),
      fcOptions(),
    );
  });

  it('keep a row’s items in id order with their figures beside them, keyed by hub and bucket', () => {
    const rows = onHandRows([
      { hub: 'hubA', item: 'b', onHand: 2 },
      { hub: 'hubA', item: 'a', onHand: 0 },
      { hub: 'hubB', item: 'a', onHand: -3 },
    ]);
    for (const row of rows) {
      expect(row.items).toStrictEqual([...row.items].sort());
      expect(row.onHand).toHaveLength(row.items.length);
      for (const item of row.items) expect(onHandKey(row.hub, item)).toBe(row.key);
      expect(row.key.startsWith(`${row.hub}|`)).toBe(true);
    }
    expect(rows.map((r) => r.key)).toStrictEqual([...rows.map((r) => r.key)].sort());
    const a = rows.find((r) => r.key === onHandKey('hubA', 'a'))!;
    expect(a.onHand[a.items.indexOf('a')]).toBe(0);
    const b = rows.find((r) => r.key === onHandKey('hubB', 'a'))!;
    expect(b).toMatchObject({ hub: 'hubB', items: ['a'], onHand: [-3] });
  });

  it('order the items of a row by id, whatever order they came in, rebuilt or patched', () => {
    // item19 and item20 share a bucket (worked out apart, in Python): one row holds both.
    expect(onHandBucket('item19')).toBe(onHandBucket('item20'));
    const key = onHandKey('hubA', 'item19');
    expect(
      onHandRows([
        { hub: 'hubA', item: 'item20', onHand: 2 },
        { hub: 'hubA', item: 'item19', onHand: 1 },
      ]),
    ).toStrictEqual([{ key, hub: 'hubA', items: ['item19', 'item20'], onHand: [1, 2] }]);
    const [held] = onHandRows([{ hub: 'hubA', item: 'item20', onHand: 2 }]);
    expect(patchOnHand([held], [{ hub: 'hubA', item: 'item19', onHand: 7 }])).toStrictEqual([
      { key, hub: 'hubA', items: ['item19', 'item20'], onHand: [7, 2] },
    ]);
    // Rows come ordered by key from a rebuild: hubA's before hubB's.
    const keys = onHandRows([
      { hub: 'hubB', item: 'item19', onHand: 1 },
      { hub: 'hubA', item: 'item19', onHand: 1 },
    ]).map((r) => r.key);
    expect(keys).toStrictEqual([onHandKey('hubA', 'item19'), onHandKey('hubB', 'item19')]);
  });

  it('leave the rows they were given as they were', () => {
    const [held] = onHandRows([{ hub: 'hubA', item: 'rice', onHand: 4 }]);
    const copy = structuredClone(held);
    const [patched] = patchOnHand([held, undefined], [{ hub: 'hubA', item: 'rice', onHand: 9 }]);
    expect(held).toStrictEqual(copy);
    expect(patched).toMatchObject({ items: ['rice'], onHand: [9] });
  });

  it('spread a hub’s items over the buckets, the same on every device', () => {
    // FNV-1a, 32 bits, of "rice" is 0x0552c2b0 (worked out apart, in Python, from its definition).
    expect(onHandBucket('rice')).toBe(0x0552c2b0 % ON_HAND_BUCKETS);
    expect(onHandBucket('')).toBe(0x811c9dc5 % ON_HAND_BUCKETS);
    const counts = new Array<number>(ON_HAND_BUCKETS).fill(0);
    for (let i = 0; i < 6_400; i++) counts[onHandBucket(`item-${i}`)]!++;
    // 100 a bucket on average: none empty, none more than twice as full.
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(200);
  });
});
