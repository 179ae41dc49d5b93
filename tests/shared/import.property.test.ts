import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeName, validateItemForm, type Item } from '../../shared/catalog';
import {
  guessColumns,
  historyCsv,
  planImport,
  readSheet,
  stockCsv,
  type ImportPlan,
  type StockCsvRow,
} from '../../shared/import';
import { MAX_QUANTITY } from '../../shared/quantity';
import { fcOptions } from './arbitraries';

/**
 * Whatever the stock export writes, the import reads back the same: the same items (name, category, unit,
 * pack size, barcodes), the same quantities as one count, the same levels. Names and categories are any
 * text an item form accepts, with the characters that trouble CSV (quotes, commas, semicolons, formula
 * starts, apostrophes) drawn often.
 */
const tricky = fc.constantFrom('"', ',', ';', '=', '+', '-', '@', "'", ' ', 'é', '\t', '|', 'a', 'Z', '1');
const textArb = (max: number) =>
  fc
    .array(fc.oneof(tricky, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), {
      minLength: 1,
      maxLength: max,
    })
    .map((parts) => parts.join('').replace(/\s+/g, ' ').trim().slice(0, max).trim())
    .filter((s) => s.length > 0);

const barcodeArb = fc.stringMatching(/^[0-9A-Za-z-]{4,32}$/);
const levelsArb = fc
  .tuple(fc.integer({ min: 0, max: MAX_QUANTITY }), fc.integer({ min: 0, max: MAX_QUANTITY }))
  .map(([a, b]) => ({ min: Math.min(a, b), target: Math.max(a, b) }));

const rowArb: fc.Arbitrary<StockCsvRow> = fc.record(
  {
    name: textArb(120),
    category: textArb(40),
    unit: textArb(30),
    onHand: fc.integer({ min: 0, max: MAX_QUANTITY }),
    levels: levelsArb,
    packSize: fc.integer({ min: 2, max: 10_000 }),
    barcodes: fc.uniqueArray(barcodeArb, { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'category', 'unit', 'onHand', 'barcodes'] },
);

/** A stock table as the app has it: names distinct as normalizeName compares them, each barcode on one item. */
const tableArb = fc
  .uniqueArray(rowArb, { minLength: 1, maxLength: 30, selector: (r) => normalizeName(r.name) })
  .map((rows) => {
    const seen = new Set<string>();
    return rows.map((r) => ({ ...r, barcodes: r.barcodes.filter((b) => !seen.has(b) && seen.add(b)) }));
  });

function importText(text: string, catalog: readonly Item[]): ImportPlan {
  const read = readSheet(text);
  if (!read.ok) throw new Error(`refused: ${read.problem.code}`);
  const { header, rows } = read.sheet;
  return planImport(
    read.sheet,
    guessColumns(
      header,
      rows.map((r) => r.cells),
    ),
    catalog,
  );
}

const asItems = (rows: readonly StockCsvRow[]): Item[] =>
  rows.map((r, i) => ({
    id: `item${String(i).padStart(4, '0')}`,
    name: r.name,
    category: r.category,
    unit: r.unit,
    ...(r.packSize ? { packSize: r.packSize } : {}),
    barcodes: [...r.barcodes],
    createdAt: 0,
    updatedAt: 0,
  }));

describe('stock export, then import', () => {
  it('into an empty catalog creates every item as it was, and counts what was on hand', () => {
    fc.assert(
      fc.property(tableArb, (rows) => {
        const plan = importText(stockCsv(rows), []);
        expect(plan.summary).toMatchObject({ problemRows: 0, created: rows.length, counted: rows.length });
        expect(plan.create.map((c) => c.form)).toEqual(
          rows.map((r) => ({
            name: r.name,
            category: r.category,
            unit: r.unit,
            packSize: r.packSize ? String(r.packSize) : '',
            barcodes: r.barcodes.join(' '),
          })),
        );
        expect(plan.counts.map((c) => c.counted)).toEqual(rows.map((r) => r.onHand));
        expect(plan.levels.map(({ min, target }) => ({ min, target }))).toEqual(
          rows.flatMap((r) => (r.levels ? [r.levels] : [])),
        );
        // What the plan creates, the store's own item check accepts, one after the other.
        const made: Item[] = [];
        for (const c of plan.create)
          made.push({
            id: `new${made.length}`,
            createdAt: 0,
            updatedAt: 0,
            ...validateItemForm(c.form, made),
          });
      }),
      fcOptions(0.5),
    );
  });

  it('into the catalog it came from matches every row and creates nothing', () => {
    fc.assert(
      fc.property(tableArb, (rows) => {
        const items = asItems(rows);
        const plan = importText(stockCsv(rows), items);
        expect(plan.summary).toMatchObject({ problemRows: 0, created: 0, existing: rows.length });
        expect(plan.counts).toEqual(
          rows.map((r, i) => ({ item: { existing: items[i]!.id }, counted: r.onHand, line: i + 2 })),
        );
      }),
      fcOptions(0.5),
    );
  });
});

describe('history export, then import', () => {
  it('gives back the catalog of the items it names, once each, without problems', () => {
    const entryArb = fc.record({
      entry: fc.constantFrom('donation', 'pickup', 'count', 'discard', 'reversal'),
      change: fc.integer({ min: -MAX_QUANTITY, max: MAX_QUANTITY }),
      counted: fc.option(fc.integer({ min: 0, max: MAX_QUANTITY }), { nil: undefined }),
      note: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        tableArb,
        fc.array(fc.tuple(fc.nat(), entryArb), { minLength: 1, maxLength: 60 }),
        (rows, entries) => {
          const lines = entries.map(([pick, e], i) => {
            const r = rows[pick % rows.length]!;
            return {
              date: `2026-03-${String((i % 28) + 1).padStart(2, '0')} 10:00`,
              name: r.name,
              category: r.category,
              unit: r.unit,
              ...e,
            };
          });
          const plan = importText(historyCsv(lines), []);
          const named = [...new Map(lines.map((l) => [normalizeName(l.name), l])).values()];
          expect(plan.summary).toMatchObject({ problemRows: 0, counted: 0, created: named.length });
          expect(plan.create.map((c) => [c.form.name, c.form.category, c.form.unit])).toEqual(
            named.map((l) => [l.name, l.category, l.unit]),
          );
        },
      ),
      fcOptions(0.3),
    );
  });
});
