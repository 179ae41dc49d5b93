/** The categories a new network suggests (each shown in the device's language: renderer/i18n/categories.ts). */
export const DEFAULT_CATEGORIES = ['Food', 'Baby', 'Hygiene', 'Household', 'Medical', 'Other'] as const;

/** The categories to offer: the suggested ones and every one the catalog uses, each once, in code-unit order. */
export function categoryList(items: Iterable<{ category: string }>): string[] {
  const all = new Set<string>(DEFAULT_CATEGORIES);
  for (const item of items) all.add(item.category);
  return [...all].sort();
}
