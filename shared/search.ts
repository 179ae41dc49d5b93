/*
 * Finding items by name, category or barcode. Apart from catalog.ts (the items' schema and form, made with
 * zod) so that the stock screen's search does not load zod before the first view.
 */

/** What search looks at in an item (catalog.ts's Item). */
export interface Searchable {
  name: string;
  category: string;
  barcodes: readonly string[];
}

/** Names are compared the way a person reads them: case, accents and spacing don't make a new item. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Search as you type: every word must start a word of the name, category or a barcode. */
export function searchItems<T extends Searchable>(query: string, items: readonly T[]): T[] {
  // Stryker disable next-line MethodExpression: normalizeName leaves no empty word but the empty query's, which matches every item as no words do
  const words = normalizeName(query).split(' ').filter(Boolean);
  const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
  // Stryker disable next-line ConditionalExpression: a shortcut; with no words the loop keeps every item, in this order
  if (words.length === 0) return sorted;
  const scored: { item: T; score: number }[] = [];
  for (const item of sorted) {
    // Stryker disable next-line Regex: split on one separator or a run of them, the empty words between match no word typed
    const hay = normalizeName(`${item.name} ${item.category}`).split(/[^a-z0-9]+/);
    let score = 0;
    let all = true;
    for (const w of words) {
      if (item.barcodes.some((b) => b.toLowerCase() === w)) score += 3;
      else if (hay.some((h) => h.startsWith(w))) score += hay[0]!.startsWith(w) ? 2 : 1;
      else if (normalizeName(item.name).includes(w)) score += 0.5;
      else {
        all = false;
        break;
      }
    }
    if (all) scored.push({ item, score });
  }
  return scored.sort((a, b) => b.score - a.score).map((s) => s.item);
}
