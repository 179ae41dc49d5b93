import { describe, expect, it } from 'vitest';
import { IMPORT_LIMITS } from '../../../shared/import/limits';
import { readSheet, type Sheet } from '../../../shared/import/table';

/**
 * Reading a CSV file into a header and rows, at the exact limits a file may reach (each accepted at the
 * limit, refused one past it), with the line numbers a volunteer sees in the spreadsheet.
 */

function sheetOf(text: string): Sheet {
  const read = readSheet(text);
  if (!read.ok) throw new Error(`not read: ${read.problem.code}`);
  return read.sheet;
}

describe('the limits of one file', () => {
  it('are what docs and messages say', () => {
    expect(IMPORT_LIMITS).toEqual({
      maxBytes: 5_000_000,
      maxRows: 20_000,
      maxColumns: 50,
      maxCellLength: 1_000,
    });
  });

  it('takes a file of exactly 5,000,000 characters, and refuses one more', () => {
    const head = 'Item,Qty\nRice,4\n';
    const atLimit = head + 'x'.repeat(IMPORT_LIMITS.maxBytes - head.length);
    expect(atLimit).toHaveLength(IMPORT_LIMITS.maxBytes);
    expect(readSheet(atLimit).ok).toBe(true);
    expect(readSheet(`${atLimit}x`)).toEqual({
      ok: false,
      problem: { code: 'file-too-large', bytes: IMPORT_LIMITS.maxBytes + 1, max: IMPORT_LIMITS.maxBytes },
    });
  });

  it('takes 20,000 data rows (blank rows not counted), and refuses 20,001', () => {
    const rows = Array.from({ length: IMPORT_LIMITS.maxRows }, (_, i) => `item${i},1`);
    const atLimit = ['Item,Qty', ...rows, '', ',', ''].join('\n');
    const sheet = sheetOf(atLimit);
    expect(sheet.rows).toHaveLength(IMPORT_LIMITS.maxRows);
    expect(sheet.blankRows).toBe(2);
    expect(readSheet(['Item,Qty', ...rows, 'one more,1'].join('\n'))).toEqual({
      ok: false,
      problem: { code: 'too-many-rows', rows: IMPORT_LIMITS.maxRows + 1, max: IMPORT_LIMITS.maxRows },
    });
  });

  it('takes 50 columns in any row, and refuses 51 (trailing empty columns not counted)', () => {
    const cols = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    expect(sheetOf(`${cols(50)}\n${cols(50)},,,\n`).header).toHaveLength(50);
    expect(readSheet(`Item,Qty\nRice,4\n${cols(51)}\n`)).toEqual({
      ok: false,
      problem: { code: 'too-many-columns', columns: 51, max: 50 },
    });
    expect(readSheet(`${cols(51)}\nRice,4\n`)).toMatchObject({ ok: false, problem: { columns: 51 } });
  });
});

describe('what is not a sheet', () => {
  it('is refused as a whole, with why', () => {
    expect(readSheet('')).toEqual({ ok: false, problem: { code: 'file-empty' } });
    expect(readSheet('\uFEFF')).toEqual({ ok: false, problem: { code: 'file-empty' } });
    expect(readSheet(' \r\n\t\n')).toEqual({ ok: false, problem: { code: 'file-empty' } });
    expect(readSheet('PK\u0003\u0004\u0000\u0000rest')).toEqual({
      ok: false,
      problem: { code: 'file-not-text' },
    });
    expect(readSheet('Item,Qty\n')).toEqual({ ok: false, problem: { code: 'no-data-rows' } });
    expect(readSheet('Item,Qty\n,\n\n')).toEqual({ ok: false, problem: { code: 'no-data-rows' } });
  });
});

describe('rows and their line numbers', () => {
  it('numbers rows as the spreadsheet does: blank lines before and between count, the header is trimmed', () => {
    const sheet = sheetOf('\n ,\n Item , Qty \nRice,4\n\nBeans,2\n');
    expect(sheet.header).toEqual(['Item', 'Qty']);
    expect(sheet.rows).toEqual([
      { line: 4, cells: ['Rice', '4'] },
      { line: 6, cells: ['Beans', '2'] },
    ]);
    // Blank rows above the header are not the sheet's blank rows.
    expect(sheet.blankRows).toBe(1);
  });

  it('keeps a last row without a line break, and a row whose only cell is at the end', () => {
    expect(sheetOf('Item,Qty\nRice,4').rows).toEqual([{ line: 2, cells: ['Rice', '4'] }]);
    expect(sheetOf('Item,Qty\n,7').rows).toEqual([{ line: 2, cells: ['', '7'] }]);
  });

  it('reads the byte order mark off, but keeps one that is not first', () => {
    expect(sheetOf('\uFEFFItem,Qty\nRice,4\n').header).toEqual(['Item', 'Qty']);
    expect(sheetOf('Item,Qty\n\uFEFFRice,4\n').rows[0]!.cells).toEqual(['\uFEFFRice', '4']);
  });

  it('marks the row whose quote never closes, and only that one', () => {
    const sheet = sheetOf('Item,Qty\nRice,4\n"Beans,2\nOats,1\n');
    expect(sheet.rows[0]).toEqual({ line: 2, cells: ['Rice', '4'] });
    expect(sheet.rows[1]).toMatchObject({ line: 3, unreadable: true });
    expect(sheet.rows.filter((r) => r.unreadable)).toHaveLength(1);
  });
});

describe('the separator', () => {
  it('is the one the header uses most, whatever the rows hold', () => {
    expect(sheetOf('Item;Qty;Unit\n"Rice, long grain";4;bag\n')).toMatchObject({
      delimiter: ';',
      rows: [{ cells: ['Rice, long grain', '4', 'bag'] }],
    });
    expect(sheetOf('Item\tQty\nRice, long grain\t4\n').delimiter).toBe('\t');
    expect(sheetOf('Item|Qty\nRice; beans|4\n').delimiter).toBe('|');
    expect(sheetOf('Item,Qty;x\nRice,4\n').delimiter).toBe(',');
    // One of each: the first listed (comma) wins the tie.
    expect(sheetOf('a,b;c\n1,2\n').delimiter).toBe(',');
    expect(sheetOf('a;b;c,d\n1;2;3\n').delimiter).toBe(';');
  });

  it('does not count separators inside a quoted header, and reads the first line that is not blank', () => {
    expect(sheetOf('"Item, name";Qty\nRice;4\n').delimiter).toBe(';');
    expect(sheetOf('\n\n  \nItem;Qty\nRice, brown;4\n').delimiter).toBe(';');
    expect(sheetOf('\r\nItem;Qty\r\nRice, brown;4\r\n').delimiter).toBe(';');
    expect(sheetOf('\rItem;Qty\rRice, brown;4\r').delimiter).toBe(';');
    expect(sheetOf('Item\nRice, brown\n').delimiter).toBe(',');
  });
});
