import type { FileProblem, ImportField, RowNote, RowProblem, RowStatus } from '../../shared/import';

/**
 * The import's codes in words: the one place they are written, so a translation catalog can take over
 * (issue 9's i18n work swaps this function for catalog lookups with the same parameters).
 */
const n = (x: number) => x.toLocaleString();
const q = (s: string) => `“${s.length > 40 ? `${s.slice(0, 40)}…` : s}”`;

export function importProblemText(p: RowProblem | FileProblem): string {
  switch (p.code) {
    case 'item-missing':
      return 'No item name';
    case 'item-name-too-long':
      return `Item name is too long: ${n(p.length)} characters, at most ${n(p.max)}`;
    case 'category-too-long':
      return `Category ${q(p.value)} is too long: at most ${n(p.max)} characters`;
    case 'unit-too-long':
      return `Unit ${q(p.value)} is too long: at most ${n(p.max)} characters`;
    case 'unit-differs':
      return `Unit ${q(p.value)} is not the unit Larder counts this item in (${p.expected}): write the quantity in ${p.expected}`;
    case 'quantity-not-a-number':
      return `Quantity ${q(p.value)} is not a number: write it in figures, such as 12`;
    case 'quantity-negative':
      return `Quantity ${q(p.value)} is below zero: a count is what is on the shelf, 0 or more`;
    case 'quantity-not-whole':
      return `Quantity ${q(p.value)} is not a whole number: count whole units`;
    case 'quantity-too-large':
      return `Quantity ${q(p.value)} is too large: at most ${n(p.max)}`;
    case 'quantity-unit-differs':
      return `Quantity ${q(p.value)} is in another unit than the row’s unit (${p.unit})`;
    case 'minimum-invalid':
      return `Minimum ${q(p.value)} is not a whole number of 0 or more`;
    case 'target-invalid':
      return `Target ${q(p.value)} is not a whole number of 0 or more`;
    case 'target-below-minimum':
      return `Target ${n(p.target)} is below the minimum ${n(p.minimum)}`;
    case 'pack-size-invalid':
      return `Pack size ${q(p.value)} must be a whole number from 2 to 10,000 (or 1 for single units)`;
    case 'barcode-invalid':
      return `${q(p.value)} is not a barcode: use 4 to 32 letters or digits`;
    case 'too-many-barcodes':
      return `${n(p.count)} barcodes: at most ${n(p.max)} per item`;
    case 'barcode-taken':
      return `Barcode ${p.value} already belongs to “${p.item}”`;
    case 'duplicate-item':
      return `Same item as line ${n(p.firstLine)}: keep one line per item`;
    case 'cell-too-long':
      return `The ${p.column} cell is too long: ${n(p.length)} characters, at most ${n(p.max)}`;
    case 'unreadable-row':
      return 'A quote (") opens on this line and never closes: the line cannot be read';
    case 'file-empty':
      return 'The file is empty.';
    case 'file-too-large':
      return `The file is too large to import at once (${n(Math.round(p.bytes / 1000))} kB, at most ${n(p.max / 1_000_000)} MB): split it into smaller sheets.`;
    case 'file-not-text':
      return 'This is not a CSV file. In your spreadsheet, choose File › Save as (or Download) › CSV, then pick that file.';
    case 'too-many-rows':
      return `The sheet has ${n(p.rows)} rows; Larder imports at most ${n(p.max)} at once: split it into smaller sheets.`;
    case 'too-many-columns':
      return `The sheet has ${n(p.columns)} columns; Larder reads at most ${n(p.max)}: remove the columns you don’t need.`;
    case 'no-data-rows':
      return 'The sheet has a header row but no rows under it.';
    case 'no-item-column':
      return 'Choose which column holds the item names.';
  }
}

export function importNoteText(note: RowNote): string {
  switch (note.code) {
    case 'unit-from-quantity':
      return `unit “${note.unit}” taken from the quantity`;
    case 'unit-default':
      return `no unit given: counted in “${note.unit}”`;
    case 'category-default':
      return `no category given: filed under ${note.category}`;
    case 'matched-by-barcode':
      return `matched to “${note.item}” by barcode ${note.barcode}`;
    case 'target-from-minimum':
      return 'no target given: target set to the minimum';
    case 'repeat':
      return `same item as line ${n(note.firstLine)}, nothing more to record`;
  }
}

export const IMPORT_STATUS_LABEL: Record<RowStatus, string> = {
  new: 'New item',
  existing: 'In catalog',
  repeat: 'Repeat',
  problem: 'Skipped',
};

export const IMPORT_FIELD_LABEL: Record<ImportField, string> = {
  item: 'Item name',
  category: 'Category',
  unit: 'Unit',
  quantity: 'Quantity counted',
  minimum: 'Minimum',
  target: 'Target',
  packSize: 'Pack size',
  barcode: 'Barcode',
};
