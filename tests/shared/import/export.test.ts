import { describe, expect, it } from 'vitest';
import { historyCsv, HISTORY_CSV_FIELDS, stockCsv, STOCK_CSV_FIELDS } from '../../../shared/import/export';

/** The exact text of the stock and history exports, as a spreadsheet opens it. */

describe('stockCsv', () => {
  it('writes the header alone for no rows, with Windows line endings', () => {
    expect(stockCsv([])).toBe('Item,Category,Unit,On hand,Minimum,Target,Pack size,Barcodes');
    expect(STOCK_CSV_FIELDS).toHaveLength(8);
  });

  it('writes one line per item, levels and pack size left empty when there are none', () => {
    const text = stockCsv([
      {
        name: 'Rice',
        category: 'Food',
        unit: 'bag',
        onHand: 40,
        levels: { min: 10, target: 50 },
        packSize: 12,
        barcodes: ['041196910184', '0411969'],
      },
      { name: 'Soap, bar', category: 'Hygiene', unit: 'bar', onHand: 0, barcodes: [] },
    ]);
    expect(text).toBe(
      'Item,Category,Unit,On hand,Minimum,Target,Pack size,Barcodes\r\n' +
        'Rice,Food,bag,40,10,50,12,041196910184 0411969\r\n' +
        '"Soap, bar",Hygiene,bar,0,,,,',
    );
  });

  it('puts an apostrophe before a cell a spreadsheet would run, and before one already escaped', () => {
    const row = (name: string) =>
      stockCsv([{ name, category: 'Food', unit: 'can', onHand: 1, barcodes: [] }]);
    const cellOf = (name: string) => row(name).split('\r\n')[1]!.split(',Food')[0];
    expect(cellOf('=SUM(A1)')).toBe(`"'=SUM(A1)"`);
    expect(cellOf('+1')).toBe(`"'+1"`);
    expect(cellOf('-5')).toBe(`"'-5"`);
    expect(cellOf('@cmd')).toBe(`"'@cmd"`);
    expect(cellOf("'=x")).toBe(`"''=x"`);
    expect(cellOf("''+x")).toBe(`"'''+x"`);
    expect(cellOf('\tTab')).toBe(`"'\tTab"`);
    expect(cellOf("'rice")).toBe("'rice");
    expect(cellOf('Rice = food')).toBe('Rice = food');
  });
});

describe('historyCsv', () => {
  it('writes the header alone for no rows', () => {
    expect(historyCsv([])).toBe(HISTORY_CSV_FIELDS.join(','));
  });

  it('writes each entry, counted and note left empty when there are none', () => {
    expect(
      historyCsv([
        {
          date: '2026-03-01 14:05',
          entry: 'count',
          name: 'Rice',
          category: 'Food',
          unit: 'bag',
          change: 4,
          counted: 40,
          note: 'shelf A',
        },
        {
          date: '2026-03-01 15:00',
          entry: 'pickup',
          name: 'Rice',
          category: 'Food',
          unit: 'bag',
          change: -2,
        },
      ]),
    ).toBe(
      'Date,Entry,Item,Category,Unit,Change,Counted,Note\r\n' +
        '2026-03-01 14:05,count,Rice,Food,bag,4,40,shelf A\r\n' +
        '2026-03-01 15:00,pickup,Rice,Food,bag,-2,,',
    );
  });
});
