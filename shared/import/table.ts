import Papa from 'papaparse';
import { IMPORT_LIMITS } from './limits';
import type { FileProblem } from './problems';

export interface SheetRow {
  /** The row's number as a spreadsheet shows it: the header is 1. */
  line: number;
  cells: string[];
  /** A quote opened and never closed on this row. */
  unreadable?: true;
}

export interface Sheet {
  header: string[];
  rows: SheetRow[];
  /** The separator found: a comma, or a semicolon from a sheet saved where the comma is the decimal mark. */
  delimiter: string;
  blankRows: number;
}

export type ReadSheetResult = { ok: true; sheet: Sheet } | { ok: false; problem: FileProblem };

const isBlank = (cells: readonly string[]) => cells.every((c) => c.trim() === '');

function trimTrailingEmpty(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1]!.trim() === '') end--;
  return end === cells.length ? cells : cells.slice(0, end);
}

const DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * The separator is the one the header row uses most: headers rarely hold one, while names in the rows
 * below may hold any (Papaparse's own guess can be swayed by a column of "a; b" cells).
 */
function delimiterOf(text: string): string {
  const first =
    text
      .slice(0, 65_536)
      .split(/\r\n|\n|\r/)
      .find((l) => l.trim() !== '') ?? '';
  const outside = first.replace(/"[^"]*"/g, '');
  let best: string = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = outside.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

/**
 * Reads the text of a CSV file into a header and rows. Takes what spreadsheets write: a byte order mark,
 * commas, semicolons or tabs, Windows or Unix line endings, quoted cells with line breaks, blank rows and
 * trailing empty columns. The first row that is not blank is the header. Refuses, as a whole, a file past
 * the limits in IMPORT_LIMITS, or one that is not text (a spreadsheet's own .xlsx format).
 */
export function readSheet(text: string): ReadSheetResult {
  if (text.length > IMPORT_LIMITS.maxBytes)
    return {
      ok: false,
      problem: { code: 'file-too-large', bytes: text.length, max: IMPORT_LIMITS.maxBytes },
    };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { ok: false, problem: { code: 'file-empty' } };
  if (body.includes('\u0000')) return { ok: false, problem: { code: 'file-not-text' } };

  const parsed = Papa.parse<string[]>(body, {
    header: false,
    skipEmptyLines: false,
    delimiter: delimiterOf(body),
  });
  const unreadable = new Set<number>();
  for (const e of parsed.errors) if (e.code === 'MissingQuotes' && e.row !== undefined) unreadable.add(e.row);

  let header: string[] | null = null;
  const rows: SheetRow[] = [];
  let blankRows = 0;
  let dataRows = 0;
  let widest = 0;
  for (let i = 0; i < parsed.data.length; i++) {
    const cells = trimTrailingEmpty(parsed.data[i]!);
    // Papaparse reads the line break at the end of the file as one more, empty row.
    if (cells.length === 0 && i === parsed.data.length - 1) break;
    if (isBlank(cells)) {
      if (header) blankRows++;
      continue;
    }
    widest = Math.max(widest, cells.length);
    if (!header) {
      header = cells.map((c) => c.trim());
      continue;
    }
    dataRows++;
    rows.push(unreadable.has(i) ? { line: i + 1, cells, unreadable: true } : { line: i + 1, cells });
  }
  if (widest > IMPORT_LIMITS.maxColumns)
    return {
      ok: false,
      problem: { code: 'too-many-columns', columns: widest, max: IMPORT_LIMITS.maxColumns },
    };
  if (dataRows > IMPORT_LIMITS.maxRows)
    return { ok: false, problem: { code: 'too-many-rows', rows: dataRows, max: IMPORT_LIMITS.maxRows } };
  if (!header || rows.length === 0) return { ok: false, problem: { code: 'no-data-rows' } };
  return { ok: true, sheet: { header, rows, delimiter: parsed.meta.delimiter, blankRows } };
}
