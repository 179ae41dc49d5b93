import Papa from 'papaparse';

/**
 * The stock and history as CSV, for a spreadsheet, with the column names the importer guesses: a file
 * exported here comes back in through the import unchanged. Cells a spreadsheet would run as a formula
 * get an apostrophe in front (as needs.ts does), which the importer takes off again.
 */
export const STOCK_CSV_FIELDS = [
  'Item',
  'Category',
  'Unit',
  'On hand',
  'Minimum',
  'Target',
  'Pack size',
  'Barcodes',
] as const;
export const HISTORY_CSV_FIELDS = [
  'Date',
  'Entry',
  'Item',
  'Category',
  'Unit',
  'Change',
  'Counted',
  'Note',
] as const;

export interface StockCsvRow {
  name: string;
  category: string;
  unit: string;
  onHand: number;
  levels?: { min: number; target: number };
  packSize?: number;
  barcodes: readonly string[];
}

export interface HistoryCsvRow {
  /** As the person reads it, e.g. "2026-03-01 14:05" in the hub's time. */
  date: string;
  /** The entry kind's code: donation, pickup, count... */
  entry: string;
  name: string;
  category: string;
  unit: string;
  change: number;
  counted?: number;
  note?: string;
}

// An apostrophe already in front is escaped too, so the importer's taking off one gives the cell back.
const FORMULA = /^'*[=+\-@\t\r]/;

function csv(fields: readonly string[], data: (string | number)[][]): string {
  return Papa.unparse(data.length > 0 ? { fields: [...fields], data } : [[...fields]], {
    escapeFormulae: FORMULA,
    newline: '\r\n',
  });
}

export function stockCsv(rows: readonly StockCsvRow[]): string {
  return csv(
    STOCK_CSV_FIELDS,
    rows.map((r) => [
      r.name,
      r.category,
      r.unit,
      r.onHand,
      r.levels?.min ?? '',
      r.levels?.target ?? '',
      r.packSize ?? '',
      r.barcodes.join(' '),
    ]),
  );
}

export function historyCsv(rows: readonly HistoryCsvRow[]): string {
  return csv(
    HISTORY_CSV_FIELDS,
    rows.map((r) => [r.date, r.entry, r.name, r.category, r.unit, r.change, r.counted ?? '', r.note ?? '']),
  );
}
