import type { ImportField, RowStatus } from '../../shared/import';

/**
 * The import screen's labels, as catalog keys. The import's problems and notes (codes from shared/import)
 * are put into words by `useImportText()` (app/domainText.ts) from the `domain` catalog.
 */
export const IMPORT_STATUS_LABEL: Record<RowStatus, string> = {
  new: 'import.status.new',
  existing: 'import.status.existing',
  repeat: 'import.status.repeat',
  problem: 'import.status.problem',
};

export const IMPORT_FIELD_LABEL: Record<ImportField, string> = {
  item: 'import.field.item',
  category: 'import.field.category',
  unit: 'import.field.unit',
  quantity: 'import.field.quantity',
  minimum: 'import.field.minimum',
  target: 'import.field.target',
  packSize: 'import.field.packSize',
  barcode: 'import.field.barcode',
};
