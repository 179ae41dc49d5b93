import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StockRow } from '../../shared/projection';
import { shelfRow, shelfRows } from '../../shared/shelf';
import { nextExpiry } from '../../shared/status';

const day = fc
  .tuple(
    fc.integer({ min: 2024, max: 2030 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
  )
  .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
const time = fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: null });
const stockRow: fc.Arbitrary<StockRow> = fc
  .record({
    hub: fc.constantFrom('h1', 'h2'),
    item: fc.constantFrom('i1', 'i2', 'i3'),
    onHand: fc.integer({ min: -50, max: 500 }),
    lots: fc.dictionary(day, fc.integer({ min: -20, max: 200 }), { maxKeys: 40 }),
    lastCountAt: time,
    lastWarnAt: time,
    lastEntryAt: fc.integer({ min: 0, max: 2 ** 45 }),
    entryCount: fc.nat(),
  })
  .map((r) => ({ key: `${r.hub}|${r.item}`, ...r }));

describe('shelf rows', () => {
  it('hold a stock row figures and its next expiry, and nothing that grows with history', () => {
    const row: StockRow = {
      key: 'h1|rice',
      hub: 'h1',
      item: 'rice',
      onHand: 30,
      lots: { '2026-01-10': 20, '2026-03-01': 20, '2025-12-01': 50 },
      lastCountAt: 5,
      lastWarnAt: 7,
      lastEntryAt: 9,
      entryCount: 12,
    };
    // 30 on hand, the latest lots assumed left: 20 of 2026-03-01 and 10 of 2026-01-10.
    expect(shelfRow(row)).toStrictEqual({
      key: 'h1|rice',
      hub: 'h1',
      item: 'rice',
      onHand: 30,
      expiry: '2026-01-10',
      lastCountAt: 5,
      lastWarnAt: 7,
    });
    expect(shelfRow({ ...row, onHand: 0 }).expiry).toBeNull();
    expect(shelfRow({ ...row, lots: {} }).expiry).toBeNull();
  });

  it('are the same function of the stock row every time, and do not change it', () => {
    fc.assert(
      fc.property(fc.array(stockRow, { maxLength: 20 }), (rows) => {
        const before = JSON.stringify(rows);
        const shelf = shelfRows(rows);
        expect(JSON.stringify(rows)).toBe(before);
        expect(shelf).toStrictEqual(rows.map(shelfRow));
        shelf.forEach((s, i) => {
          const r = rows[i]!;
          expect(s).toStrictEqual({
            key: r.key,
            hub: r.hub,
            item: r.item,
            onHand: r.onHand,
            expiry: nextExpiry(r),
            lastCountAt: r.lastCountAt,
            lastWarnAt: r.lastWarnAt,
          });
          expect(Object.keys(s)).not.toContain('lots');
        });
      }),
      { seed: 0x5e1f, numRuns: 300 },
    );
  });
});
