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
 * A catalog's items by normalized name and by barcode, for checking many forms against it: each check is then
 * a lookup, not a pass over every item (a sheet of 2,000 new items checked one by one against a growing
 * catalog normalized two million names). Items added to it count for the forms checked after.
 */
export class CatalogIndex {
  private readonly byName = new Map<string, Item[]>();
  private readonly byBarcode = new Map<string, Item[]>();

  constructor(items: Iterable<Item> = []) {
    for (const item of items) this.add(item);
  }

  add(item: Item): void {
    const key = normalizeName(item.name);
    if (key) listIn(this.byName, key).push(item);
    for (const code of item.barcodes) listIn(this.byBarcode, code).push(item);
  }

  /** The first item (in the order added) other than `exceptId` whose name is `name`'s, ignoring case and accents. */
  named(name: string, exceptId?: string): Item | undefined {
    const key = normalizeName(name);
    return key ? this.byName.get(key)?.find((i) => i.id !== exceptId) : undefined;
  }

  /** The first item (in the order added) other than `exceptId` that has the barcode `code`. */
  withBarcode(code: string, exceptId?: string): Item | undefined {
    return this.byBarcode.get(code)?.find((i) => i.id !== exceptId);
  }
}

function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/**
 * Checks an item form and returns the item's fields, or throws a ValidationError naming each bad field.
 * A duplicate name is an error here; a duplicate that arrives from another hub is only flagged.
 */
export function validateItemForm(
  form: ItemForm,
  existing: readonly Item[] | CatalogIndex,
  exceptId?: string,
): Omit<Item, 'id' | 'createdAt' | 'updatedAt'> {
  const catalog = existing instanceof CatalogIndex ? existing : new CatalogIndex(existing);
  const issues = new IssueCollector();
  const name = form.name.replace(/\s+/g, ' ').trim();
  if (!name) issues.add('name', msg('item.nameMissing'));
  else if (name.length > MAX_NAME_LENGTH)
    issues.add('name', msg('item.nameTooLong', { count: name.length, max: MAX_NAME_LENGTH }));
  else {
    const dup = catalog.named(name, exceptId);
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
    const owner = catalog.withBarcode(code, exceptId);
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

/**
 * New items from many forms at once (a sheet's import), each checked as `validateItemForm` checks it against
 * the catalog and the items made from the forms before it, so two forms cannot take one name or one barcode.
 * All or nothing: the first form that fails throws its ValidationError, and no item is returned.
 */
export function validateNewItemForms(
  forms: readonly ItemForm[],
  existing: Iterable<Item>,
  make: (fields: Omit<Item, 'id' | 'createdAt' | 'updatedAt'>) => Item,
): Item[] {
  const catalog = new CatalogIndex(existing);
  return forms.map((form) => {
    const item = make(validateItemForm(form, catalog));
    catalog.add(item);
    return item;
  });
}

export function findByBarcode(code: string, items: readonly Item[]): Item | undefined {
  const c = code.trim();
  return items.find((i) => i.barcodes.includes(c));
}
