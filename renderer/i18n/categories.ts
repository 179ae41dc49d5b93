import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { DEFAULT_CATEGORIES } from '../../shared/catalog';

/** The categories Larder suggests, by their stored (English) name: catalog keys. */
const CATEGORY_KEY = {
  Food: 'category.food',
  Baby: 'category.baby',
  Hygiene: 'category.hygiene',
  Household: 'category.household',
  Medical: 'category.medical',
  Other: 'category.other',
} as const satisfies Record<(typeof DEFAULT_CATEGORIES)[number], string>;

const isDefault = (c: string): c is keyof typeof CATEGORY_KEY => Object.hasOwn(CATEGORY_KEY, c);

/**
 * A category as shown: one of the suggested ones in the reader's language (stored in English, so hubs
 * that read different languages still share one category), any other as the volunteer typed it.
 */
export function useCategoryName(): (category: string) => string {
  const { t } = useTranslation();
  return useCallback((category: string) => (isDefault(category) ? t(CATEGORY_KEY[category]) : category), [t]);
}

/**
 * What to store for a category a volunteer typed or picked in their language: a suggested one shown in
 * the reader's words ("Cunto", "Comida") goes back to its stored English name, so every hub shares it;
 * anything else is stored as typed.
 */
export function storedCategoryWith(t: TFunction, shown: string): string {
  const key = shown.trim().toLocaleLowerCase();
  for (const [stored, catalogKey] of Object.entries(CATEGORY_KEY))
    if (t(catalogKey).toLocaleLowerCase() === key || stored.toLocaleLowerCase() === key) return stored;
  return shown;
}

export function useStoredCategory(): (shown: string) => string {
  const { t } = useTranslation();
  return useCallback((shown: string) => storedCategoryWith(t, shown), [t]);
}
