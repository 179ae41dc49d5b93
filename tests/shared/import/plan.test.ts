import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, type Item } from '../../../shared/catalog';
import { guessColumns, noColumns, type ColumnMap } from '../../../shared/import/columns';
import { IMPORT_LIMITS } from '../../../shared/import/limits';
import { DEFAULT_IMPORT_CATEGORY, DEFAULT_IMPORT_UNIT, planImport } from '../../../shared/import/plan';
import { readSheet, type Sheet } from '../../../shared/import/table';

/**
 * The import plan at its exact limits, as the volunteer sees it on the check step: each row accepted at a
 * limit next to the one refused past it, with the problem named, and what the import would create, count
 * and set.
 */

const item = (id: string, name: string, unit: string, barcodes: string[] = []): Item => ({
  id,
  name,
  category: 'Food',
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

/** Plans a sheet whose header names its columns. */
function planOf(text: string, catalog: Item[] = [], columns?: ColumnMap) {
  const sheet = sheetOf(text);
  return planImport(sheet, columns ?? guessColumns(sheet.header, []), catalog);
}

const problemsOf = (text: string, catalog: Item[] = []) => planOf(text, catalog).rows.map((r) => r.problems);

describe('lengths', () => {
  it('takes a name of 120 characters, and refuses 121', () => {
    const ok = 'n'.repeat(MAX_NAME_LENGTH);
    expect(problemsOf(`Item\n${ok}\n${ok}x\n`)).toEqual([
      [],
      [{ code: 'item-name-too-long', length: MAX_NAME_LENGTH + 1, max: MAX_NAME_LENGTH }],
    ]);
  });

  it('folds runs of spaces in a name before measuring it', () => {
    const p = planOf(`Item\n${'a'.repeat(60)}   ${'b'.repeat(59)}\n`);
    expect(p.rows[0]).toMatchObject({ status: 'new', name: `${'a'.repeat(60)} ${'b'.repeat(59)}` });
  });

  it('takes a category of 40 characters and a unit of 30, and refuses one more', () => {
    const c40 = 'c'.repeat(40);
    const u30 = 'u'.repeat(30);
    expect(problemsOf(`Item,Category,Unit\nA,${c40},${u30}\nB,${c40}c,${u30}u\n`)).toEqual([
      [],
      [
        { code: 'category-too-long', value: `${c40}c`, max: 40 },
        { code: 'unit-too-long', value: `${u30}u`, max: 30 },
      ],
    ]);
  });

  it('takes a cell of 1,000 characters in a chosen column, refuses 1,001, and ignores columns not chosen', () => {
    const max = IMPORT_LIMITS.maxCellLength;
    const p = planOf(`Item,Notes\n${'r'.repeat(120)},${'x'.repeat(5000)}\n`);
    expect(p.rows[0]!.problems).toEqual([]);
    const long = planOf(`Item,Category\nRice,${'c'.repeat(max + 1)}\nOats,${'c'.repeat(max)}\n`);
    expect(long.rows[0]).toMatchObject({
      status: 'problem',
      name: 'Rice',
      quantity: null,
      problems: [{ code: 'cell-too-long', column: 'Category', length: max + 1, max }],
    });
    expect(long.rows[1]!.problems).toEqual([{ code: 'category-too-long', value: 'c'.repeat(max), max: 40 }]);
    expect(long.summary.problemRows).toBe(2);
  });

  it('names a column without a header by its number, and cuts the name shown of a refused row', () => {
    const sheet = sheetOf(`Item,\n${'n'.repeat(200)},${'q'.repeat(1001)}\n`);
    const p = planImport(sheet, { ...noColumns(), item: 0, quantity: 1 }, []);
    expect(p.rows[0]!.problems).toEqual([
      { code: 'cell-too-long', column: 'column 2', length: 1001, max: 1000 },
    ]);
    expect(p.rows[0]!.name).toBe('n'.repeat(MAX_NAME_LENGTH));
  });

  it('refuses an unreadable row whole, with only that problem', () => {
    const p = planOf('Item,Qty\nRice,4\n"Beans,2\n');
    expect(p.rows[1]).toMatchObject({ status: 'problem', problems: [{ code: 'unreadable-row' }] });
    expect(p.summary).toMatchObject({ items: 1, problemRows: 1 });
  });
});

describe('quantities and units', () => {
  it('names a quantity past the largest with its bound', () => {
    expect(problemsOf('Item,Qty\nRice,1000000\nOats,1000001\n')).toEqual([
      [],
      [{ code: 'quantity-too-large', value: '1000001', max: 1_000_000 }],
    ]);
  });

  it('takes "12 cans" in a column of cans, or of can, and refuses it in a column of boxes', () => {
    expect(problemsOf('Item,Unit,Qty\nA,can,12 cans\nB,Cans,3 can\nC,box,12 cans\n')).toEqual([
      [],
      [],
      [{ code: 'quantity-unit-differs', value: '12 cans', unit: 'box' }],
    ]);
  });

  it('names a quantity that cannot be read without a bound, and takes the unit "12 cans" gives', () => {
    expect(problemsOf('Item,Qty\nRice,lots\nOats,-3\nBeans,2.5\n')).toEqual([
      [{ code: 'quantity-not-a-number', value: 'lots' }],
      [{ code: 'quantity-negative', value: '-3' }],
      [{ code: 'quantity-not-whole', value: '2.5' }],
    ]);
    const p = planOf('Item,Qty\nBeans,12 cans\n');
    expect(p.rows[0]!.notes).toEqual([
      { code: 'unit-from-quantity', unit: 'can' },
      { code: 'category-default', category: 'Other' },
    ]);
    expect(p.create[0]!.form).toMatchObject({ unit: 'can' });
  });

  it('keeps the category and unit a new item’s row gives, with nothing to say about them', () => {
    const p = planOf('Item,Category,Unit,Qty\n  Rice ,  Grains , bag ,  4 \n');
    expect(p.rows[0]).toMatchObject({ status: 'new', name: 'Rice', quantity: 4, problems: [], notes: [] });
    expect(p.create[0]!.form).toEqual({
      name: 'Rice',
      category: 'Grains',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
  });

  it('gives a new item without a unit or category the defaults, and says so', () => {
    const p = planOf('Item,Qty\nRice,4\n');
    expect(p.create[0]!.form).toMatchObject({ category: DEFAULT_IMPORT_CATEGORY, unit: DEFAULT_IMPORT_UNIT });
    expect(p.rows[0]!.notes).toEqual([
      { code: 'category-default', category: 'Other' },
      { code: 'unit-default', unit: 'unit' },
    ]);
  });

  it('checks the unit of a matched item against the catalog’s, however written', () => {
    const catalog = [item('rice0001', 'Rice', 'bag')];
    expect(problemsOf('Item,Unit\nRice,Bags\n', catalog)).toEqual([[]]);
    expect(problemsOf('Item,Unit\nRice,box\n', catalog)).toEqual([
      [{ code: 'unit-differs', value: 'box', expected: 'bag' }],
    ]);
    expect(problemsOf('Item,Qty\nRice,4 boxes\n', catalog)).toEqual([
      [{ code: 'unit-differs', value: 'box', expected: 'bag' }],
    ]);
  });
});

describe('levels', () => {
  it('takes a minimum alone (the target is the minimum), a target alone (the minimum is 0) and equal ones', () => {
    const p = planOf('Item,Min,Target\nA,5,\nB,,7\nC,4,4\nD,,\n');
    expect(p.levels).toEqual([
      { item: { created: 0 }, min: 5, target: 5, line: 2 },
      { item: { created: 1 }, min: 0, target: 7, line: 3 },
      { item: { created: 2 }, min: 4, target: 4, line: 4 },
    ]);
    expect(p.rows.map((r) => r.notes.some((n) => n.code === 'target-from-minimum'))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(p.rows.map((r) => r.problems)).toEqual([[], [], [], []]);
  });

  it('refuses a target below the minimum, and a level that is not a whole number, naming which', () => {
    expect(problemsOf('Item,Min,Target\nA,5,4\nB,x,3\nC,3,y\nD,-1,2\n')).toEqual([
      [{ code: 'target-below-minimum', minimum: 5, target: 4 }],
      [{ code: 'minimum-invalid', value: 'x' }],
      [{ code: 'target-invalid', value: 'y' }],
      [{ code: 'minimum-invalid', value: '-1' }],
    ]);
  });
});

describe('pack sizes and barcodes', () => {
  it('takes packs of 2 to 10,000, reads 1 as single units, and refuses 0 and 10,001', () => {
    const p = planOf('Item,Pack size\nA,2\nB,10000\nC,1\nD,0\nE,10001\nF,x\n');
    expect(p.create.map((c) => c.form.packSize)).toEqual(['2', '10000', '']);
    expect(p.rows.slice(3).map((r) => r.problems)).toEqual([
      [{ code: 'pack-size-invalid', value: '0' }],
      [{ code: 'pack-size-invalid', value: '10001' }],
      [{ code: 'pack-size-invalid', value: 'x' }],
    ]);
  });

  it('takes barcodes of 4 to 32 letters, digits and dashes, and up to 20 of them', () => {
    const codes = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}-code-${i}`).join(' ');
    const p = planOf(
      `Item,Barcodes\nA,${'1'.repeat(4)} ${'a'.repeat(32)} AB-12\nB,${codes('b')}\nC,123\nD,${'1'.repeat(33)}\nE,${codes('e')} one-more\nF,12#4\n`,
    );
    expect(p.rows.slice(0, 2).map((r) => r.problems)).toEqual([[], []]);
    expect(p.create[0]!.form.barcodes).toBe(`1111 ${'a'.repeat(32)} AB-12`);
    expect(p.rows.slice(2).map((r) => r.problems)).toEqual([
      [{ code: 'barcode-invalid', value: '123' }],
      [{ code: 'barcode-invalid', value: '1'.repeat(33) }],
      [{ code: 'too-many-barcodes', count: 21, max: 20 }],
      [{ code: 'barcode-invalid', value: '12#4' }],
    ]);
  });

  it('shows at most 40 characters of a barcode it refuses', () => {
    expect(problemsOf(`Item,Barcodes\nA,${'x'.repeat(50)}\n`)).toEqual([
      [{ code: 'barcode-invalid', value: 'x'.repeat(40) }],
    ]);
  });

  it('lets a row give a new item a barcode the catalog or an earlier row gave the same name', () => {
    const catalog = [item('rice0001', 'Rice', 'bag', ['11112222'])];
    const p = planOf('Item,Barcodes,Qty\nRice,11112222,4\nOats,33334444,1\nOATS ,33334444,\n', catalog);
    expect(p.rows.map((r) => [r.status, r.problems])).toEqual([
      ['existing', []],
      ['new', []],
      ['repeat', []],
    ]);
  });

  it('refuses a barcode an earlier row gave another new item, and matches by name without a word on barcodes', () => {
    const p = planOf('Item,Barcodes,Qty\nOats,33334444,1\nBarley,33334444 55556666,2\n');
    expect(p.rows.map((r) => [r.status, r.problems])).toEqual([
      ['new', []],
      ['problem', [{ code: 'barcode-taken', value: '33334444', item: 'Oats' }]],
    ]);
    expect(p.create.map((c) => c.form.name)).toEqual(['Oats']);
    const catalog = [item('rice0001', 'Rice', 'bag', ['11112222'])];
    const own = planOf('Item,Barcodes,Qty\nRice,11112222,4\n', catalog);
    expect(own.rows[0]).toMatchObject({ status: 'existing', problems: [], notes: [] });
  });

  it('refuses on a matched item a barcode another catalog item holds', () => {
    const catalog = [
      item('rice0001', 'Rice', 'bag', ['11112222']),
      item('oats0001', 'Oats', 'bag', ['33334444']),
    ];
    expect(problemsOf('Item,Barcodes\nRice,11112222 33334444\n', catalog)).toEqual([
      [{ code: 'barcode-taken', value: '33334444', item: 'Oats' }],
    ]);
    // The first catalog item holding a name or barcode is the one matched.
    const twice = [
      item('rice0001', 'Rice', 'bag', ['11112222']),
      item('rice0002', 'rice', 'can', ['11112222']),
    ];
    expect(planOf('Item,Qty\nRICE,3\n', twice).counts).toEqual([
      { item: { existing: 'rice0001' }, counted: 3, line: 2 },
    ]);
    expect(planOf('Item,Barcodes,Qty\nWhite rice,11112222,3\n', twice).counts).toEqual([
      { item: { existing: 'rice0001' }, counted: 3, line: 2 },
    ]);
  });

  it('matches by the first barcode the catalog knows, and never by barcode for a row without a name', () => {
    const catalog = [
      item('rice0001', 'Rice', 'bag', ['11112222']),
      item('oats0001', 'Oats', 'bag', ['33334444']),
    ];
    const p = planOf('Item,Barcodes,Qty\nGrain,55556666 33334444 11112222,2\n,11112222,1\n', catalog);
    expect(p.rows[0]!.notes).toEqual([{ code: 'matched-by-barcode', barcode: '33334444', item: 'Oats' }]);
    expect(p.rows[0]!.problems).toEqual([{ code: 'barcode-taken', value: '11112222', item: 'Rice' }]);
    expect(p.rows[1]).toMatchObject({ status: 'problem', problems: [{ code: 'item-missing' }] });
  });
});

describe('repeats and the summary', () => {
  it('takes a later line with nothing new as a repeat, and one with a quantity or levels as a duplicate', () => {
    const p = planOf('Item,Qty,Min\nRice,4,\nrice,,\nRICE,5,\nRice,,2\nRice,,x\n');
    expect(p.rows.map((r) => [r.status, r.problems, r.notes])).toEqual([
      [
        'new',
        [],
        [
          { code: 'category-default', category: 'Other' },
          { code: 'unit-default', unit: 'unit' },
        ],
      ],
      ['repeat', [], [{ code: 'repeat', firstLine: 2 }]],
      ['problem', [{ code: 'duplicate-item', firstLine: 2 }], []],
      ['problem', [{ code: 'duplicate-item', firstLine: 2 }], [{ code: 'target-from-minimum' }]],
      [
        'problem',
        [
          { code: 'minimum-invalid', value: 'x' },
          { code: 'duplicate-item', firstLine: 2 },
        ],
        [],
      ],
    ]);
    expect(p.summary).toEqual({
      items: 1,
      created: 1,
      existing: 0,
      counted: 1,
      problemRows: 3,
      repeats: 1,
      blankRows: 0,
    });
  });

  it('names a matched row by the catalog’s name, and a row without a name never repeats', () => {
    const catalog = [item('rice0001', 'Rice', 'bag')];
    const p = planOf('Item,Qty\n  rice ,4\n,1\n,2\n', catalog);
    expect(p.rows[0]).toMatchObject({ status: 'existing', name: 'Rice', quantity: 4 });
    expect(p.rows.slice(1).map((r) => r.problems)).toEqual([
      [{ code: 'item-missing' }],
      [{ code: 'item-missing' }],
    ]);
    expect(p.summary).toMatchObject({
      items: 1,
      existing: 1,
      created: 0,
      counted: 1,
      problemRows: 2,
      repeats: 0,
    });
  });

  it('counts 0 on hand as a count, and leaves an item without a quantity uncounted', () => {
    const p = planOf('Item,Qty\nRice,0\nOats,\n');
    expect(p.counts).toEqual([{ item: { created: 0 }, counted: 0, line: 2 }]);
    expect(p.rows.map((r) => r.quantity)).toEqual([0, null]);
    expect(p.summary).toMatchObject({ items: 2, counted: 1 });
  });
});
