import { z } from 'zod';
import { lazySchema } from './lazy';
import { IssueCollector } from './errors';
import { msg } from './messages';
import { ID_PATTERN } from './ids';
import { parseQuantity } from './quantity';
import { normalizeName, searchItems } from './search';

export { normalizeName, searchItems };
// In a module of their own, without zod: the Network screen (a coordinator's first view) offers them.
export { categoryList, DEFAULT_CATEGORIES } from './categories';

export const MAX_NAME_LENGTH = 120;

export const itemSchema = lazySchema(() =>
  z.object({
    id: z.string().regex(ID_PATTERN),
    name: z.string().min(1).max(MAX_NAME_LENGTH),
    category: z.string().min(1).max(40),
    unit: z.string().min(1).max(30),
    packSize: z.number().int().min(2).max(10_000).optional(),
    barcodes: z.array(z.string().regex(/^[0-9A-Za-z-]{4,32}$/)).max(20),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  }),
);
export type Item = z.infer<typeof itemSchema>;

export interface ItemForm {
  name: string;
  category: string;
  unit: string;
  packSize: string;
  barcodes: string;
}

export function findDuplicateName(name: string, items: readonly Item[], exceptId?: string): Item | undefined {
  const key = normalizeName(name);
  if (!key) return undefined;
  return items.find((i) => i.id !== exceptId && normalizeName(i.name) === key);
}

export function parseBarcodes(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(/[\s,;]+/)
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * Checks an item form and returns the item's fields, or throws a ValidationError naming each bad field.
 * A duplicate name is an error here; a duplicate that arrives from another hub is only flagged.
 */
export function validateItemForm(
  form: ItemForm,
  existing: readonly Item[],
  exceptId?: string,
): Omit<Item, 'id' | 'createdAt' | 'updatedAt'> {
  const issues = new IssueCollector();
  const name = form.name.replace(/\s+/g, ' ').trim();
  if (!name) issues.add('name', msg('item.nameMissing'));
  else if (name.length > MAX_NAME_LENGTH)
    issues.add('name', msg('item.nameTooLong', { count: name.length, max: MAX_NAME_LENGTH }));
  else {
    const dup = findDuplicateName(name, existing, exceptId);
    if (dup) issues.add('name', msg('item.nameTaken', { name: dup.name }));
  }
  const category = form.category.trim();
  if (!category) issues.add('category', msg('item.categoryMissing'));
  else if (category.length > 40) issues.add('category', msg('item.categoryTooLong', { max: 40 }));
  const unit = form.unit.trim();
  if (!unit) issues.add('unit', msg('item.unitMissing'));
  else if (unit.length > 30) issues.add('unit', msg('item.unitTooLong', { max: 30 }));
  let packSize: number | undefined;
  if (form.packSize.trim()) {
    const q = parseQuantity(form.packSize, { field: 'packSize' });
    if (!q.ok) issues.add('packSize', q.message);
    else if (q.value < 2) issues.add('packSize', msg('item.packSizeTooSmall'));
    else if (q.value > 10_000) issues.add('packSize', msg('item.packSizeTooLarge', { max: 10_000 }));
    else packSize = q.value;
  }
  const barcodes = parseBarcodes(form.barcodes);
  for (const code of barcodes) {
    if (!/^[0-9A-Za-z-]{4,32}$/.test(code)) {
      issues.add('barcodes', msg('item.barcodeInvalid', { value: code.slice(0, 40) }));
      break;
    }
    const owner = existing.find((i) => i.id !== exceptId && i.barcodes.includes(code));
    if (owner) {
      issues.add('barcodes', msg('item.barcodeTaken', { barcode: code, item: owner.name }));
      break;
    }
  }
  if (barcodes.length > 20) issues.add('barcodes', msg('item.tooManyBarcodes', { max: 20 }));
  issues.throwIfAny();
  return packSize === undefined
    ? { name, category, unit, barcodes }
    : { name, category, unit, packSize, barcodes };
}

export function findByBarcode(code: string, items: readonly Item[]): Item | undefined {
  const c = code.trim();
  return items.find((i) => i.barcodes.includes(c));
}
