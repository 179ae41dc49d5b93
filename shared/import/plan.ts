import { MAX_NAME_LENGTH, normalizeName, parseBarcodes, type Item, type ItemForm } from '../catalog';
import type { ColumnMap, ImportField } from './columns';
import { IMPORT_LIMITS } from './limits';
import type { RowNote, RowProblem } from './problems';
import type { Sheet } from './table';
import { readNumberCell, readQuantityCell, singularUnit, textCell, unitKey } from './values';

/** A new item's category when the sheet has none for it, and its unit when neither a column nor "12 cans" says. */
export const DEFAULT_IMPORT_CATEGORY = 'Other';
export const DEFAULT_IMPORT_UNIT = 'unit';
const MAX_CATEGORY = 40;
const MAX_UNIT = 30;
const MAX_BARCODES = 20;
const BARCODE = /^[0-9A-Za-z-]{4,32}$/;

/** An item a count line or levels refer to: one already in the catalog, or one the import creates. */
export type ItemRef = { existing: string } | { created: number };

export type RowStatus = 'new' | 'existing' | 'repeat' | 'problem';

export interface PlannedRow {
  line: number;
  status: RowStatus;
  /** The item's name as the sheet writes it (or the catalog's, when matched). */
  name: string;
  quantity: number | null;
  problems: RowProblem[];
  notes: RowNote[];
}

export interface NewItem {
  line: number;
  form: ItemForm;
}

export interface ImportPlan {
  rows: PlannedRow[];
  /** Items to create, in sheet order. */
  create: NewItem[];
  /** One opening count: what was counted of each item. */
  counts: { item: ItemRef; counted: number; line: number }[];
  levels: { item: ItemRef; min: number; target: number; line: number }[];
  summary: {
    items: number;
    created: number;
    existing: number;
    counted: number;
    problemRows: number;
    repeats: number;
    blankRows: number;
  };
}

interface Catalog {
  byName: Map<string, Item>;
  byBarcode: Map<string, Item>;
}

function indexCatalog(items: readonly Item[]): Catalog {
  const byName = new Map<string, Item>();
  const byBarcode = new Map<string, Item>();
  for (const item of items) {
    const key = normalizeName(item.name);
    if (!byName.has(key)) byName.set(key, item);
    for (const b of item.barcodes) if (!byBarcode.has(b)) byBarcode.set(b, item);
  }
  return { byName, byBarcode };
}

const cellOf = (cells: readonly string[], column: number | null) =>
  column === null ? '' : textCell(cells[column]).trim();

/**
 * Plans an import: reads every row with the chosen columns, names each row's problems, matches rows to
 * catalog items by name (as normalizeName compares them) or else by barcode, and lists the items to
 * create, the count lines and the levels. Pure and total: any sheet gives a plan, never an exception. A
 * row with a problem is skipped whole; the rest can be imported.
 */
export function planImport(sheet: Sheet, columns: ColumnMap, catalog: readonly Item[]): ImportPlan {
  const { byName, byBarcode } = indexCatalog(catalog);
  const headerName = (i: number) => sheet.header[i] || `column ${i + 1}`;
  const mapped = (Object.entries(columns) as [ImportField, number | null][]).filter(
    (e): e is [ImportField, number] => e[1] !== null,
  );
  /** The first line naming each item (catalog id, or the new name's key) and each barcode. */
  const firstLine = new Map<string, number>();
  const barcodeOwner = new Map<string, { name: string }>();
  const plan: ImportPlan = {
    rows: [],
    create: [],
    counts: [],
    levels: [],
    summary: {
      items: 0,
      created: 0,
      existing: 0,
      counted: 0,
      problemRows: 0,
      repeats: 0,
      blankRows: sheet.blankRows,
    },
  };

  for (const row of sheet.rows) {
    const problems: RowProblem[] = [];
    const notes: RowNote[] = [];
    const cell = (field: ImportField) => cellOf(row.cells, columns[field]);
    if (row.unreadable) problems.push({ code: 'unreadable-row' });
    for (const [, column] of mapped) {
      const length = (row.cells[column] ?? '').length;
      if (length > IMPORT_LIMITS.maxCellLength)
        problems.push({
          code: 'cell-too-long',
          column: headerName(column),
          length,
          max: IMPORT_LIMITS.maxCellLength,
        });
    }
    if (problems.length > 0) {
      plan.rows.push({
        line: row.line,
        status: 'problem',
        name: cell('item').slice(0, MAX_NAME_LENGTH),
        quantity: null,
        problems,
        notes,
      });
      continue;
    }

    const name = cell('item').replace(/\s+/g, ' ');
    const category = cell('category');
    let unit = cell('unit');
    if (!name) problems.push({ code: 'item-missing' });
    else if (name.length > MAX_NAME_LENGTH)
      problems.push({ code: 'item-name-too-long', length: name.length, max: MAX_NAME_LENGTH });
    if (category.length > MAX_CATEGORY)
      problems.push({ code: 'category-too-long', value: category, max: MAX_CATEGORY });
    if (unit.length > MAX_UNIT) problems.push({ code: 'unit-too-long', value: unit, max: MAX_UNIT });

    let quantity: number | null = null;
    const rawQuantity = cell('quantity');
    if (rawQuantity) {
      const q = readQuantityCell(rawQuantity);
      if (!q.ok) {
        const code = `quantity-${q.reason}` as const;
        problems.push(
          code === 'quantity-too-large'
            ? { code, value: rawQuantity, max: 1_000_000 }
            : { code, value: rawQuantity },
        );
      } else {
        quantity = q.value;
        if (q.unit) {
          if (!unit) {
            unit = singularUnit(q.unit);
            notes.push({ code: 'unit-from-quantity', unit });
          } else if (unitKey(q.unit) !== unitKey(unit))
            problems.push({ code: 'quantity-unit-differs', value: rawQuantity, unit });
        }
      }
    }

    let levels: { min: number; target: number } | null = null;
    const rawMin = cell('minimum');
    const rawTarget = cell('target');
    const min = rawMin ? readNumberCell(rawMin) : null;
    const target = rawTarget ? readNumberCell(rawTarget) : null;
    if (min && !min.ok) problems.push({ code: 'minimum-invalid', value: rawMin });
    if (target && !target.ok) problems.push({ code: 'target-invalid', value: rawTarget });
    if ((min?.ok ?? !min) && (target?.ok ?? !target) && (min || target)) {
      const m = min?.ok ? min.value : 0;
      const t = target?.ok ? target.value : m;
      if (!target) notes.push({ code: 'target-from-minimum' });
      if (t < m) problems.push({ code: 'target-below-minimum', minimum: m, target: t });
      else levels = { min: m, target: t };
    }

    let packSize: number | undefined;
    const rawPack = cell('packSize');
    if (rawPack) {
      const p = readNumberCell(rawPack);
      // A pack of 1 is how a sheet says "single units".
      if (p.ok && p.value === 1) packSize = undefined;
      else if (!p.ok || p.value < 2 || p.value > 10_000)
        problems.push({ code: 'pack-size-invalid', value: rawPack });
      else packSize = p.value;
    }

    const barcodes = parseBarcodes(cell('barcode'));
    for (const b of barcodes)
      if (!BARCODE.test(b)) problems.push({ code: 'barcode-invalid', value: b.slice(0, 40) });
    if (barcodes.length > MAX_BARCODES)
      problems.push({ code: 'too-many-barcodes', count: barcodes.length, max: MAX_BARCODES });

    // Which item: by name, else by a barcode the catalog knows.
    const nameKey = name ? normalizeName(name) : '';
    let match = name ? byName.get(nameKey) : undefined;
    if (!match && name)
      for (const b of barcodes) {
        const owner = byBarcode.get(b);
        if (owner) {
          match = owner;
          notes.push({ code: 'matched-by-barcode', barcode: b, item: owner.name });
          break;
        }
      }
    const key = match ? `id:${match.id}` : `name:${nameKey}`;
    const displayName = match?.name ?? name;
    if (match) {
      if (unit && unitKey(unit) !== unitKey(match.unit))
        problems.push({ code: 'unit-differs', value: unit, expected: match.unit });
      for (const b of barcodes) {
        const owner = byBarcode.get(b);
        if (owner && owner.id !== match.id)
          problems.push({ code: 'barcode-taken', value: b, item: owner.name });
      }
    } else if (name) {
      for (const b of barcodes) {
        const owner = byBarcode.get(b) ?? barcodeOwner.get(b);
        if (owner && normalizeName(owner.name) !== nameKey)
          problems.push({ code: 'barcode-taken', value: b, item: owner.name });
      }
    }

    const first = name ? firstLine.get(key) : undefined;
    if (first !== undefined) {
      if (quantity === null && levels === null && problems.length === 0) {
        notes.push({ code: 'repeat', firstLine: first });
        plan.rows.push({ line: row.line, status: 'repeat', name: displayName, quantity, problems, notes });
        plan.summary.repeats++;
        continue;
      }
      problems.push({ code: 'duplicate-item', firstLine: first });
    } else if (name) firstLine.set(key, row.line);

    if (problems.length > 0) {
      plan.rows.push({ line: row.line, status: 'problem', name: displayName, quantity, problems, notes });
      plan.summary.problemRows++;
      continue;
    }

    let ref: { existing: string } | { created: number };
    if (match) {
      ref = { existing: match.id };
      plan.summary.existing++;
    } else {
      if (!category) notes.push({ code: 'category-default', category: DEFAULT_IMPORT_CATEGORY });
      if (!unit) {
        unit = DEFAULT_IMPORT_UNIT;
        notes.push({ code: 'unit-default', unit });
      }
      const index = plan.create.length;
      plan.create.push({
        line: row.line,
        form: {
          name,
          category: category || DEFAULT_IMPORT_CATEGORY,
          unit,
          packSize: packSize ? String(packSize) : '',
          barcodes: barcodes.join(' '),
        },
      });
      for (const b of barcodes) barcodeOwner.set(b, { name });
      ref = { created: index };
      plan.summary.created++;
    }
    plan.summary.items++;
    if (quantity !== null) {
      plan.counts.push({ item: ref, counted: quantity, line: row.line });
      plan.summary.counted++;
    }
    if (levels) plan.levels.push({ item: ref, ...levels, line: row.line });
    plan.rows.push({
      line: row.line,
      status: match ? 'existing' : 'new',
      name: displayName,
      quantity,
      problems,
      notes,
    });
  }
  plan.summary.problemRows = plan.rows.filter((r) => r.status === 'problem').length;
  return plan;
}
