import { allOf } from '../messages';

/**
 * What can be wrong with a file or a row, as a code and its parameters: the renderer turns these into words
 * (one function there, so a translation catalog can take over). Line numbers are the sheet's own, counting
 * from 1 with the header, as a spreadsheet shows them.
 */
export type RowProblem =
  | { code: 'item-missing' }
  | { code: 'item-name-too-long'; length: number; max: number }
  | { code: 'category-too-long'; value: string; max: number }
  | { code: 'unit-too-long'; value: string; max: number }
  /** The sheet's unit is not the unit the catalog counts this item in ("unknown unit"). */
  | { code: 'unit-differs'; value: string; expected: string }
  | { code: 'quantity-not-a-number'; value: string }
  | { code: 'quantity-negative'; value: string }
  | { code: 'quantity-not-whole'; value: string }
  | { code: 'quantity-too-large'; value: string; max: number }
  /** "12 boxes" in a row whose unit is can. */
  | { code: 'quantity-unit-differs'; value: string; unit: string }
  | { code: 'minimum-invalid'; value: string }
  | { code: 'target-invalid'; value: string }
  | { code: 'target-below-minimum'; minimum: number; target: number }
  | { code: 'pack-size-invalid'; value: string }
  | { code: 'barcode-invalid'; value: string }
  | { code: 'too-many-barcodes'; count: number; max: number }
  /** The barcode already belongs to another item, in the catalog or on an earlier line. */
  | { code: 'barcode-taken'; value: string; item: string }
  | { code: 'duplicate-item'; firstLine: number }
  | { code: 'cell-too-long'; column: string; length: number; max: number }
  /** A quote opened and never closed: the rest of the row cannot be read reliably. */
  | { code: 'unreadable-row' };

/** Not problems: what Larder did on its own with a row, shown so the volunteer can check it. */
export type RowNote =
  | { code: 'unit-from-quantity'; unit: string }
  | { code: 'unit-default'; unit: string }
  | { code: 'category-default'; category: string }
  | { code: 'matched-by-barcode'; barcode: string; item: string }
  | { code: 'target-from-minimum' }
  /** The same item again on a later line with nothing new to record (a history export lists it per entry). */
  | { code: 'repeat'; firstLine: number };

/** Why a whole file is refused; nothing is imported. */
export type FileProblem =
  | { code: 'file-empty' }
  | { code: 'file-too-large'; bytes: number; max: number }
  | { code: 'file-not-text' }
  | { code: 'too-many-rows'; rows: number; max: number }
  | { code: 'too-many-columns'; columns: number; max: number }
  | { code: 'no-data-rows' }
  | { code: 'no-item-column' };

// Every code, for the test that each has words in every language (the compiler keeps the lists complete).
export const ROW_PROBLEM_CODES = allOf<RowProblem['code']>()([
  'item-missing',
  'item-name-too-long',
  'category-too-long',
  'unit-too-long',
  'unit-differs',
  'quantity-not-a-number',
  'quantity-negative',
  'quantity-not-whole',
  'quantity-too-large',
  'quantity-unit-differs',
  'minimum-invalid',
  'target-invalid',
  'target-below-minimum',
  'pack-size-invalid',
  'barcode-invalid',
  'too-many-barcodes',
  'barcode-taken',
  'duplicate-item',
  'cell-too-long',
  'unreadable-row',
]);
export const ROW_NOTE_CODES = allOf<RowNote['code']>()([
  'unit-from-quantity',
  'unit-default',
  'category-default',
  'matched-by-barcode',
  'target-from-minimum',
  'repeat',
]);
export const FILE_PROBLEM_CODES = allOf<FileProblem['code']>()([
  'file-empty',
  'file-too-large',
  'file-not-text',
  'too-many-rows',
  'too-many-columns',
  'no-data-rows',
  'no-item-column',
]);
