import { normalizeName } from '../catalog';
import { readNumberCell, readQuantityCell } from './values';

/** What a column of the sheet can hold. */
export const IMPORT_FIELDS = [
  'item',
  'category',
  'unit',
  'quantity',
  'minimum',
  'target',
  'packSize',
  'barcode',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Which column (by index) holds each field; null when the sheet has none. */
export type ColumnMap = Record<ImportField, number | null>;

export const noColumns = (): ColumnMap => ({
  item: null,
  category: null,
  unit: null,
  quantity: null,
  minimum: null,
  target: null,
  packSize: null,
  barcode: null,
});

/**
 * Header words for each field, compared after normalizeName. English first, then words hubs in
 * Minneapolis write in Spanish, Somali and Hmong sheets. A whole-header match beats a word in the header.
 */
const HEADER_WORDS: Record<ImportField, readonly string[]> = {
  item: [
    'item',
    'items',
    'item name',
    'name',
    'product',
    'description',
    'article',
    'artículo',
    'articulo',
    'producto',
    'nombre',
    'alaab',
    'magac',
    'khoom',
    'npe',
  ],
  category: [
    'category',
    'categories',
    'type',
    'group',
    'kind',
    'section',
    'categoría',
    'categoria',
    'tipo',
    'nooc',
    'pawg',
  ],
  unit: ['unit', 'units', 'uom', 'unit of measure', 'measure', 'unidad', 'cabbir', 'chav'],
  quantity: [
    'quantity',
    'qty',
    'on hand',
    'in stock',
    'stock',
    'count',
    'amount',
    'how many',
    'total',
    'cantidad',
    'existencias',
    'tirada',
    'tus naj npawb',
  ],
  minimum: [
    'minimum',
    'min',
    'min level',
    'reorder',
    'reorder point',
    'reorder level',
    'par',
    'par level',
    'mínimo',
    'minimo',
    'ugu yaraan',
  ],
  target: [
    'target',
    'max',
    'maximum',
    'goal',
    'target level',
    'objetivo',
    'máximo',
    'maximo',
    'bartilmaameed',
  ],
  packSize: [
    'pack size',
    'case size',
    'per pack',
    'per case',
    'pack',
    'units per case',
    'tamaño del paquete',
  ],
  barcode: [
    'barcode',
    'barcodes',
    'upc',
    'ean',
    'gtin',
    'sku',
    'código de barras',
    'codigo de barras',
    'código',
    'codigo',
    'koodh',
  ],
};

const keyOf = (header: string) =>
  normalizeName(header)
    .replace(/[^\p{L}\p{N} ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

function headerScore(header: string, field: ImportField): number {
  const key = keyOf(header);
  // Stryker disable next-line ConditionalExpression: an empty key matches no word either way
  if (!key) return 0;
  const words = HEADER_WORDS[field];
  if (words.includes(key)) return 10;
  const tokens = ` ${key} `;
  // "Item name (English)", "Qty on hand": a listed word or phrase as whole words inside the header.
  return words.some((w) => tokens.includes(` ${w} `)) ? 5 : 0;
}

const BARCODE = /^\d{8,14}$/;

/** Headers of columns Larder's own exports write for other things: never guessed from their values. */
const OTHER_HEADERS = new Set([
  'date',
  'when',
  'entry',
  'change',
  'counted',
  'seen',
  'note',
  'notes',
  'hub',
  'expiry',
]);

/** What a column's values look like, for a sheet whose headers say nothing Larder knows. */
function valueShape(rows: readonly (readonly string[])[], column: number) {
  let filled = 0;
  let numbers = 0;
  let quantities = 0;
  let barcodes = 0;
  const distinct = new Set<string>();
  for (const row of rows) {
    const v = (row[column] ?? '').trim();
    if (!v) continue;
    filled++;
    // Stryker disable next-line MethodExpression: folding to upper case counts the same values
    distinct.add(v.toLowerCase());
    if (BARCODE.test(v)) barcodes++;
    else if (readNumberCell(v).ok) numbers++;
    if (readQuantityCell(v).ok) quantities++;
  }
  return { filled, numbers, quantities, barcodes, distinct: distinct.size };
}

/**
 * Guesses which column holds which field: from the header names first, then, for the item, quantity and
 * barcode, from what the values look like (text with many different values is the item; mostly numbers
 * is the quantity; 8 to 14 digits is a barcode). Each column is given to at most one field.
 */
export function guessColumns(header: readonly string[], rows: readonly (readonly string[])[]): ColumnMap {
  const map = noColumns();
  const taken = new Set<number>();
  const scored: { field: ImportField; column: number; score: number }[] = [];
  for (const field of IMPORT_FIELDS)
    header.forEach((h, column) => {
      const score = headerScore(h, field);
      if (score > 0) scored.push({ field, column, score });
    });
  // Best matches first; ties go to the field listed first and the leftmost column.
  scored.sort((a, b) => b.score - a.score);
  for (const s of scored) {
    if (map[s.field] !== null || taken.has(s.column)) continue;
    map[s.field] = s.column;
    taken.add(s.column);
  }

  const sample = rows.slice(0, 200);
  const free = header.map((_, i) => i).filter((i) => !taken.has(i) && !OTHER_HEADERS.has(keyOf(header[i]!)));
  const shapes = new Map(free.map((i) => [i, valueShape(sample, i)]));
  const pick = (test: (s: ReturnType<typeof valueShape>) => number) => {
    let best: number | null = null;
    let bestScore = 0;
    for (const [column, shape] of shapes) {
      if (taken.has(column)) continue;
      const score = test(shape);
      if (score > bestScore) [best, bestScore] = [column, score];
    }
    if (best !== null) taken.add(best);
    return best;
  };
  // (`s.filled > 0` only reads clearly: with nothing filled the share is 0 / 0, NaN, and no comparison holds.)
  if (map.barcode === null)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
    map.barcode = pick((s) => (s.filled > 0 && s.barcodes / s.filled > 0.8 ? s.barcodes : 0));
  if (map.item === null)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
    map.item = pick((s) => (s.filled > 0 && s.numbers / s.filled < 0.2 ? s.distinct : 0));
  if (map.quantity === null)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
    map.quantity = pick((s) => (s.filled > 0 && s.quantities / s.filled > 0.8 ? s.quantities : 0));
  return map;
}
