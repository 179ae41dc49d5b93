import { describe, expect, it } from 'vitest';
import { guessColumns, IMPORT_FIELDS, noColumns } from '../../../shared/import/columns';

/**
 * Which column the import offers for each field, as a volunteer sees it on the column step: header names
 * first (a whole-header match beats a word inside one), then what the values look like, at the exact
 * shares that decide it.
 */

const rowsOf = (...columns: string[][]) =>
  Array.from({ length: Math.max(...columns.map((c) => c.length)) }, (_, i) => columns.map((c) => c[i] ?? ''));

describe('from header names', () => {
  it('gives nothing for a sheet without headers or rows', () => {
    expect(guessColumns([], [])).toEqual(noColumns());
    expect(Object.keys(noColumns())).toEqual([...IMPORT_FIELDS]);
    expect(Object.values(noColumns()).every((v) => v === null)).toBe(true);
  });

  it('matches whole headers after folding case, accents and punctuation', () => {
    expect(guessColumns(['  ITEM  ', 'Qty.', 'UoM:', 'Código de barras', 'PAR-LEVEL'], [])).toEqual({
      ...noColumns(),
      item: 0,
      quantity: 1,
      unit: 2,
      barcode: 3,
      minimum: 4,
    });
  });

  it('matches a listed word inside a header as a whole word only', () => {
    expect(guessColumns(['Item name (English)', 'Qty on hand today'], [])).toMatchObject({
      item: 0,
      quantity: 1,
    });
    // "Maxwell" holds "max", "Items2" holds "item": neither is a whole word.
    expect(guessColumns(['Maxwell', 'Items2', 'Stockroom'], [])).toMatchObject({
      target: null,
      item: null,
      quantity: null,
    });
  });

  it('prefers a whole-header match to a word inside another header, wherever they stand', () => {
    expect(guessColumns(['Item code', 'Item'], [])).toMatchObject({ item: 1 });
    expect(guessColumns(['Total weight', 'Qty'], [])).toMatchObject({ quantity: 1 });
  });

  it('gives each column to one field, and the leftmost of equal matches', () => {
    // "Pack" is a pack size; "Unit" is a unit; "Count" and "Total" are both quantities.
    expect(guessColumns(['Count', 'Total', 'Pack', 'Unit'], [])).toEqual({
      ...noColumns(),
      quantity: 0,
      packSize: 2,
      unit: 3,
    });
    // "Units per case" names the pack size as a whole and holds the unit's word: the whole match wins.
    expect(guessColumns(['Units per case'], [])).toEqual({ ...noColumns(), packSize: 0 });
  });

  it('ignores a header that is blank or only punctuation', () => {
    const rows = [['Rice', '-', '4']];
    expect(guessColumns(['', '---', 'Qty'], rows)).toMatchObject({ item: 0, quantity: 2 });
  });
});

describe('from values, when headers say nothing', () => {
  const names = ['Rice', 'Beans', 'Oats', 'Tuna', 'Soap'];

  it('takes a column of barcodes when more than 80% of its cells are 8 to 14 digits', () => {
    const five = ['12345678', '12345678901234', '041196910184', '041196910185', '041196910186'];
    expect(guessColumns(['A', 'B'], rowsOf(names, five))).toMatchObject({ item: 0, barcode: 1 });
    // Four of five is exactly 80%: not enough.
    const four = [...five.slice(0, 4), 'none'];
    expect(guessColumns(['A', 'B'], rowsOf(names, four)).barcode).toBeNull();
    // 7 and 15 digits are not barcodes.
    const lengths = ['1234567', '123456789012345', '1234567', '123456789012345', '1234567'];
    expect(guessColumns(['A', 'B'], rowsOf(names, lengths)).barcode).toBeNull();
  });

  it('takes as the item the text column with the most different values, under 20% numbers', () => {
    const shelves = ['A1', 'A1', 'A2', 'A2', 'A1'];
    expect(guessColumns(['A', 'B'], rowsOf(shelves, names)).item).toBe(1);
    // One number in five is 20%: no longer the item column.
    const oneNumber = ['Rice', 'Beans', '42', 'Tuna', 'Soap'];
    expect(guessColumns(['A'], rowsOf(oneNumber)).item).toBeNull();
    const oneInSix = ['Rice', 'Beans', '42', 'Tuna', 'Soap', 'Milk'];
    expect(guessColumns(['A'], rowsOf(oneInSix)).item).toBe(0);
    // Names differing only in case are one value.
    expect(guessColumns(['A', 'B'], rowsOf(['Rice', 'rice', 'RICE'], ['Oats', 'Tuna', 'Rice'])).item).toBe(1);
  });

  it('takes as the quantity the column where more than 80% of cells are quantities', () => {
    const qty = ['4', '12 cans', '1,200', '7', '0'];
    expect(guessColumns(['A', 'B'], rowsOf(names, qty))).toMatchObject({ item: 0, quantity: 1 });
    const fourOfFive = ['4', '12', '7', '0', 'lots'];
    expect(guessColumns(['A', 'B'], rowsOf(names, fourOfFive)).quantity).toBeNull();
    // Between two, the one with more quantities.
    const sparse = ['4', '', '', '', '2'];
    expect(guessColumns(['A', 'B', 'C'], rowsOf(names, sparse, qty)).quantity).toBe(2);
  });

  it('skips empty cells when it counts shares, and a column with no values at all', () => {
    const gaps = ['Rice', '', 'Oats', '', 'Soap'];
    expect(guessColumns(['A', 'B'], rowsOf(['', '', '', '', ''], gaps)).item).toBe(1);
    expect(guessColumns(['A'], rowsOf(['', '  ', ''])).item).toBeNull();
  });

  it('looks at the first 200 rows only', () => {
    const codes = Array.from({ length: 200 }, (_, i) => `nothing ${i}`);
    // Barcodes in 1,000 of 1,200 rows (83%), none in the first 200.
    const late = [...codes, ...Array.from({ length: 1_000 }, (_, i) => String(10_000_000 + i))];
    expect(guessColumns(['A', 'B'], rowsOf(names, late)).barcode).toBeNull();
    const early = [...Array.from({ length: 200 }, (_, i) => String(10_000_000 + i)), 'x', 'y'];
    expect(guessColumns(['A', 'B'], rowsOf(names, early)).barcode).toBe(1);
  });

  it('gives a column its values took to one field only: a column of barcodes is not also the item', () => {
    // Twelve different barcodes would be the item by their number of different values (they are not
    // numbers), but the barcode took that column first.
    const codes = Array.from({ length: 12 }, (_, i) => String(4_006_381_333_900 + i));
    const food = Array.from({ length: 12 }, (_, i) => ['Rice', 'Oats', 'Tuna'][i % 3]!);
    expect(guessColumns(['A', 'B'], rowsOf(codes, food))).toEqual({ ...noColumns(), barcode: 0, item: 1 });
  });

  it('reads a cell a short row does not have as empty', () => {
    // Rows with fewer cells than the header: the second column has no value at all.
    expect(guessColumns(['A', 'B'], [['5'], ['7'], ['9']])).toEqual({ ...noColumns(), quantity: 0 });
  });

  it('never guesses a column Larder’s exports write for something else, or one a header took', () => {
    const header = ['Notes', 'Hub', 'Seen', 'Qty'];
    const rows = rowsOf(
      names,
      ['h1', 'h2', 'h3', 'h4', 'h5'],
      ['1', '2', '3', '4', '5'],
      ['Rice', 'Oats', 'Tuna', 'Soap', 'Milk'],
    );
    expect(guessColumns(header, rows)).toEqual({ ...noColumns(), quantity: 3 });
    // The same values under headers that say nothing.
    expect(guessColumns(['X', 'Y', 'Z', 'Qty'], rows)).toMatchObject({ item: 0, quantity: 3 });
  });
});
