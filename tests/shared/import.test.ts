import { describe, expect, it } from 'vitest';
import type { Item } from '../../shared/catalog';
import {
  IMPORT_LIMITS,
  guessColumns,
  planImport,
  readQuantityCell,
  readSheet,
  type ColumnMap,
  type Sheet,
} from '../../shared/import';

const item = (id: string, name: string, unit: string, barcodes: string[] = [], category = 'Food'): Item => ({
  id,
  name,
  category,
  unit,
  barcodes,
  createdAt: 0,
  updatedAt: 0,
});

function sheetOf(text: string): Sheet {
  const read = readSheet(text);
  if (!read.ok) throw new Error(`not read: ${read.problem.code}`);
  return read.sheet;
}

/** A hub's own sheet, as found: saved from a spreadsheet set to a comma-decimal locale. */
const MESSY =
  '\uFEFF' +
  [
    'Notes;Product;Type;Qty on hand;Unit;Reorder level;UPC;Shelf',
    ';Rice 2 lb bag;Food;40;bag;10;041196910184;A1',
    'from church;Black beans;Food;12 cans;;5;;A2',
    ';;;;;;;',
    ';Diapers size 4;Baby;a dozen;pack;;;B1',
    ';rice 2 LB bag;Food;3;bag;;;A1',
    ';Toothpaste;Hygiene;7;tube;;;C3',
    ';Peanut butter;Food;6;jar;;;A3',
    ';Tuna;Food;9;box;;;A4',
    ';Oats;Food;2,5;bag;;;A5',
    ';Soap;Hygiene;-4;bar;;;C1',
    ';Lentils;Food;8 bags;can;;;A6',
    ';   ;Food;3;bag;;;A7',
    ';Pasta;Food;;box;;;A8',
    '',
  ].join('\r\n');

describe('reading a sheet', () => {
  it('takes a byte order mark, semicolons, Windows line endings and blank rows', () => {
    const sheet = sheetOf(MESSY);
    expect(sheet.delimiter).toBe(';');
    expect(sheet.header[0]).toBe('Notes');
    expect(sheet.header[1]).toBe('Product');
    expect(sheet.blankRows).toBe(1);
    expect(sheet.rows.map((r) => r.line)).toEqual([2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(sheet.rows.every((r) => r.cells.every((c) => !c.includes('\r')))).toBe(true);
  });

  it('refuses a whole file it should not read, and says why', () => {
    expect(readSheet('')).toEqual({ ok: false, problem: { code: 'file-empty' } });
    expect(readSheet('\uFEFF \r\n')).toEqual({ ok: false, problem: { code: 'file-empty' } });
    expect(readSheet('PK\u0003\u0004\u0000\u0000xl/workbook.xml')).toEqual({
      ok: false,
      problem: { code: 'file-not-text' },
    });
    expect(readSheet('Item,Quantity\r\n')).toEqual({ ok: false, problem: { code: 'no-data-rows' } });
    const wide = Array.from({ length: IMPORT_LIMITS.maxColumns + 1 }, (_, i) => `c${i}`).join(',');
    expect(readSheet(`${wide}\nx`)).toMatchObject({ ok: false, problem: { code: 'too-many-columns' } });
    const many = `Item\n${'x\n'.repeat(IMPORT_LIMITS.maxRows + 1)}`;
    expect(readSheet(many)).toMatchObject({
      ok: false,
      problem: { code: 'too-many-rows', rows: IMPORT_LIMITS.maxRows + 1, max: IMPORT_LIMITS.maxRows },
    });
    expect(readSheet('x'.repeat(IMPORT_LIMITS.maxBytes + 1))).toMatchObject({
      ok: false,
      problem: { code: 'file-too-large' },
    });
  });

  it('does not count trailing empty columns a spreadsheet adds', () => {
    const sheet = sheetOf(`Item,Qty${','.repeat(80)}\nRice,3${','.repeat(80)}\n`);
    expect(sheet.header).toEqual(['Item', 'Qty']);
    expect(sheet.rows[0]!.cells).toEqual(['Rice', '3']);
  });

  it('marks a row whose quote never closes', () => {
    const sheet = sheetOf('Item,Qty\nRice,3\n"Beans,4\n');
    const plan = planImport(sheet, guessColumns(sheet.header, []), []);
    expect(plan.rows.at(-1)!.problems).toEqual([{ code: 'unreadable-row' }]);
  });
});

describe('guessing columns', () => {
  it('reads header names, in any case, with extra words and extra columns', () => {
    const sheet = sheetOf(MESSY);
    expect(
      guessColumns(
        sheet.header,
        sheet.rows.map((r) => r.cells),
      ),
    ).toEqual({
      item: 1,
      category: 2,
      quantity: 3,
      unit: 4,
      minimum: 5,
      target: null,
      packSize: null,
      barcode: 6,
    } satisfies ColumnMap);
  });

  it('reads Larder’s own export headers and Spanish ones', () => {
    const stock = ['Item', 'Category', 'Unit', 'On hand', 'Minimum', 'Target', 'Pack size', 'Barcodes'];
    expect(guessColumns(stock, [])).toEqual({
      item: 0,
      category: 1,
      unit: 2,
      quantity: 3,
      minimum: 4,
      target: 5,
      packSize: 6,
      barcode: 7,
    });
    expect(guessColumns(['Artículo', 'Cantidad', 'Unidad'], [])).toMatchObject({
      item: 0,
      quantity: 1,
      unit: 2,
    });
  });

  it('falls back on what the values look like when headers say nothing', () => {
    const rows = [
      ['A1', 'Rice', '40', '041196910184'],
      ['A2', 'Beans', '12', '041196910185'],
      ['A2', 'Oats', '7', '041196910186'],
    ];
    expect(guessColumns(['Shelf', 'What', 'How much?', 'Code'], rows)).toMatchObject({
      item: 1,
      quantity: 2,
      barcode: 3,
    });
  });

  it('never guesses a history export’s Counted or Change column as the quantity', () => {
    const header = ['Date', 'Entry', 'Item', 'Category', 'Unit', 'Change', 'Counted', 'Note'];
    const rows = [['2026-03-01 10:00', 'count', 'Rice', 'Food', 'bag', '4', '40', '']];
    expect(guessColumns(header, rows)).toMatchObject({ item: 2, category: 3, unit: 4, quantity: null });
  });
});

describe('quantities', () => {
  it.each([
    ['12', 12],
    [' 12 cans ', 12],
    ['1,200', 1200],
    ['1.200', 1200],
    ['1 200', 1200],
    ['12.0', 12],
    ['0', 0],
  ])('reads %j as %d', (raw, value) => {
    expect(readQuantityCell(raw)).toMatchObject({ ok: true, value });
  });
  it.each([
    ['a dozen', 'not-a-number'],
    ['12,5', 'not-whole'],
    ['-4', 'negative'],
    ['2000000', 'too-large'],
    ['12 cans (approx)', 'not-a-number'],
    ['#N/A', 'not-a-number'],
  ])('refuses %j: %s', (raw, reason) => {
    expect(readQuantityCell(raw)).toEqual({ ok: false, reason });
  });
});

describe('planning an import of a messy sheet', () => {
  const catalog = [
    item('rice0001', 'Rice 2 lb bag', 'bag', ['041196910184']),
    item('tuna0001', 'Tuna', 'can'),
  ];
  const sheet = sheetOf(MESSY);
  const plan = planImport(
    sheet,
    guessColumns(
      sheet.header,
      sheet.rows.map((r) => r.cells),
    ),
    catalog,
  );
  const byLine = new Map(plan.rows.map((r) => [r.line, r]));

  it('names each row’s problem by code and parameters', () => {
    const problems = Object.fromEntries(
      plan.rows.filter((r) => r.problems.length).map((r) => [r.line, r.problems]),
    );
    expect(problems).toEqual({
      5: [{ code: 'quantity-not-a-number', value: 'a dozen' }],
      6: [{ code: 'duplicate-item', firstLine: 2 }],
      9: [{ code: 'unit-differs', value: 'box', expected: 'can' }],
      10: [{ code: 'quantity-not-whole', value: '2,5' }],
      11: [{ code: 'quantity-negative', value: '-4' }],
      12: [{ code: 'quantity-unit-differs', value: '8 bags', unit: 'can' }],
      13: [{ code: 'item-missing' }],
    });
  });

  it('matches the catalog by normalized name, and creates the rest', () => {
    expect(byLine.get(2)).toMatchObject({ status: 'existing', name: 'Rice 2 lb bag', quantity: 40 });
    expect(byLine.get(3)).toMatchObject({
      status: 'new',
      quantity: 12,
      notes: [{ code: 'unit-from-quantity', unit: 'can' }, { code: 'target-from-minimum' }],
    });
    expect(byLine.get(14)).toMatchObject({ status: 'new', quantity: null });
    expect(plan.create.map((c) => c.form)).toEqual([
      { name: 'Black beans', category: 'Food', unit: 'can', packSize: '', barcodes: '' },
      { name: 'Toothpaste', category: 'Hygiene', unit: 'tube', packSize: '', barcodes: '' },
      { name: 'Peanut butter', category: 'Food', unit: 'jar', packSize: '', barcodes: '' },
      { name: 'Pasta', category: 'Food', unit: 'box', packSize: '', barcodes: '' },
    ]);
  });

  it('plans one count line per item and levels where the sheet has them', () => {
    expect(plan.counts).toEqual([
      { item: { existing: 'rice0001' }, counted: 40, line: 2 },
      { item: { created: 0 }, counted: 12, line: 3 },
      { item: { created: 1 }, counted: 7, line: 7 },
      { item: { created: 2 }, counted: 6, line: 8 },
    ]);
    expect(plan.levels).toEqual([
      { item: { existing: 'rice0001' }, min: 10, target: 10, line: 2 },
      { item: { created: 0 }, min: 5, target: 5, line: 3 },
    ]);
    expect(plan.summary).toEqual({
      items: 5,
      created: 4,
      existing: 1,
      counted: 4,
      problemRows: 7,
      repeats: 0,
      blankRows: 1,
    });
  });

  it('matches by barcode when the name is new, and refuses a barcode another item holds', () => {
    const s = sheetOf('Item,Barcode,Qty\nLong grain rice,041196910184,5\nBeans,041196910184,2\n');
    const p = planImport(s, guessColumns(s.header, []), catalog);
    expect(p.rows[0]).toMatchObject({
      status: 'existing',
      name: 'Rice 2 lb bag',
      notes: [{ code: 'matched-by-barcode', barcode: '041196910184', item: 'Rice 2 lb bag' }],
    });
    // The second row matches Rice by barcode too: the same item twice, with a quantity.
    expect(p.rows[1]!.problems).toEqual([{ code: 'duplicate-item', firstLine: 2 }]);
  });

  it('refuses a barcode an earlier row gave a new item, and a long cell', () => {
    const long = 'x'.repeat(IMPORT_LIMITS.maxCellLength + 1);
    const s = sheetOf(`Item,Barcode,Qty\nBeans,12345678,2\nLentils,12345678,1\nOats,,${long}\n`);
    const p = planImport(s, guessColumns(s.header, []), []);
    expect(p.rows[1]!.problems).toEqual([{ code: 'barcode-taken', value: '12345678', item: 'Beans' }]);
    expect(p.rows[2]!.problems).toEqual([
      {
        code: 'cell-too-long',
        column: 'Qty',
        length: IMPORT_LIMITS.maxCellLength + 1,
        max: IMPORT_LIMITS.maxCellLength,
      },
    ]);
  });

  it('checks levels and pack sizes', () => {
    const s = sheetOf('Item,Min,Target,Pack size\nA,5,3,\nB,x,,\nC,,,1\nD,,,0\nE,2,,24\n');
    const p = planImport(s, guessColumns(s.header, []), []);
    expect(p.rows.map((r) => r.problems)).toEqual([
      [{ code: 'target-below-minimum', minimum: 5, target: 3 }],
      [{ code: 'minimum-invalid', value: 'x' }],
      [],
      [{ code: 'pack-size-invalid', value: '0' }],
      [],
    ]);
    expect(p.create.map((c) => c.form.packSize)).toEqual(['', '24']);
  });

  it('takes a history export’s repeated items as one item each, without problems', () => {
    const s = sheetOf(
      'Date,Entry,Item,Category,Unit,Change,Counted,Note\r\n2026-03-01 10:00,donation,Rice,Food,bag,4,,\r\n2026-03-02 10:00,pickup,Rice,Food,bag,-2,,\r\n',
    );
    const p = planImport(
      s,
      guessColumns(
        s.header,
        s.rows.map((r) => r.cells),
      ),
      [],
    );
    expect(p.rows.map((r) => r.status)).toEqual(['new', 'repeat']);
    expect(p.rows[1]!.notes).toEqual([{ code: 'repeat', firstLine: 2 }]);
    expect(p.summary).toMatchObject({ items: 1, created: 1, problemRows: 0, repeats: 1, counted: 0 });
  });

  it('never throws, whatever the columns chosen', () => {
    const s = sheetOf(MESSY);
    for (let c = 0; c < s.header.length; c++) {
      const columns = {
        item: c,
        category: c,
        unit: c,
        quantity: c,
        minimum: c,
        target: c,
        packSize: c,
        barcode: c,
      };
      expect(() => planImport(s, columns, catalog)).not.toThrow();
    }
  });
});
