import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowMap } from '../../shared/rowMap';
import { fcOptions } from './arbitraries';

describe('RowMap', () => {
  it('holds what a Map holds, in the order keys were first set, for any keys and values set', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('devA.1', 'devA.12', 'devB.123')),
            fc.integer(),
          ),
        ),
        fc.array(fc.string({ maxLength: 4 })),
        (sets, asked) => {
          const map = new Map<string, number>();
          const rows = new RowMap<number>();
          for (const [k, v] of sets) {
            map.set(k, v);
            expect(rows.set(k, v)).toBe(rows);
          }
          expect(rows.size).toBe(map.size);
          expect([...rows.values()]).toEqual([...map.values()]);
          for (const k of [...asked, ...map.keys()]) {
            expect(rows.has(k)).toBe(map.has(k));
            expect(rows.get(k)).toBe(map.get(k));
          }
        },
      ),
      fcOptions(),
    );
  });

  it('spreads entry ids over its shards', () => {
    const rows = new RowMap<number>();
    for (let seq = 1; seq <= 6_400; seq++) rows.set(`dev0001.${seq}`, seq);
    const sizes = (rows as unknown as { shards: Map<string, number>[] }).shards.map((s) => s.size);
    expect(Math.max(...sizes)).toBeLessThan(4 * (6_400 / sizes.length));
  });
});
