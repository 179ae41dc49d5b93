import { describe, expect, it } from 'vitest';
import { i18n } from '../../../renderer/i18n';
import { storedCategoryWith } from '../../../renderer/i18n/categories';

/** Items screen: a suggested category picked in the reader's words is stored by its shared English name. */
describe('storedCategoryWith', () => {
  it('stores a suggested category shown in Spanish, Somali or Hmong under its English name', () => {
    for (const lng of ['es', 'so', 'hmn', 'en'] as const) {
      const t = i18n.getFixedT(lng);
      expect(storedCategoryWith(t, t('category.food'))).toBe('Food');
      expect(storedCategoryWith(t, ` ${t('category.baby').toLocaleUpperCase()} `)).toBe('Baby');
      // The English name is understood in any language (a sheet or a volunteer may type it).
      expect(storedCategoryWith(t, 'hygiene')).toBe('Hygiene');
    }
  });

  it('keeps a category the volunteer typed as typed', () => {
    const t = i18n.getFixedT('so');
    expect(storedCategoryWith(t, 'Halal meat')).toBe('Halal meat');
    expect(storedCategoryWith(t, 'Foods')).toBe('Foods');
  });
});
