import type { ImportField, RowStatus } from '../../shared/import';

/**
 * Labels of the import screen. The import's problems and notes (codes from shared/import) are put into
 * words by `useImportText()` (app/domainText.ts) from the `domain` catalog.
 */
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
